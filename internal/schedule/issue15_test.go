package schedule_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/schedule"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

// Issue 15: the scheduling defects, each on both stores.

func TestRoundRobinSkipsWithoutFavouringNeighbour(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newSched(b, schedule.Options{Mode: schedule.PerformanceFirst})
		c := cands("a", "b", "c")
		if err := s.Disable(ctx, "c", "test"); err != nil {
			t.Fatal(err)
		}
		counts := map[string]int{}
		for i := 0; i < 30; i++ {
			l := mustAcquire(t, s, schedule.Query{Group: "m", Candidates: c})
			counts[l.Account]++
		}
		if counts["a"] != 15 || counts["b"] != 15 {
			t.Fatalf("with c disabled: %v; want a and b 15 each", counts)
		}
		// A cooling account is skipped the same way, and its turn comes back
		// when it is eligible again.
		if err := s.Enable(ctx, "c"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Report(ctx, schedule.Outcome{Account: "a", Group: "m", Reason: "rate_limit", Hint: time.Minute}); err != nil {
			t.Fatal(err)
		}
		clear(counts)
		for i := 0; i < 30; i++ {
			counts[mustAcquire(t, s, schedule.Query{Group: "m", Candidates: c}).Account]++
		}
		if counts["b"] != 15 || counts["c"] != 15 {
			t.Fatalf("with a cooling: %v; want b and c 15 each", counts)
		}
	})
}

func TestFixedAccountDoesNotRebindSessions(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newSched(b, schedule.Options{})
		c := cands("a", "b", "c")
		q := schedule.Query{Group: "m", Scope: "k", SessionID: "s1", Candidates: c}
		own := mustAcquire(t, s, q)
		pin := "a"
		if own.Account == pin {
			pin = "b"
		}
		if err := s.SetFixed(ctx, pin); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			if l := mustAcquire(t, s, q); l.Account != pin || l.Decision != "fixed" {
				t.Fatalf("while pinned: %+v; want fixed %s", l, pin)
			}
		}
		// A session first seen while pinned is not bound to the pin either.
		fresh := schedule.Query{Group: "m", Scope: "k", SessionID: "s2", Candidates: c}
		mustAcquire(t, s, fresh)
		if err := s.SetFixed(ctx, ""); err != nil {
			t.Fatal(err)
		}
		if l := mustAcquire(t, s, q); l.Account != own.Account || l.Decision != "sticky" {
			t.Fatalf("after unpinning: %+v; want sticky %s (the session's own account)", l, own.Account)
		}
		if l := mustAcquire(t, s, fresh); l.Decision == "sticky" {
			t.Fatalf("a session first served by the pin stayed bound to it: %+v", l)
		}
	})
}

func TestBindingPerModelGroup(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		s := newSched(b, schedule.Options{})
		// The main model and the side model are served by different accounts
		// (another provider), as a Claude Code session's haiku calls may be.
		main, side := cands("a", "b"), cands("c", "d")
		q := schedule.Query{Group: "sonnet", Scope: "k", SessionID: "cc-1", Candidates: main}
		first := mustAcquire(t, s, q)
		for i := 0; i < 4; i++ {
			mustAcquire(t, s, schedule.Query{Group: "haiku", Scope: "k", SessionID: "cc-1", Candidates: side})
			if l := mustAcquire(t, s, q); l.Account != first.Account || l.Decision != "sticky" {
				t.Fatalf("turn %d after a side request: %+v; want sticky %s", i, l, first.Account)
			}
		}
		sideFirst := mustAcquire(t, s, schedule.Query{Group: "haiku", Scope: "k", SessionID: "cc-1", Candidates: side})
		if sideFirst.Decision != "sticky" {
			t.Fatalf("the side model lost its own binding: %+v", sideFirst)
		}
	})
}

func TestRepeatedShortHintsCool(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newSched(b, schedule.Options{})
		c := cands("a", "b")
		o := schedule.Outcome{Account: "a", Group: "m", Reason: "rate_limit", Hint: time.Second, ShortHint: true,
			Base: 5 * time.Second, Cap: time.Minute, Tolerate: 1}
		if u, err := s.Report(ctx, o); err != nil || !u.IsZero() {
			t.Fatalf("first short hint: cooldown until %v, %v; want none", u, err)
		}
		q := schedule.Query{Group: "m", Candidates: c, Attempted: []string{"b"}}
		if l := mustAcquire(t, s, q); l.Account != "a" {
			t.Fatalf("after one short hint: %+v; want a still eligible", l)
		}
		u, err := s.Report(ctx, o)
		if d := time.Until(u); err != nil || d < 4*time.Second || d > 6*time.Second {
			t.Fatalf("second short hint: cooldown %v, %v; want ≈5s (the backoff, longer than the hint)", d, err)
		}
		if l := mustAcquire(t, s, q); l.Status != schedule.StatusNone {
			t.Fatalf("after a repeated short hint: %+v; want a cooling", l)
		}
		if l := mustAcquire(t, s, schedule.Query{Group: "other", Candidates: c, Attempted: []string{"b"}}); l.Account != "a" {
			t.Fatalf("a short hint cooled another model group: %+v", l)
		}
	})
}
