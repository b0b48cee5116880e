package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// The control state mirror (DESIGN "Shared state"). Each replica keeps a copy
// of the control state of the shared store (mode, max wait, fixed account,
// disabled accounts with reasons, cooldowns, learned quota), refreshed in the
// background, never on the request path. It serves two purposes:
//
//   - During an outage the per-replica fallback scheduler schedules from it:
//     the fallback's store is kept equal to the mirror while the shared store
//     answers, and topped up once more when the outage begins.
//   - A Redis that comes back empty is re-seeded from it. A marker key,
//     written with the control state, tells an emptied store from a live
//     one; re-seeding fills in only what is missing (an account disabled,
//     a cooldown or quota learned since the restart is kept) and one replica
//     does it while the others wait.
//
// The mirror writes through the Scheduler's public operations only. On Redis
// it reads a snapshot in one pipelined round trip, without scanning: the
// cooldowns and learned quota of the model groups named by an index that
// report.lua keeps (keyspace "groups"), so a refresh costs the same at 100
// keys and at a million; on another backend it reads through the Scheduler.
// The marker is the one key it owns.

// Marker values. A missing marker means the store lost the control state (or
// never had it); "seeding" is held, with a TTL, by the replica re-seeding.
const (
	markerReady   = "ready"
	markerSeeding = "seeding"
	seedLockTTL   = 10 * time.Second
	// quotaHold is how long re-seeded learned quota holds: the operator view
	// does not carry the provider's reset time, and quota is learned again
	// from the next answers anyway.
	quotaHold = time.Minute
	// coolSlack tolerates the clock difference between replicas and Redis
	// when comparing cooldown ends.
	coolSlack = 250 * time.Millisecond
)

// ErrAdminNeedsStore refuses an operator change while the shared store is
// unreachable: changes made on one replica's fallback would be invisible to
// the others and lost when the store returns.
var ErrAdminNeedsStore = fmt.Errorf("admin changes need the shared store: %w", ErrStoreDown)

// coolKey names one cooldown or quota entry: an account and a model group
// ("*" for an account-wide cooldown).
type coolKey struct{ Account, Group string }

type coolEntry struct {
	Until  time.Time
	Reason string
}

// ControlState is one snapshot of the control state.
type ControlState struct {
	Settings  Settings
	Disabled  map[string]string // account -> reason
	Cooldowns map[coolKey]coolEntry
	Quota     map[coolKey]float64 // remaining fraction
}

// QuotaOf reports the remaining quota fraction the snapshot holds for an
// account and model group.
func (c *ControlState) QuotaOf(account, group string) (float64, bool) {
	q, ok := c.Quota[coolKey{account, group}]
	return q, ok
}

// DisabledReason reports whether the snapshot has the account disabled, and why.
func (c *ControlState) DisabledReason(account string) (string, bool) {
	r, ok := c.Disabled[account]
	return r, ok
}

// CoolingUntil is the end of the account's cooldown for a group ("*": account-wide).
func (c *ControlState) CoolingUntil(account, group string) time.Time {
	return c.Cooldowns[coolKey{account, group}].Until
}

func (c *ControlState) equal(o *ControlState) bool {
	return c.Settings == o.Settings && maps.Equal(c.Disabled, o.Disabled) &&
		maps.Equal(c.Cooldowns, o.Cooldowns) && maps.Equal(c.Quota, o.Quota)
}

// readControl takes a snapshot from a scheduler's store.
func readControl(ctx context.Context, s *Scheduler) (*ControlState, error) {
	set, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	states, err := s.States(ctx)
	if err != nil {
		return nil, err
	}
	c := &ControlState{Settings: set, Disabled: map[string]string{}, Cooldowns: map[coolKey]coolEntry{}, Quota: map[coolKey]float64{}}
	for id, st := range states {
		if st.Disabled {
			c.Disabled[id] = st.DisabledReason
		}
		for _, cd := range st.Cooldowns {
			k := coolKey{id, cd.ModelGroup}
			if cur, ok := c.Cooldowns[k]; !ok || cd.Until.After(cur.Until) {
				c.Cooldowns[k] = coolEntry{Until: cd.Until, Reason: cd.Reason}
			}
		}
		for g, f := range st.Quota {
			c.Quota[coolKey{id, g}] = f
		}
	}
	return c, nil
}

// MirrorOptions tune a Mirror. Zero values get the defaults.
type MirrorOptions struct {
	// Namespace is the scheduler's (Options.Namespace): it names the marker key.
	Namespace string
	// Every is the refresh period (default 500ms: the mirror is at most about a second old).
	Every time.Duration
	// ColdGrace is how long a replica that never saw the control state waits
	// for another to re-seed an empty store before declaring it fresh (default 2s).
	ColdGrace time.Duration
	Log       *slog.Logger
}

