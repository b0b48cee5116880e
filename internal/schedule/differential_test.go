package schedule

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

// TestDifferential applies one long seeded sequence of operations to the
// embedded Go store and to the Lua scripts on a real redis-server and
// requires identical answers (status, account, decision, wait, streak, key
// limit; cooldown ends; settings, states, bindings cleared, key usage).
//
// Time: each script is run with its TIME captured (a wrapper hands the
// script the TIME it read first and returns it), and the Go store runs the
// same operation at that very millisecond, so cooldowns, waits, minutes and
// quota resets compare exactly. Key TTLs in Redis are measured from the
// server's own clock at the write, a millisecond or so off; so operations
// run only in a 60 ms zone of each 200 ms slot and every TTL is a whole
// number of slots plus half a slot, which puts every expiry 40 ms away from
// any operation. Clock steps sleep whole slots.
//
// SWITCHYARD_DIFF_SEED reruns one sequence; SWITCHYARD_DIFF_OPS makes it longer.
func TestDifferential(t *testing.T) {
	seed := time.Now().UnixNano()
	if v := os.Getenv("SWITCHYARD_DIFF_SEED"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("SWITCHYARD_DIFF_SEED=%q: %v", v, err)
		}
		seed = n
	}
	ops := 1200
	if v := os.Getenv("SWITCHYARD_DIFF_OPS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("SWITCHYARD_DIFF_OPS=%q: %v", v, err)
		}
		ops = n
	}
	t.Logf("seed %d, %d operations (rerun: SWITCHYARD_DIFF_SEED=%d go test -run TestDifferential ./internal/schedule/)", seed, ops, seed)

	rdb := redis.NewClient(&redis.Options{Addr: storetest.StartRedis(t)})
	t.Cleanup(func() { rdb.Close() })
	tap := &timeTap{}
	rdb.AddHook(tap)
	d := newDiffRun(seed, rdb, tap)
	ctx := context.Background()
	for i := 0; i < ops; i++ {
		op := d.next()
		if op.sleepSlots > 0 {
			toZone(op.sleepSlots)
			continue
		}
		// Into the zone by the Redis clock itself (the same host clock).
		for {
			toZone(0)
			now, err := rdb.Time(ctx).Result()
			if err != nil {
				t.Fatalf("TIME: %v", err)
			}
			if ph := now.UnixMilli() % diffSlot; ph >= diffZoneFrom && ph < diffZoneTo {
				break
			}
		}
		want, err := op.run(ctx, d.lua[op.replica])
		if err != nil {
			t.Fatalf("seed %d op %d %s on redis-server: %v", seed, i, op.desc, err)
		}
		d.clock = tap.last()
		got, err := op.run(ctx, d.mem[op.replica])
		if err != nil {
			t.Fatalf("seed %d op %d %s on the Go store: %v", seed, i, op.desc, err)
		}
		late := ""
		if ph := d.clock % diffSlot; ph < diffZoneFrom || ph >= diffZoneTo+diffMargin/2 {
			// Stalled past the zone (a loaded machine): a TTL may end near it.
			late = " (late: the operation ran outside its zone)"
			d.counts["late"]++
		}
		if got != want {
			t.Fatalf("seed %d op %d (ms %d, slot phase %d%s) %s:\n redis-server: %s\n Go store:     %s\n(rerun: SWITCHYARD_DIFF_SEED=%d)",
				seed, i, d.clock, d.clock%diffSlot, late, op.desc, want, got, seed)
		}
		if op.after != nil {
			op.after(want)
		}
		d.counts[op.kind]++
		if op.kind == "select" {
			d.counts[strings.Fields(want)[0]+" "+strings.Fields(want)[2]]++
		}
	}
	t.Logf("compared: %v", d.counts)
	if d.counts["select"] == 0 || d.counts["report"] == 0 {
		t.Fatalf("the sequence compared no selection or no report: %v", d.counts)
	}
}

// diffSlot is the time slot (ms); operations run at phases [diffZoneFrom,
// diffZoneTo) of a slot and every TTL is (n + 1/2) slots, so every TTL ends
// at phases [diffZoneFrom+diffSlot/2, diffZoneTo+diffSlot/2): diffMargin ms
// away from any operation on either side.
const (
	diffSlot     = 200
	diffZoneFrom = 50
	diffZoneTo   = 110
	diffMargin   = diffSlot/2 - (diffZoneTo - diffZoneFrom)
)

