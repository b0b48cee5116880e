// Package retry reads upstream failures: how long an upstream asks us to wait
// (reset hints in headers, bodies and messages), why it failed (rate limit,
// exhausted quota, capacity, auth, …), and whether an error is one of the
// request repairs the gateway knows (thinking signatures, context length).
//
// It is pure: it parses what it is given and never sleeps, logs or talks to
// the network. The dispatch loop turns its answers into cooldowns and
// retries.
package retry

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxHint is the longest wait a hint can ask for; longer hints are clamped.
const MaxHint = 24 * time.Hour

// TerminalAfter is the wait beyond which an exhausted quota (or a rate limit
// asking for that long) is terminal: the account should not be tried again
// soon and clients should not retry. Gemini CLI uses the same 300 s line.
const TerminalAfter = 5 * time.Minute

// maxBodyBytes bounds how much of an error body is examined.
const maxBodyBytes = 1 << 20

// Hint is what an upstream failure says about retrying.
type Hint struct {
	// RetryAfter is how long the upstream asks to wait, clamped to MaxHint;
	// it is meaningful only when Found.
	RetryAfter time.Duration
	// Found reports whether the response carried a usable hint (a hint of 0,
	// "retry now", is a found hint).
	Found bool
	// Reason is the best guess at why the attempt failed.
	Reason Reason
	// Terminal is set for an exhausted quota that will not come back soon
	// (per-day quota, insufficient_quota, no credits, or a reset beyond
	// TerminalAfter). Terminal implies Reason == ReasonQuotaExhausted.
	Terminal bool
}

// ParseHint reads an upstream failure: status is the HTTP status (0 for a
// transport failure, a 2xx status for an error event inside a stream, whose
// body is the event data), h the response headers (may be nil), body the
// response body, of which the first MiB is examined, and now the time that
// HTTP dates and RFC 3339 reset times are measured from.
//
// When several hints are present the most specific wins, in this order:
// retry-after-ms, Retry-After, Gemini RetryInfo.retryDelay, ErrorInfo
// quotaResetDelay, ErrorInfo quotaResetTimeStamp, the anthropic-ratelimit-*-reset
// and x-ratelimit-reset-* headers (on 429 only), and last a delay in the
// message text ("Please retry in 12.3s"). Negative hints are ignored.
func ParseHint(status int, h http.Header, body []byte, now time.Time) Hint {
	if len(body) > maxBodyBytes {
		body = body[:maxBodyBytes]
	}
	b := parseBody(body, now)
	var rateHeaders delay
	if status == http.StatusTooManyRequests {
		rateHeaders = anthropicReset(h, now).or(openAIReset(h))
	}
	d := retryAfterMS(h).
		or(retryAfter(h, now)).
		or(b.retryDelay).
		or(b.resetDelay).
		or(b.resetAt).
		or(rateHeaders).
		or(b.textDelay)

	status = effectiveStatus(status, &b)
	hint := Hint{RetryAfter: min(d.d, MaxHint), Found: d.ok}
	hint.Reason = reason(status, body, &b)
	switch {
	case (b.hardQuota || b.perDay) && isQuotaStatus(status),
		b.hardQuota && status == http.StatusBadRequest: // "credit balance is too low"
		hint.Reason, hint.Terminal = ReasonQuotaExhausted, true
	case hint.Reason == ReasonQuotaExhausted:
		hint.Terminal = !hint.Found || hint.RetryAfter > TerminalAfter
	case hint.Reason == ReasonRateLimit && hint.Found && hint.RetryAfter > TerminalAfter:
		// A "rate limit" that resets in hours is an exhausted quota.
		hint.Reason, hint.Terminal = ReasonQuotaExhausted, true
	}
	return hint
}

// effectiveStatus returns the status a failure is classified by. An error
// inside a 2xx stream takes the status its body implies (a Gemini error.code,
// or an error type such as overloaded_error), or 500 when it implies none.
func effectiveStatus(status int, b *bodyInfo) int {
	if status < 200 || status >= 300 {
		return status
	}
	if b.implied != 0 {
		return b.implied
	}
	return http.StatusInternalServerError
}

// isQuotaStatus reports whether a status can carry a quota error.
func isQuotaStatus(status int) bool {
	return status == http.StatusTooManyRequests || status == 499 ||
		status == http.StatusServiceUnavailable || status == http.StatusPaymentRequired
}

// delay is an optional duration.
type delay struct {
	d  time.Duration
	ok bool
}

