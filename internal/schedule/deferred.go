package schedule

import (
	"context"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// A healthy success costs no round trip of its own (DESIGN: "none extra on
// success ... or pipelined"). Providers send their rate-limit headers on
// every answer, so a success often carries learned quota; when that quota
// is not low, Report queues it and the background flush (RunKeyDebits, every
// 100 ms) writes every queued value in one pipelined round trip, the latest
// value per (account, group) only. A success reports synchronously, as
// before, when:
//
//   - its quota is low: below the quota protection threshold, or below
//     LowQuota, so protection (here and on every replica) acts on it at once;
//   - it moves a session binding (Rebind);
//   - the selection that chose the account saw a failure streak on it (the
//     success must clear the streak before another failure counts on it).
//
// The bound: a quota value that protection would not act on reaches the
// store at most one flush period (100 ms) late, or, when the store is down at
// that moment, is lost until the next answer carries it (dispatch reports
// quota at least every 10 s per account and group). A queued value never
// overwrites a newer one: a synchronous report or SetQuota of the same
// (account, group) drops it. The streak clearing a synchronous success does
// is left to NoteSuccess (the next selection's round trip), as for a
// success without quota.

// LowQuota is the remaining fraction below which a success's quota is
// written at once even when quota protection is off or lower (dispatch
// throttles how often it reports quota by the same line).
const LowQuota = 0.2

// deferrable tells whether o can ride the background flush.
func (s *Scheduler) deferrable(o Outcome) bool {
	if !o.Success || !o.QuotaKnown || o.Rebind || o.Quota < max(s.opts.QuotaProtection, LowQuota) {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := field{o.Account, o.Group}
	if _, ok := s.streaked[k]; ok {
		delete(s.streaked, k)
		return false
	}
	return true
}

// sawStreak records that a selection chose an account with a failure streak.
func (s *Scheduler) sawStreak(account, group string) {
	s.mu.Lock()
	if s.streaked == nil {
		s.streaked = map[field]struct{}{}
	}
	if len(s.streaked) < maxCached {
		s.streaked[field{account, group}] = struct{}{}
	}
	s.mu.Unlock()
}

// queueQuota keeps the latest learned quota of (account, group) for the next flush.
func (s *Scheduler) queueQuota(o Outcome) {
	v := quotaString(o.Quota, o.QuotaReset.UnixMilli())
	s.mu.Lock()
	if s.quotas == nil {
		s.quotas = map[field]string{}
	}
	s.quotas[field{o.Account, o.Group}] = v
	s.mu.Unlock()
}

// dropQueuedQuota forgets a queued value that a newer write replaces.
func (s *Scheduler) dropQueuedQuota(account, group string) {
	s.mu.Lock()
	delete(s.quotas, field{account, group})
	s.mu.Unlock()
}

// flushQuotas writes the queued quota values.
func (s *Scheduler) flushQuotas(ctx context.Context) error {
	s.mu.Lock()
	batch := s.quotas
	s.quotas = nil
	s.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	return s.be.setQuotas(ctx, batch)
}

// quotaString is a learned quota as the store keeps it: "fraction:reset_ms".
func quotaString(fraction float64, resetMs int64) string {
	return strconv.FormatFloat(fraction, 'f', 4, 64) + ":" + strconv.FormatInt(resetMs, 10)
}

// setQuotas writes learned quota values in one pipeline: one HSET per model group.
func (s *redisStore) setQuotas(ctx context.Context, batch map[field]string) error {
	byGroup := map[string][]any{}
	for f, v := range batch {
		byGroup[f.group] = append(byGroup[f.group], f.acct, v)
	}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for g, fv := range byGroup {
			p.HSet(ctx, s.keys.quota(g), fv...)
			p.SAdd(ctx, s.keys.groups(), g) // the mirror's index, as report.lua keeps it
		}
		return nil
	})
	return err
}

// setQuotas is setQuota for each value, under one lock.
func (b *memStore) setQuotas(_ context.Context, batch map[field]string) error {
	b.m.mu.Lock()
	defer b.m.mu.Unlock()
	for f, v := range batch {
		b.m.putQuota(f.group, f.acct, v)
	}
	return nil
}
