package schedule

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// selectCall builds the selection script's call (EVALSHA, its 15 KEYS and
// 22 ARGV) with the fewest allocations: go-redis takes []any, and boxing a
// string or a large integer allocates, so what does not change between
// requests (the fixed keys, the options) is boxed once, and the keys of a
// model group, a candidate set, a client key's usage and a (client key,
// model group) window once per name.
type selectCall struct {
	// Boxed once.
	cfg, rr, coolAccount, disabled, streak, reasons, noSession, noKeyUsage, noKeyInFlight any
	stickyTTL, window, mode, maxWait, quotaProtection                                     any

	mu     sync.RWMutex
	groups map[string]*groupArgs
	cands  map[string]*[3]any
	lasts  map[lastKey]any
	names  map[string]*[2]any
}

// groupArgs are a model group's name and keys, boxed.
type groupArgs struct{ name, cool, quota any }

// maxCached bounds each cache: past it, names are boxed per call (there are
// as many entries as model groups, candidate sets, client keys and (client
// key, model group) pairs, so the bound is only a guard).
const maxCached = 4096

// Boxed constants (a constant string boxes without allocating, but boolArg's
// result is not a constant).
var (
	argOne   any = "1"
	argZero  any = "0"
	argEmpty any = ""
)

func boolBox(b bool) any {
	if b {
		return argOne
	}
	return argZero
}

func newSelectCall(k keyspace, o Options) *selectCall {
	return &selectCall{
		cfg: k.cfg(), rr: k.rr(), coolAccount: k.coolAccount(), disabled: k.disabled(),
		streak: k.streak(), reasons: k.reasons(), noSession: k.noSession(),
		noKeyUsage: k.keyUsage(""), noKeyInFlight: k.keyInFlight(""),
		stickyTTL: ms(o.StickyTTL), window: ms(o.Window), mode: string(o.Mode), maxWait: ms(o.MaxWait),
		quotaProtection: strconv.FormatFloat(o.QuotaProtection, 'f', -1, 64),
		groups:          map[string]*groupArgs{},
		cands:           map[string]*[3]any{},
		lasts:           map[lastKey]any{},
		names:           map[string]*[2]any{},
	}
}

// cached returns m[k], building and keeping it on a miss (while m is small).
func cached[K comparable, V any](c *selectCall, m map[K]V, k K, build func() V) V {
	c.mu.RLock()
	v, ok := m[k]
	c.mu.RUnlock()
	if ok {
		return v
	}
	v = build()
	c.mu.Lock()
	if len(m) < maxCached {
		m[k] = v
	}
	c.mu.Unlock()
	return v
}

// args is the EVALSHA call of select.lua for q: "evalsha", sha, numkeys,
// KEYS[1..15], ARGV[1..22], in the order select.lua documents.
func (s *redisStore) selectArgs(q Query, successes string) []any {
	c := s.call
	k := s.keys
	g := cached(c, c.groups, q.Group, func() *groupArgs {
		return &groupArgs{name: q.Group, cool: k.coolGroup(q.Group), quota: k.quota(q.Group)}
	})
	cand := cached(c, c.cands, q.Candidates.ID, func() *[3]any {
		id := q.Candidates.ID
		return &[3]any{k.cand(id, tierNames[0]), k.cand(id, tierNames[1]), k.cand(id, tierNames[2])}
	})
	last := cached(c, c.lasts, lastKey{q.Scope, q.Group}, func() any { return k.lastUsed(q.Scope, q.Group) })
	sess := c.noSession
	if q.SessionID != "" {
		sess = k.session(q.Scope, q.SessionID, q.Group)
	}
	usage, inFlight := c.noKeyUsage, c.noKeyInFlight
	if name := q.Key.Name; name != "" {
		kk := cached(c, c.names, name, func() *[2]any { return &[2]any{k.keyUsage(name), k.keyInFlight(name)} })
		usage, inFlight = kk[0], kk[1]
	}
	attempted := argEmpty
	if len(q.Attempted) > 0 {
		attempted = strings.Join(q.Attempted, "\n")
	}
	succ := argEmpty
	if successes != "" {
		succ = successes
	}
	key := q.Key
	ttl := key.TTL
	if ttl <= 0 {
		ttl = 11 * time.Minute
	}
	lease := argEmpty
	if key.Lease != "" {
		lease = key.Lease
	}
	return []any{
		"evalsha", s.sel.Hash(), selectKeyCount,
		// KEYS
		c.cfg, sess, last, c.rr, g.cool, c.coolAccount, c.disabled, cand[0], cand[1], cand[2],
		g.quota, c.streak, usage, inFlight, c.reasons,
		// ARGV
		g.name, boolBox(q.Force), c.stickyTTL, c.window, attempted, boolBox(q.SessionID != ""),
		c.mode, c.maxWait, c.quotaProtection, succ,
		boolBox(key.Name != ""), key.Limits.RPM, key.Limits.TPM, key.Limits.MaxInFlight, key.Limits.DailyTokens,
		lease, ms(ttl), ms(q.Grace), ms(q.Waited), ms(q.Deadline), boolBox(q.RetryTried),
		key.Reserve,
	}
}

// selectKeyCount is the number of KEYS of select.lua.
const selectKeyCount = 15

// runSelect runs the selection: EVALSHA, or EVAL when the store lost the
// script (a restart, SCRIPT FLUSH), as Script.Run does.
func (s *redisStore) runSelect(ctx context.Context, args []any) ([]any, error) {
	cmd := redis.NewCmd(ctx, args...)
	cmd.SetFirstKeyPos(3) // as go-redis's own EVALSHA: a cluster routes by KEYS[1]
	_ = s.rdb.Process(ctx, cmd)
	res, err := cmd.Slice()
	if isNoScript(err) {
		keys := make([]string, selectKeyCount)
		for i := range keys {
			keys[i], _ = args[3+i].(string)
		}
		res, err = s.sel.Eval(ctx, s.rdb, keys, args[3+selectKeyCount:]...).Slice()
	}
	return res, err
}
