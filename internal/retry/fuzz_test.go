package retry

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzParseHint checks that any status, headers and body give a well-formed
// hint without panicking.
func FuzzParseHint(f *testing.F) {
	knownReasons := map[Reason]bool{
		ReasonRateLimit: true, ReasonQuotaExhausted: true, ReasonCapacity: true, ReasonServerError: true,
		ReasonAuth: true, ReasonForbidden: true, ReasonNotFound: true, ReasonTimeout: true,
		ReasonNetwork: true, ReasonSignature: true, ReasonClientError: true, ReasonContextLength: true,
	}
	files, _ := filepath.Glob("testdata/hints/*")
	for _, file := range files {
		body, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(429, "", "", "", body)
	}
	f.Add(503, "Wed, 21 Oct 2026 07:28:00 GMT", "", "", []byte(`{"error":{"details":[{"retryDelay":{"seconds":"1e99"}}]}}`))
	f.Add(429, "37", "1500", "6m0s", []byte(`[{"error":{"message":"{\"error\":{\"message\":\"retry in 3s\"}}"}}]`))
	f.Fuzz(func(t *testing.T, status int, retryAfter, retryAfterMS, openAIReset string, body []byte) {
		h := http.Header{}
		h.Set("Retry-After", retryAfter)
		h.Set("Retry-After-Ms", retryAfterMS)
		h.Set("X-Ratelimit-Reset-Tokens", openAIReset)
		h.Set("Anthropic-Ratelimit-Tokens-Reset", retryAfter)
		got := ParseHint(status, h, body, testNow)
		if got.RetryAfter < 0 || got.RetryAfter > MaxHint {
			t.Fatalf("RetryAfter %v out of [0, %v]", got.RetryAfter, MaxHint)
		}
		if !got.Found && got.RetryAfter != 0 {
			t.Fatalf("RetryAfter %v without Found", got.RetryAfter)
		}
		if !knownReasons[got.Reason] {
			t.Fatalf("unknown reason %q", got.Reason)
		}
		if got.Terminal && got.Reason != ReasonQuotaExhausted {
			t.Fatalf("terminal with reason %q", got.Reason)
		}
		if again := ParseHint(status, h, body, testNow); again != got {
			t.Fatalf("not deterministic: %+v then %+v", got, again)
		}
	})
}

// FuzzParseDuration checks ParseDuration against time.ParseDuration where
// both apply, and that it never returns a negative duration.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"1.5s", "500ms", "2m3s", "1h16m0.667s", "33740.910400305s", "135h9m46s", "37", "0.5",
		"-1s", "9223372036854775807ns", "0.1000000000000000000s", "1µs", "+1s", ".5s", "1h30"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ParseDuration(s)
		if got < 0 || (!ok && got != 0) {
			t.Fatalf("ParseDuration(%q) = %v, %t", s, got, ok)
		}
		want, err := time.ParseDuration(s)
		if err != nil || want < 0 || strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-") {
			return
		}
		if !ok || got != want {
			t.Fatalf("ParseDuration(%q) = %v, %t; time.ParseDuration gives %v", s, got, ok, want)
		}
	})
}
