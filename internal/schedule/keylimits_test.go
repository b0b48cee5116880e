package schedule_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/schedule"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

func admitQuery(c *schedule.Candidates, key string, l schedule.KeyLimits, lease string) schedule.Query {
	return schedule.Query{Group: "m", Scope: "k", Candidates: c,
		Key: schedule.KeyAdmission{Name: key, Limits: l, Lease: lease}}
}

func TestKeyRequestsPerMinute(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		s := newSched(b, schedule.Options{Mode: schedule.PerformanceFirst})
		c := cands("a", "b")
		lim := schedule.KeyLimits{RPM: 3}
		for i := range 3 {
			if l := mustAcquire(t, s, admitQuery(c, "alice", lim, "")); l.Status != schedule.StatusOK {
				t.Fatalf("request %d: %+v; want ok within the limit", i, l)
			}
		}
		l := mustAcquire(t, s, admitQuery(c, "alice", lim, ""))
		if l.Status != schedule.StatusKeyLimit || l.KeyLimit.Which != "requests" || l.KeyLimit.Limit != 3 || l.KeyLimit.Used != 3 {
			t.Fatalf("fourth request: %+v; want keylimit requests 3/3", l)
		}
		if l.Wait <= 0 || l.Wait.Seconds() > 60 {
			t.Fatalf("reset in %v; want within the minute", l.Wait)
		}
		// Another key is not affected; a selection that does not admit is not counted.
		if l := mustAcquire(t, s, admitQuery(c, "bob", lim, "")); l.Status != schedule.StatusOK {
			t.Fatalf("other key: %+v", l)
		}
		if l := mustAcquire(t, s, schedule.Query{Group: "m", Candidates: c, Force: true}); l.Status != schedule.StatusOK {
			t.Fatalf("retry selection without admission: %+v", l)
		}
		u, err := s.KeyUsage(context.Background(), []string{"alice", "bob", "carol"})
		if err != nil {
			t.Fatal(err)
		}
		if u["alice"].RequestsToday != 3 || u["bob"].RequestsToday != 1 || u["carol"].RequestsToday != 0 || u["alice"].LastUsed.IsZero() {
			t.Fatalf("usage %+v; want alice 3 (last used set), bob 1, carol 0", u)
		}
	})
}

func TestKeyInFlightAndRelease(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newSched(b, schedule.Options{Mode: schedule.PerformanceFirst})
		c := cands("a")
		lim := schedule.KeyLimits{MaxInFlight: 2}
		for _, lease := range []string{"r1", "r2"} {
			if l := mustAcquire(t, s, admitQuery(c, "k1", lim, lease)); l.Status != schedule.StatusOK {
				t.Fatalf("%s: %+v", lease, l)
			}
		}
		if l := mustAcquire(t, s, admitQuery(c, "k1", lim, "r3")); l.Status != schedule.StatusKeyLimit || l.KeyLimit.Which != "in_flight" {
			t.Fatalf("third in flight: %+v; want keylimit in_flight", l)
		}
		s.ReleaseKey("k1", "r1", 0, schedule.KeyReservation{})
		if err := s.FlushKeyDebits(ctx); err != nil {
			t.Fatal(err)
		}
		if l := mustAcquire(t, s, admitQuery(c, "k1", lim, "r3")); l.Status != schedule.StatusOK {
			t.Fatalf("after a release: %+v; want ok", l)
		}
	})
}

func TestKeyTokenBudgets(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newSched(b, schedule.Options{Mode: schedule.PerformanceFirst})
		c := cands("a")
		tpm := schedule.KeyLimits{TPM: 1000}
		if l := mustAcquire(t, s, admitQuery(c, "t", tpm, "")); l.Status != schedule.StatusOK {
			t.Fatalf("%+v", l)
		}
		s.ReleaseKey("t", "", 1200, schedule.KeyReservation{})
		if err := s.FlushKeyDebits(ctx); err != nil {
			t.Fatal(err)
		}
		l := mustAcquire(t, s, admitQuery(c, "t", tpm, ""))
		if l.Status != schedule.StatusKeyLimit || l.KeyLimit.Which != "tokens" || l.KeyLimit.Used != 1200 {
			t.Fatalf("after 1200 tokens: %+v; want keylimit tokens 1200/1000", l)
		}
		daily := schedule.KeyLimits{DailyTokens: 1000}
		l = mustAcquire(t, s, admitQuery(c, "t", daily, ""))
		if l.Status != schedule.StatusKeyLimit || l.KeyLimit.Which != "daily_tokens" {
			t.Fatalf("daily budget spent: %+v; want keylimit daily_tokens", l)
		}
		if l.Wait.Hours() > 24 || l.Wait <= 0 {
			t.Fatalf("daily reset in %v", l.Wait)
		}
		u, _ := s.KeyUsage(ctx, []string{"t"})
		if u["t"].TokensToday != 1200 {
			t.Fatalf("tokens today %d; want 1200", u["t"].TokensToday)
		}
	})
}

// Many replicas (schedulers on one store) admitting at once never overshoot.
func TestKeyLimitsHoldUnderConcurrency(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		scheds := []*schedule.Scheduler{
			newSched(b, schedule.Options{Mode: schedule.PerformanceFirst}),
			newSched(b, schedule.Options{Mode: schedule.PerformanceFirst}),
			newSched(b, schedule.Options{Mode: schedule.PerformanceFirst}),
		}
		c := cands("a", "b")
		lim := schedule.KeyLimits{RPM: 25, MaxInFlight: 1000}
		var mu sync.Mutex
		ok := 0
		var wg sync.WaitGroup
		for i := range 60 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l, err := scheds[i%3].Acquire(context.Background(), admitQuery(c, "burst", lim, fmt.Sprintf("r%d", i)))
				if err != nil {
					t.Error(err)
					return
				}
				if l.Status == schedule.StatusOK {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if ok != 25 {
			t.Fatalf("%d of 60 admitted; want exactly the limit of 25", ok)
		}
	})
}