// Mirror keeps this replica's copy of the control state.
type Mirror struct {
	shared, local *Scheduler
	rdb           redis.UniversalClient
	marker        string
	o             MirrorOptions
	degraded      func() bool
	poke          chan struct{}

	// seedMu serializes re-seeding the shared store; syncMu the writes to
	// the local one (and applied).
	seedMu, syncMu sync.Mutex

	mu           sync.Mutex
	state        *ControlState // nil until the first snapshot
	warm         bool          // state came from a store holding the marker
	missingSince time.Time     // cold replica: when it first saw no marker
	applied      *ControlState // last state written to the local store (syncMu)
	reseeds      []func(context.Context) error
	groups       []string // model groups of the shared store's index at the last snapshot
	indexed      bool     // the index was completed from a scan once (stores written before it)
}

// NewMirror mirrors the control state of shared (on rdb) into local, the
// fallback scheduler (nil when there is none).
func NewMirror(shared, local *Scheduler, rdb redis.UniversalClient, o MirrorOptions) *Mirror {
	if o.Every <= 0 {
		o.Every = 500 * time.Millisecond
	}
	if o.ColdGrace <= 0 {
		o.ColdGrace = 2 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Mirror{shared: shared, local: local, rdb: rdb, marker: newKeyspace(o.Namespace).space.ControlMarker(), o: o,
		degraded: func() bool { return false }, poke: make(chan struct{}, 1)}
}

// State is the latest snapshot (nil before the first one).
func (m *Mirror) State() *ControlState {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state
}

// Run refreshes the mirror every period until ctx ends; it pauses while
// the shared store is down (the state it has is what the outage needs).
func (m *Mirror) Run(ctx context.Context) error {
	t := time.NewTicker(m.o.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-m.poke:
		}
		if m.degraded() {
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, 2*m.o.Every+time.Second)
		if err := m.tick(rctx); err != nil && ctx.Err() == nil {
			m.o.Log.Debug("control state mirror: refresh failed", slog.String("error", err.Error()))
		}
		cancel()
	}
}

// tick is one background round: one snapshot (one pipelined round trip on
// Redis, whatever the size of its keyspace).
func (m *Mirror) tick(ctx context.Context) error { return m.Refresh(ctx) }

// Poke asks for a refresh now (after an admin change).
func (m *Mirror) Poke() {
	select {
	case m.poke <- struct{}{}:
	default:
	}
}

func (m *Mirror) readMarker(ctx context.Context) (string, error) {
	v, err := m.rdb.Get(ctx, m.marker).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read control marker: %w", err)
	}
	return v, nil
}

// Refresh takes one snapshot of the shared store, re-seeding it first when it
// lost the control state, and brings the local store up to date.
func (m *Mirror) Refresh(ctx context.Context) error {
	mark, st, err := m.snapshot(ctx)
	if err != nil {
		return err
	}
	switch mark {
	case markerSeeding:
		return nil
	case "":
		m.mu.Lock()
		warm := m.warm && m.state != nil
		m.mu.Unlock()
		if warm {
			if _, err := m.reseed(ctx); err != nil {
				return err
			}
			return nil
		}
		if st == nil {
			return nil
		}
		return m.coldRefresh(ctx, st)
	}
	if st == nil {
		return nil
	}
	m.mu.Lock()
	m.state, m.warm, m.missingSince = st, true, time.Time{}
	m.mu.Unlock()
	return m.syncLocal(ctx, st, false)
}

