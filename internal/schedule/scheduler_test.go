package schedule_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchyard-gw/switchyard/internal/schedule"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

func cands(ids ...string) *schedule.Candidates {
	// "u-" prefix = ultra, "p-" = pro, anything else free.
	return schedule.NewCandidates(ids, func(i int) int {
		switch {
		case strings.HasPrefix(ids[i], "u-"):
			return 0
		case strings.HasPrefix(ids[i], "p-"):
			return 1
		}
		return 2
	})
}

// newSched is a scheduler on b; schedulers made on one backend share its
// state, as replicas share one Redis.
func newSched(b storetest.Backend, o schedule.Options) *schedule.Scheduler {
	if b.Embedded != nil {
		m := b.Embedded.Store(func(now func() time.Time) any { return schedule.NewMemStore(now) })
		return schedule.NewEmbedded(m.(*schedule.MemStore), o)
	}
	return schedule.New(b.Client, o)
}

func mustAcquire(t *testing.T, s *schedule.Scheduler, q schedule.Query) schedule.Lease {
	t.Helper()
	l, err := s.Acquire(context.Background(), q)
	if err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	return l
}

func TestRoundRobinSpreadsEvenly(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		s := newSched(b, schedule.Options{Mode: schedule.PerformanceFirst})
		c := cands("a", "b", "c")
		counts := map[string]int{}
		for i := 0; i < 30; i++ {
			l := mustAcquire(t, s, schedule.Query{Group: "m", Scope: "k", Candidates: c})
			if l.Status != schedule.StatusOK || l.Decision != "round_robin" {
				t.Fatalf("got %+v; want ok round_robin", l)
			}
			counts[l.Account]++
		}
		for _, id := range []string{"a", "b", "c"} {
			if counts[id] != 10 {
				t.Errorf("account %s got %d selections; want 10 (%v)", id, counts[id], counts)
			}
		}
	})
}

func TestTierOrder(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newSched(b, schedule.Options{Mode: schedule.PerformanceFirst})
		c := cands("f1", "p-1", "u-1", "u-2")
		for i := 0; i < 4; i++ {
			l := mustAcquire(t, s, schedule.Query{Group: "m", Candidates: c})
			if !strings.HasPrefix(l.Account, "u-") {
				t.Fatalf("got %s; want an ultra account while one is eligible", l.Account)
			}
		}
		for _, id := range []string{"u-1", "u-2"} {
			if _, err := s.Report(ctx, schedule.Outcome{Account: id, Group: "m", Reason: "rate_limit", Hint: time.Minute}); err != nil {
				t.Fatal(err)
			}
		}
		if l := mustAcquire(t, s, schedule.Query{Group: "m", Candidates: c}); l.Account != "p-1" {
			t.Fatalf("got %s; want p-1 when every ultra cools", l.Account)
		}
	})
}

func TestStickySessionScopedPerClient(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		s := newSched(b, schedule.Options{})
		c := cands("a", "b", "c", "d")
		first := mustAcquire(t, s, schedule.Query{Group: "m", Scope: "team1", SessionID: "sid-1", Candidates: c})
		for i := 0; i < 10; i++ {
			l := mustAcquire(t, s, schedule.Query{Group: "m", Scope: "team1", SessionID: "sid-1", Candidates: c})
			if l.Account != first.Account || l.Decision != "sticky" {
				t.Fatalf("turn %d: got %s/%s; want %s/sticky", i, l.Account, l.Decision, first.Account)
			}
		}
		// Another client key with the same conversation is scheduled on its own.
		other := mustAcquire(t, s, schedule.Query{Group: "m", Scope: "team2", SessionID: "sid-1", Candidates: c})
		if other.Decision == "sticky" {
			t.Fatalf("team2 reused team1's binding: %+v", other)
		}
	})
}

