package schedule

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// A binding lives while now <= its end, as a Redis key does, on the
// injected clock.
func TestMemStoreBindingEndsOnTheClock(t *testing.T) {
	ctx := context.Background()
	now := time.UnixMilli(1_800_000_000_000)
	m := NewMemStore(func() time.Time { return now })
	s := NewEmbedded(m, Options{StickyTTL: time.Second})
	c := NewCandidates([]string{"a", "b", "c"}, func(int) int { return 1 })
	q := Query{Group: "g", Scope: "k", SessionID: "s", Candidates: c}
	first, err := s.Acquire(ctx, q)
	if err != nil || first.Decision != "round_robin" {
		t.Fatalf("first: %+v %v", first, err)
	}
	now = now.Add(time.Second) // at the end: still bound, and slid
	if l, _ := s.Acquire(ctx, q); l.Decision != "sticky" || l.Account != first.Account {
		t.Fatalf("at the TTL's last ms: %+v; want sticky %s", l, first.Account)
	}
	now = now.Add(time.Second + time.Millisecond) // one ms past the slid end
	if l, _ := s.Acquire(ctx, q); l.Decision == "sticky" {
		t.Fatalf("1 ms past the end: %+v; want a new selection", l)
	}
}

// Expired keys nobody reads again are swept, so one-off sessions do not
// grow the store without bound.
func TestMemStoreSweepsExpiredKeys(t *testing.T) {
	ctx := context.Background()
	now := time.UnixMilli(1_800_000_000_000)
	m := NewMemStore(func() time.Time { return now })
	s := NewEmbedded(m, Options{StickyTTL: time.Second, Window: time.Second})
	c := NewCandidates([]string{"a", "b"}, func(int) int { return 1 })
	peak := 0
	for i := 0; i < 20*sweepMin; i++ {
		q := Query{Group: "g", Scope: fmt.Sprintf("k%d", i%3), SessionID: fmt.Sprintf("s%d", i), Candidates: c}
		if _, err := s.Acquire(ctx, q); err != nil {
			t.Fatal(err)
		}
		now = now.Add(10 * time.Millisecond) // about 100 sessions live at a time
		m.mu.Lock()
		peak = max(peak, len(m.sessions))
		m.mu.Unlock()
	}
	if peak > 3*sweepMin {
		t.Fatalf("%d sessions held at the peak with ~100 live; want expired ones swept", peak)
	}
}

// A selection allocates nothing on the embedded store (sticky, window and
// round robin alike).
func TestMemStoreSelectionAllocatesNothing(t *testing.T) {
	ctx := context.Background()
	s := NewEmbedded(nil, Options{})
	c := NewCandidates([]string{"a", "b", "c"}, func(int) int { return 1 })
	for _, q := range []Query{
		{Group: "g", Scope: "k", SessionID: "s", Candidates: c},
		{Group: "g", Scope: "k", Candidates: c},
		{Group: "g", Scope: "k", Candidates: c, Force: true},
	} {
		if _, err := s.Acquire(ctx, q); err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { _, _ = s.Acquire(ctx, q) }); n != 0 {
			t.Errorf("%+v: %v allocations per selection; want 0", q, n)
		}
	}
}
