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
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
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