// toZone sleeps into the operation zone, skip whole slots ahead.
func toZone(skip int) {
	now := time.Now().UnixMilli()
	start := now - now%diffSlot
	if skip == 0 && now%diffSlot >= diffZoneTo {
		skip = 1
	}
	target := start + int64(skip)*diffSlot + diffZoneFrom
	if wait := target - now; wait > 0 {
		time.Sleep(time.Duration(wait) * time.Millisecond)
	}
}

// captureTime wraps a script so that every TIME it reads is the TIME read
// first, returned after its own reply (a number reply becomes a table).
func captureTime(src string) string {
	return `local __time = redis.call('TIME')
local __call = redis.call
local redis = setmetatable({call = function(cmd, ...)
  if cmd == 'TIME' then return __time end
  return __call(cmd, ...)
end}, {__index = redis})
local __reply = (function()
` + src + `
end)()
if type(__reply) ~= 'table' then __reply = {__reply} end
__reply[#__reply + 1] = __time[1]
__reply[#__reply + 1] = __time[2]
return __reply
`
}

// timeTap records the last Redis time seen (a wrapped script's, or a TIME
// command's) and strips the captured time from script replies.
type timeTap struct {
	mu sync.Mutex
	ms int64
}

func (h *timeTap) last() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ms
}

func (h *timeTap) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *timeTap) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		h.take(cmd)
		return err
	}
}

func (h *timeTap) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		for _, c := range cmds {
			h.take(c)
		}
		return err
	}
}

func (h *timeTap) take(cmd redis.Cmder) {
	switch c := cmd.(type) {
	case *redis.TimeCmd:
		if c.Err() == nil {
			h.set(c.Val().UnixMilli())
		}
	case *redis.Cmd:
		if n := strings.ToLower(c.Name()); n != "evalsha" && n != "eval" {
			return
		}
		v, ok := c.Val().([]any)
		if !ok || len(v) < 2 {
			return
		}
		sec, _ := v[len(v)-2].(string)
		us, _ := v[len(v)-1].(string)
		s, err1 := strconv.ParseInt(sec, 10, 64)
		u, err2 := strconv.ParseInt(us, 10, 64)
		if err1 != nil || err2 != nil {
			return
		}
		h.set(s*1000 + u/1000)
		c.SetVal(v[:len(v)-2])
	}
}

func (h *timeTap) set(ms int64) {
	h.mu.Lock()
	h.ms = ms
	h.mu.Unlock()
}

// diffOp is one operation, applied to a scheduler of each store.
type diffOp struct {
	kind, desc string
	replica    int
	sleepSlots int
	run        func(ctx context.Context, s *Scheduler) (string, error)
	after      func(result string) // bookkeeping, with the (equal) result
}

// diffRun generates the sequence: two replicas on each store, with their
// own options, sharing the store's state.
type diffRun struct {
	r        *rand.Rand
	lua, mem [2]*Scheduler
	clock    int64
	accounts []string
	sets     []*Candidates
	groups   []string
	scopes   []string
	sessions []string
	keys     []string
	leases   map[string][]string         // client key -> leases in flight
	reserved map[string][]KeyReservation // client key -> reservations of admitted requests
	nLease   int
	counts   map[string]int
}