// snapshot reads the marker and the control state of the shared store. On
// Redis it is one pipelined round trip: the marker, the settings, the
// disabled accounts, the cooldown reasons, the account-wide cooldowns, the
// index of model groups (report.lua adds a group when it writes a cooldown
// or learned quota for it) and the cooldowns and quota of the groups the
// last snapshot's index named; a group new to the index costs one more
// round trip, once. No key is scanned, so the cost does not grow with the
// keyspace. A nil state with marker "ready" means the store changed under
// the read: keep the old snapshot.
func (m *Mirror) snapshot(ctx context.Context) (string, *ControlState, error) {
	rs, ok := m.shared.be.(*redisStore)
	if !ok {
		mark, err := m.readMarker(ctx)
		if err != nil || mark == markerSeeding || (mark == "" && m.warmState()) {
			return mark, nil, err
		}
		st, err := readControl(ctx, m.shared)
		if err != nil {
			return "", nil, fmt.Errorf("mirror control state: %w", err)
		}
		// A store that restarted while it was being read returns an empty
		// state and no marker: keep the old snapshot, re-seed next round.
		if again, err := m.readMarker(ctx); err != nil || again != mark {
			return markerReady, nil, err
		}
		return mark, st, nil
	}
	m.mu.Lock()
	known, indexed := m.groups, m.indexed
	m.mu.Unlock()
	if !indexed {
		// Cooldowns and quota written before the index existed (by an older
		// version) are indexed from one scan when this replica starts.
		if err := rs.indexGroups(ctx); err != nil {
			return "", nil, fmt.Errorf("mirror: index model groups: %w", err)
		}
		m.mu.Lock()
		m.indexed = true
		m.mu.Unlock()
	}
	mark, st, groups, err := rs.snapshot(ctx, m.marker, known)
	if err != nil {
		return "", nil, fmt.Errorf("mirror control state: %w", err)
	}
	m.mu.Lock()
	m.groups = groups
	m.mu.Unlock()
	return mark, st, nil
}

func (m *Mirror) warmState() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.warm && m.state != nil
}

// readShared reads the control state of the shared store (no marker).
func (m *Mirror) readShared(ctx context.Context) (*ControlState, error) {
	if _, ok := m.shared.be.(*redisStore); !ok {
		return readControl(ctx, m.shared)
	}
	_, st, err := m.snapshot(ctx)
	return st, err
}

// coldRefresh serves a replica that never saw the marker: it mirrors what
// the store holds (for its fallback) and, once no warm replica re-seeded the
// store within ColdGrace, declares the store's state the control state.
func (m *Mirror) coldRefresh(ctx context.Context, st *ControlState) error {
	m.mu.Lock()
	m.state = st
	if m.missingSince.IsZero() {
		m.missingSince = time.Now()
	}
	due := time.Since(m.missingSince) >= m.o.ColdGrace
	m.mu.Unlock()
	if due {
		if _, err := m.claimFresh(ctx); err != nil {
			return err
		}
	}
	return m.syncLocal(ctx, st, false)
}

// claimFresh marks a store that never had a control state as holding one.
// It reports false when another replica wrote the marker first (it may be
// re-seeding): this one stays cold until it reads the store under "ready".
func (m *Mirror) claimFresh(ctx context.Context) (bool, error) {
	ok, err := m.rdb.SetNX(ctx, m.marker, markerReady, 0).Result()
	if err != nil {
		return false, fmt.Errorf("write control marker: %w", err)
	}
	if ok {
		m.mu.Lock()
		m.warm, m.missingSince = true, time.Time{}
		m.mu.Unlock()
	}
	return ok, nil
}

// reseed writes the mirrored control state into a shared store that lost it,
// filling in only what is missing. It reports whether this replica did it
// (false: another replica holds the seeding lock).
func (m *Mirror) reseed(ctx context.Context) (bool, error) {
	m.seedMu.Lock()
	defer m.seedMu.Unlock()
	want := m.State()
	if want == nil {
		return false, nil
	}
	ok, err := m.rdb.SetNX(ctx, m.marker, markerSeeding, seedLockTTL).Result()
	if err != nil {
		return false, fmt.Errorf("re-seed: lock: %w", err)
	}
	if !ok {
		return false, nil
	}
	n, err := m.fill(ctx, want)
	if err == nil {
		m.mu.Lock()
		hooks := m.reseeds
		m.mu.Unlock()
		for _, f := range hooks {
			if err = f(ctx); err != nil {
				break
			}
		}
	}
	if err != nil {
		// Let another replica (or the next round) try again at once.
		_ = m.rdb.Del(context.WithoutCancel(ctx), m.marker).Err()
		return false, fmt.Errorf("re-seed: %w", err)
	}
	if err := m.rdb.Set(ctx, m.marker, markerReady, 0).Err(); err != nil {
		return false, fmt.Errorf("re-seed: marker: %w", err)
	}
	m.o.Log.Warn("shared store had lost the control state: re-seeded it from this replica's mirror",
		slog.Int("writes", n), slog.Int("disabled", len(want.Disabled)), slog.Int("cooldowns", len(want.Cooldowns)),
		slog.String("mode", string(want.Settings.Mode)), slog.String("fixed_account", want.Settings.FixedAccountID))
	return true, nil
}

// OnReseed adds state that is re-seeded with the control state: when this
// replica re-seeds a store that restarted empty, f writes its part (what is
// missing only) before the marker says "ready" again (the client keys).
func (m *Mirror) OnReseed(f func(context.Context) error) {
	m.mu.Lock()
	m.reseeds = append(m.reseeds, f)
	m.mu.Unlock()
}

