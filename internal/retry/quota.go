package retry

import (
	"net/http"
	"strconv"
	"time"

	"github.com/tidwall/gjson"
)

// Message is the message of a provider error body or error event (the
// providers put it at error.message, some inside an array, the Responses
// API inside response.error), clipped to 512 bytes.
func Message(body []byte) string {
	m := gjson.GetBytes(body, "error.message")
	for _, path := range []string{"0.error.message", "response.error.message", "message"} {
		if m.Exists() {
			break
		}
		// A Gemini array body; a Responses response.failed or error event.
		m = gjson.GetBytes(body, path)
	}
	s := m.String()
	if len(s) > 512 {
		s = s[:512]
	}
	return s
}

// Quota is the remaining share of a provider rate limit.
type Quota struct {
	Known    bool
	Fraction float64
	Reset    time.Time
}

// ParseQuota learns the remaining request quota from a provider's
// rate-limit headers (Anthropic's and OpenAI's forms). The names are written
// in canonical form, so looking them up allocates nothing (every answer
// carries them).
func ParseQuota(h http.Header, now time.Time) Quota {
	if rem, lim := h.Get("Anthropic-Ratelimit-Requests-Remaining"), h.Get("Anthropic-Ratelimit-Requests-Limit"); rem != "" && lim != "" {
		q := fraction(rem, lim)
		if t, err := time.Parse(time.RFC3339, h.Get("Anthropic-Ratelimit-Requests-Reset")); err == nil {
			q.Reset = t
		} else {
			q.Reset = now.Add(time.Minute)
		}
		return q
	}
	if rem, lim := h.Get("X-Ratelimit-Remaining-Requests"), h.Get("X-Ratelimit-Limit-Requests"); rem != "" && lim != "" {
		q := fraction(rem, lim)
		if d, ok := ParseDuration(h.Get("X-Ratelimit-Reset-Requests")); ok {
			q.Reset = now.Add(d)
		} else {
			q.Reset = now.Add(time.Minute)
		}
		return q
	}
	return Quota{}
}

func fraction(rem, lim string) Quota {
	r, err1 := strconv.ParseFloat(rem, 64)
	l, err2 := strconv.ParseFloat(lim, 64)
	if err1 != nil || err2 != nil || l <= 0 || r < 0 {
		return Quota{}
	}
	return Quota{Known: true, Fraction: r / l}
}
