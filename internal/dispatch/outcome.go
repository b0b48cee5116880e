package dispatch

import (
	"time"

	"github.com/switchyard-gw/switchyard/internal/retry"
	"github.com/switchyard-gw/switchyard/internal/schedule"
)

// action is what the loop does after an attempt.
type action int

const (
	actSucceed     action = iota // relay the answer
	actPassThrough               // the client's own error: forward it, never retry
	actRotate                    // try another account (no sleep when one is eligible)
	actSameAccount               // 429 with a short hint: same account after the hint
	actRepair                    // thinking-signature error: repair history, same account
)

func (a action) String() string {
	return [...]string{"success", "client_error", "rotate", "same_account", "repair"}[a]
}

// failKind is a failure without a usable HTTP status.
type failKind int

const (
	failNone    failKind = iota
	failNetwork          // connection refused/reset before headers
	failTimeout          // no headers, or no first event, in time
	failEmpty            // a stream that ended before any meaningful event
	failPeek             // a stream that died or errored during the peek
	failBadBody          // a 2xx whose body is not the protocol's JSON
)

// observation is everything the table looks at.
type observation struct {
	status    int
	fail      failKind
	hint      retry.Hint
	signature bool
}

// verdict is one row's decision.
type verdict struct {
	action    action
	scope     schedule.Scope // "" = no cooldown
	reason    retry.Reason
	base, cap time.Duration // escalating backoff when there is no hint
	tolerate  int           // consecutive failures that only count (transient errors)
	shortHint bool          // a short reset hint: same account once per request, cools when repeated
	sleep     time.Duration // before the next attempt (same account only)
}

// rule is one row of the outcome table: the first matching row decides.
type rule struct {
	name  string
	match func(o observation) bool
	then  func(o observation) verdict
}

func status(lo, hi int) func(o observation) bool {
	return func(o observation) bool { return o.fail == failNone && o.status >= lo && o.status <= hi }
}

func fixed(v verdict) func(observation) verdict { return func(observation) verdict { return v } }

// shortHint is the longest reset hint worth waiting for on the same account.
const shortHint = 2 * time.Second

// Transient failures (5xx, network, timeouts, broken streams) rotate the
// request at once but cool the account only when they repeat, with a short
// cooldown that doubles while they go on: one stray 500 must not bench an
// account of a small pool, a failing one is soon left alone.
const (
	transientBase = time.Second
	transientCap  = 2 * time.Minute
)

// outcomeTable is DESIGN.md's classification table, as data.
var outcomeTable = []rule{
	{"transport failure", func(o observation) bool { return o.fail == failNetwork },
		fixed(verdict{action: actRotate, scope: schedule.ScopeAccount, reason: retry.ReasonNetwork, base: transientBase, cap: transientCap, tolerate: 1})},
	{"timeout", func(o observation) bool { return o.fail == failTimeout },
		fixed(verdict{action: actRotate, scope: schedule.ScopeAccount, reason: retry.ReasonTimeout, base: transientBase, cap: transientCap, tolerate: 1})},
	{"empty or broken stream", func(o observation) bool { return o.fail == failEmpty || o.fail == failPeek || o.fail == failBadBody },
		fixed(verdict{action: actRotate, scope: schedule.ScopeAccount, reason: retry.ReasonServerError, base: transientBase, cap: transientCap, tolerate: 1})},
	{"success", status(200, 299), fixed(verdict{action: actSucceed})},
	{"signature", func(o observation) bool { return o.fail == failNone && o.status == 400 && o.signature },
		fixed(verdict{action: actRepair, reason: retry.ReasonSignature, sleep: 200 * time.Millisecond})},
	{"unauthorized", status(401, 401),
		fixed(verdict{action: actRotate, scope: schedule.ScopeAccount, reason: retry.ReasonAuth, base: 30 * time.Second, cap: 10 * time.Minute})},
	{"payment required", status(402, 402),
		fixed(verdict{action: actRotate, scope: schedule.ScopeAccount, reason: retry.ReasonQuotaExhausted, base: time.Hour, cap: 6 * time.Hour})},
	{"forbidden", status(403, 403),
		fixed(verdict{action: actRotate, scope: schedule.ScopeAccount, reason: retry.ReasonForbidden, base: 10 * time.Minute, cap: 6 * time.Hour})},
	{"model not found on account", status(404, 404),
		fixed(verdict{action: actRotate, scope: schedule.ScopeGroup, reason: retry.ReasonNotFound, base: time.Minute, cap: 30 * time.Minute})},
	{"request timeout", status(408, 408),
		fixed(verdict{action: actRotate, scope: schedule.ScopeAccount, reason: retry.ReasonTimeout, base: transientBase, cap: transientCap, tolerate: 1})},
	{"short rate limit", func(o observation) bool {
		return o.fail == failNone && o.status == 429 && o.hint.Found && o.hint.RetryAfter <= shortHint && !o.hint.Terminal
	}, func(o observation) verdict {
		// Reported like a tolerated failure: the first one only counts, a
		// repeated one cools (account, model group) on every replica.
		return verdict{action: actSameAccount, scope: schedule.ScopeGroup, reason: reasonOr(o.hint.Reason, retry.ReasonRateLimit),
			sleep: o.hint.RetryAfter, base: 5 * time.Second, cap: 5 * time.Minute, tolerate: 1, shortHint: true}
	}},
	{"rate limit", status(429, 429), func(o observation) verdict {
		v := verdict{action: actRotate, scope: schedule.ScopeGroup, reason: reasonOr(o.hint.Reason, retry.ReasonRateLimit)}
		switch v.reason {
		case retry.ReasonQuotaExhausted:
			v.base, v.cap = 10*time.Minute, 6*time.Hour
		case retry.ReasonCapacity:
			v.base, v.cap = transientBase, time.Minute
		default:
			v.base, v.cap = 5*time.Second, 5*time.Minute
		}
		return v
	}},
	{"other client error", status(400, 499), fixed(verdict{action: actPassThrough, reason: retry.ReasonClientError})},
	{"overloaded", func(o observation) bool { return o.fail == failNone && (o.status == 503 || o.status == 529) },
		fixed(verdict{action: actRotate, scope: schedule.ScopeGroup, reason: retry.ReasonCapacity, base: transientBase, cap: time.Minute, tolerate: 1})},
	{"server error", status(500, 599),
		fixed(verdict{action: actRotate, scope: schedule.ScopeAccount, reason: retry.ReasonServerError, base: transientBase, cap: transientCap, tolerate: 1})},
}

func reasonOr(r, def retry.Reason) retry.Reason {
	if r == "" {
		return def
	}
	return r
}

// classify applies the outcome table.
func classify(o observation) verdict {
	for _, r := range outcomeTable {
		if r.match(o) {
			return r.then(o)
		}
	}
	return verdict{action: actRotate, scope: schedule.ScopeAccount, reason: retry.ReasonServerError, base: transientBase, cap: transientCap, tolerate: 1}
}
