package schedule

import (
	"context"
	"fmt"
	"time"
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

// setQuota writes a learned quota value ("fraction:reset_ms").
func (s *redisStore) setQuota(ctx context.Context, accountID, group, v string) error {
	return s.rdb.HSet(ctx, s.keys.quota(group), accountID, v).Err()
}
