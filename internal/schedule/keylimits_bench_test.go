package schedule_test

import (
	"math"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/switchyard-gw/switchyard/internal/schedule"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

// BenchmarkKeyCheck measures what a client key costs a healthy sticky
// selection on a real redis-server, in the same run: no key (the baseline),
// a key that is only counted (usage today), and a key with every limit but
// in-flight set (the limits are checked and counted in the same script).
// BenchmarkKeyCheckEmbedded is the same on the embedded Go store.
func BenchmarkKeyCheck(b *testing.B) {
	addr := storetest.StartRedis(b)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	b.Cleanup(func() { rdb.Close() })
	benchKeyCheck(b, func(b *testing.B) *schedule.Scheduler {
		return benchScheduler(b, rdb, schedule.Options{Mode: schedule.Balance})
	})
}

func BenchmarkKeyCheckEmbedded(b *testing.B) {
	benchKeyCheck(b, func(*testing.B) *schedule.Scheduler {
		return schedule.NewEmbedded(nil, schedule.Options{Mode: schedule.Balance})
	})
}

func benchKeyCheck(b *testing.B, newS func(b *testing.B) *schedule.Scheduler) {
	big := int64(math.MaxInt32)
	for _, v := range []struct {
		name string
		key  schedule.KeyAdmission
	}{
		{"no_key", schedule.KeyAdmission{}},
		{"key_counted", schedule.KeyAdmission{Name: "bench"}},
		{"key_limits", schedule.KeyAdmission{Name: "bench-limits", Limits: schedule.KeyLimits{RPM: big, TPM: big, DailyTokens: big}}},
	} {
		b.Run(v.name, func(b *testing.B) {
			s := newS(b)
			q := schedule.Query{Group: "claude-sonnet-4-5", Scope: "kbench", SessionID: "sid-0123456789abcdef", Candidates: benchCandidates(10), Key: v.key}
			benchAcquire(b, s, q)
			if l := benchAcquire(b, s, q); l.Status != schedule.StatusOK || l.Decision != "sticky" {
				b.Fatalf("got %+v; want an ok sticky lease", l)
			}
			b.ReportAllocs()
			for b.Loop() {
				benchAcquire(b, s, q)
			}
		})
	}
}