func TestCooldownSkipsAndReportsSoonest(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newSched(b, schedule.Options{})
		c := cands("a", "b")
		until, err := s.Report(ctx, schedule.Outcome{Account: "a", Group: "m", Reason: "rate_limit", Hint: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Until(until); d < 25*time.Second || d > 35*time.Second {
			t.Fatalf("cooldown ends in %v; want about 30s", d)
		}
		for i := 0; i < 5; i++ {
			if l := mustAcquire(t, s, schedule.Query{Group: "m", Candidates: c, Force: true}); l.Account != "b" {
				t.Fatalf("got %s; want b while a cools", l.Account)
			}
		}
		// Another model group is not affected by a group cooldown.
		if _, err := s.Report(ctx, schedule.Outcome{Account: "b", Group: "m", Reason: "rate_limit", Hint: 10 * time.Second}); err != nil {
			t.Fatal(err)
		}
		l := mustAcquire(t, s, schedule.Query{Group: "m", Candidates: c})
		if l.Status != schedule.StatusNone || l.Wait < 5*time.Second || l.Wait > 11*time.Second {
			t.Fatalf("got %+v; want none with wait ≈10s (b frees first)", l)
		}
		if l := mustAcquire(t, s, schedule.Query{Group: "other", Candidates: c}); l.Status != schedule.StatusOK {
			t.Fatalf("group cooldown leaked into another group: %+v", l)
		}
		// Account-wide cooldown covers every group.
		if _, err := s.Report(ctx, schedule.Outcome{Account: "a", Group: "other", CooldownScope: schedule.ScopeAccount, Reason: "auth", Hint: time.Minute}); err != nil {
			t.Fatal(err)
		}
		if l := mustAcquire(t, s, schedule.Query{Group: "other", Candidates: c, Force: true, Attempted: []string{"b"}}); l.Status != schedule.StatusNone {
			t.Fatalf("got %+v; want none: a is cooling account-wide and b attempted", l)
		}
	})
}

func TestAttemptedExcludedAndEscalation(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newSched(b, schedule.Options{})
		c := cands("a", "b")
		l := mustAcquire(t, s, schedule.Query{Group: "m", Candidates: c, Attempted: []string{"a"}})
		if l.Account != "b" {
			t.Fatalf("got %s; want b (a attempted)", l.Account)
		}
		if l := mustAcquire(t, s, schedule.Query{Group: "m", Candidates: c, Attempted: []string{"a", "b"}}); l.Status != schedule.StatusNone || l.Wait != -1 {
			t.Fatalf("got %+v; want none with wait -1", l)
		}
		var prev time.Duration
		for i := 1; i <= 4; i++ {
			u, err := s.Report(ctx, schedule.Outcome{Account: "a", Group: "m", Reason: "server_error", Base: time.Second, Cap: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			d := time.Until(u).Round(time.Second)
			want := time.Duration(1<<(i-1)) * time.Second
			if want > 5*time.Second {
				want = 5 * time.Second
			}
			if d < want-time.Second || d > want+time.Second || d < prev-time.Second {
				t.Fatalf("failure %d: cooldown %v; want ≈%v (escalating, capped)", i, d, want)
			}
			prev = d
		}
		if err := s.ClearCooldowns(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		l = mustAcquire(t, s, schedule.Query{Group: "m", Candidates: c, Attempted: []string{"b"}})
		if l.Account != "a" || l.Streak != 0 {
			t.Fatalf("after clearing: got %+v; want a with no streak", l)
		}
		// A streak is reported to the caller so that success clears it.
		if _, err := s.Report(ctx, schedule.Outcome{Account: "a", Group: "m", Reason: "server_error", Hint: time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		if b.Mini != nil {
			b.Mini.FastForward(time.Second)
		}
		if b.Embedded != nil {
			b.Embedded.Clock.FastForward(time.Second)
		}
		l = mustAcquire(t, s, schedule.Query{Group: "m", Candidates: c, Attempted: []string{"b"}})
		if l.Streak != 1 || !schedule.NeedsReport(l, schedule.Outcome{Success: true}) {
			t.Fatalf("got streak %d; want 1 and a success report needed", l.Streak)
		}
		if _, err := s.Report(ctx, schedule.Outcome{Account: "a", Group: "m", Success: true}); err != nil {
			t.Fatal(err)
		}
		l = mustAcquire(t, s, schedule.Query{Group: "m", Candidates: c, Attempted: []string{"b"}})
		if l.Streak != 0 || schedule.NeedsReport(l, schedule.Outcome{Success: true}) {
			t.Fatalf("after success: streak %d; want 0 and no report needed", l.Streak)
		}
	})
}

func TestTransientFailureToleratedOnce(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newSched(b, schedule.Options{})
		c := cands("a")
		o := schedule.Outcome{Account: "a", Group: "m", CooldownScope: schedule.ScopeAccount, Reason: "server_error",
			Base: 10 * time.Second, Cap: time.Minute, Tolerate: 1}
		if u, err := s.Report(ctx, o); err != nil || !u.IsZero() {
			t.Fatalf("first transient failure: until %v, %v; want no cooldown", u, err)
		}
		if l := mustAcquire(t, s, schedule.Query{Group: "m", Candidates: c}); l.Status != schedule.StatusOK || l.Streak != 1 {
			t.Fatalf("after one tolerated failure: %+v; want ok with streak 1", l)
		}
		u, err := s.Report(ctx, o)
		if d := time.Until(u); err != nil || d < 8*time.Second || d > 11*time.Second {
			t.Fatalf("second failure: cooldown %v, %v; want ≈10s", d, err)
		}
		if l := mustAcquire(t, s, schedule.Query{Group: "m", Candidates: c}); l.Status != schedule.StatusNone {
			t.Fatalf("after the second failure: %+v; want none", l)
		}
	})
}

func TestQuotaProtectionSkipsLowAccounts(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newSched(b, schedule.Options{Mode: schedule.PerformanceFirst, QuotaProtection: 0.1})
		c := cands("a", "b")
		low := schedule.Outcome{Account: "a", Group: "m", Success: true, QuotaKnown: true, Quota: 0.05, QuotaReset: time.Now().Add(time.Minute)}
		if _, err := s.Report(ctx, low); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 4; i++ {
			if l := mustAcquire(t, s, schedule.Query{Group: "m", Candidates: c}); l.Account != "b" {
				t.Fatalf("got %s; want b while a is below the quota threshold", l.Account)
			}
		}
		if l := mustAcquire(t, s, schedule.Query{Group: "other", Candidates: c}); l.Status != schedule.StatusOK {
			t.Fatalf("quota of one group leaked into another: %+v", l)
		}
		// A quota whose reset has passed no longer protects.
		past := low
		past.QuotaReset = time.Now().Add(-time.Second)
		if _, err := s.Report(ctx, past); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for i := 0; i < 4; i++ {
			seen[mustAcquire(t, s, schedule.Query{Group: "m", Candidates: c}).Account] = true
		}
		if !seen["a"] {
			t.Fatalf("a stayed protected after its quota reset: %v", seen)
		}
		st, err := s.States(ctx)
		if err != nil || st["a"].Quota["m"] != 0.05 {
			t.Fatalf("learned quota in the admin view: %+v %v", st["a"], err)
		}
	})
}

