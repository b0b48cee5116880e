package schedule

import (
	"context"
	"math"
	"strconv"
	"strings"
	"time"
)

// report is report.lua.
func (b *memStore) report(_ context.Context, o Outcome) (time.Time, error) {
	m := b.m
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.nowMs()
	acct, group := o.Account, o.Group
	if o.QuotaKnown {
		m.putQuota(group, acct, quotaString(o.Quota, o.QuotaReset.UnixMilli()))
	}
	if o.Success {
		delete(m.streaks, field{acct, group})
		delete(m.streaks, field{acct, "*"})
		if o.Rebind && o.SessionID != "" {
			k := sessKey{o.Scope, o.SessionID, o.Group}
			if _, ok := m.sessions[k]; !ok {
				m.wrote(now)
			}
			m.sessions[k] = ttlString{acct, now + ms(b.opts.StickyTTL)}
		}
		return time.Time{}, nil
	}
	f := field{acct, group}
	z := m.coolG[group]
	if o.CooldownScope == ScopeAccount {
		f, z = field{acct, "*"}, m.coolA
	} else if z == nil {
		z = map[string]int64{}
		m.coolG[group] = z
	}
	streak := m.streaks[f] + 1
	m.streaks[f] = streak
	tolerated := int64(o.Tolerate)
	dur := float64(ms(o.Hint))
	// A short hint counts like a failure without one: tolerated, then the
	// longer of the hint and the escalating backoff.
	if (dur <= 0 || o.ShortHint) && streak <= tolerated {
		return time.Time{}, nil
	}
	if dur <= 0 || o.ShortHint {
		exp := min(streak-1-tolerated, 20)
		dur = max(dur, min(float64(ms(o.Base))*math.Pow(2, float64(exp)), float64(ms(o.Cap))))
	}
	until := now + int64(math.Floor(dur))
	// ZADD GT after purging ended cooldowns: a longer running one is kept.
	if cur, ok := z[acct]; !ok || cur <= now || until > cur {
		z[acct] = until
	}
	m.reasons[f] = o.Reason
	if eff := z[acct]; eff != 0 {
		return time.UnixMilli(eff), nil
	}
	return time.Time{}, nil
}

// debitKeys is debit.lua for each release: the lease given back, the
// reservation reconciled in its minute and day while current, else only the
// excess counted.
func (b *memStore) debitKeys(_ context.Context, batch []keyRelease) error {
	m := b.m
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.nowMs()
	minute, day := now/60000, now/86400000
	for _, r := range batch {
		if r.lease != "" {
			if f := m.inFlightOf(r.name, now); f != nil {
				delete(f.leases, r.lease)
				if len(f.leases) == 0 {
					delete(m.inFlight, r.name)
				}
			}
		}
		if r.delta == 0 && r.excess == 0 {
			continue
		}
		e := m.usageOf(r.name, now)
		if e == nil {
			e = &usageEntry{m: -1, d: -1}
			m.usage[r.name] = e
			m.wrote(now)
		}
		if e.m != minute {
			e.mr, e.mt = 0, 0
		}
		if e.d != day {
			e.dr, e.dt = 0, 0
		}
		e.m, e.d = minute, day
		if r.minute == minute {
			e.mt += r.delta
		} else {
			e.mt += r.excess
		}
		if r.day == day {
			e.dt += r.delta
		} else {
			e.dt += r.excess
		}
		e.mt, e.dt = max(e.mt, 0), max(e.dt, 0)
		e.end = now + 172800000
	}
	return nil
}

func (b *memStore) keyUsage(_ context.Context, names []string) (map[string]KeyUsage, error) {
	m := b.m
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.nowMs()
	today := now / 86400000
	out := make(map[string]KeyUsage, len(names))
	for _, n := range names {
		u := KeyUsage{}
		if e := m.usageOf(n, now); e != nil {
			if e.d == today {
				u.RequestsToday, u.TokensToday = e.dr, e.dt
			}
			if e.last > 0 {
				u.LastUsed = time.UnixMilli(e.last)
			}
		}
		out[n] = u
	}
	return out, nil
}

func (b *memStore) setQuota(_ context.Context, accountID, group, v string) error {
	b.m.mu.Lock()
	defer b.m.mu.Unlock()
	b.m.putQuota(group, accountID, v)
	return nil
}

func (m *MemStore) putQuota(group, acct, v string) {
	q := m.quota[group]
	if q == nil {
		q = map[string]quotaValue{}
		m.quota[group] = q
	}
	q[acct] = parseQuota(v)
}