func newDiffRun(seed int64, rdb redis.UniversalClient, tap *timeTap) *diffRun {
	d := &diffRun{
		r:        rand.New(rand.NewSource(seed)),
		accounts: []string{"u-0", "u-1", "p-0", "p-1", "p-2", "f-0", "f-1"},
		groups:   []string{"g1", "g2"},
		scopes:   []string{"k1", "k2"},
		sessions: []string{"", "", "s1", "s2", "s3"},
		keys:     []string{"", "", "ka", "kb"},
		leases:   map[string][]string{},
		reserved: map[string][]KeyReservation{},
		counts:   map[string]int{},
	}
	mk := func(ids ...string) *Candidates {
		return NewCandidates(ids, func(i int) int {
			switch ids[i][0] {
			case 'u':
				return 0
			case 'p':
				return 1
			}
			return 2
		})
	}
	d.sets = []*Candidates{
		mk(d.accounts...),
		mk("p-0", "p-1", "p-2", "f-0"),
		mk("u-1", "f-1", "p-2"),
	}
	store := NewMemStore(func() time.Time { return time.UnixMilli(d.clock) })
	modes := []Mode{Balance, CacheFirst, PerformanceFirst, ""}
	for i := range 2 {
		o := Options{
			Mode:            modes[d.r.Intn(len(modes))],
			MaxWait:         time.Duration(d.r.Intn(400)) * time.Millisecond,
			StickyTTL:       time.Duration(diffSlot*(1+d.r.Intn(3))+diffSlot/2) * time.Millisecond,
			Window:          time.Duration(diffSlot*(1+d.r.Intn(2))+diffSlot/2) * time.Millisecond,
			QuotaProtection: []float64{0, 0.2, 0.5}[d.r.Intn(3)],
		}.withDefaults()
		rs := newRedisStore(rdb, o)
		rs.sel = redis.NewScript(captureTime(selectSrc))
		rs.reportLua = redis.NewScript(captureTime(reportSrc))
		rs.debit = redis.NewScript(captureTime(debitSrc))
		d.lua[i] = &Scheduler{be: rs, opts: o}
		d.mem[i] = NewEmbedded(store, o)
	}
	return d
}

func (d *diffRun) pick(xs []string) string { return xs[d.r.Intn(len(xs))] }

func (d *diffRun) limit(xs ...int64) int64 { return xs[d.r.Intn(len(xs))] }

// ms is a random duration of up to n ms (0 included).
func (d *diffRun) ms(n int) time.Duration { return time.Duration(d.r.Intn(n+1)) * time.Millisecond }

func (d *diffRun) next() diffOp {
	rep := d.r.Intn(2)
	switch p := d.r.Intn(100); {
	case p < 1:
		return diffOp{kind: "clock", sleepSlots: 1 + d.r.Intn(2)}
	case p < 60:
		return d.selectOp(rep)
	case p < 75:
		return d.reportOp(rep)
	case p < 82:
		acct, group := d.pick(d.accounts), d.pick(d.groups)
		return diffOp{kind: "note", replica: rep, desc: fmt.Sprintf("NoteSuccess(%s, %s)", acct, group),
			run: func(_ context.Context, s *Scheduler) (string, error) { s.NoteSuccess(acct, group); return "", nil }}
	case p < 88:
		return d.debitOp(rep)
	default:
		return d.adminOp(rep)
	}
}

func (d *diffRun) selectOp(rep int) diffOp {
	c := d.sets[d.r.Intn(len(d.sets))]
	q := Query{Group: d.pick(d.groups), Scope: d.pick(d.scopes), SessionID: d.pick(d.sessions), Candidates: c, Force: d.r.Intn(4) == 0}
	for _, tier := range c.Tiers {
		for _, id := range tier {
			if d.r.Intn(6) == 0 {
				q.Attempted = append(q.Attempted, id)
			}
		}
	}
	q.Grace = time.Duration(d.limit(0, 0, 100, 300)) * time.Millisecond
	q.Waited = time.Duration(d.limit(0, 0, 50, 200)) * time.Millisecond
	q.Deadline = time.Duration(d.limit(0, 0, 150, 1000)) * time.Millisecond
	q.RetryTried = len(q.Attempted) > 0 && d.r.Intn(2) == 0
	if name := d.pick(d.keys); name != "" {
		d.nLease++
		q.Key = KeyAdmission{Name: name, Lease: fmt.Sprintf("L%d", d.nLease), TTL: (3*diffSlot + diffSlot/2) * time.Millisecond,
			Limits:  KeyLimits{RPM: d.limit(0, 0, 60, 600), TPM: d.limit(0, 0, 8000, 40000), MaxInFlight: d.limit(0, 0, 1, 3), DailyTokens: d.limit(0, 0, 30000)},
			Reserve: d.limit(0, 0, 40, 900, 6000)}
	}
	var got Lease // the lease the redis-server answered (run first)
	return diffOp{kind: "select", replica: rep, desc: fmt.Sprintf("Acquire(%+v set %v)", q, c.Tiers),
		run: func(ctx context.Context, s *Scheduler) (string, error) {
			l, err := s.Acquire(ctx, q)
			if got.Status == "" {
				got = l
			}
			return fmt.Sprintf("%s acct=%q decision=%q wait=%v streak=%d reason=%q limit=%+v reserved=%+v",
				l.Status, l.Account, l.Decision, l.Wait, l.Streak, l.Reason, l.KeyLimit, l.Reserved), err
		},
		after: func(res string) {
			if q.Key.Name != "" && q.Key.Limits.MaxInFlight > 0 && strings.HasPrefix(res, "ok ") {
				d.leases[q.Key.Name] = append(d.leases[q.Key.Name], q.Key.Lease)
			}
			if got.Reserved.Tokens > 0 {
				d.reserved[q.Key.Name] = append(d.reserved[q.Key.Name], got.Reserved)
			}
		}}
}