func TestFixedAccountAndModes(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		// Two schedulers on one store stand for two replicas.
		r1, r2 := newSched(b, schedule.Options{}), newSched(b, schedule.Options{})
		c := cands("a", "b", "c")
		if err := r1.SetFixed(ctx, "c"); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			if l := mustAcquire(t, r2, schedule.Query{Group: "m", Candidates: c}); l.Account != "c" || l.Decision != "fixed" {
				t.Fatalf("got %+v; want fixed c on the other replica", l)
			}
		}
		if _, err := r1.Report(ctx, schedule.Outcome{Account: "c", Group: "m", Reason: "rate_limit", Hint: time.Minute}); err != nil {
			t.Fatal(err)
		}
		if l := mustAcquire(t, r2, schedule.Query{Group: "m", Candidates: c}); l.Account == "c" || l.Status != schedule.StatusOK {
			t.Fatalf("got %+v; want fall-through while the fixed account cools", l)
		}
		if err := r1.SetFixed(ctx, ""); err != nil {
			t.Fatal(err)
		}
		if err := r1.ClearCooldowns(ctx, ""); err != nil {
			t.Fatal(err)
		}
		if err := r1.SetMode(ctx, schedule.PerformanceFirst, 0); err != nil {
			t.Fatal(err)
		}
		st, err := r2.Settings(ctx)
		if err != nil || st.Mode != schedule.PerformanceFirst || st.FixedAccountID != "" {
			t.Fatalf("settings on replica 2: %+v %v", st, err)
		}
		seen := map[string]bool{}
		for i := 0; i < 3; i++ {
			l := mustAcquire(t, r2, schedule.Query{Group: "m", SessionID: "s", Candidates: c})
			if l.Decision != "round_robin" {
				t.Fatalf("PerformanceFirst used %s", l.Decision)
			}
			seen[l.Account] = true
		}
		if len(seen) != 3 {
			t.Fatalf("PerformanceFirst stuck to a session: %v", seen)
		}
	})
}

