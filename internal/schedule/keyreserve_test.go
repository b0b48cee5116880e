package schedule_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/schedule"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

// clearOfMinuteEnd waits while the current minute ends within 4 s, so a
// test's token counts stay in one minute (and one UTC day).
func clearOfMinuteEnd() {
	if left := time.Minute - time.Duration(time.Now().UnixMilli()%60000)*time.Millisecond; left < 4*time.Second {
		time.Sleep(left + 50*time.Millisecond)
	}
}

func reserveQuery(c *schedule.Candidates, key string, l schedule.KeyLimits, reserve int64) schedule.Query {
	q := admitQuery(c, key, l, "")
	q.Key.Reserve = reserve
	return q
}

// tokenCount reads the key's tokens of the current minute (used plus
// reserved) through a refusal of a 1-token limit.
func tokenCount(t *testing.T, s *schedule.Scheduler, c *schedule.Candidates, key string) int64 {
	t.Helper()
	l := mustAcquire(t, s, admitQuery(c, key, schedule.KeyLimits{TPM: 1}, ""))
	if l.Status != schedule.StatusKeyLimit {
		return 0 // nothing counted: admitted (and counted one request, no tokens)
	}
	return l.KeyLimit.Used
}

func flush(t *testing.T, s *schedule.Scheduler) {
	t.Helper()
	if err := s.FlushKeyDebits(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Requests admitted at once reserve their estimates: a concurrent burst over
// three replicas stops at the tokens-per-minute limit before any answer (and
// any debit) is known.
func TestKeyTokenReservationsHoldUnderConcurrency(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		clearOfMinuteEnd()
		o := schedule.Options{Mode: schedule.PerformanceFirst}
		scheds := []*schedule.Scheduler{newSched(b, o), newSched(b, o), newSched(b, o)}
		c := cands("a", "b")
		for _, lim := range []schedule.KeyLimits{{TPM: 1000}, {DailyTokens: 1000}} {
			key := fmt.Sprintf("burst-%d-%d", lim.TPM, lim.DailyTokens)
			var mu sync.Mutex
			admitted := 0
			var wg sync.WaitGroup
			for i := range 30 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					l, err := scheds[i%3].Acquire(context.Background(), reserveQuery(c, key, lim, 300))
					if err != nil {
						t.Error(err)
						return
					}
					if l.Status == schedule.StatusOK {
						if l.Reserved.Tokens != 300 || l.Reserved.At <= 0 {
							t.Errorf("admitted lease %+v; want 300 tokens reserved at a time", l.Reserved)
						}
						mu.Lock()
						admitted++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			// 0, 300, 600 and 900 are under 1000: the fourth request is the
			// one that crosses the limit.
			if admitted != 4 {
				t.Fatalf("%+v: %d of 30 admitted with 300 tokens reserved each; want 4", lim, admitted)
			}
		}
	})
}

// Sequential requests on one replica are refused once the limit is used by
// reservations, and the debit reconciles: an unused reservation is given
// back, a larger use counted, and a request without usage gives back all.
func TestKeyTokenReservationsReconcile(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		clearOfMinuteEnd()
		ctx := context.Background()
		s := newSched(b, schedule.Options{Mode: schedule.PerformanceFirst})
		c := cands("a")
		lim := schedule.KeyLimits{TPM: 1000}
		var res []schedule.KeyReservation
		for i := range 3 {
			l := mustAcquire(t, s, reserveQuery(c, "seq", lim, 400))
			if l.Status != schedule.StatusOK {
				t.Fatalf("request %d: %+v; want ok while 400×%d is under 1000", i, l, i)
			}
			res = append(res, l.Reserved)
		}
		l := mustAcquire(t, s, reserveQuery(c, "seq", lim, 400))
		if l.Status != schedule.StatusKeyLimit || l.KeyLimit.Which != "tokens" || l.KeyLimit.Used != 1200 {
			t.Fatalf("fourth request: %+v; want keylimit tokens, 1200 reserved of 1000", l)
		}
		// Used 100 of 400: 300 given back (900 counted, under the limit).
		s.ReleaseKey("seq", "", 100, res[0])
		flush(t, s)
		if n := tokenCount(t, s, c, "seq"); n != 900 {
			t.Fatalf("after a 400 reservation used 100: %d counted; want 900", n)
		}
		l = mustAcquire(t, s, reserveQuery(c, "seq", lim, 400))
		if l.Status != schedule.StatusOK {
			t.Fatalf("after the give-back: %+v; want ok", l)
		}
		res = append(res, l.Reserved)
		// Used 650 of 400: 250 more; ended without usage: all 400 back.
		s.ReleaseKey("seq", "", 650, res[1])
		s.ReleaseKey("seq", "", 0, res[2])
		s.ReleaseKey("seq", "", 0, res[3])
		flush(t, s)
		if n := tokenCount(t, s, c, "seq"); n != 750 {
			t.Fatalf("reconciled: %d counted; want 100 + 650 = 750", n)
		}
		u, err := s.KeyUsage(ctx, []string{"seq"})
		if err != nil || u["seq"].TokensToday != 750 {
			t.Fatalf("tokens today %+v %v; want 750", u["seq"], err)
		}
		// A reservation made in a minute that is over was released with
		// that minute: only the tokens beyond it count now. Its day is
		// reconciled when it is still current (it is not in the first two
		// minutes of a UTC day: then only the excess counts there too).
		stale := schedule.KeyReservation{Tokens: 500, At: time.Now().Add(-2 * time.Minute).UnixMilli()}
		wantToday := int64(750) // -300 + 300 reconciled in the day
		if time.UnixMilli(stale.At).UTC().YearDay() != time.Now().UTC().YearDay() {
			wantToday = 1050 // 750 + the 300 excess
		}
		s.ReleaseKey("seq", "", 200, stale)
		s.ReleaseKey("seq", "", 800, stale)
		flush(t, s)
		if n := tokenCount(t, s, c, "seq"); n != 1050 {
			t.Fatalf("after releases of an old minute: %d counted; want 750 + 300 excess = 1050", n)
		}
		u, _ = s.KeyUsage(ctx, []string{"seq"})
		if u["seq"].TokensToday != wantToday {
			t.Fatalf("tokens today %d; want %d", u["seq"].TokensToday, wantToday)
		}
		// Counts never go below zero.
		s.ReleaseKey("seq", "", 0, schedule.KeyReservation{Tokens: 5000, At: time.Now().UnixMilli()})
		flush(t, s)
		if n := tokenCount(t, s, c, "seq"); n != 0 {
			t.Fatalf("after a give-back larger than the count: %d; want 0", n)
		}
	})
}

