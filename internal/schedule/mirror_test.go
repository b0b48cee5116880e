package schedule_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/switchyard-gw/switchyard/internal/schedule"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

// localSched is a fallback scheduler on its own miniredis, as the app builds it.
func localSched(t *testing.T) *schedule.Scheduler {
	t.Helper()
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { c.Close() })
	return schedule.New(c, schedule.Options{})
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newMirror(shared, local *schedule.Scheduler, rdb redis.UniversalClient) *schedule.Mirror {
	return schedule.NewMirror(shared, local, rdb, schedule.MirrorOptions{ColdGrace: 50 * time.Millisecond, Log: quietLog()})
}

func mustRefresh(t *testing.T, m *schedule.Mirror) {
	t.Helper()
	if err := m.Refresh(context.Background()); err != nil {
		t.Fatalf("refresh: %v", err)
	}
}

// operatorState sets the control state through the admin surface.
func operatorState(t *testing.T, a *schedule.Admin, shared *schedule.Scheduler) {
	t.Helper()
	ctx := context.Background()
	for _, err := range []error{
		a.SetMode(ctx, schedule.PerformanceFirst, 7*time.Second),
		a.SetFixed(ctx, "c"),
		a.Disable(ctx, "b", "broken by operator"),
		shared.SetQuota(ctx, "a", "g", 0.25, time.Now().Add(time.Hour)),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := shared.Report(ctx, schedule.Outcome{Account: "a", Group: "g", Reason: "rate_limit", Hint: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if _, err := shared.Report(ctx, schedule.Outcome{Account: "d", CooldownScope: schedule.ScopeAccount, Reason: "auth", Hint: time.Minute}); err != nil {
		t.Fatal(err)
	}
}

// checkControl asserts that s holds the state operatorState wrote.
func checkControl(t *testing.T, what string, s *schedule.Scheduler) {
	t.Helper()
	ctx := context.Background()
	set, err := s.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if set.Mode != schedule.PerformanceFirst || set.MaxWait != 7*time.Second || set.FixedAccountID != "c" {
		t.Errorf("%s: settings %+v; want PerformanceFirst, 7s, fixed c", what, set)
	}
	st, err := s.States(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b := st["b"]; b == nil || !b.Disabled || b.DisabledReason != "broken by operator" {
		t.Errorf("%s: account b %+v; want disabled by the operator", what, b)
	}
	cooling := map[string]string{} // account|group -> reason
	for id, a := range st {
		for _, c := range a.Cooldowns {
			if time.Until(c.Until) > 50*time.Second {
				cooling[id+"|"+c.ModelGroup] = c.Reason
			}
		}
	}
	if cooling["a|g"] == "" || cooling["d|*"] != "auth" {
		t.Errorf("%s: cooldowns %v; want a on g and d account-wide (auth), a minute or more each", what, cooling)
	}
	if a := st["a"]; a == nil || a.Quota["g"] != 0.25 {
		t.Errorf("%s: quota of a %+v; want 0.25 on g", what, a)
	}
}

func TestMirrorFollowsSharedAndReseedsEmptiedStore(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		shared := schedule.New(b.Client, schedule.Options{})
		local := localSched(t)
		m := newMirror(shared, local, b.Client)
		operatorState(t, m.Admin(), shared)
		mustRefresh(t, m)
		if m.State() == nil {
			t.Fatal("no snapshot after a refresh")
		}
		checkControl(t, "fallback store", local)
		if st, _ := local.States(ctx); st["a"] == nil || len(st["a"].Cooldowns) != 1 || st["a"].Cooldowns[0].Reason != "rate_limit" {
			t.Errorf("fallback store: state of a %+v; want one cooldown, rate_limit", st["a"])
		}

		// Redis restarts empty; before any replica notices, live traffic
		// writes newer state, which re-seeding must keep.
		if err := b.Client.FlushAll(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		if err := shared.Disable(ctx, "e", "invalid_grant"); err != nil {
			t.Fatal(err)
		}
		if _, err := shared.Report(ctx, schedule.Outcome{Account: "a", Group: "g", Reason: "quota", Hint: 2 * time.Hour}); err != nil {
			t.Fatal(err)
		}
		mustRefresh(t, m)
		checkControl(t, "re-seeded shared store", shared)
		st, err := shared.States(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if e := st["e"]; e == nil || e.DisabledReason != "invalid_grant" {
			t.Errorf("a disable written after the restart was lost: %+v", e)
		}
		var aUntil time.Time
		for _, c := range st["a"].Cooldowns {
			if c.ModelGroup == "g" {
				aUntil = c.Until
			}
		}
		if time.Until(aUntil) < 90*time.Minute {
			t.Errorf("re-seeding shortened a newer, longer cooldown: a cools until %v", aUntil)
		}
		// The re-seeded store is the control state again: the next refresh
		// mirrors it (with the newer entries) and re-seeds nothing.
		mustRefresh(t, m)
		if _, ok := m.State().DisabledReason("e"); !ok {
			t.Error("the mirror did not pick up the state written after the restart")
		}
	})
}

func TestMirrorFallbackFollowsOperatorChanges(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		shared := schedule.New(b.Client, schedule.Options{})
		local := localSched(t)
		m := newMirror(shared, local, b.Client)
		a := m.Admin()
		operatorState(t, a, shared)
		mustRefresh(t, m)
		for _, err := range []error{a.Enable(ctx, "b"), a.SetFixed(ctx, ""), a.ClearCooldowns(ctx, "a"), a.Disable(ctx, "c", "second")} {
			if err != nil {
				t.Fatal(err)
			}
		}
		mustRefresh(t, m)
		set, _ := local.Settings(ctx)
		st, _ := local.States(ctx)
		if set.FixedAccountID != "" {
			t.Errorf("fallback keeps fixed account %q after the operator cleared it", set.FixedAccountID)
		}
		if st["b"] != nil && st["b"].Disabled {
			t.Error("fallback keeps b disabled after the operator enabled it")
		}
		if st["c"] == nil || !st["c"].Disabled {
			t.Error("fallback misses c, disabled by the operator")
		}
		if st["a"] != nil && len(st["a"].Cooldowns) != 0 {
			t.Errorf("fallback keeps a's cooldowns after the operator cleared them: %+v", st["a"].Cooldowns)
		}
	})
}

// TestMirrorReseedsOnceAndNeverOverNewerChanges: two replicas, an emptied
// store; one re-seeds, an operator change made after that is not undone by
// the other.
func TestMirrorReseedsOnceAndNeverOverNewerChanges(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s1, s2 := schedule.New(b.Client, schedule.Options{}), schedule.New(b.Client, schedule.Options{})
		m1, m2 := newMirror(s1, localSched(t), b.Client), newMirror(s2, localSched(t), b.Client)
		operatorState(t, m1.Admin(), s1)
		mustRefresh(t, m1)
		mustRefresh(t, m2)
		if err := b.Client.FlushAll(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		// An admin change on replica 1 re-seeds first, then lands.
		if err := m1.Admin().Enable(ctx, "b"); err != nil {
			t.Fatal(err)
		}
		mustRefresh(t, m2)
		mustRefresh(t, m1)
		st, _ := s1.States(ctx)
		if st["b"] != nil && st["b"].Disabled {
			t.Fatal("replica 2 re-seeded over an operator change made after the store came back")
		}
		set, _ := s1.Settings(ctx)
		if set.FixedAccountID != "c" || set.Mode != schedule.PerformanceFirst {
			t.Fatalf("settings after the re-seed: %+v", set)
		}
		if r, ok := m2.State().DisabledReason("b"); ok {
			t.Fatalf("replica 2 still mirrors b as disabled (%q)", r)
		}
	})
}

// TestMirrorColdReplicaWaitsForWarmOne: a replica that never saw the control
// state does not declare an emptied store fresh before a warm replica had
// the chance to re-seed it.
func TestMirrorColdReplicaWaitsForWarmOne(t *testing.T) {
	b := storetest.Backend{}
	storetest.ForEach(t, func(t *testing.T, be storetest.Backend) {
		b = be
		ctx := context.Background()
		s1 := schedule.New(b.Client, schedule.Options{})
		warm := newMirror(s1, nil, b.Client)
		operatorState(t, warm.Admin(), s1)
		mustRefresh(t, warm)
		if err := b.Client.FlushAll(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		cold := schedule.NewMirror(schedule.New(b.Client, schedule.Options{}), nil, b.Client,
			schedule.MirrorOptions{ColdGrace: time.Hour, Log: quietLog()})
		mustRefresh(t, cold) // sees no marker, within its grace: claims nothing
		mustRefresh(t, warm)
		checkControl(t, "store re-seeded by the warm replica", s1)
		mustRefresh(t, cold)
		if _, ok := cold.State().DisabledReason("b"); !ok {
			t.Error("the cold replica did not mirror the re-seeded state")
		}
	})
}

func TestAdminChangesNeedTheSharedStore(t *testing.T) {
	addr, cmd := startServer(t)
	st := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { st.Close() })
	shared := schedule.New(st, schedule.Options{})
	if err := shared.Preload(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := schedule.NewResilient(shared, localSched(t), true, func(ctx context.Context) error { return st.Ping(ctx).Err() }, quietLog())
	m := newMirror(shared, nil, st)
	r.SetMirror(m)
	a := m.Admin()
	if err := a.SetFixed(context.Background(), "c"); err != nil {
		t.Fatalf("admin change with the store up: %v", err)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_, _ = cmd.Process.Wait()
	// Not yet known as down: the change fails on the store, and says why.
	if err := a.Disable(context.Background(), "b", ""); !errors.Is(err, schedule.ErrAdminNeedsStore) {
		t.Fatalf("admin change with Redis gone: %v; want ErrAdminNeedsStore", err)
	}
	if _, err := r.Acquire(context.Background(), schedule.Query{Group: "g", Scope: "k", Candidates: cands("a", "b")}); err != nil {
		t.Fatal(err)
	}
	if !r.Degraded() {
		t.Fatal("not degraded after a failed selection")
	}
	start := time.Now()
	if err := a.SetMode(context.Background(), schedule.Balance, 0); !errors.Is(err, schedule.ErrAdminNeedsStore) || time.Since(start) > 50*time.Millisecond {
		t.Fatalf("admin change during a known outage: %v after %v; want ErrAdminNeedsStore at once", err, time.Since(start))
	}
}

// TestOutageSchedulesFromMirrorAndRestores: a Redis outage on a real
// redis-server. The fallback honours the disabled account and the fixed
// account from the mirror; the Redis that comes back empty gets them back
// before the replica serves from it again.
func TestOutageSchedulesFromMirrorAndRestores(t *testing.T) {
	addr, cmd := startServer(t)
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: 0, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	shared := schedule.New(c, schedule.Options{Mode: schedule.PerformanceFirst})
	if err := shared.Preload(ctx); err != nil {
		t.Fatal(err)
	}
	local := localSched(t)
	r := schedule.NewResilient(shared, local, true, func(ctx context.Context) error { return c.Ping(ctx).Err() }, quietLog())
	m := newMirror(shared, local, c)
	r.SetMirror(m)
	a := m.Admin()
	if err := a.Disable(ctx, "b", "broken"); err != nil {
		t.Fatal(err)
	}
	mustRefresh(t, m)

	_ = cmd.Process.Kill()
	_, _ = cmd.Process.Wait()
	group := cands("a", "b", "c")
	for i := 0; i < 9; i++ {
		l, err := r.Acquire(ctx, schedule.Query{Group: "g", Scope: "k", Candidates: group, Force: true})
		if err != nil || l.Status != schedule.StatusOK {
			t.Fatalf("selection %d during the outage: %+v %v", i, l, err)
		}
		if l.Account == "b" {
			t.Fatal("the fallback served the disabled account")
		}
	}
	if !r.Degraded() {
		t.Fatal("not on the fallback")
	}
	storetest.RestartRedis(t, addr)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go r.Run(rctx, 100*time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for r.Degraded() {
		if time.Now().After(deadline) {
			t.Fatal("no recovery within 5s of Redis restarting")
		}
		time.Sleep(20 * time.Millisecond)
	}
	st, err := shared.States(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st["b"] == nil || st["b"].DisabledReason != "broken" {
		t.Fatalf("after the restart the disabled account is not back: %+v", st["b"])
	}
	for i := 0; i < 6; i++ {
		if l, err := r.Acquire(ctx, schedule.Query{Group: "g", Scope: "k", Candidates: group, Force: true}); err != nil || l.Account == "b" {
			t.Fatalf("after recovery: %+v %v", l, err)
		}
	}
}

func TestOutageFallbackServesMirroredFixedAccount(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		shared := schedule.New(b.Client, schedule.Options{})
		local := localSched(t)
		// The shared store "fails": a ping that never answers, and a client closed.
		dead := redis.NewClient(&redis.Options{Addr: b.Addr})
		r := schedule.NewResilient(schedule.New(dead, schedule.Options{}), local, true,
			func(context.Context) error { return errors.New("down") }, quietLog())
		m := newMirror(shared, local, b.Client)
		r.SetMirror(m)
		if err := m.Admin().SetFixed(ctx, "c"); err != nil {
			t.Fatal(err)
		}
		if err := m.Admin().Disable(ctx, "a", ""); err != nil {
			t.Fatal(err)
		}
		mustRefresh(t, m)
		dead.Close()
		for i := 0; i < 4; i++ {
			l, err := r.Acquire(ctx, schedule.Query{Group: "g", Scope: "k", Candidates: cands("a", "b", "c"), Force: true})
			if err != nil || l.Account != "c" || l.Decision != "fixed" {
				t.Fatalf("selection %d on the fallback: %+v %v; want the fixed account c", i, l, err)
			}
		}
	})
}

// TestMirrorRunKeepsFallbackWithinASecond: the background loop brings an
// operator change (through the admin surface or straight on the store) to
// the fallback store within a second, without any request.
func TestMirrorRunKeepsFallbackWithinASecond(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		shared := schedule.New(b.Client, schedule.Options{})
		local := localSched(t)
		m := schedule.NewMirror(shared, local, b.Client, schedule.MirrorOptions{ColdGrace: 50 * time.Millisecond, Log: quietLog()})
		go m.Run(ctx)
		if err := m.Admin().Disable(ctx, "b", "by admin"); err != nil {
			t.Fatal(err)
		}
		if err := shared.SetFixed(ctx, "c"); err != nil { // another replica's change, no poke here
			t.Fatal(err)
		}
		start := time.Now()
		for {
			set, _ := local.Settings(ctx)
			st, _ := local.States(ctx)
			if set.FixedAccountID == "c" && st["b"] != nil && st["b"].Disabled {
				break
			}
			if time.Since(start) > time.Second {
				t.Fatalf("fallback after 1s: fixed %q, b %+v; want fixed c and b disabled", set.FixedAccountID, st["b"])
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// TestResilientSettingsFromMirror: the settings the dispatcher reads when
// nothing is eligible come from the mirror, without a store round trip.
func TestResilientSettingsFromMirror(t *testing.T) {
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	shared := schedule.New(c, schedule.Options{})
	r := schedule.NewResilient(shared, localSched(t), true, func(ctx context.Context) error { return c.Ping(ctx).Err() }, quietLog())
	mir := newMirror(shared, nil, c)
	r.SetMirror(mir)
	if err := mir.Admin().SetMode(ctx, schedule.CacheFirst, 9*time.Second); err != nil {
		t.Fatal(err)
	}
	mustRefresh(t, mir)
	before := m.CommandCount()
	set, err := r.Settings(ctx)
	if err != nil || set.Mode != schedule.CacheFirst || set.MaxWait != 9*time.Second {
		t.Fatalf("settings %+v %v; want CacheFirst, 9s", set, err)
	}
	if n := m.CommandCount() - before; n != 0 {
		t.Fatalf("reading the settings cost %d store commands; want none", n)
	}
}

// TestMirrorSeedsEmbeddedFallback: the fallback the app builds, the
// in-process Go store, follows the mirror like any other.
func TestMirrorSeedsEmbeddedFallback(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		shared := schedule.New(b.Client, schedule.Options{})
		local := schedule.NewEmbedded(nil, schedule.Options{})
		m := newMirror(shared, local, b.Client)
		operatorState(t, m.Admin(), shared)
		mustRefresh(t, m)
		if err := m.SeedLocal(context.Background()); err != nil {
			t.Fatal(err)
		}
		checkControl(t, "embedded fallback", local)
		l, err := local.Acquire(context.Background(), schedule.Query{Group: "g", Scope: "k", Candidates: cands("a", "b", "c")})
		if err != nil || l.Account != "c" {
			t.Fatalf("embedded fallback chose %+v %v; want the fixed account c", l, err)
		}
	})
}