func TestCacheFirstWaitsWithinMaxWait(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newSched(b, schedule.Options{Mode: schedule.CacheFirst, MaxWait: 10 * time.Second})
		c := cands("a", "b")
		first := mustAcquire(t, s, schedule.Query{Group: "m", SessionID: "s1", Candidates: c})
		if _, err := s.Report(ctx, schedule.Outcome{Account: first.Account, Group: "m", Reason: "rate_limit", Hint: 5 * time.Second}); err != nil {
			t.Fatal(err)
		}
		l := mustAcquire(t, s, schedule.Query{Group: "m", SessionID: "s1", Candidates: c})
		if l.Status != schedule.StatusWait || l.Account != first.Account || l.Wait > 5*time.Second || l.Wait < 3*time.Second {
			t.Fatalf("got %+v; want wait ≈5s for %s", l, first.Account)
		}
		// Beyond max wait: rebind to another account instead.
		if _, err := s.Report(ctx, schedule.Outcome{Account: first.Account, Group: "m", Reason: "rate_limit", Hint: time.Minute}); err != nil {
			t.Fatal(err)
		}
		l = mustAcquire(t, s, schedule.Query{Group: "m", SessionID: "s1", Candidates: c})
		if l.Status != schedule.StatusOK || l.Account == first.Account {
			t.Fatalf("got %+v; want a rebind beyond max wait", l)
		}
		if again := mustAcquire(t, s, schedule.Query{Group: "m", SessionID: "s1", Candidates: c}); again.Account != l.Account || again.Decision != "sticky" {
			t.Fatalf("binding did not follow the new account: %+v", again)
		}
		// Balance never waits.
		if err := s.SetMode(ctx, schedule.Balance, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Report(ctx, schedule.Outcome{Account: l.Account, Group: "m", Reason: "rate_limit", Hint: 5 * time.Second}); err != nil {
			t.Fatal(err)
		}
		if got := mustAcquire(t, s, schedule.Query{Group: "m", SessionID: "s1", Candidates: c}); got.Status == schedule.StatusWait {
			t.Fatalf("Balance waited: %+v", got)
		}
	})
}

func TestRebindAfterRotationAndClearBindings(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newSched(b, schedule.Options{})
		c := cands("a", "b", "c")
		first := mustAcquire(t, s, schedule.Query{Group: "m", Scope: "k", SessionID: "s", Candidates: c})
		rot := mustAcquire(t, s, schedule.Query{Group: "m", Scope: "k", SessionID: "s", Candidates: c, Force: true, Attempted: []string{first.Account}})
		if rot.Account == first.Account {
			t.Fatalf("forced rotation returned the same account %s", rot.Account)
		}
		if l := mustAcquire(t, s, schedule.Query{Group: "m", Scope: "k", SessionID: "s", Candidates: c}); l.Account != first.Account {
			t.Fatalf("a forced selection moved the binding before success: %s", l.Account)
		}
		o := schedule.Outcome{Account: rot.Account, Group: "m", Scope: "k", SessionID: "s", Success: true, Rebind: true}
		if _, err := s.Report(ctx, o); err != nil {
			t.Fatal(err)
		}
		if l := mustAcquire(t, s, schedule.Query{Group: "m", Scope: "k", SessionID: "s", Candidates: c}); l.Account != rot.Account {
			t.Fatalf("binding after rotation: got %s; want %s", l.Account, rot.Account)
		}
		mustAcquire(t, s, schedule.Query{Group: "m", Scope: "k", SessionID: "s2", Candidates: c})
		n, err := s.ClearBindings(ctx)
		if err != nil || n != 2 {
			t.Fatalf("ClearBindings = %d, %v; want 2", n, err)
		}
	})
}

func TestDisableAndStates(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newSched(b, schedule.Options{})
		c := cands("a", "b")
		if err := s.Disable(ctx, "a", "invalid_grant"); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 4; i++ {
			if l := mustAcquire(t, s, schedule.Query{Group: "m", Candidates: c}); l.Account != "b" {
				t.Fatalf("got %s; want b while a is disabled", l.Account)
			}
		}
		if _, err := s.Report(ctx, schedule.Outcome{Account: "b", Group: "gpt-x", Reason: "quota_exhausted", Hint: time.Hour}); err != nil {
			t.Fatal(err)
		}
		st, err := s.States(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !st["a"].Disabled || st["a"].DisabledReason != "invalid_grant" {
			t.Fatalf("state a = %+v", st["a"])
		}
		if cs := st["b"].Cooldowns; len(cs) != 1 || cs[0].ModelGroup != "gpt-x" || cs[0].Reason != "quota_exhausted" {
			t.Fatalf("cooldowns b = %+v", cs)
		}
		if err := s.Enable(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		if l := mustAcquire(t, s, schedule.Query{Group: "gpt-x", Candidates: c}); l.Account != "a" {
			t.Fatalf("got %s; want a after enable", l.Account)
		}
	})
}

