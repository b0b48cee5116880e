package schedule

import (
	"context"
	_ "embed"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

//go:embed lua/debit.lua
var debitSrc string

// KeyLimits bound one client key across every replica; zero means no limit.
// They are checked in the selection script of a request's first attempt, so
// a healthy request still costs one round trip.
type KeyLimits struct {
	RPM         int64 // requests per minute
	TPM         int64 // tokens per minute (debited when an answer's usage is known)
	MaxInFlight int64 // requests in flight
	DailyTokens int64 // tokens per UTC day
}

// KeyAdmission asks the selection to admit a request against its client
// key's limits. Name "" skips the check.
type KeyAdmission struct {
	Name   string
	Limits KeyLimits
	Lease  string        // in-flight member, unique per request
	TTL    time.Duration // how long an unreleased lease counts (request deadline + margin)
}

// KeyLimitHit says which limit refused a request (StatusKeyLimit).
type KeyLimitHit struct {
	Which string // requests | tokens | daily_tokens | in_flight
	Limit int64
	Used  int64
}

// StatusKeyLimit: the client key is over one of its limits; Lease.Wait is
// the time until it resets.
const StatusKeyLimit Status = "keylimit"

// KeyUsage is what a key used today and when it was last admitted.
type KeyUsage struct {
	RequestsToday int64
	TokensToday   int64
	LastUsed      time.Time // zero when never
}

type keyRelease struct {
	name, lease string
	tokens      int64
}

// keyDebits queues the ends of admitted requests; a background loop writes
// them in one pipeline, so a request's end costs the request path nothing.
type keyDebits struct {
	mu      sync.Mutex
	pending []keyRelease
}

// ReleaseKey records the end of an admitted request: its tokens are debited
// and its in-flight lease given back by the next flush (RunKeyDebits).
func (s *Scheduler) ReleaseKey(name, lease string, tokens int64) {
	if name == "" {
		return
	}
	s.debits.mu.Lock()
	s.debits.pending = append(s.debits.pending, keyRelease{name: name, lease: lease, tokens: tokens})
	s.debits.mu.Unlock()
}

// FlushKeyDebits writes the queued releases now, and the learned quota
// that successes queued (deferred.go).
func (s *Scheduler) FlushKeyDebits(ctx context.Context) error {
	qerr := s.flushQuotas(ctx)
	s.debits.mu.Lock()
	batch := s.debits.pending
	s.debits.pending = nil
	s.debits.mu.Unlock()
	batch = mergeReleases(batch)
	if len(batch) == 0 {
		return qerr
	}
	return errors.Join(qerr, s.be.debitKeys(ctx, batch))
}

// mergeReleases folds the releases of one flush per key: the tokens of a
// key are debited once, on its first lease (or alone when it has none), and
// a release with neither tokens nor a lease is dropped. A busy key then costs
// one script call per flush, not one per request.
func mergeReleases(batch []keyRelease) []keyRelease {
	tokens := map[string]int64{}
	var order []string
	for _, r := range batch {
		if _, seen := tokens[r.name]; !seen {
			order = append(order, r.name)
		}
		tokens[r.name] += r.tokens
	}
	out := batch[:0:0]
	for _, name := range order {
		t := tokens[name]
		for _, r := range batch {
			if r.name == name && r.lease != "" {
				out = append(out, keyRelease{name: name, lease: r.lease, tokens: t})
				t = 0
			}
		}
		if t > 0 {
			out = append(out, keyRelease{name: name, tokens: t})
		}
	}
	return out
}

// debitKeys runs debit.lua for each release, in one pipeline.
func (s *redisStore) debitKeys(ctx context.Context, batch []keyRelease) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, r := range batch {
			s.debit.Run(ctx, p, []string{s.keys.keyUsage(r.name), s.keys.keyInFlight(r.name)}, r.tokens, r.lease)
		}
		return nil
	})
	if err != nil && isNoScript(err) {
		// A restarted Redis lost the script: load it, retry once.
		if lerr := s.debit.Load(ctx, s.rdb).Err(); lerr == nil {
			_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
				for _, r := range batch {
					s.debit.Run(ctx, p, []string{s.keys.keyUsage(r.name), s.keys.keyInFlight(r.name)}, r.tokens, r.lease)
				}
				return nil
			})
		}
	}
	return err
}

func isNoScript(err error) bool {
	return err != nil && len(err.Error()) >= 8 && err.Error()[:8] == "NOSCRIPT"
}

// RunKeyDebits flushes the queued releases every interval until ctx ends,
// then once more.
func (s *Scheduler) RunKeyDebits(ctx context.Context, every time.Duration, log *slog.Logger) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			_ = s.FlushKeyDebits(fctx)
			cancel()
			return nil
		case <-t.C:
			fctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			if err := s.FlushKeyDebits(fctx); err != nil && log != nil {
				log.Warn("client key debits not written", slog.String("error", err.Error()))
			}
			cancel()
		}
	}
}

// keyUsage reads today's usage of the named keys in one round trip.
func (s *redisStore) keyUsage(ctx context.Context, names []string) (map[string]KeyUsage, error) {
	cmds := make([]*redis.SliceCmd, len(names))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, n := range names {
			cmds[i] = p.HMGet(ctx, s.keys.keyUsage(n), "d", "dr", "dt", "last")
		}
		return nil
	})
	if err != nil && err != redis.Nil {
		return nil, err
	}
	today := time.Now().UnixMilli() / 86400000
	out := make(map[string]KeyUsage, len(names))
	for i, n := range names {
		v := cmds[i].Val()
		num := func(j int) int64 {
			if j >= len(v) {
				return 0
			}
			s, _ := v[j].(string)
			x, _ := strconv.ParseInt(s, 10, 64)
			return x
		}
		u := KeyUsage{}
		if num(0) == today {
			u.RequestsToday, u.TokensToday = num(1), num(2)
		}
		if last := num(3); last > 0 {
			u.LastUsed = time.UnixMilli(last)
		}
		out[n] = u
	}
	return out, nil
}
