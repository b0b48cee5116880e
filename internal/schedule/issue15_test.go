package schedule_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

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
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
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
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
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

func TestCacheFirstWaitsForBoundAccountOnSameRequest(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newSched(b, schedule.Options{Mode: schedule.CacheFirst, MaxWait: 10 * time.Second})
		c := cands("a", "b", "c")
		q := schedule.Query{Group: "m", Scope: "k", SessionID: "s1", Candidates: c}
		bound := mustAcquire(t, s, q).Account
		// The bound account answers this request with a 429 and a 5 s hint.
		if _, err := s.Report(ctx, schedule.Outcome{Account: bound, Group: "m", Reason: "rate_limit", Hint: 5 * time.Second}); err != nil {
			t.Fatal(err)
		}
		again := q
		again.Force, again.Attempted = true, []string{bound}
		l := mustAcquire(t, s, again)
		if l.Status != schedule.StatusWait || l.Decision != "sticky" || l.Account != bound || l.Wait < 3*time.Second || l.Wait > 5*time.Second {
			t.Fatalf("after a 429 within max wait: %+v; want wait ≈5s for the bound %s", l, bound)
		}
		// Not when the request has already waited most of max wait, nor past its deadline.
		spent := again
		spent.Waited = 8 * time.Second
		if l := mustAcquire(t, s, spent); l.Status != schedule.StatusOK || l.Account == bound {
			t.Fatalf("with 8s already waited: %+v; want a rotation", l)
		}
		short := again
		short.Deadline = 2 * time.Second
		if l := mustAcquire(t, s, short); l.Status != schedule.StatusOK || l.Account == bound {
			t.Fatalf("with 2s left before the deadline: %+v; want a rotation", l)
		}
		// A forced rotation does not move the binding.
		if l := mustAcquire(t, s, schedule.Query{Group: "m", Scope: "k", SessionID: "s1", Candidates: c}); l.Status != schedule.StatusWait || l.Account != bound {
			t.Fatalf("next request: %+v; want the binding kept (wait for %s)", l, bound)
		}
		// Balance rotates at once.
		if err := s.SetMode(ctx, schedule.Balance, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if l := mustAcquire(t, s, again); l.Status != schedule.StatusOK || l.Account == bound {
			t.Fatalf("Balance: %+v; want a rotation", l)
		}
	})
}

func TestSelectionDecidesPoolWaitAndRetries(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newSched(b, schedule.Options{})
		c := cands("a", "b")
		for _, id := range []string{"a", "b"} {
			if _, err := s.Report(ctx, schedule.Outcome{Account: id, Group: "m", Reason: "rate_limit", Hint: 2 * time.Second}); err != nil {
				t.Fatal(err)
			}
		}
		q := schedule.Query{Group: "m", Candidates: c, Grace: 3 * time.Second}
		if l := mustAcquire(t, s, q); l.Status != schedule.StatusWait || l.Decision != "pool" || l.Wait > 2*time.Second {
			t.Fatalf("pool frees within the grace: %+v; want wait", l)
		}
		q.Waited = 2 * time.Second
		if l := mustAcquire(t, s, q); l.Status != schedule.StatusNone || l.Reason != "rate_limit" || l.Wait <= 0 {
			t.Fatalf("grace spent: %+v; want none, rate_limit", l)
		}
		// A CacheFirst max wait longer than the grace widens it.
		if err := s.SetMode(ctx, schedule.CacheFirst, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		if l := mustAcquire(t, s, q); l.Status != schedule.StatusWait {
			t.Fatalf("CacheFirst with max wait 5s: %+v; want wait", l)
		}
		// Every account tried: after a transient failure the first one tried serves again.
		c2 := cands("x", "y")
		tried := schedule.Query{Group: "m", Candidates: c2, Force: true, Attempted: []string{"y", "x"}}
		if l := mustAcquire(t, s, tried); l.Status != schedule.StatusNone || l.Wait != -1 {
			t.Fatalf("every account tried: %+v; want none", l)
		}
		tried.RetryTried = true
		if l := mustAcquire(t, s, tried); l.Status != schedule.StatusOK || l.Account != "y" || l.Decision != "retry" {
			t.Fatalf("after a transient failure: %+v; want retry of y (tried first)", l)
		}
	})
}

func TestNoneSaysWhyThePoolCools(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newSched(b, schedule.Options{})
		c := cands("a", "b")
		for _, id := range []string{"a", "b"} {
			o := schedule.Outcome{Account: id, Group: "m", CooldownScope: schedule.ScopeAccount, Reason: "server_error", Hint: 30 * time.Second}
			if _, err := s.Report(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		if l := mustAcquire(t, s, schedule.Query{Group: "m", Candidates: c}); l.Status != schedule.StatusNone || l.Reason != "server_error" || l.Wait < 25*time.Second {
			t.Fatalf("after server errors: %+v; want none, server_error, wait ≈30s", l)
		}
		c2 := cands("x")
		if _, err := s.Report(ctx, schedule.Outcome{Account: "x", Group: "m", Reason: "quota_exhausted", Hint: time.Hour}); err != nil {
			t.Fatal(err)
		}
		if l := mustAcquire(t, s, schedule.Query{Group: "m", Candidates: c2}); l.Reason != "quota_exhausted" {
			t.Fatalf("after a quota 429: %+v; want quota_exhausted", l)
		}
	})
}

// cmdRecorder records the name of every command a client sends.
type cmdRecorder struct{ record func(string) }

func (h *cmdRecorder) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *cmdRecorder) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
func (h *cmdRecorder) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.record(strings.ToLower(cmd.Name()))
		return next(ctx, cmd)
	}
}

// The command count is the Redis stores' (the embedded one has no commands).
func TestClearCooldownsIsOneScript(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newSched(b, schedule.Options{})
		for _, o := range []schedule.Outcome{
			{Account: "a", Group: "m", Reason: "rate_limit", Hint: time.Minute},
			{Account: "a", Group: "n", CooldownScope: schedule.ScopeAccount, Reason: "auth", Hint: time.Minute},
			{Account: "ab", Group: "m", Reason: "rate_limit", Hint: time.Minute},
		} {
			if _, err := s.Report(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		var cmds []string
		b.Client.AddHook(&cmdRecorder{record: func(c string) { cmds = append(cmds, c) }})
		if err := s.ClearCooldowns(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		for _, c := range cmds {
			if c != "scan" && c != "evalsha" && c != "eval" {
				t.Fatalf("ClearCooldowns sent %v; want SCAN and one script (no read-then-write from Go)", cmds)
			}
		}
		st, err := s.States(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st["a"] != nil && len(st["a"].Cooldowns) != 0 {
			t.Fatalf("a still cools: %+v", st["a"].Cooldowns)
		}
		if st["ab"] == nil || len(st["ab"].Cooldowns) != 1 || st["ab"].Cooldowns[0].Reason != "rate_limit" {
			t.Fatalf("clearing a touched ab: %+v", st["ab"])
		}
		if err := s.ClearCooldowns(ctx, ""); err != nil {
			t.Fatal(err)
		}
		if st, err := s.States(ctx); err != nil || (st["ab"] != nil && len(st["ab"].Cooldowns) != 0) {
			t.Fatalf("after clearing all: %+v %v", st["ab"], err)
		}
	})
}
