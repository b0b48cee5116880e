package schedule_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/schedule"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

func setQuota(t *testing.T, s *schedule.Scheduler, acct, group string, frac float64, reset time.Time) {
	t.Helper()
	if err := s.SetQuota(context.Background(), acct, group, frac, reset); err != nil {
		t.Fatal(err)
	}
}

// Within a tier, new sessions go to the accounts with the most known
// remaining quota (band: unknown or ≥ 50%, 20–50%, < 20%), rotating among
// those evenly; a quota whose reset has passed counts as unknown (full).
func TestRoundRobinPrefersTheBestQuotaBand(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		s := newSched(b, schedule.Options{Mode: schedule.PerformanceFirst})
		c := cands("p-a", "p-b", "p-c", "p-d", "u-x")
		hour := time.Now().Add(time.Hour)
		setQuota(t, s, "p-a", "m", 0.05, hour)
		setQuota(t, s, "p-b", "m", 0.8, hour)
		setQuota(t, s, "p-d", "m", 0.3, hour)
		// p-c: unknown (band 0). u-x is the better tier but disabled.
		if err := s.Disable(context.Background(), "u-x", "test"); err != nil {
			t.Fatal(err)
		}
		counts := map[string]int{}
		for range 40 {
			l := mustAcquire(t, s, schedule.Query{Group: "m", Scope: "k", Candidates: c})
			if l.Status != schedule.StatusOK || l.Decision != "round_robin" {
				t.Fatalf("got %+v; want ok round_robin", l)
			}
			counts[l.Account]++
		}
		if counts["p-b"] != 20 || counts["p-c"] != 20 {
			t.Fatalf("spread %v; want p-b (80%%) and p-c (unknown) 20 each, nothing to p-a (5%%) or p-d (30%%)", counts)
		}
		// Another group knows no quota: all four rotate.
		other := map[string]int{}
		for range 40 {
			other[mustAcquire(t, s, schedule.Query{Group: "g2", Scope: "k", Candidates: c}).Account]++
		}
		for _, a := range []string{"p-a", "p-b", "p-c", "p-d"} {
			if other[a] != 10 {
				t.Fatalf("group without quota: %v; want 10 each", other)
			}
		}
		// The full accounts out: the middle band (p-d) before the low one.
		if err := s.Disable(context.Background(), "p-b", "test"); err != nil {
			t.Fatal(err)
		}
		setQuota(t, s, "p-c", "m", 0.1, hour)
		for range 4 {
			if l := mustAcquire(t, s, schedule.Query{Group: "m", Scope: "k", Candidates: c}); l.Account != "p-d" {
				t.Fatalf("got %s; want p-d (30%%) before p-a and p-c (under 20%%)", l.Account)
			}
		}
		// Equal low band: they rotate; a passed reset counts as full.
		setQuota(t, s, "p-d", "m", 0.15, hour)
		low := map[string]int{}
		for range 30 {
			low[mustAcquire(t, s, schedule.Query{Group: "m", Scope: "k", Candidates: c}).Account]++
		}
		if low["p-a"] != 10 || low["p-c"] != 10 || low["p-d"] != 10 {
			t.Fatalf("all under 20%%: %v; want 10 each", low)
		}
		setQuota(t, s, "p-a", "m", 0.01, time.Now().Add(-time.Second))
		for range 3 {
			if l := mustAcquire(t, s, schedule.Query{Group: "m", Scope: "k", Candidates: c}); l.Account != "p-a" {
				t.Fatalf("got %s; want p-a, whose quota reset has passed", l.Account)
			}
		}
	})
}

// Quota bands order round robin only: a session bound to a low account
// stays on it, and the fixed account is used whatever its quota.
func TestQuotaBandsKeepStickyAndFixed(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newSched(b, schedule.Options{Mode: schedule.Balance})
		c := cands("a", "b")
		q := schedule.Query{Group: "m", Scope: "k", SessionID: "s1", Candidates: c}
		first := mustAcquire(t, s, q)
		setQuota(t, s, first.Account, "m", 0.05, time.Now().Add(time.Hour))
		for range 3 {
			if l := mustAcquire(t, s, q); l.Account != first.Account || l.Decision != "sticky" {
				t.Fatalf("got %+v; want the session kept on %s", l, first.Account)
			}
		}
		for _, sid := range []string{"s2", "s3", "s4", "s5"} {
			q.SessionID = sid
			if l := mustAcquire(t, s, q); l.Account == first.Account || l.Decision != "round_robin" {
				t.Fatalf("new session %s: %+v; want the other account (%s has 5%% left)", sid, l, first.Account)
			}
		}
		q.SessionID = "s1"
		if l := mustAcquire(t, s, q); l.Account != first.Account || l.Decision != "sticky" {
			t.Fatalf("got %+v; want s1 still on %s", l, first.Account)
		}
		if err := s.SetFixed(ctx, first.Account); err != nil {
			t.Fatal(err)
		}
		q.SessionID = "s6"
		if l := mustAcquire(t, s, q); l.Account != first.Account || l.Decision != "fixed" {
			t.Fatalf("got %+v; want the fixed account", l)
		}
	})
}