func (d *diffRun) reportOp(rep int) diffOp {
	o := Outcome{Account: d.pick(d.accounts), Group: d.pick(d.groups), Scope: d.pick(d.scopes), SessionID: d.pick(d.sessions),
		Success: d.r.Intn(2) == 0}
	if o.Success {
		o.Rebind = d.r.Intn(2) == 0
	} else {
		o.CooldownScope = []Scope{ScopeGroup, ScopeAccount, ""}[d.r.Intn(3)]
		o.Reason = d.pick([]string{"rate_limit", "server_error", "auth"})
		if d.r.Intn(2) == 0 {
			o.Hint = d.ms(500)
			o.ShortHint = d.r.Intn(3) == 0
		}
		o.Base, o.Cap, o.Tolerate = d.ms(150), d.ms(900), d.r.Intn(2)
	}
	if d.r.Intn(4) == 0 {
		o.QuotaKnown, o.Quota = true, float64(d.r.Intn(21))/20
		o.QuotaReset = time.UnixMilli(time.Now().UnixMilli() + int64(d.r.Intn(2400)) - 200)
	}
	return diffOp{kind: "report", replica: rep, desc: fmt.Sprintf("Report(%+v)", o),
		run: func(ctx context.Context, s *Scheduler) (string, error) {
			until, err := s.Report(ctx, o)
			return fmt.Sprintf("until=%d", msOf(until)), err
		}}
}