// The daily budget counts reservations as the minute does.
func TestKeyDailyTokensReserved(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		clearOfMinuteEnd()
		s := newSched(b, schedule.Options{Mode: schedule.PerformanceFirst})
		c := cands("a")
		lim := schedule.KeyLimits{DailyTokens: 1000}
		first := mustAcquire(t, s, reserveQuery(c, "day", lim, 600))
		if first.Status != schedule.StatusOK {
			t.Fatalf("%+v", first)
		}
		if mustAcquire(t, s, reserveQuery(c, "day", lim, 600)).Status != schedule.StatusOK {
			t.Fatal("second request refused at 600 of 1000")
		}
		l := mustAcquire(t, s, reserveQuery(c, "day", lim, 600))
		if l.Status != schedule.StatusKeyLimit || l.KeyLimit.Which != "daily_tokens" || l.KeyLimit.Used != 1200 {
			t.Fatalf("third request: %+v; want keylimit daily_tokens 1200/1000", l)
		}
		s.ReleaseKey("day", "", 0, first.Reserved)
		flush(t, s)
		if l := mustAcquire(t, s, reserveQuery(c, "day", lim, 600)); l.Status != schedule.StatusOK {
			t.Fatalf("after a reservation came back: %+v; want ok", l)
		}
	})
}
