package schedule_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/schedule"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

// A success whose learned quota is not low is queued and written by the
// background flush (no round trip of its own); the latest value wins.
func TestHealthyQuotaRidesTheFlush(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newSched(b, schedule.Options{QuotaProtection: 0.1})
		reset := time.Now().Add(time.Minute)
		for _, q := range []float64{0.9, 0.8} {
			o := schedule.Outcome{Account: "a", Group: "m", Success: true, QuotaKnown: true, Quota: q, QuotaReset: reset}
			if _, err := s.Report(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		if st := states(t, s); st["a"] != nil && len(st["a"].Quota) > 0 {
			t.Fatalf("healthy quota written before the flush: %+v", st["a"])
		}
		if err := s.FlushKeyDebits(ctx); err != nil {
			t.Fatal(err)
		}
		if st := states(t, s); st["a"] == nil || st["a"].Quota["m"] != 0.8 {
			t.Fatalf("after the flush: %+v; want the latest quota 0.8", st["a"])
		}
	})
}

// Low quota (below the protection threshold, or below 0.2 with protection
// off) is written at once: protection acts on the very next selection, on
// every replica; a queued value never overwrites it.
func TestLowQuotaReportsAtOnce(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		r1 := newSched(b, schedule.Options{Mode: schedule.PerformanceFirst, QuotaProtection: 0.3})
		r2 := newSched(b, schedule.Options{Mode: schedule.PerformanceFirst, QuotaProtection: 0.3})
		c := cands("a", "b")
		reset := time.Now().Add(time.Minute)
		rep := func(q float64) {
			t.Helper()
			if _, err := r1.Report(ctx, schedule.Outcome{Account: "a", Group: "m", Success: true, QuotaKnown: true, Quota: q, QuotaReset: reset}); err != nil {
				t.Fatal(err)
			}
		}
		rep(0.9)  // queued
		rep(0.25) // low for this threshold: written now, and the queued 0.9 dropped
		for i := 0; i < 4; i++ {
			if l := mustAcquire(t, r2, schedule.Query{Group: "m", Candidates: c}); l.Account != "b" {
				t.Fatalf("replica 2 chose %s; want b while a is below the threshold", l.Account)
			}
		}
		if err := r1.FlushKeyDebits(ctx); err != nil {
			t.Fatal(err)
		}
		if st := states(t, r1); st["a"].Quota["m"] != 0.25 {
			t.Fatalf("quota %+v; the flush must not bring back the older 0.9", st["a"].Quota)
		}
		// With protection off, below 0.2 is still written at once.
		off := newSched(b, schedule.Options{})
		if _, err := off.Report(ctx, schedule.Outcome{Account: "c", Group: "m", Success: true, QuotaKnown: true, Quota: 0.1, QuotaReset: reset}); err != nil {
			t.Fatal(err)
		}
		if st := states(t, off); st["c"] == nil || st["c"].Quota["m"] != 0.1 {
			t.Fatalf("low quota with protection off not written at once: %+v", st["c"])
		}
	})
}

// A success on an account that the selection chose with a failure streak
// reports at once, quota or not: the streak is gone before another replica
// selects it.
func TestSuccessAfterStreakReportsAtOnce(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		r1, r2 := newSched(b, schedule.Options{}), newSched(b, schedule.Options{})
		c := cands("a")
		fail := schedule.Outcome{Account: "a", Group: "m", CooldownScope: schedule.ScopeGroup, Reason: "server_error",
			Base: time.Second, Cap: time.Minute, Tolerate: 1}
		if _, err := r1.Report(ctx, fail); err != nil {
			t.Fatal(err)
		}
		l := mustAcquire(t, r1, schedule.Query{Group: "m", Candidates: c})
		if l.Account != "a" || l.Streak != 1 {
			t.Fatalf("lease %+v; want a with streak 1", l)
		}
		ok := schedule.Outcome{Account: "a", Group: "m", Success: true, QuotaKnown: true, Quota: 0.9, QuotaReset: time.Now().Add(time.Minute)}
		if _, err := r1.Report(ctx, ok); err != nil {
			t.Fatal(err)
		}
		if l := mustAcquire(t, r2, schedule.Query{Group: "m", Candidates: c}); l.Streak != 0 {
			t.Fatalf("replica 2 sees streak %d after the success; want 0", l.Streak)
		}
		if st := states(t, r2); st["a"] == nil || st["a"].Quota["m"] != 0.9 {
			t.Fatalf("quota of the streak-clearing success: %+v", st["a"])
		}
	})
}

func states(t *testing.T, s *schedule.Scheduler) map[string]*schedule.AccountState {
	t.Helper()
	st, err := s.States(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}
