package schedule

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// SetQuota records an account's remaining quota fraction for a model group,
// read from the provider rather than learned from an answer: the same state
// a report's Quota writes, so quota protection and the operator view see it
// on every replica. It holds until reset; a zero reset is refused.
func (s *Scheduler) SetQuota(ctx context.Context, accountID, group string, fraction float64, reset time.Time) error {
	if reset.IsZero() {
		return fmt.Errorf("set quota of %s: no reset time", accountID)
	}
	fraction = min(max(fraction, 0), 1)
	v := quotaString(fraction, reset.UnixMilli())
	s.dropQueuedQuota(accountID, group)
	if err := s.be.setQuota(ctx, accountID, group, v); err != nil {
		return fmt.Errorf("set quota of %s: %w", accountID, err)
	}
	return nil
}

// setQuota writes a learned quota value ("fraction:reset_ms") and indexes
// its model group for the control state mirror, as report.lua does.
func (s *redisStore) setQuota(ctx context.Context, accountID, group, v string) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.keys.quota(group), accountID, v)
		p.SAdd(ctx, s.keys.groups(), group)
		return nil
	})
	return err
}
