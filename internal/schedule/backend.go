package schedule

import (
	"context"
	"fmt"
	"time"
)

// backend is where the scheduling rules run: redisStore (the Lua scripts on
// a shared Redis, the definition of the rules) or memStore (the same rules in
// Go, in process, for the embedded store). Each method is one atomic
// operation on the store.
type backend interface {
	preload(ctx context.Context) error
	// acquire selects for q (non-empty candidates); successes are the
	// "<account>|<group>" lines whose streaks it clears first.
	acquire(ctx context.Context, q Query, successes string) (Lease, error)
	report(ctx context.Context, o Outcome) (time.Time, error)
	debitKeys(ctx context.Context, batch []keyRelease) error
	keyUsage(ctx context.Context, names []string) (map[string]KeyUsage, error)
	setQuota(ctx context.Context, accountID, group, value string) error
	// setQuotas writes learned quota values ("fraction:reset_ms") of
	// (account, group) pairs, off the request path.
	setQuotas(ctx context.Context, batch map[field]string) error

	settings(ctx context.Context) (Settings, error)
	setMode(ctx context.Context, m Mode, maxWait time.Duration) error
	setFixed(ctx context.Context, accountID string) error
	disable(ctx context.Context, accountID, reason string) error
	enable(ctx context.Context, accountID string) error
	clearBindings(ctx context.Context) (int, error)
	clearCooldowns(ctx context.Context, accountID string) error
	states(ctx context.Context) (map[string]*AccountState, error)
}

// Preload loads the scripts on every node so the hot path uses EVALSHA only
// (nothing to do on the embedded store).
func (s *Scheduler) Preload(ctx context.Context) error { return s.be.preload(ctx) }

// Acquire selects the account for one attempt: one Redis round trip on the
// hot path, or a few map look-ups on the embedded store.
func (s *Scheduler) Acquire(ctx context.Context, q Query) (Lease, error) {
	if q.Candidates == nil || q.Candidates.Len() == 0 {
		return Lease{Status: StatusNone, Wait: -1}, nil
	}
	l, err := s.be.acquire(ctx, q, s.drainSuccesses())
	if l.Streak > 0 {
		s.sawStreak(l.Account, q.Group)
	}
	return l, err
}

// Report records an attempt's outcome and returns the cooldown end (zero on
// success). A success whose learned quota is not low is queued for the
// background flush instead (deferred.go).
func (s *Scheduler) Report(ctx context.Context, o Outcome) (time.Time, error) {
	if s.deferrable(o) {
		s.queueQuota(o)
		return time.Time{}, nil
	}
	if o.QuotaKnown {
		s.dropQueuedQuota(o.Account, o.Group)
	}
	return s.be.report(ctx, o)
}

// KeyUsage reads today's usage of the named keys in one round trip.
func (s *Scheduler) KeyUsage(ctx context.Context, names []string) (map[string]KeyUsage, error) {
	return s.be.keyUsage(ctx, names)
}

// Settings reads the shared settings, falling back to the start-up values.
func (s *Scheduler) Settings(ctx context.Context) (Settings, error) { return s.be.settings(ctx) }

// SetMode changes the mode and max wait for every replica.
func (s *Scheduler) SetMode(ctx context.Context, m Mode, maxWait time.Duration) error {
	return s.be.setMode(ctx, m, maxWait)
}

// SetFixed pins every request to one account while it is eligible ("" clears).
func (s *Scheduler) SetFixed(ctx context.Context, accountID string) error {
	return s.be.setFixed(ctx, accountID)
}

// Disable takes an account out of the pool on every replica, keeping the reason.
func (s *Scheduler) Disable(ctx context.Context, accountID, reason string) error {
	if reason == "" {
		reason = "disabled by operator"
	}
	return s.be.disable(ctx, accountID, reason)
}

// Enable puts an account back into the pool.
func (s *Scheduler) Enable(ctx context.Context, accountID string) error {
	return s.be.enable(ctx, accountID)
}

// ClearBindings drops every session binding and returns how many there were.
func (s *Scheduler) ClearBindings(ctx context.Context) (int, error) {
	n, err := s.be.clearBindings(ctx)
	if err != nil {
		return n, fmt.Errorf("clear bindings: %w", err)
	}
	return n, nil
}

// ClearCooldowns clears the cooldowns and failure streaks of one account, or
// of every account when accountID is "".
func (s *Scheduler) ClearCooldowns(ctx context.Context, accountID string) error {
	return s.be.clearCooldowns(ctx, accountID)
}

// States reads the shared state of every account (operator path, not hot).
func (s *Scheduler) States(ctx context.Context) (map[string]*AccountState, error) {
	return s.be.states(ctx)
}
