package schedule

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

//go:embed lua/select.lua
var selectSrc string

//go:embed lua/report.lua
var reportSrc string

//go:embed lua/clear_cooldowns.lua
var clearCooldownsSrc string

// Mode is the scheduling mode shared by every replica.
type Mode string

// The scheduling modes of CONTRACT.
const (
	CacheFirst       Mode = "CacheFirst"
	Balance          Mode = "Balance"
	PerformanceFirst Mode = "PerformanceFirst"
)

// ParseMode accepts a mode name in any letter case.
func ParseMode(s string) (Mode, bool) {
	for _, m := range []Mode{CacheFirst, Balance, PerformanceFirst} {
		if strings.EqualFold(s, string(m)) {
			return m, true
		}
	}
	return "", false
}

// Options tune the scheduler. Zero values get the CONTRACT defaults.
type Options struct {
	// Namespace separates independent deployments (and tests) sharing one Redis.
	Namespace string
	// Mode and MaxWait are the initial values until an operator changes them.
	Mode    Mode
	MaxWait time.Duration
	// StickyTTL is the sliding idle lifetime of a session binding (default 1h).
	StickyTTL time.Duration
	// Window is the last-used reuse window for requests without a session (default 60s).
	Window time.Duration
	// QuotaProtection skips accounts whose learned remaining fraction is below it (0 = off).
	QuotaProtection float64
}

// Scheduler selects accounts through a store: the shared Redis (New) or the
// in-process one (NewEmbedded).
type Scheduler struct {
	be     backend
	opts   Options
	debits keyDebits

	mu        sync.Mutex
	successes map[field]struct{} // (account, group) awaiting the next selection
	streaked  map[field]struct{} // chosen with a failure streak: the success reports at once
	quotas    map[field]string   // learned quota awaiting the background flush (deferred.go)
}

// redisStore runs the rules as the Lua scripts, one atomic script per
// operation, on Redis (or on miniredis in tests).
type redisStore struct {
	rdb       redis.UniversalClient
	keys      keyspace
	opts      Options
	sel       *redis.Script
	reportLua *redis.Script
	debit     *redis.Script
	clearCool *redis.Script
	call      *selectCall // the selection's keys and arguments, boxed once
}

func (o Options) withDefaults() Options {
	if o.Mode == "" {
		o.Mode = Balance
	}
	if o.StickyTTL <= 0 {
		o.StickyTTL = time.Hour
	}
	if o.Window <= 0 {
		o.Window = 60 * time.Second
	}
	return o
}

// New builds a scheduler on a go-redis client: the rules run as Lua scripts.
func New(rdb redis.UniversalClient, o Options) *Scheduler {
	o = o.withDefaults()
	return &Scheduler{be: newRedisStore(rdb, o), opts: o}
}

func newRedisStore(rdb redis.UniversalClient, o Options) *redisStore {
	s := &redisStore{
		rdb:       rdb,
		keys:      newKeyspace(o.Namespace),
		opts:      o,
		sel:       redis.NewScript(selectSrc),
		reportLua: redis.NewScript(reportSrc),
		debit:     redis.NewScript(debitSrc),
		clearCool: redis.NewScript(clearCooldownsSrc),
	}
	s.call = newSelectCall(s.keys, o)
	return s
}

// preload loads the scripts on every node so the hot path uses EVALSHA only.
// A later NOSCRIPT (failover, SCRIPT FLUSH) is handled by Script.Run.
func (s *redisStore) preload(ctx context.Context) error {
	load := func(ctx context.Context, c redis.Scripter) error {
		for _, sc := range []*redis.Script{s.sel, s.reportLua, s.debit, s.clearCool} {
			if err := sc.Load(ctx, c).Err(); err != nil {
				return err
			}
		}
		return nil
	}
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		if err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return load(ctx, c) }); err != nil {
			return fmt.Errorf("preload scripts: %w", err)
		}
		return nil
	}
	if err := load(ctx, s.rdb); err != nil {
		return fmt.Errorf("preload scripts: %w", err)
	}
	return nil
}

// Tier order: ultra, pro, free.
var tierNames = [3]string{"ultra", "pro", "free"}

// Candidates is the ordered set of accounts able to serve one routed model,
// split by tier. Build it once per (pool, target) with NewCandidates.
type Candidates struct {
	ID    string
	Tiers [3][]string

	once  sync.Once
	index map[string]struct{} // every account of Tiers, built on first use by the embedded store
}

// has tells whether acct is a candidate (any tier).
func (c *Candidates) has(acct string) bool {
	c.once.Do(func() {
		c.index = make(map[string]struct{}, c.Len())
		for _, ids := range c.Tiers {
			for _, id := range ids {
				c.index[id] = struct{}{}
			}
		}
	})
	_, ok := c.index[acct]
	return ok
}

// NewCandidates groups account ids by tier rank (0 ultra, 1 pro, 2 free); the
// order inside a tier is the round-robin order.
func NewCandidates(ids []string, tierRank func(i int) int) *Candidates {
	c := &Candidates{}
	h := sha256.New()
	for i, id := range ids {
		r := tierRank(i)
		if r < 0 || r > 2 {
			r = 2
		}
		c.Tiers[r] = append(c.Tiers[r], id)
	}
	for r, ids := range c.Tiers {
		fmt.Fprintf(h, "%d:%s;", r, strings.Join(ids, ","))
	}
	c.ID = hex.EncodeToString(h.Sum(nil))[:16]
	return c
}