// fill writes what want has and the shared store lacks.
func (m *Mirror) fill(ctx context.Context, want *ControlState) (int, error) {
	have, err := m.readShared(ctx)
	if err != nil {
		return 0, err
	}
	if have == nil {
		return 0, errors.New("the store changed while it was read")
	}
	n, err := apply(ctx, m.shared, want, have, false, false)
	if err != nil {
		return n, err
	}
	// Learned quota is written without report.lua: index its groups here.
	if rs, ok := m.shared.be.(*redisStore); ok {
		if err := rs.indexQuota(ctx, want); err != nil {
			return n, err
		}
	}
	return n, nil
}

// EnsureSeeded returns once the shared store holds the control state:
// re-seeding it from this replica's mirror when it lost it, or waiting
// (until ctx ends) for the replica that does. Admin changes and the return
// from an outage go through it, so they never land on an emptied store
// that is about to be re-seeded.
func (m *Mirror) EnsureSeeded(ctx context.Context) error {
	for {
		mark, err := m.readMarker(ctx)
		if err != nil {
			return err
		}
		if mark == markerReady {
			return nil
		}
		if mark == "" {
			m.mu.Lock()
			warm := m.warm && m.state != nil
			if !warm && m.missingSince.IsZero() {
				m.missingSince = time.Now()
			}
			due := !warm && time.Since(m.missingSince) >= m.o.ColdGrace
			m.mu.Unlock()
			switch {
			case warm:
				if done, err := m.reseed(ctx); err != nil || done {
					return err
				}
			case due:
				if ok, err := m.claimFresh(ctx); err != nil || ok {
					return err
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the shared store is being re-seeded: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// SeedLocal brings the fallback store up to the mirror at the start of an
// outage, refreshing learned quota so it holds during the outage.
func (m *Mirror) SeedLocal(ctx context.Context) error {
	st := m.State()
	if st == nil || m.local == nil {
		return nil
	}
	return m.syncLocal(ctx, st, true)
}

// resync forgets what the local store was synced to, so the next refresh
// makes it equal to the mirror again (after an outage it learned on its own).
func (m *Mirror) resync() {
	m.syncMu.Lock()
	m.applied = nil
	m.syncMu.Unlock()
}

// syncLocal makes the fallback store's control state equal to st.
func (m *Mirror) syncLocal(ctx context.Context, st *ControlState, refreshQuota bool) error {
	if m.local == nil {
		return nil
	}
	m.syncMu.Lock()
	defer m.syncMu.Unlock()
	if !refreshQuota && m.applied != nil && m.applied.equal(st) {
		return nil
	}
	have, err := readControl(ctx, m.local)
	if err != nil {
		return fmt.Errorf("sync fallback store: %w", err)
	}
	if _, err := apply(ctx, m.local, st, have, true, refreshQuota); err != nil {
		return fmt.Errorf("sync fallback store: %w", err)
	}
	m.applied = st
	return nil
}

// apply writes want into s, whose current state is have. exact also undoes
// what have holds beyond want (the local store follows the mirror); without
// it only missing entries are written (re-seeding never overwrites state
// written since the store came back). It returns the number of writes.
func apply(ctx context.Context, s *Scheduler, want, have *ControlState, exact, refreshQuota bool) (int, error) {
	n := 0
	w, h := want.Settings, have.Settings
	if w.Mode != h.Mode || w.MaxWait != h.MaxWait {
		if err := s.SetMode(ctx, w.Mode, w.MaxWait); err != nil {
			return n, err
		}
		n++
	}
	if w.FixedAccountID != h.FixedAccountID && (exact || h.FixedAccountID == "") {
		if err := s.SetFixed(ctx, w.FixedAccountID); err != nil {
			return n, err
		}
		n++
	}
	for id, why := range want.Disabled {
		cur, ok := have.Disabled[id]
		if ok && (cur == why || !exact) {
			continue
		}
		if err := s.Disable(ctx, id, why); err != nil {
			return n, err
		}
		n++
	}
	if exact {
		for id := range have.Disabled {
			if _, ok := want.Disabled[id]; ok {
				continue
			}
			if err := s.Enable(ctx, id); err != nil {
				return n, err
			}
			n++
		}
		// An account cooling in s but not in want is cleared, then gets
		// want's cooldowns back below.
		cleared := map[string]bool{}
		for k := range have.Cooldowns {
			if _, ok := want.Cooldowns[k]; ok || cleared[k.Account] {
				continue
			}
			if err := s.ClearCooldowns(ctx, k.Account); err != nil {
				return n, err
			}
			cleared[k.Account] = true
			n++
		}
		for k := range have.Cooldowns {
			if cleared[k.Account] {
				delete(have.Cooldowns, k)
			}
		}
	}
	now := time.Now()
	for k, c := range want.Cooldowns {
		left := c.Until.Sub(now)
		if left <= 0 {
			continue
		}
		if cur, ok := have.Cooldowns[k]; ok && !cur.Until.Before(c.Until.Add(-coolSlack)) {
			continue
		}
		o := Outcome{Account: k.Account, Group: k.Group, CooldownScope: ScopeGroup, Reason: c.Reason, Hint: left}
		if k.Group == "*" {
			o.CooldownScope = ScopeAccount
		}
		if _, err := s.Report(ctx, o); err != nil {
			return n, err
		}
		n++
	}
	for k, f := range want.Quota {
		if cur, ok := have.Quota[k]; ok && !refreshQuota && (cur == f || !exact) {
			continue
		}
		if err := s.SetQuota(ctx, k.Account, k.Group, f, now.Add(quotaHold)); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Admin is the operator surface of the shared scheduler under the mirror's
// rules: a change needs the shared store (ErrAdminNeedsStore while it is
// unreachable, at once during a known outage), and lands only on a store
// that holds the control state, re-seeded first if it lost it.
type Admin struct {
	s *Scheduler
	m *Mirror
}

// Admin wraps the shared scheduler for the operator API.
func (m *Mirror) Admin() *Admin { return &Admin{s: m.shared, m: m} }

func (a *Admin) change(ctx context.Context, f func(context.Context) error) error {
	err := a.m.BeforeChange(ctx)
	if err == nil {
		err = f(ctx)
	}
	if err != nil {
		return adminError(err)
	}
	a.m.Poke()
	return nil
}

// BeforeChange returns once an operator change may be written to the shared
// store: ErrAdminNeedsStore while it is unreachable (at once during a known
// outage), else after EnsureSeeded (bounded by ColdGrace + 2s). Changes kept
// outside the scheduler (the API client keys) call it too.
func (m *Mirror) BeforeChange(ctx context.Context) error {
	if m.degraded() {
		return ErrAdminNeedsStore
	}
	ectx, cancel := context.WithTimeout(ctx, m.o.ColdGrace+2*time.Second)
	defer cancel()
	return adminError(m.EnsureSeeded(ectx))
}

func adminError(err error) error {
	if err != nil && !errors.Is(err, ErrAdminNeedsStore) && (storeFailure(err) || errors.Is(err, context.DeadlineExceeded)) {
		return fmt.Errorf("%w (%v)", ErrAdminNeedsStore, err)
	}
	return err
}

// Settings reads the shared settings.
func (a *Admin) Settings(ctx context.Context) (Settings, error) {
	if a.m.degraded() {
		return Settings{}, ErrStoreDown
	}
	return a.s.Settings(ctx)
}

// States reads the shared state of every account.
func (a *Admin) States(ctx context.Context) (map[string]*AccountState, error) {
	if a.m.degraded() {
		return nil, ErrStoreDown
	}
	return a.s.States(ctx)
}

// SetMode changes the mode and max wait for every replica.
func (a *Admin) SetMode(ctx context.Context, mode Mode, maxWait time.Duration) error {
	return a.change(ctx, func(ctx context.Context) error { return a.s.SetMode(ctx, mode, maxWait) })
}

// SetFixed pins every request to one account ("" clears).
func (a *Admin) SetFixed(ctx context.Context, accountID string) error {
	return a.change(ctx, func(ctx context.Context) error { return a.s.SetFixed(ctx, accountID) })
}

// Disable takes an account out of the pool on every replica.
func (a *Admin) Disable(ctx context.Context, accountID, reason string) error {
	return a.change(ctx, func(ctx context.Context) error { return a.s.Disable(ctx, accountID, reason) })
}

// Enable puts an account back into the pool.
func (a *Admin) Enable(ctx context.Context, accountID string) error {
	return a.change(ctx, func(ctx context.Context) error { return a.s.Enable(ctx, accountID) })
}

// ClearBindings drops every session binding.
func (a *Admin) ClearBindings(ctx context.Context) (int, error) {
	var n int
	err := a.change(ctx, func(ctx context.Context) error {
		var err error
		n, err = a.s.ClearBindings(ctx)
		return err
	})
	return n, err
}

// ClearCooldowns clears one account's cooldowns, or every account's ("").
func (a *Admin) ClearCooldowns(ctx context.Context, accountID string) error {
	return a.change(ctx, func(ctx context.Context) error { return a.s.ClearCooldowns(ctx, accountID) })
}