func (b *memStore) settings(context.Context) (Settings, error) {
	m := b.m
	m.mu.Lock()
	defer m.mu.Unlock()
	st := Settings{Mode: b.opts.Mode, MaxWait: b.opts.MaxWait}
	if m.cfg.hasMode {
		if pm, ok := ParseMode(m.cfg.mode); ok {
			st.Mode = pm
		}
	}
	if m.cfg.hasMaxWait {
		st.MaxWait = time.Duration(m.cfg.maxWait) * time.Millisecond
	}
	if m.cfg.hasFixed {
		st.FixedAccountID = m.cfg.fixed
	}
	return st, nil
}

func (b *memStore) setMode(_ context.Context, md Mode, maxWait time.Duration) error {
	b.m.mu.Lock()
	defer b.m.mu.Unlock()
	c := &b.m.cfg
	c.mode, c.hasMode = string(md), true
	c.maxWait, c.hasMaxWait = maxWait.Milliseconds(), true
	return nil
}

func (b *memStore) setFixed(_ context.Context, accountID string) error {
	b.m.mu.Lock()
	defer b.m.mu.Unlock()
	b.m.cfg.fixed, b.m.cfg.hasFixed = accountID, accountID != ""
	return nil
}

func (b *memStore) disable(_ context.Context, accountID, reason string) error {
	b.m.mu.Lock()
	defer b.m.mu.Unlock()
	b.m.disabled[accountID] = reason
	return nil
}

func (b *memStore) enable(_ context.Context, accountID string) error {
	b.m.mu.Lock()
	defer b.m.mu.Unlock()
	delete(b.m.disabled, accountID)
	return nil
}

func (b *memStore) clearBindings(context.Context) (int, error) {
	m := b.m
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.nowMs()
	n := 0
	for _, v := range m.sessions {
		if alive(v.end, now) {
			n++
		}
	}
	clear(m.sessions)
	return n, nil
}

func (b *memStore) clearCooldowns(_ context.Context, accountID string) error {
	m := b.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if accountID == "" {
		clear(m.coolG)
		clear(m.coolA)
		clear(m.reasons)
		clear(m.streaks)
		return nil
	}
	for _, z := range m.coolG {
		delete(z, accountID)
	}
	delete(m.coolA, accountID)
	prefix := accountID + "|"
	for f := range m.reasons {
		if strings.HasPrefix(f.String(), prefix) {
			delete(m.reasons, f)
		}
	}
	for f := range m.streaks {
		if strings.HasPrefix(f.String(), prefix) {
			delete(m.streaks, f)
		}
	}
	return nil
}

func (b *memStore) states(context.Context) (map[string]*AccountState, error) {
	m := b.m
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.nowMs()
	out := map[string]*AccountState{}
	get := func(id string) *AccountState {
		st, ok := out[id]
		if !ok {
			st = &AccountState{Quota: map[string]float64{}}
			out[id] = st
		}
		return st
	}
	for id, why := range m.disabled {
		st := get(id)
		st.Disabled, st.DisabledReason = true, why
	}
	add := func(group string, z map[string]int64) {
		for id, u := range z {
			if u > now {
				st := get(id)
				st.Cooldowns = append(st.Cooldowns, Cooldown{ModelGroup: group, Until: time.UnixMilli(u), Reason: m.reasons[field{id, group}]})
			}
		}
	}
	for g, z := range m.coolG {
		add(g, z)
	}
	add("*", m.coolA)
	for g, qs := range m.quota {
		for id, q := range qs {
			frac, _, _ := strings.Cut(q.raw, ":")
			if f, err := strconv.ParseFloat(frac, 64); err == nil {
				get(id).Quota[g] = f
			}
		}
	}
	return out, nil
}

// sweepMin is the fewest new TTL'd keys between two sweeps.
const sweepMin = 1024

// wrote counts a new key with a TTL; once there are as many new keys as
// there were live ones after the last sweep, expired keys are dropped, so a
// sweep costs O(1) per write, amortized.
func (m *MemStore) wrote(now int64) {
	m.writes++
	if m.writes < m.nextSweep {
		return
	}
	for k, v := range m.sessions {
		if !alive(v.end, now) {
			delete(m.sessions, k)
		}
	}
	for k, v := range m.last {
		if !alive(v.end, now) {
			delete(m.last, k)
		}
	}
	for k, e := range m.usage {
		if !alive(e.end, now) {
			delete(m.usage, k)
		}
	}
	for k, f := range m.inFlight {
		if !alive(f.end, now) {
			delete(m.inFlight, k)
		}
	}
	for _, z := range m.coolG {
		for id, u := range z {
			if u <= now {
				delete(z, id)
			}
		}
	}
	m.writes = 0
	m.nextSweep = max(sweepMin, len(m.sessions)+len(m.last)+len(m.usage)+len(m.inFlight))
}