// Len is the number of candidate accounts.
func (c *Candidates) Len() int { return len(c.Tiers[0]) + len(c.Tiers[1]) + len(c.Tiers[2]) }

// Query describes one attempt's selection.
type Query struct {
	Group      string // model group (cooldowns and round robin are per group)
	Scope      string // client key id: bindings and windows never cross clients
	SessionID  string // "" when the request has none
	Candidates *Candidates
	Attempted  []string // accounts already tried by this request
	Force      bool     // forced rotation (every attempt after the first)
	// Key admits the request against its client key's limits: set on the
	// request's selections until one returns StatusOK.
	Key KeyAdmission
	// The selection decides whether to wait: Grace is how long to wait for
	// an account when none is eligible (max wait in CacheFirst when longer),
	// Waited what this request already waited, Deadline the time left
	// before its deadline (0 = none).
	Grace, Waited, Deadline time.Duration
	// RetryTried lets the accounts of Attempted serve again when no other
	// is eligible (the last failure was transient).
	RetryTried bool
}

// Status is the outcome of a selection.
type Status string

// Selection statuses.
const (
	StatusOK   Status = "ok"
	StatusWait Status = "wait"
	StatusNone Status = "none"
)

// Lease is the account chosen for one attempt.
type Lease struct {
	Status   Status
	Account  string
	Decision string        // fixed | sticky | window | round_robin | retry; with StatusWait: sticky | pool
	Wait     time.Duration // StatusWait: how long to wait before selecting again; StatusNone: until the soonest account frees (-1: never)
	Streak   int           // unreported failures of this account (a success must clear them)
	// Reason, with StatusNone, is why the soonest account cools (rate_limit,
	// quota_exhausted, capacity, server_error, ...).
	Reason string
	// KeyLimit is set with StatusKeyLimit; Wait is then the time until it resets.
	KeyLimit KeyLimitHit
	// Reserved, on the lease that admitted a request (StatusOK with
	// Query.Key set), is what the admission reserved against the key's token
	// limits: pass it to ReleaseKey when the request ends.
	Reserved KeyReservation
}

// acquire runs the selection script: one Redis round trip on the hot path.
func (s *redisStore) acquire(ctx context.Context, q Query, successes string) (Lease, error) {
	args := s.selectArgs(q, successes)
	for try := 0; try < 2; try++ {
		res, err := s.runSelect(ctx, args)
		if err != nil {
			return Lease{}, fmt.Errorf("select account: %w", err)
		}
		l, err := parseLease(res)
		if err != nil {
			return Lease{}, err
		}
		if l.Status != "nocand" {
			if l.Reserved.At > 0 {
				l.Reserved.Tokens = q.Key.Reserve
			}
			return l, nil
		}
		if err := s.writeCandidates(ctx, q.Candidates); err != nil {
			return Lease{}, err
		}
	}
	return Lease{}, errors.New("select account: candidate set vanished")
}

// NoteSuccess records a successful attempt; the next selection made by this
// replica clears the account's failure streak in the same round trip.
func (s *Scheduler) NoteSuccess(account, group string) {
	s.mu.Lock()
	if s.successes == nil {
		s.successes = map[field]struct{}{}
	}
	s.successes[field{account, group}] = struct{}{}
	s.mu.Unlock()
}

func (s *Scheduler) drainSuccesses() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.successes) == 0 {
		return ""
	}
	var b strings.Builder
	for f := range s.successes {
		b.WriteString(f.acct)
		b.WriteByte('|')
		b.WriteString(f.group)
		b.WriteByte('\n')
	}
	clear(s.successes)
	return b.String()
}

// candidateTTL bounds how long an unused candidate set stays in Redis; a
// missing set is rewritten on demand.
const candidateTTL = 24 * time.Hour

func (s *redisStore) writeCandidates(ctx context.Context, c *Candidates) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for r, ids := range c.Tiers {
			key := s.keys.cand(c.ID, tierNames[r])
			fields := make([]any, 0, 2+4*len(ids))
			fields = append(fields, "n", len(ids))
			for i, id := range ids {
				fields = append(fields, "i:"+strconv.Itoa(i), id, "a:"+id, i)
			}
			p.Del(ctx, key)
			p.HSet(ctx, key, fields...)
			p.PExpire(ctx, key, candidateTTL)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write candidates: %w", err)
	}
	return nil
}

func parseLease(res []any) (Lease, error) {
	if len(res) < 5 {
		return Lease{}, fmt.Errorf("select account: short reply (%d)", len(res))
	}
	str := func(v any) string { s, _ := v.(string); return s }
	num := func(v any) int64 { n, _ := v.(int64); return n }
	l := Lease{
		Status:   Status(str(res[0])),
		Account:  str(res[1]),
		Decision: str(res[2]),
		Streak:   int(num(res[4])),
	}
	if l.Status == StatusKeyLimit && len(res) >= 7 {
		l.KeyLimit = KeyLimitHit{Which: l.Account, Limit: num(res[5]), Used: num(res[6])}
		l.Account = ""
	}
	if l.Status == StatusNone && len(res) >= 6 {
		l.Reason = str(res[5])
	}
	if l.Status == StatusOK && len(res) >= 6 {
		l.Reserved.At = num(res[5])
	}
	w := num(res[3])
	if w < 0 {
		l.Wait = -1
	} else {
		l.Wait = time.Duration(w) * time.Millisecond
	}
	return l, nil
}

func boolArg(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func ms(d time.Duration) int64 { return d.Milliseconds() }