// or returns d when it is set, else alt.
func (d delay) or(alt delay) delay {
	if d.ok {
		return d
	}
	return alt
}

// some returns a set delay, or an unset one for a negative duration.
func some(d time.Duration) delay {
	return delay{d: d, ok: d >= 0}
}

// retryAfterMS reads the retry-after-ms header (milliseconds, possibly
// fractional) that the OpenAI and Anthropic SDKs honour.
func retryAfterMS(h http.Header) delay {
	v := strings.TrimSpace(h.Get("Retry-After-Ms"))
	if v == "" {
		return delay{}
	}
	ms, err := strconv.ParseFloat(v, 64)
	if err != nil || ms != ms || ms < 0 { // ms != ms: NaN
		return delay{}
	}
	if ms > float64(MaxHint/time.Millisecond) {
		return some(MaxHint)
	}
	return some(time.Duration(ms * float64(time.Millisecond)))
}

// retryAfter reads Retry-After: seconds (integer or decimal) or an HTTP date.
func retryAfter(h http.Header, now time.Time) delay {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return delay{}
	}
	if d, ok := ParseDuration(v); ok {
		return some(d)
	}
	if t, err := http.ParseTime(v); err == nil {
		return some(t.Sub(now))
	}
	return delay{}
}

// reset is one rate limit's reset time, and whether that limit is used up.
type reset struct {
	d         time.Duration
	exhausted bool
}

// pickReset returns the latest reset among the exhausted limits (all of them
// must reset before a retry can succeed), or the soonest when none is
// reported exhausted.
func pickReset(resets []reset) delay {
	var exhausted, soonest delay
	for _, r := range resets {
		if r.d < 0 {
			continue
		}
		if r.exhausted && (!exhausted.ok || r.d > exhausted.d) {
			exhausted = some(r.d)
		}
		if !soonest.ok || r.d < soonest.d {
			soonest = some(r.d)
		}
	}
	return exhausted.or(soonest)
}

// anthropicReset reads anthropic-ratelimit-{requests,tokens,input-tokens,
// output-tokens}-reset (RFC 3339) with their -remaining counterparts.
func anthropicReset(h http.Header, now time.Time) delay {
	var resets [4]reset
	n := 0
	for _, k := range [...]struct{ reset, remaining string }{
		{"Anthropic-Ratelimit-Requests-Reset", "Anthropic-Ratelimit-Requests-Remaining"},
		{"Anthropic-Ratelimit-Tokens-Reset", "Anthropic-Ratelimit-Tokens-Remaining"},
		{"Anthropic-Ratelimit-Input-Tokens-Reset", "Anthropic-Ratelimit-Input-Tokens-Remaining"},
		{"Anthropic-Ratelimit-Output-Tokens-Reset", "Anthropic-Ratelimit-Output-Tokens-Remaining"},
	} {
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(h.Get(k.reset)))
		if err != nil {
			continue
		}
		resets[n] = reset{d: t.Sub(now), exhausted: remainingZero(h, k.remaining)}
		n++
	}
	return pickReset(resets[:n])
}

// openAIReset reads x-ratelimit-reset-{requests,tokens} (durations such as
// "1s", "6m0s", "20ms") with their x-ratelimit-remaining-* counterparts.
func openAIReset(h http.Header) delay {
	var resets [2]reset
	n := 0
	for _, k := range [...]struct{ reset, remaining string }{
		{"X-Ratelimit-Reset-Requests", "X-Ratelimit-Remaining-Requests"},
		{"X-Ratelimit-Reset-Tokens", "X-Ratelimit-Remaining-Tokens"},
	} {
		d, ok := ParseDuration(h.Get(k.reset))
		if !ok {
			continue
		}
		resets[n] = reset{d: d, exhausted: remainingZero(h, k.remaining)}
		n++
	}
	return pickReset(resets[:n])
}

func remainingZero(h http.Header, key string) bool {
	return strings.TrimSpace(h.Get(key)) == "0"
}

// InBandStatus is the HTTP status an error event inside a stream implies by
// its body (a Google error.code, an Anthropic or OpenAI error type or code,
// a Google status such as RESOURCE_EXHAUSTED), with the same reading as an
// error body; 0 when it implies none.
func InBandStatus(body []byte) int {
	if len(body) > maxBodyBytes {
		body = body[:maxBodyBytes]
	}
	b := parseBody(body, time.Now())
	return b.implied
}