func msOf(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func (d *diffRun) debitOp(rep int) diffOp {
	name := d.pick(d.keys[2:])
	lease := ""
	if ls := d.leases[name]; len(ls) > 0 && d.r.Intn(4) != 0 {
		i := d.r.Intn(len(ls))
		lease = ls[i]
		d.leases[name] = append(ls[:i], ls[i+1:]...)
	}
	tokens := int64(d.r.Intn(3) * d.r.Intn(700))
	// The reservation of an admitted request (its minute may be over by now),
	// or none: a request admitted without one, or a debit after an outage.
	var res KeyReservation
	if rs := d.reserved[name]; len(rs) > 0 && d.r.Intn(5) != 0 {
		i := d.r.Intn(len(rs))
		res = rs[i]
		d.reserved[name] = append(rs[:i], rs[i+1:]...)
	}
	return diffOp{kind: "debit", replica: rep, desc: fmt.Sprintf("ReleaseKey(%s, %q, %d, %+v)", name, lease, tokens, res),
		run: func(ctx context.Context, s *Scheduler) (string, error) {
			s.ReleaseKey(name, lease, tokens, res)
			return "", s.FlushKeyDebits(ctx)
		}}
}

func (d *diffRun) adminOp(rep int) diffOp {
	acct := d.pick(d.accounts)
	op := diffOp{replica: rep}
	switch d.r.Intn(10) {
	case 0:
		m, w := []Mode{Balance, CacheFirst, PerformanceFirst}[d.r.Intn(3)], d.ms(400)
		op.kind, op.desc = "setmode", fmt.Sprintf("SetMode(%s, %v)", m, w)
		op.run = func(ctx context.Context, s *Scheduler) (string, error) { return "", s.SetMode(ctx, m, w) }
	case 1:
		if d.r.Intn(2) == 0 {
			acct = ""
		}
		op.kind, op.desc = "setfixed", fmt.Sprintf("SetFixed(%q)", acct)
		op.run = func(ctx context.Context, s *Scheduler) (string, error) { return "", s.SetFixed(ctx, acct) }
	case 2:
		op.kind, op.desc = "disable", fmt.Sprintf("Disable(%s)", acct)
		op.run = func(ctx context.Context, s *Scheduler) (string, error) { return "", s.Disable(ctx, acct, "why "+acct) }
	case 3:
		op.kind, op.desc = "enable", fmt.Sprintf("Enable(%s)", acct)
		op.run = func(ctx context.Context, s *Scheduler) (string, error) { return "", s.Enable(ctx, acct) }
	case 4:
		op.kind, op.desc = "clearbindings", "ClearBindings()"
		op.run = func(ctx context.Context, s *Scheduler) (string, error) {
			n, err := s.ClearBindings(ctx)
			return fmt.Sprintf("cleared %d", n), err
		}
	case 5:
		if d.r.Intn(3) == 0 {
			acct = ""
		}
		op.kind, op.desc = "clearcooldowns", fmt.Sprintf("ClearCooldowns(%q)", acct)
		op.run = func(ctx context.Context, s *Scheduler) (string, error) { return "", s.ClearCooldowns(ctx, acct) }
	case 6:
		group, frac := d.pick(d.groups), float64(d.r.Intn(21))/20
		reset := time.UnixMilli(time.Now().UnixMilli() + int64(d.r.Intn(2400)) - 200)
		op.kind, op.desc = "setquota", fmt.Sprintf("SetQuota(%s, %s, %v, %d)", acct, group, frac, reset.UnixMilli())
		op.run = func(ctx context.Context, s *Scheduler) (string, error) {
			return "", s.SetQuota(ctx, acct, group, frac, reset)
		}
	case 7:
		op.kind, op.desc = "settings", "Settings()"
		op.run = func(ctx context.Context, s *Scheduler) (string, error) {
			st, err := s.Settings(ctx)
			return fmt.Sprintf("%+v", st), err
		}
	case 8:
		op.kind, op.desc = "states", "States()"
		op.run = func(ctx context.Context, s *Scheduler) (string, error) {
			st, err := s.States(ctx)
			return formatStates(st), err
		}
	default:
		op.kind, op.desc = "keyusage", "KeyUsage(ka, kb, kc)"
		op.run = func(ctx context.Context, s *Scheduler) (string, error) {
			u, err := s.KeyUsage(ctx, []string{"ka", "kb", "kc"})
			return fmt.Sprintf("%v", u), err
		}
	}
	return op
}

// formatStates prints account states in a fixed order.
func formatStates(st map[string]*AccountState) string {
	ids := make([]string, 0, len(st))
	for id := range st {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var b strings.Builder
	for _, id := range ids {
		a := st[id]
		cs := make([]string, 0, len(a.Cooldowns))
		for _, c := range a.Cooldowns {
			cs = append(cs, fmt.Sprintf("%s<%d:%s", c.ModelGroup, c.Until.UnixMilli(), c.Reason))
		}
		sort.Strings(cs)
		qs := make([]string, 0, len(a.Quota))
		for g, f := range a.Quota {
			qs = append(qs, fmt.Sprintf("%s=%v", g, f))
		}
		sort.Strings(qs)
		fmt.Fprintf(&b, "%s{dis=%v %q cool=%v quota=%v} ", id, a.Disabled, a.DisabledReason, cs, qs)
	}
	return b.String()
}

// TestDifferentialDrawsEveryField fails when Query, KeyAdmission, KeyLimits,
// Outcome or Lease gain a field: the differential test must draw it (or
// compare it) before the Go store can be trusted to follow the scripts on it.
func TestDifferentialDrawsEveryField(t *testing.T) {
	drawn := map[string]string{
		"Query":        "Group Scope SessionID Candidates Attempted Force Key Grace Waited Deadline RetryTried",
		"KeyAdmission": "Name Limits Lease TTL Reserve",
		"KeyLimits":    "RPM TPM MaxInFlight DailyTokens",
		"Outcome": "Account Group Scope SessionID Success Rebind CooldownScope Reason Hint Base Cap Tolerate ShortHint " +
			"Quota QuotaKnown QuotaReset",
		"Lease": "Status Account Decision Wait Streak Reason KeyLimit Reserved",
	}
	for _, v := range []any{Query{}, KeyAdmission{}, KeyLimits{}, Outcome{}, Lease{}} {
		rt := reflect.TypeOf(v)
		var names []string
		for i := 0; i < rt.NumField(); i++ {
			names = append(names, rt.Field(i).Name)
		}
		if got := strings.Join(names, " "); got != drawn[rt.Name()] {
			t.Errorf("%s has fields %q; the differential test draws %q: draw the new ones in diffRun", rt.Name(), got, drawn[rt.Name()])
		}
	}
}
