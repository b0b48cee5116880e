package schedule

import (
	"context"
	"fmt"
	"time"
)

// Scope says what a cooldown covers.
type Scope string

// Cooldown scopes.
const (
	ScopeGroup   Scope = "group"   // this account for this model group (rate and quota limits)
	ScopeAccount Scope = "account" // the whole account (auth, server and account-level errors)
)

// Outcome is what one attempt taught the scheduler.
type Outcome struct {
	Account   string
	Group     string
	Scope     string // client key id (for rebinding)
	SessionID string
	Success   bool
	// Rebind moves the session binding to Account (success after a rotation).
	Rebind bool
	// Cooldown fields, when !Success.
	CooldownScope Scope
	Reason        string
	Hint          time.Duration // provider's reset hint; 0 = escalate from Base
	Base, Cap     time.Duration // escalating backoff: Base * 2^(streak-1-Tolerate), at most Cap
	// Tolerate is how many consecutive failures only count before cooling
	// down (transient errors); a reset hint always cools down, unless short.
	Tolerate int
	// ShortHint: Hint is short enough to retry the same account after it.
	// It counts like a failure without a hint (within Tolerate, no
	// cooldown); repeated, it cools for the longer of Hint and the backoff.
	ShortHint bool
	// Quota, when known: remaining fraction of the limit and when it resets.
	Quota      float64
	QuotaKnown bool
	QuotaReset time.Time
}

// NeedsReport tells whether an attempt must be reported: a failure, a
// success that moves a binding or teaches quota, or one that clears a failure
// streak the selection saw. Other successes only clear streaks through
// NoteSuccess, in the next selection's round trip, so a healthy sticky
// request costs one round trip; Report itself queues a success whose quota is
// not low for the background flush (deferred.go), so that one costs none
// either.
func NeedsReport(l Lease, o Outcome) bool {
	return !o.Success || l.Streak > 0 || o.Rebind || o.QuotaKnown
}

// report runs report.lua: the outcome of one attempt, and the cooldown end
// (zero on success).
func (s *redisStore) report(ctx context.Context, o Outcome) (time.Time, error) {
	kind := "success"
	if !o.Success {
		kind = "cooldown"
	}
	cscope := o.CooldownScope
	if cscope == "" {
		cscope = ScopeGroup
	}
	quota := ""
	if o.QuotaKnown {
		quota = quotaString(o.Quota, o.QuotaReset.UnixMilli())
	}
	keys := []string{
		s.keys.coolGroup(o.Group), s.keys.coolAccount(), s.keys.reasons(), s.keys.streak(),
		s.keys.session(o.Scope, o.SessionID, o.Group), s.keys.quota(o.Group), s.keys.groups(),
	}
	res, err := s.reportLua.Run(ctx, s.rdb, keys,
		o.Account, o.Group, kind, string(cscope), o.Reason,
		ms(o.Hint), ms(o.Base), ms(o.Cap), boolArg(o.Rebind && o.SessionID != ""), ms(s.opts.StickyTTL), quota, o.Tolerate,
		boolArg(o.ShortHint),
	).Int64Slice()
	if err != nil {
		return time.Time{}, fmt.Errorf("report outcome: %w", err)
	}
	if len(res) < 1 || res[0] == 0 {
		return time.Time{}, nil
	}
	return time.UnixMilli(res[0]), nil
}