func TestConcurrentFirstRequestsBindOneAccount(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		// Three schedulers with their own connections stand for three replicas.
		var reps []*schedule.Scheduler
		for i := 0; i < 3; i++ {
			if b.Embedded != nil {
				reps = append(reps, newSched(b, schedule.Options{}))
				continue
			}
			c := redis.NewClient(&redis.Options{Addr: b.Addr})
			t.Cleanup(func() { c.Close() })
			reps = append(reps, schedule.New(c, schedule.Options{}))
		}
		c := cands("a", "b", "c", "d", "e")
		var mu sync.Mutex
		got := map[string]int{}
		var wg sync.WaitGroup
		for i := 0; i < 200; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				l, err := reps[i%3].Acquire(context.Background(), schedule.Query{Group: "m", Scope: "k", SessionID: "sid-x", Candidates: c})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				got[l.Account]++
				mu.Unlock()
			}(i)
		}
		wg.Wait()
		if len(got) != 1 {
			t.Fatalf("200 concurrent first requests used %d accounts: %v; want 1", len(got), got)
		}
	})
}

func TestScriptsSurviveScriptFlush(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := newSched(b, schedule.Options{})
		if err := s.Preload(ctx); err != nil {
			t.Fatal(err)
		}
		if b.Client != nil { // the embedded store has no scripts to lose
			if err := b.Client.ScriptFlush(ctx).Err(); err != nil {
				t.Fatal(err)
			}
		}
		if l := mustAcquire(t, s, schedule.Query{Group: "m", Candidates: cands("a")}); l.Account != "a" {
			t.Fatalf("after SCRIPT FLUSH: %+v", l)
		}
	})
}

// Every key of every script call must hash to one Redis Cluster slot.
func TestScriptKeysShareOneSlot(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		// miniredis answers CLUSTER KEYSLOT with a constant and a standalone
		// redis-server refuses it, so the slot is computed here and checked
		// against the reference vector of the Redis Cluster spec.
		if got := keySlot("123456789"); got != 12739 {
			t.Fatalf("keySlot(123456789) = %d; want 12739", got)
		}
		if keySlot("{user1000}.following") != keySlot("{user1000}.followers") {
			t.Fatal("hash tags not honoured")
		}
		var keys [][]string
		hook := &keyRecorder{record: func(k []string) { keys = append(keys, k) }}
		b.Client.AddHook(hook)
		s := newSched(b, schedule.Options{Namespace: "ns1"})
		c := cands("u-a", "p-b", "c")
		mustAcquire(t, s, schedule.Query{Group: "claude-x", Scope: "k1", SessionID: "sid-1", Candidates: c})
		mustAcquire(t, s, schedule.Query{Group: "claude-x", Scope: "k1", Candidates: c, Force: true})
		if _, err := s.Report(ctx, schedule.Outcome{Account: "c", Group: "claude-x", Scope: "k1", SessionID: "sid-1", Reason: "rate_limit"}); err != nil {
			t.Fatal(err)
		}
		if len(keys) < 3 {
			t.Fatalf("recorded %d script calls; want ≥3", len(keys))
		}
		for _, ks := range keys {
			slots := map[int64]bool{}
			for _, k := range ks {
				slot := keySlot(k)
				slots[slot] = true
			}
			if len(slots) != 1 {
				t.Fatalf("script keys span %d slots: %v", len(slots), ks)
			}
		}
	})
}

type keyRecorder struct{ record func([]string) }

func (h *keyRecorder) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *keyRecorder) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
func (h *keyRecorder) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		a := cmd.Args()
		if name := strings.ToLower(fmt.Sprint(a[0])); (name == "evalsha" || name == "eval") && len(a) > 2 {
			n := int(a[2].(int))
			ks := make([]string, 0, n)
			for _, k := range a[3 : 3+n] {
				ks = append(ks, k.(string))
			}
			h.record(ks)
		}
		return next(ctx, cmd)
	}
}

// keySlot is the Redis Cluster slot: CRC16 of the hash tag (or key) mod 16384.
func keySlot(key string) int64 {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for i := 0; i < len(key); i++ {
		crc ^= uint16(key[i]) << 8
		for b := 0; b < 8; b++ {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int64(crc) % 16384
}
