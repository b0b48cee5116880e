package dispatch

import (
	"net/http"
	"slices"
	"time"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/schedule"
)

// poolError is the client's answer when no account can serve and the
// selection will not wait: 429 when the pool is rate- or quota-limited, 503
// when it cools from server errors (overloaded, the client protocol's own
// overloaded status when it has one), each with Retry-After and the last
// real failure. A 429 for a pool that is failing would make SDKs blame the
// client's own rate limit.
func poolError(rt *Route, l schedule.Lease, last *attempt, n, overloaded int) *llm.Error {
	limited := l.Reason == "rate_limit" || l.Reason == "quota_exhausted"
	if l.Wait > 0 && !limited {
		e := llm.Errorf(llm.KindUnavailable, "every account able to serve %q is failing upstream (%s); retry after %ds",
			rt.Mapped, l.Reason, seconds(l.Wait))
		if last != nil {
			e.Message += "; last: " + last.lastFailure()
		}
		if overloaded != e.Status && (l.Reason == "capacity" || last != nil && last.obs.status == 529) {
			e.Status, e.Kind = overloaded, llm.KindOverloaded
		}
		e.RetryAfter = l.Wait
		return e
	}
	if last != nil && last.obs.status != http.StatusTooManyRequests {
		// The pool failed for other reasons than rate limits: the client
		// sees the last failure, not a misleading 429.
		return last.clientError(n)
	}
	if l.Wait > 0 {
		e := llm.Errorf(llm.KindRateLimit, "every account able to serve %q is cooling down; retry after %ds", rt.Mapped, seconds(l.Wait))
		e.RetryAfter = l.Wait
		if last != nil {
			// This request's own attempts were limited: the provider's
			// message, and whether a retry can help (an exhausted quota).
			e.Message += "; last: " + last.lastFailure()
			e.Terminal = last.obs.hint.Terminal
		}
		return e
	}
	if last != nil {
		return last.clientError(n)
	}
	return llm.Errorf(llm.KindUnavailable, "no account is available for %q", rt.Mapped)
}

func seconds(d time.Duration) int { return int((d + time.Second - 1) / time.Second) }

// without returns s less v, as a new slice.
func without(s []string, v string) []string {
	return slices.DeleteFunc(slices.Clone(s), func(x string) bool { return x == v })
}

// overloadedStatus is the status req's protocol answers an overloaded pool with.
func overloadedStatus(ps *Protocols, req *Request) int {
	if c, ok := ps.Client(req.Protocol, req.Op); ok {
		return c.OverloadedStatus()
	}
	return http.StatusServiceUnavailable
}
