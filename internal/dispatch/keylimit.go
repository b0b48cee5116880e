package dispatch

import (
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/schedule"
)

// admission is the key check of a request's first selection; Name "" when
// the request has no client key to count.
func (d *Dispatcher) admission(req *Request) schedule.KeyAdmission {
	if req.KeyName == "" {
		return schedule.KeyAdmission{}
	}
	ttl := d.Policy.RequestTimeout + time.Minute
	if d.Policy.RequestTimeout <= 0 {
		ttl = 11 * time.Minute
	}
	return schedule.KeyAdmission{Name: req.KeyName, Limits: req.KeyLimits, Lease: leaseOf(req), TTL: ttl}
}

// leaseOf is the in-flight member of a request when the key limits requests
// in flight, else none. The request id may come from the client, so a random
// suffix keeps two requests that share one id from sharing one lease.
func leaseOf(req *Request) string {
	if req.KeyLimits.MaxInFlight <= 0 {
		return ""
	}
	return req.RequestID + "." + strconv.FormatUint(rand.Uint64(), 36)
}

// keyLimitError is the 429 of a client key over a limit, with the
// x-ratelimit-* headers of the limit that refused it.
func keyLimitError(key string, l schedule.Lease) *llm.Error {
	hit := l.KeyLimit
	what, suffix := "", ""
	switch hit.Which {
	case "requests":
		what, suffix = "requests per minute", "requests"
	case "tokens":
		what, suffix = "tokens per minute", "tokens"
	case "daily_tokens":
		what, suffix = "tokens per day", "tokens-day"
	default:
		what, suffix = "requests in flight", "concurrent-requests"
	}
	wait := max(l.Wait, time.Second)
	e := llm.Errorf(llm.KindRateLimit, "client key %q is at its limit of %d %s; retry after %ds", key, hit.Limit, what, int((wait+time.Second-1)/time.Second))
	e.RetryAfter = wait
	remaining := max(hit.Limit-hit.Used, 0)
	e.Headers = map[string]string{
		"x-ratelimit-limit-" + suffix:     strconv.FormatInt(hit.Limit, 10),
		"x-ratelimit-remaining-" + suffix: strconv.FormatInt(remaining, 10),
		"x-ratelimit-reset-" + suffix:     wait.Round(time.Millisecond).String(),
	}
	return e
}
