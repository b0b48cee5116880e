package schedule_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchyard-gw/switchyard/internal/schedule"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

// cmdCounter counts the commands a client sends: SCANs, and round trips
// (a pipeline is one).
type cmdCounter struct{ scans, trips atomic.Int64 }

func (c *cmdCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *cmdCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.trips.Add(1)
		if strings.EqualFold(cmd.Name(), "scan") {
			c.scans.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (c *cmdCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.trips.Add(1)
		for _, cmd := range cmds {
			if strings.EqualFold(cmd.Name(), "scan") {
				c.scans.Add(1)
			}
		}
		return next(ctx, cmds)
	}
}

// TestMirrorSnapshotScansNoKeys: with many unrelated keys in the store, a
// mirror refresh is one round trip and issues no SCAN (only the first
// refresh of a replica scans once, to index cooldowns an older version
// wrote), and a cooldown of a model group the mirror never saw is mirrored
// within a second.
func TestMirrorSnapshotScansNoKeys(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		// Unrelated keys, and a cooldown written before the index existed.
		const unrelated = 20000
		_, err := b.Client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := range unrelated {
				p.Set(ctx, fmt.Sprintf("{sy}:sess:k:%d:g", i), "a", 0)
			}
			p.ZAdd(ctx, "{sy}:cool:g:old", redis.Z{Score: float64(time.Now().Add(time.Hour).UnixMilli()), Member: "x"})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var n cmdCounter
		b.Client.AddHook(&n)
		shared := schedule.New(b.Client, schedule.Options{})
		m := newMirror(shared, nil, b.Client)
		mustRefresh(t, m)
		time.Sleep(60 * time.Millisecond) // past ColdGrace: the store's state is declared the control state
		mustRefresh(t, m)
		if m.State().CoolingUntil("x", "old").IsZero() {
			t.Fatal("a cooldown written before the index is not mirrored")
		}
		if _, err := shared.Report(ctx, schedule.Outcome{Account: "y", Group: "known", Reason: "rate_limit", Hint: time.Hour}); err != nil {
			t.Fatal(err)
		}
		mustRefresh(t, m)

		n.scans.Store(0)
		n.trips.Store(0)
		mustRefresh(t, m)
		if s, r := n.scans.Load(), n.trips.Load(); s != 0 || r != 1 {
			t.Fatalf("a steady refresh: %d SCANs in %d round trips; want none in one", s, r)
		}

		// A group the index did not name at the last snapshot is read by the
		// next one (Run refreshes every MirrorOptions.Every, 500ms).
		until, err := shared.Report(ctx, schedule.Outcome{Account: "z", Group: "brand-new", Reason: "rate_limit", Hint: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		mustRefresh(t, m)
		if m.State().CoolingUntil("z", "brand-new").IsZero() {
			t.Fatal("a cooldown of a new model group is not mirrored by the next refresh")
		}
		if got := m.State().CoolingUntil("z", "brand-new"); !got.Equal(until) {
			t.Fatalf("mirrored cooldown ends %v; want %v", got, until)
		}
		if !m.State().CoolingUntil("y", "known").After(time.Now()) {
			t.Fatal("a known group's cooldown is lost")
		}
		if s := n.scans.Load(); s != 0 {
			t.Fatalf("%d SCANs in steady state; want none", s)
		}
	})
}

// Quota written from Go (a polled Code Assist quota, the deferred flush of
// learned quota) indexes its model group as report.lua does, so the mirror
// follows a group that never had a cooldown.
func TestMirrorFollowsQuotaSetFromGo(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		shared := schedule.New(b.Client, schedule.Options{})
		m := newMirror(shared, nil, b.Client)
		mustRefresh(t, m)
		time.Sleep(60 * time.Millisecond) // past ColdGrace
		mustRefresh(t, m)
		if err := shared.SetQuota(ctx, "ca-1", "polled-only", 0.05, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		mustRefresh(t, m)
		if q, ok := m.State().QuotaOf("ca-1", "polled-only"); !ok || q >= 0.1 {
			t.Fatalf("quota set from Go in a new model group: mirrored %v %v; want 0.05 by the next refresh", q, ok)
		}
	})
}
