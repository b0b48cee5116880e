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
//
// Token limits count reservations: the admission adds the request's
// estimate (KeyAdmission.Reserve) to the minute's and the day's token counts
// in the same atomic script, and admits only while those counts (tokens used
// plus tokens reserved by requests in flight) are under the limit; when the
// answer's usage is known, ReleaseKey reconciles the reservation with it.
// So a burst of requests admitted at once cannot overshoot by more than the
// one request that crosses the limit, whatever the number of replicas.
type KeyLimits struct {
	RPM         int64 // requests per minute
	TPM         int64 // tokens per minute (reserved at admission, reconciled with usage)
	MaxInFlight int64 // requests in flight
	DailyTokens int64 // tokens per UTC day (reserved at admission, reconciled with usage)
}

// KeyAdmission asks the selection to admit a request against its client
// key's limits. Name "" skips the check.
type KeyAdmission struct {
	Name   string
	Limits KeyLimits
	Lease  string        // in-flight member, unique per request
	TTL    time.Duration // how long an unreleased lease counts (request deadline + margin)
	// Reserve is the request's token estimate, reserved against the key's
	// tokens per minute and per day at admission (0: nothing reserved). The
	// admitted lease says where it was reserved (Lease.Reserved), for
	// ReleaseKey.
	Reserve int64
}

// KeyReservation is what an admission reserved: Tokens (KeyAdmission.Reserve)
// in the minute and the UTC day of At. The zero value reserved nothing.
type KeyReservation struct {
	Tokens int64
	At     int64 // the store's clock at the admission, ms since the epoch
	// local: reserved on a Resilient's fallback store (during an outage).
	local bool
}

// minuteDay returns the minute and day counters that hold the reservation,
// -1 for both when it holds none.
func (r KeyReservation) minuteDay() (int64, int64) {
	if r.Tokens <= 0 || r.At <= 0 {
		return -1, -1
	}
	return r.At / 60000, r.At / 86400000
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

// keyRelease is one debit.lua call: a lease to give back and the tokens of
// requests whose reservations were made in one minute and day (-1: none):
// delta = Σ(used − reserved), excess = Σ max(0, used − reserved).
type keyRelease struct {
	name, lease   string
	minute, day   int64
	delta, excess int64
}

// keyDebits queues the ends of admitted requests; a background loop writes
// them in one pipeline, so a request's end costs the request path nothing.
type keyDebits struct {
	mu      sync.Mutex
	pending []keyRelease
}

// ReleaseKey records the end of an admitted request: tokens is what its
// answer used (0 when unknown: an error, a client gone), r what its admission
// reserved (the admitting Lease.Reserved). The next flush (RunKeyDebits)
// gives the in-flight lease back and reconciles: the counts of the minute and
// day of the reservation get tokens − reserved while they are current (an
// unused reservation is given back), a later minute or day only the excess
// of tokens over the reservation. Pending releases therefore only correct
// the counts: the reservation already counted the request while it ran.
func (s *Scheduler) ReleaseKey(name, lease string, tokens int64, r KeyReservation) {
	if name == "" {
		return
	}
	tokens = max(tokens, 0)
	minute, day := r.minuteDay()
	delta := tokens
	if minute >= 0 {
		delta -= r.Tokens
	}
	s.debits.mu.Lock()
	s.debits.pending = append(s.debits.pending, keyRelease{name: name, lease: lease, minute: minute, day: day,
		delta: delta, excess: max(delta, 0)})
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

// mergeReleases folds the releases of one flush per key and reservation
// minute and day: their tokens are reconciled once, on their first lease (or
// alone when there is none), and the other leases are given back with no
// tokens; a release with neither tokens nor a lease is dropped. A busy key
// then costs one script call per flush (one per minute its requests were
// admitted in), not one per request.
func mergeReleases(batch []keyRelease) []keyRelease {
	type bucket struct {
		name        string
		minute, day int64
	}
	sums := map[bucket]*keyRelease{}
	var order []bucket
	for _, r := range batch {
		b := bucket{r.name, r.minute, r.day}
		sum, seen := sums[b]
		if !seen {
			sum = &keyRelease{name: r.name, minute: r.minute, day: r.day}
			sums[b] = sum
			order = append(order, b)
		}
		sum.delta += r.delta
		sum.excess += r.excess
	}
	out := batch[:0:0]
	for _, b := range order {
		sum := *sums[b]
		for _, r := range batch {
			if r.name == b.name && r.minute == b.minute && r.day == b.day && r.lease != "" {
				sum.lease = r.lease
				out = append(out, sum)
				sum.delta, sum.excess = 0, 0
			}
		}
		if sum.lease == "" && (sum.delta != 0 || sum.excess != 0) {
			out = append(out, sum)
		}
	}
	return out
}

// debitArgs are debit.lua's ARGV for r.
func debitArgs(r keyRelease) []any {
	return []any{r.delta, r.lease, r.excess, r.minute, r.day}
}

// debitKeys runs debit.lua for each release, in one pipeline.
func (s *redisStore) debitKeys(ctx context.Context, batch []keyRelease) error {
	run := func(p redis.Pipeliner) error {
		for _, r := range batch {
			s.debit.Run(ctx, p, []string{s.keys.keyUsage(r.name), s.keys.keyInFlight(r.name)}, debitArgs(r)...)
		}
		return nil
	}
	_, err := s.rdb.Pipelined(ctx, run)
	if err != nil && isNoScript(err) {
		// A restarted Redis lost the script: load it, retry once.
		if lerr := s.debit.Load(ctx, s.rdb).Err(); lerr == nil {
			_, err = s.rdb.Pipelined(ctx, run)
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
