package fakeupstream

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Simulated per-credential limits, reported in the providers' rate-limit
// headers. Nothing is enforced: the numbers only go down so that the
// gateway's quota learning can be tested.
const (
	rateWindow       = time.Minute
	rateRequestLimit = 1000
	rateTokenLimit   = 1_000_000
	maxRateWindows   = 10_000
)

type rateLimits struct {
	mu      sync.Mutex
	windows map[string]*window
	now     func() time.Time
}

type window struct {
	start    time.Time
	requests int
	tokens   int
}

// rateState is what one request sees of its credential's window.
type rateState struct {
	requestsLeft int
	tokensLeft   int
	reset        time.Time
	untilReset   time.Duration
}

func newRateLimits() *rateLimits {
	return &rateLimits{windows: make(map[string]*window), now: time.Now}
}

// take counts one request of the given size against the credential.
func (l *rateLimits) take(provider, cred string, tokens int) rateState {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	key := provider + "\x00" + cred
	w := l.windows[key]
	if w == nil || now.Sub(w.start) >= rateWindow {
		if len(l.windows) >= maxRateWindows {
			l.prune(now)
		}
		w = &window{start: now}
		l.windows[key] = w
	}
	w.requests++
	w.tokens += tokens
	reset := w.start.Add(rateWindow)
	return rateState{
		requestsLeft: max(rateRequestLimit-w.requests, 0),
		tokensLeft:   max(rateTokenLimit-w.tokens, 0),
		reset:        reset,
		untilReset:   reset.Sub(now),
	}
}

// prune drops expired windows, or all of them if none has expired.
func (l *rateLimits) prune(now time.Time) {
	for k, w := range l.windows {
		if now.Sub(w.start) >= rateWindow {
			delete(l.windows, k)
		}
	}
	if len(l.windows) >= maxRateWindows {
		clear(l.windows)
	}
}

// setHeaders writes the provider's rate-limit headers (Gemini has none).
func (st rateState) setHeaders(provider string, h http.Header) {
	switch provider {
	case ProviderOpenAI:
		reset := st.untilReset.Round(time.Millisecond).String()
		h.Set("x-ratelimit-limit-requests", strconv.Itoa(rateRequestLimit))
		h.Set("x-ratelimit-remaining-requests", strconv.Itoa(st.requestsLeft))
		h.Set("x-ratelimit-reset-requests", reset)
		h.Set("x-ratelimit-limit-tokens", strconv.Itoa(rateTokenLimit))
		h.Set("x-ratelimit-remaining-tokens", strconv.Itoa(st.tokensLeft))
		h.Set("x-ratelimit-reset-tokens", reset)
	case ProviderAnthropic:
		reset := st.reset.UTC().Format(time.RFC3339)
		h.Set("anthropic-ratelimit-requests-limit", strconv.Itoa(rateRequestLimit))
		h.Set("anthropic-ratelimit-requests-remaining", strconv.Itoa(st.requestsLeft))
		h.Set("anthropic-ratelimit-requests-reset", reset)
		h.Set("anthropic-ratelimit-tokens-limit", strconv.Itoa(rateTokenLimit))
		h.Set("anthropic-ratelimit-tokens-remaining", strconv.Itoa(st.tokensLeft))
		h.Set("anthropic-ratelimit-tokens-reset", reset)
	}
}
