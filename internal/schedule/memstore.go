package schedule

import (
	"context"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MemStore is the embedded scheduler store: the state the Lua scripts keep
// in Redis, held in this process under one lock, on the real clock (or an
// injected one), with no network listener. Each operation implements its
// script's rules exactly (select.lua, report.lua, debit.lua); the
// differential test holds it to them on a real redis-server.
//
// Keys with a TTL in Redis (session bindings, last-used windows, client key
// usage and in-flight sets) expire lazily when read, as in Redis (a key lives
// while now <= its end), and in an amortized sweep. One MemStore is one
// keyspace: Options.Namespace does not apply.
type MemStore struct {
	mu  sync.Mutex
	now func() time.Time

	cfg      memCfg
	sessions map[sessKey]ttlString
	last     map[lastKey]ttlString
	rr       map[rrKey]int64             // (candidate set, tier) -> index after the last account chosen
	coolG    map[string]map[string]int64 // model group -> account -> cooldown end ms
	coolA    map[string]int64            // account -> account-wide cooldown end ms
	reasons  map[field]string
	streaks  map[field]int64
	disabled map[string]string
	quota    map[string]map[string]quotaValue // model group -> account -> learned quota
	usage    map[string]*usageEntry
	inFlight map[string]*inFlightEntry

	writes, nextSweep int
}

type memCfg struct {
	mode, fixed                   string
	maxWait                       int64
	hasMode, hasMaxWait, hasFixed bool
}

// sessKey is the binding key sess:<scope>:<sid>:<group>.
type sessKey struct{ scope, sid, group string }

// lastKey is the last-used key last:<scope>:<group>.
type lastKey struct{ scope, group string }

// rrKey is a round-robin counter: one per candidate set and tier.
type rrKey struct {
	set  string
	tier int
}

// field is a streak or reason field "<account>|<group>" ("*" = account-wide).
type field struct{ acct, group string }

func (f field) String() string { return f.acct + "|" + f.group }

// ttlString is a string key with an expiry (ms since the epoch).
type ttlString struct {
	val string
	end int64
}

// quotaValue is a learned quota "fraction:reset_ms", parsed as select.lua
// parses it (ok false: the value does not parse and never protects).
type quotaValue struct {
	raw   string
	frac  float64
	reset int64
	ok    bool
}

// usageEntry is a client key usage hash (m, mr, mt, d, dr, dt, last); m and d
// are -1 when missing.
type usageEntry struct {
	m, mr, mt, d, dr, dt, last int64
	end                        int64 // 0: no expiry
}

// inFlightEntry is a client key in-flight zset (lease -> end ms).
type inFlightEntry struct {
	leases map[string]int64
	end    int64
}

// NewMemStore returns an empty store on the clock now (nil: the real clock).
func NewMemStore(now func() time.Time) *MemStore {
	if now == nil {
		now = time.Now
	}
	return &MemStore{
		now:       now,
		sessions:  map[sessKey]ttlString{},
		last:      map[lastKey]ttlString{},
		rr:        map[rrKey]int64{},
		coolG:     map[string]map[string]int64{},
		coolA:     map[string]int64{},
		reasons:   map[field]string{},
		streaks:   map[field]int64{},
		disabled:  map[string]string{},
		quota:     map[string]map[string]quotaValue{},
		usage:     map[string]*usageEntry{},
		inFlight:  map[string]*inFlightEntry{},
		nextSweep: sweepMin,
	}
}

// NewEmbedded builds a scheduler on an in-process store (nil: a new one on
// the real clock). Schedulers sharing one MemStore behave as replicas
// sharing one Redis.
func NewEmbedded(m *MemStore, o Options) *Scheduler {
	if m == nil {
		m = NewMemStore(nil)
	}
	o = o.withDefaults()
	return &Scheduler{be: &memStore{m: m, opts: o}, opts: o}
}

// memStore is the backend of one scheduler on a MemStore: the store plus the
// scheduler's options (the scripts' ARGV).
type memStore struct {
	m    *MemStore
	opts Options
}

func (b *memStore) preload(context.Context) error { return nil }

func (m *MemStore) nowMs() int64 { return m.now().UnixMilli() }

// alive tells whether a key with expiry end still exists at now (Redis
// deletes a key once now > end).
func alive(end, now int64) bool { return end == 0 || now <= end }

// selection is one run of select.lua.
type selection struct {
	m       *MemStore
	q       Query
	now     int64
	mode    string
	gcool   map[string]int64
	quota   map[string]quotaValue // learned quota of the group (protection and bands)
	qthr    float64
	admit   bool
	reserve int64      // tokens the admission reserves (select.lua ARGV[22])
	usage   usageEntry // counts read at admission (m/d already rolled over)
	fresh   bool
	mif     int64
	leaseMs int64
	ttl     int64
	window  int64
	// triedCleared: the retry step gave the tried candidates back.
	triedCleared bool
}

// acquire is select.lua.
func (b *memStore) acquire(_ context.Context, q Query, successes string) (Lease, error) {
	m := b.m
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.nowMs()
	m.clearSuccesses(successes)

	s := selection{m: m, q: q, now: now, ttl: ms(b.opts.StickyTTL), window: ms(b.opts.Window),
		gcool: m.coolG[q.Group], quota: m.quota[q.Group], qthr: b.opts.QuotaProtection}
	if q.Key.Name != "" {
		if l, refused := s.admission(); refused {
			return l, nil
		}
	}
	s.mode = string(b.opts.Mode)
	if m.cfg.hasMode {
		s.mode = m.cfg.mode
	}
	maxWait := ms(b.opts.MaxWait)
	if m.cfg.hasMaxWait {
		maxWait = m.cfg.maxWait
	}
	c := q.Candidates

	// 1. fixed account (never fail only because it is cooling: fall through)
	if f := m.cfg.fixed; m.cfg.hasFixed && f != "" && c.has(f) {
		if ok, _ := s.eligible(f); ok {
			return s.chosen(f, "fixed"), nil
		}
	}
	// 2./3. sticky session or last-used window, first attempt only; in
	// CacheFirst a later attempt also waits for the bound account when it
	// failed on this very request and frees within max wait.
	if s.mode != string(PerformanceFirst) && (!q.Force || (q.SessionID != "" && s.mode == string(CacheFirst))) {
		if q.SessionID != "" {
			if bound, ok := m.sessions[sessKey{q.Scope, q.SessionID, q.Group}]; ok && alive(bound.end, now) && c.has(bound.val) {
				ok, u := false, int64(0)
				if !q.Force {
					ok, u = s.eligible(bound.val)
				} else if _, dis := m.disabled[bound.val]; !dis {
					u, _ = s.coolingUntil(bound.val)
				}
				if ok {
					return s.chosen(bound.val, "sticky"), nil
				}
				if s.mode == string(CacheFirst) && u > now && s.mayWait(u-now, maxWait) {
					return Lease{Status: StatusWait, Account: bound.val, Decision: "sticky", Wait: msDur(u - now)}, nil
				}
			}
		} else if l, ok := m.last[lastKey{q.Scope, q.Group}]; !q.Force && ok && alive(l.end, now) && c.has(l.val) {
			if ok, _ := s.eligible(l.val); ok {
				return s.chosen(l.val, "window"), nil
			}
		}
	}
	// 4. round robin over the eligible accounts of the best quota band of the
	// best tier that has one: the first of band 0 from the counter on at
	// once, else the first of the best band seen in the whole tier.
	banded := len(s.quota) > 0
	for t, ids := range c.Tiers {
		n := int64(len(ids))
		if n == 0 {
			continue
		}
		key := rrKey{c.ID, t}
		start := m.rr[key]
		best, bestBand := int64(-1), 3
		for i := int64(0); i < n; i++ {
			idx := (start + i) % n
			if ok, _ := s.eligible(ids[idx]); ok {
				b := 0
				if banded {
					b = s.band(ids[idx])
				}
				if b < bestBand {
					best, bestBand = idx, b
				}
				if b == 0 {
					break
				}
			}
		}
		if best >= 0 {
			m.rr[key] = (best + 1) % n
			return s.chosen(ids[best], "round_robin"), nil
		}
	}
	// 5. every other account is out: after a transient failure, the accounts
	// this request tried may serve again, the one tried first first.
	if q.RetryTried {
		for _, a := range q.Attempted {
			if a == "" || !c.has(a) {
				continue
			}
			if ok, _ := s.eligibleTried(a); ok {
				return s.chosen(a, "retry"), nil
			}
		}
		s.triedCleared = true // every tried candidate is no longer attempted
	}
	// 6. nothing eligible: when does the soonest candidate free up, and why
	// does it cool? Wait for it within the grace (max wait in CacheFirst).
	soon, why := int64(-1), field{}
	for _, ids := range c.Tiers {
		for _, a := range ids {
			if s.attempted(a) {
				continue
			}
			if _, dis := m.disabled[a]; dis {
				continue
			}
			if u, f := s.coolingUntil(a); u > now && (soon < 0 || u < soon) {
				soon, why = u, f
			}
		}
	}
	reason := ""
	if soon > 0 {
		soon -= now
		var ok bool
		if reason, ok = m.reasons[why]; !ok {
			reason = "rate_limit"
		}
		limit := ms(q.Grace)
		if s.mode == string(CacheFirst) && maxWait > limit {
			limit = maxWait
		}
		if s.mayWait(soon, limit) {
			return Lease{Status: StatusWait, Decision: "pool", Wait: msDur(soon)}, nil
		}
	}
	return Lease{Status: StatusNone, Wait: msDur(soon), Reason: reason}, nil
}

// msDur is a script's wait_ms as a Lease wait (-1 stays -1).
func msDur(w int64) time.Duration {
	if w < 0 {
		return -1
	}
	return time.Duration(w) * time.Millisecond
}

// clearSuccesses clears the streaks of the "<account>|<group>" lines.
func (m *MemStore) clearSuccesses(successes string) {
	for successes != "" {
		line, rest, _ := strings.Cut(successes, "\n")
		successes = rest
		if line == "" {
			continue
		}
		// "<account>|<group>": split at the last '|' (a line without one
		// names no streak field of its own).
		acct := line
		if i := strings.LastIndexByte(line, '|'); i >= 0 {
			acct = line[:i]
			delete(m.streaks, field{acct, line[i+1:]})
		}
		delete(m.streaks, field{acct, "*"})
	}
}

// admission checks the client key's limits; refused returns the keylimit lease.
func (s *selection) admission() (Lease, bool) {
	m, now, k := s.m, s.now, s.q.Key
	minute, day := now/60000, now/86400000
	u := usageEntry{m: -1, d: -1}
	if e := m.usageOf(k.Name, now); e != nil {
		u = *e
	}
	s.fresh = u.m != minute
	if s.fresh {
		u.mr, u.mt = 0, 0
	}
	if u.d != day {
		u.dr, u.dt = 0, 0
	}
	u.m, u.d = minute, day
	lim := k.Limits
	nextMin := (minute+1)*60000 - now
	refuse := func(which string, wait, limit, used int64) (Lease, bool) {
		return Lease{Status: StatusKeyLimit, Wait: msDur(wait), KeyLimit: KeyLimitHit{Which: which, Limit: limit, Used: used}}, true
	}
	if lim.RPM > 0 && u.mr >= lim.RPM {
		return refuse("requests", nextMin, lim.RPM, u.mr)
	}
	if lim.TPM > 0 && u.mt >= lim.TPM {
		return refuse("tokens", nextMin, lim.TPM, u.mt)
	}
	if lim.DailyTokens > 0 && u.dt >= lim.DailyTokens {
		return refuse("daily_tokens", (day+1)*86400000-now, lim.DailyTokens, u.dt)
	}
	if lim.MaxInFlight > 0 {
		n := int64(0)
		if f := m.inFlightOf(k.Name, now); f != nil {
			for id, end := range f.leases {
				if end <= now {
					delete(f.leases, id)
				}
			}
			n = int64(len(f.leases))
			if n == 0 {
				delete(m.inFlight, k.Name)
			}
		}
		if n >= lim.MaxInFlight {
			return refuse("in_flight", 1000, lim.MaxInFlight, n)
		}
	}
	s.admit, s.usage, s.mif = true, u, lim.MaxInFlight
	s.reserve = max(k.Reserve, 0)
	s.leaseMs = ms(k.TTL)
	if k.TTL <= 0 {
		s.leaseMs = ms(11 * time.Minute)
	}
	return Lease{}, false
}

// mayWait tells whether a wait of w ms fits in limit, counting what the
// request already waited, before its deadline.
func (s *selection) mayWait(w, limit int64) bool {
	if w <= 0 || ms(s.q.Waited)+w > limit {
		return false
	}
	return s.q.Deadline <= 0 || w < ms(s.q.Deadline)
}

func (s *selection) attempted(acct string) bool {
	if s.triedCleared && s.q.Candidates.has(acct) {
		return false
	}
	for _, a := range s.q.Attempted {
		if a == acct {
			return true
		}
	}
	return false
}

// coolingUntil returns the end of the account's longest cooldown and the
// reasons field that names it.
func (s *selection) coolingUntil(acct string) (int64, field) {
	a := s.gcool[acct]
	if b := s.m.coolA[acct]; b > a {
		return b, field{acct, "*"}
	}
	return a, field{acct, s.q.Group}
}

// quotaOf returns the account's learned remaining fraction for the group;
// ok is false when it is unknown (none learned, unreadable, reset passed).
func (s *selection) quotaOf(acct string) (float64, bool) {
	q, ok := s.quota[acct]
	if !ok || !q.ok || q.reset <= s.now {
		return 0, false
	}
	return q.frac, true
}

func (s *selection) quotaOK(acct string) bool {
	if s.qthr <= 0 {
		return true
	}
	frac, ok := s.quotaOf(acct)
	return !ok || frac >= s.qthr
}

// Quota bands order the accounts of a tier in round robin: band 0 when the
// remaining fraction is unknown or at least bandFull, 1 from bandLow, 2
// below it (select.lua's band).
const (
	bandFull = 0.5
	bandLow  = 0.2
)

func (s *selection) band(acct string) int {
	frac, ok := s.quotaOf(acct)
	switch {
	case !ok || frac >= bandFull:
		return 0
	case frac >= bandLow:
		return 1
	}
	return 2
}

// eligible returns ok and, when cooling, the cooldown end.
func (s *selection) eligible(acct string) (bool, int64) {
	if s.attempted(acct) {
		return false, 0
	}
	return s.eligibleTried(acct)
}

// eligibleTried is eligible for an account no longer counted as attempted.
func (s *selection) eligibleTried(acct string) (bool, int64) {
	if _, dis := s.m.disabled[acct]; dis {
		return false, 0
	}
	if u, _ := s.coolingUntil(acct); u > s.now {
		return false, u
	}
	return s.quotaOK(acct), 0
}

// chosen counts an admitted request, binds the session or window, and
// returns the lease.
func (s *selection) chosen(acct, decision string) Lease {
	m, now := s.m, s.now
	var res KeyReservation
	if s.admit {
		u := s.usage
		u.mr++
		u.dr++
		u.mt += s.reserve
		u.dt += s.reserve
		u.last = now
		if s.reserve > 0 {
			res = KeyReservation{Tokens: s.reserve, At: now}
		}
		e := m.usage[s.q.Key.Name]
		if e == nil || !alive(e.end, now) {
			e = &usageEntry{}
			m.usage[s.q.Key.Name] = e
			m.wrote(now)
		}
		end := e.end
		if s.fresh {
			end = now + 172800000
		}
		*e = u
		e.end = end
		if s.mif > 0 {
			f := m.inFlightOf(s.q.Key.Name, now)
			if f == nil {
				f = &inFlightEntry{leases: map[string]int64{}}
				m.inFlight[s.q.Key.Name] = f
				m.wrote(now)
			}
			f.leases[s.q.Key.Lease] = now + s.leaseMs
			f.end = now + s.leaseMs
		}
	}
	if s.mode != string(PerformanceFirst) && decision != "fixed" {
		if s.q.SessionID != "" {
			k := sessKey{s.q.Scope, s.q.SessionID, s.q.Group}
			if decision == "sticky" {
				if b, ok := m.sessions[k]; ok {
					b.end = now + s.ttl
					m.sessions[k] = b
				}
			} else if !s.q.Force {
				if _, ok := m.sessions[k]; !ok {
					m.wrote(now)
				}
				m.sessions[k] = ttlString{acct, now + s.ttl}
			}
		} else {
			k := lastKey{s.q.Scope, s.q.Group}
			if _, ok := m.last[k]; !ok {
				m.wrote(now)
			}
			m.last[k] = ttlString{acct, now + s.window}
		}
	}
	return Lease{Status: StatusOK, Account: acct, Decision: decision, Streak: int(m.streaks[field{acct, s.q.Group}] + m.streaks[field{acct, "*"}]),
		Reserved: res}
}

func (m *MemStore) usageOf(name string, now int64) *usageEntry {
	e := m.usage[name]
	if e != nil && !alive(e.end, now) {
		delete(m.usage, name)
		return nil
	}
	return e
}

func (m *MemStore) inFlightOf(name string, now int64) *inFlightEntry {
	f := m.inFlight[name]
	if f != nil && !alive(f.end, now) {
		delete(m.inFlight, name)
		return nil
	}
	return f
}

// parseQuota parses "fraction:reset_ms" as select.lua's pattern
// '^([^:]+):(%d+)$' and tonumber do.
func parseQuota(v string) quotaValue {
	q := quotaValue{raw: v}
	frac, reset, found := strings.Cut(v, ":")
	if !found || frac == "" || reset == "" {
		return q
	}
	for i := 0; i < len(reset); i++ {
		if reset[i] < '0' || reset[i] > '9' {
			return q
		}
	}
	f, err := strconv.ParseFloat(frac, 64)
	if err != nil || math.IsNaN(f) {
		return q
	}
	r, err := strconv.ParseInt(reset, 10, 64)
	if err != nil {
		r = math.MaxInt64
	}
	q.frac, q.reset, q.ok = f, r, true
	return q
}
