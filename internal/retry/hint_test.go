package retry

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testNow is the reference time of the tests: the Code Assist bodies reset at
// 2026-03-05T07:20:42Z, 2h13m58s later.
var testNow = time.Date(2026, 3, 5, 5, 6, 44, 0, time.UTC)

func hint(d time.Duration, r Reason) Hint { return Hint{RetryAfter: d, Found: true, Reason: r} }
func noHint(r Reason) Hint                { return Hint{Reason: r} }
func terminal(h Hint) Hint                { h.Terminal = true; return h }

func ms(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }

// TestParseHintBodies runs ParseHint on the real-world error bodies in
// testdata/hints (protocols.md §1.6, §2.6, §3.5–3.7, §3.10).
func TestParseHintBodies(t *testing.T) {
	tests := []struct {
		file   string
		status int
		header http.Header
		want   Hint
	}{
		{"gemini_aistudio_per_minute.json", 429, nil, hint(37*time.Second, ReasonRateLimit)},
		{"gemini_aistudio_per_day.json", 429, nil, terminal(hint(20*time.Second, ReasonQuotaExhausted))},
		{"gemini_exhausted_no_details.json", 429, nil, noHint(ReasonRateLimit)},
		{"gemini_message_retry_in.json", 429, nil, hint(12300*time.Millisecond, ReasonRateLimit)},
		{"gemini_old_ratelimit.json", 429, nil, noHint(ReasonRateLimit)},
		{"gemini_midstream_503.json", 200, nil, noHint(ReasonCapacity)},
		{"gemini_api_key_invalid.json", 400, nil, noHint(ReasonAuth)},
		{"gemini_location.json", 400, nil, noHint(ReasonForbidden)},
		{"gemini_thought_signature_missing.json", 400, nil, noHint(ReasonSignature)},
		{"gemini_corrupted_signature.json", 400, nil, noHint(ReasonSignature)},
		{"gemini_context_length.json", 400, nil, noHint(ReasonContextLength)},
		{"codeassist_quota_exhausted.json", 429, nil, terminal(hint(ms(8038410), ReasonQuotaExhausted))},
		{"codeassist_quota_decimal_delay.json", 429, nil, terminal(hint(33740*time.Second+910400305, ReasonQuotaExhausted))},
		{"codeassist_quota_long_delay.json", 429, nil, terminal(hint(MaxHint, ReasonQuotaExhausted))},
		{"codeassist_quota_timestamp_only.json", 429, nil, terminal(hint(2*time.Hour+13*time.Minute+58500*time.Millisecond, ReasonQuotaExhausted))},
		{"codeassist_quota_short_delay.json", 429, nil, hint(40200*time.Millisecond, ReasonQuotaExhausted)},
		{"codeassist_rate_limit.json", 429, nil, hint(900*time.Millisecond, ReasonRateLimit)},
		{"codeassist_rate_limit_no_retryinfo.json", 429, nil, noHint(ReasonRateLimit)},
		{"codeassist_capacity_503.json", 503, nil, hint(40*time.Second, ReasonCapacity)},
		{"codeassist_capacity_429.json", 429, nil, noHint(ReasonCapacity)},
		{"codeassist_validation_required.json", 403, nil, noHint(ReasonForbidden)},
		{"codeassist_no_credits.json", 429, nil, terminal(hint(30*time.Second, ReasonQuotaExhausted))},
		{"vertex_array.json", 429, nil, noHint(ReasonRateLimit)},
		{"anthropic_rate_limit.json", 429, http.Header{"Retry-After": {"12"}}, hint(12*time.Second, ReasonRateLimit)},
		{"anthropic_overloaded.json", 529, nil, noHint(ReasonCapacity)},
		{"anthropic_overloaded.json", 200, nil, noHint(ReasonCapacity)},
		{"anthropic_invalid_signature.json", 400, nil, noHint(ReasonSignature)},
		{"anthropic_expected_thinking.json", 400, nil, noHint(ReasonSignature)},
		{"anthropic_prompt_too_long.json", 400, nil, noHint(ReasonContextLength)},
		{"anthropic_tool_pairing.json", 400, nil, noHint(ReasonClientError)},
		{"anthropic_vertex_wrapped.json", 400, nil, noHint(ReasonSignature)},
		{"anthropic_vertex_double_wrapped_429.json", 429, nil, hint(7*time.Second, ReasonRateLimit)},
		{"openai_invalid_key.json", 401, nil, noHint(ReasonAuth)},
		{"openai_insufficient_quota.json", 429, nil, terminal(noHint(ReasonQuotaExhausted))},
		{"openai_rate_limit_tokens.json", 429, nil, hint(6*time.Millisecond, ReasonRateLimit)},
		{"openai_rate_limit_per_day.json", 429, nil, terminal(hint(6*time.Minute, ReasonQuotaExhausted))},
		{"openai_context_length.json", 400, nil, noHint(ReasonContextLength)},
		{"openai_model_not_found.json", 404, nil, noHint(ReasonNotFound)},
		{"openai_midstream_error.json", 200, nil, noHint(ReasonServerError)},
		{"oauth_invalid_grant.json", 400, nil, noHint(ReasonAuth)},
		{"html_bad_gateway.html", 502, nil, noHint(ReasonServerError)},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.file] = true
		t.Run(fmt.Sprintf("%s/%d", strings.TrimSuffix(tt.file, filepath.Ext(tt.file)), tt.status), func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata/hints", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if got := ParseHint(tt.status, tt.header, body, testNow); got != tt.want {
				t.Errorf("got %+v; want %+v", got, tt.want)
			}
		})
	}
	files, _ := filepath.Glob("testdata/hints/*")
	for _, f := range files {
		if !covered[filepath.Base(f)] {
			t.Errorf("testdata file %s has no expectation", f)
		}
	}
}

func TestParseHintHeaders(t *testing.T) {
	httpDate := func(d time.Duration) string { return testNow.Add(d).Format(http.TimeFormat) }
	rfc3339 := func(d time.Duration) string { return testNow.Add(d).Format(time.RFC3339) }
	retryInfo := []byte(`{"error":{"code":429,"details":[{"retryDelay":"40s"}]}}`)
	tests := []struct {
		name   string
		status int
		header http.Header
		body   []byte
		want   Hint
	}{
		{"none", 429, nil, nil, noHint(ReasonRateLimit)},
		{"retry-after seconds", 429, http.Header{"Retry-After": {"37"}}, nil, hint(37*time.Second, ReasonRateLimit)},
		{"retry-after decimal", 429, http.Header{"Retry-After": {"0.5"}}, nil, hint(500*time.Millisecond, ReasonRateLimit)},
		{"retry-after zero", 429, http.Header{"Retry-After": {"0"}}, nil, hint(0, ReasonRateLimit)},
		{"retry-after negative", 429, http.Header{"Retry-After": {"-5"}}, nil, noHint(ReasonRateLimit)},
		{"retry-after garbage", 429, http.Header{"Retry-After": {"soon"}}, nil, noHint(ReasonRateLimit)},
		{"retry-after http date", 503, http.Header{"Retry-After": {httpDate(90 * time.Second)}}, nil, hint(90*time.Second, ReasonCapacity)},
		{"retry-after past date", 503, http.Header{"Retry-After": {httpDate(-time.Minute)}}, nil, noHint(ReasonCapacity)},
		{"retry-after clamped", 429, http.Header{"Retry-After": {"999999999999"}}, nil, terminal(hint(MaxHint, ReasonQuotaExhausted))},
		{"retry-after-ms", 429, http.Header{"Retry-After-Ms": {"1500"}}, nil, hint(1500*time.Millisecond, ReasonRateLimit)},
		{"retry-after-ms fractional", 429, http.Header{"Retry-After-Ms": {"20.5"}}, nil, hint(20500*time.Microsecond, ReasonRateLimit)},
		{"retry-after-ms wins", 429, http.Header{"Retry-After-Ms": {"1500"}, "Retry-After": {"2"}}, nil, hint(1500*time.Millisecond, ReasonRateLimit)},
		{"retry-after-ms negative falls back", 429, http.Header{"Retry-After-Ms": {"-1"}, "Retry-After": {"2"}}, nil, hint(2*time.Second, ReasonRateLimit)},
		{"retry-after-ms nan", 429, http.Header{"Retry-After-Ms": {"NaN"}}, nil, noHint(ReasonRateLimit)},
		{"retry-after-ms clamped", 429, http.Header{"Retry-After-Ms": {"1e15"}}, nil, terminal(hint(MaxHint, ReasonQuotaExhausted))},
		{"header beats body", 429, http.Header{"Retry-After": {"3"}}, retryInfo, hint(3*time.Second, ReasonRateLimit)},
		{"body when header unusable", 429, http.Header{"Retry-After": {"x"}}, retryInfo, hint(40*time.Second, ReasonRateLimit)},
		{"openai tokens exhausted", 429, http.Header{
			"X-Ratelimit-Reset-Requests": {"1s"}, "X-Ratelimit-Remaining-Requests": {"99"},
			"X-Ratelimit-Reset-Tokens": {"6m0s"}, "X-Ratelimit-Remaining-Tokens": {"0"},
		}, nil, terminal(hint(6*time.Minute, ReasonQuotaExhausted))},
		{"openai both exhausted takes max", 429, http.Header{
			"X-Ratelimit-Reset-Requests": {"20ms"}, "X-Ratelimit-Remaining-Requests": {"0"},
			"X-Ratelimit-Reset-Tokens": {"1.5s"}, "X-Ratelimit-Remaining-Tokens": {"0"},
		}, nil, hint(1500*time.Millisecond, ReasonRateLimit)},
		{"openai none exhausted takes min", 429, http.Header{
			"X-Ratelimit-Reset-Requests": {"20ms"}, "X-Ratelimit-Remaining-Requests": {"3"},
			"X-Ratelimit-Reset-Tokens": {"1.5s"},
		}, nil, hint(20*time.Millisecond, ReasonRateLimit)},
		{"openai reset ignored on 500", 500, http.Header{"X-Ratelimit-Reset-Tokens": {"1s"}, "X-Ratelimit-Remaining-Tokens": {"0"}}, nil, noHint(ReasonServerError)},
		{"retry-after beats openai reset", 429, http.Header{"Retry-After": {"2"}, "X-Ratelimit-Reset-Tokens": {"9s"}}, nil, hint(2*time.Second, ReasonRateLimit)},
		{"anthropic exhausted limit", 429, http.Header{
			"Anthropic-Ratelimit-Requests-Reset": {rfc3339(10 * time.Second)}, "Anthropic-Ratelimit-Requests-Remaining": {"5"},
			"Anthropic-Ratelimit-Input-Tokens-Reset": {rfc3339(40 * time.Second)}, "Anthropic-Ratelimit-Input-Tokens-Remaining": {"0"},
		}, nil, hint(40*time.Second, ReasonRateLimit)},
		{"anthropic soonest when none exhausted", 429, http.Header{
			"Anthropic-Ratelimit-Tokens-Reset": {rfc3339(30 * time.Second)}, "Anthropic-Ratelimit-Tokens-Remaining": {"10"},
			"Anthropic-Ratelimit-Output-Tokens-Reset": {rfc3339(8 * time.Second)},
		}, nil, hint(8*time.Second, ReasonRateLimit)},
		{"anthropic past reset ignored", 429, http.Header{
			"Anthropic-Ratelimit-Requests-Reset": {rfc3339(-10 * time.Second)}, "Anthropic-Ratelimit-Requests-Remaining": {"0"},
		}, nil, noHint(ReasonRateLimit)},
		{"anthropic beats openai headers", 429, http.Header{
			"Anthropic-Ratelimit-Requests-Reset": {rfc3339(5 * time.Second)},
			"X-Ratelimit-Reset-Requests":         {"1s"},
		}, nil, hint(5*time.Second, ReasonRateLimit)},
		{"long rate limit is a quota", 429, http.Header{"Retry-After": {"3600"}}, []byte(`{"type":"error","error":{"type":"rate_limit_error","message":"x"}}`), terminal(hint(time.Hour, ReasonQuotaExhausted))},
		{"quota at the terminal line", 429, http.Header{"Retry-After": {strconv.Itoa(int(TerminalAfter / time.Second))}}, []byte(`{"error":{"message":"quota will reset soon"}}`), hint(TerminalAfter, ReasonQuotaExhausted)},
		{"quota past the terminal line", 429, http.Header{"Retry-After": {strconv.Itoa(int(TerminalAfter/time.Second) + 1)}}, []byte(`{"error":{"message":"quota will reset soon"}}`), terminal(hint(TerminalAfter+time.Second, ReasonQuotaExhausted))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseHint(tt.status, tt.header, tt.body, testNow); got != tt.want {
				t.Errorf("got %+v; want %+v", got, tt.want)
			}
		})
	}
}

func TestParseHintStatuses(t *testing.T) {
	tests := []struct {
		status int
		want   Hint
	}{
		{0, noHint(ReasonNetwork)},
		{200, noHint(ReasonServerError)},
		{400, noHint(ReasonClientError)},
		{401, noHint(ReasonAuth)},
		{402, terminal(noHint(ReasonQuotaExhausted))},
		{403, noHint(ReasonForbidden)},
		{404, noHint(ReasonNotFound)},
		{408, noHint(ReasonTimeout)},
		{413, noHint(ReasonClientError)},
		{418, noHint(ReasonClientError)},
		{422, noHint(ReasonClientError)},
		{429, noHint(ReasonRateLimit)},
		{499, noHint(ReasonNetwork)},
		{500, noHint(ReasonServerError)},
		{502, noHint(ReasonServerError)},
		{503, noHint(ReasonCapacity)},
		{504, noHint(ReasonTimeout)},
		{529, noHint(ReasonCapacity)},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			if got := ParseHint(tt.status, nil, nil, testNow); got != tt.want {
				t.Errorf("got %+v; want %+v", got, tt.want)
			}
		})
	}
}

// nest wraps a Google error body n times as the message of another error.
func nest(body string, n int) string {
	for range n {
		body = `{"error":{"code":429,"message":` + strconv.Quote(body) + `,"status":"RESOURCE_EXHAUSTED"}}`
	}
	return body
}

func TestParseHintNesting(t *testing.T) {
	inner := `{"error":{"code":429,"message":"inner","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"3s"}]}}`
	tests := []struct {
		name string
		body string
		want Hint
	}{
		{"not nested", nest(inner, 0), hint(3*time.Second, ReasonRateLimit)},
		{"nested 9 times", nest(inner, maxNesting-1), hint(3*time.Second, ReasonRateLimit)},
		{"nested too deep", nest(inner, maxNesting), noHint(ReasonRateLimit)},
		{"prefixed json in message", `{"error":{"message":"HTTP 429: ` + strings.ReplaceAll(inner, `"`, `\"`) + `"}}`, hint(3*time.Second, ReasonRateLimit)},
		{"array wrapped nested", "[" + nest(inner, 2) + "]", hint(3*time.Second, ReasonRateLimit)},
		{"proto duration object", `{"error":{"details":[{"retryDelay":{"seconds":"2","nanos":500000000}}]}}`, hint(2500*time.Millisecond, ReasonRateLimit)},
		{"retry delay number", `{"error":{"details":[{"retryDelay":4}]}}`, hint(4*time.Second, ReasonRateLimit)},
		{"retry info at any position", `{"error":{"details":[{"@type":"x"},{"@type":"y"},{"retryDelay":"5s"}]}}`, hint(5*time.Second, ReasonRateLimit)},
		{"text seconds word", `{"error":{"message":"Please retry after 30 seconds."}}`, hint(30*time.Second, ReasonRateLimit)},
		{"text minutes word", `{"error":{"message":"try again in 2 minutes"}}`, hint(2*time.Minute, ReasonRateLimit)},
		{"text unparsable then parsable", `{"error":{"message":"retry in a moment, or retry in 4s"}}`, hint(4*time.Second, ReasonRateLimit)},
		{"plain text body", `Too many requests, retry in 1.5s`, hint(1500*time.Millisecond, ReasonRateLimit)},
		{"null error", `{"error":null}`, noHint(ReasonRateLimit)},
		{"truncated json read leniently", `{"error":{"code":429,"details":[{"retryDelay":"3s"`, hint(3*time.Second, ReasonRateLimit)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseHint(429, nil, []byte(tt.body), testNow); got != tt.want {
				t.Errorf("got %+v; want %+v", got, tt.want)
			}
		})
	}
}

// TestParseHintStatusAndBody covers bodies whose meaning depends on the
// status: errors inside a 200 stream, and quota words on other statuses.
func TestParseHintStatusAndBody(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   Hint
	}{
		{"responses error event", 200, `{"type":"error","code":"rate_limit_exceeded","message":"Rate limit reached. Please try again in 20s.","param":null}`, hint(20*time.Second, ReasonRateLimit)},
		{"responses failed event", 200, `{"type":"response.failed","response":{"id":"r","status":"failed","error":{"code":"server_error","message":"boom"}}}`, noHint(ReasonServerError)},
		{"anthropic error event", 200, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`, noHint(ReasonCapacity)},
		{"gemini error event with quota", 200, `{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","details":[{"reason":"QUOTA_EXHAUSTED","metadata":{"quotaResetDelay":"3h"}}]}}`, terminal(hint(3*time.Hour, ReasonQuotaExhausted))},
		{"anthropic credit balance", 400, `{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API."}}`, terminal(noHint(ReasonQuotaExhausted))},
		{"anthropic billing 402", 402, `{"type":"error","error":{"type":"billing_error","message":"x"}}`, terminal(noHint(ReasonQuotaExhausted))},
		{"quota words on a 500", 500, `{"error":{"type":"insufficient_quota","message":"per day"}}`, noHint(ReasonServerError)},
		{"per day on a 400", 400, `{"error":{"message":"at most 3 images per day"}}`, noHint(ReasonClientError)},
		{"per day in a 400 error event", 200, `{"error":{"code":400,"message":"at most 3 images per day"}}`, noHint(ReasonClientError)},
		{"499 with quota details", 499, `{"error":{"details":[{"reason":"RATE_LIMIT_EXCEEDED"},{"retryDelay":"2s"}]}}`, hint(2*time.Second, ReasonRateLimit)},
		{"503 quota", 503, `{"error":{"message":"You have exhausted your capacity on this model."}}`, terminal(noHint(ReasonQuotaExhausted))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseHint(tt.status, nil, []byte(tt.body), testNow); got != tt.want {
				t.Errorf("got %+v; want %+v", got, tt.want)
			}
		})
	}
}

func TestParseHintHugeBody(t *testing.T) {
	// A body over the bound is examined up to the bound only.
	pad := strings.Repeat("x", maxBodyBytes)
	body := `{"error":{"message":"` + pad + `","details":[{"retryDelay":"3s"}]}}`
	if got, want := ParseHint(429, nil, []byte(body), testNow), noHint(ReasonRateLimit); got != want {
		t.Errorf("got %+v; want %+v", got, want)
	}
	early := `{"error":{"details":[{"retryDelay":"3s"}],"message":"` + pad + `"}}`
	if got, want := ParseHint(429, nil, []byte(early), testNow), hint(3*time.Second, ReasonRateLimit); got != want {
		t.Errorf("got %+v; want %+v", got, want)
	}
}

func BenchmarkParseHint(b *testing.B) {
	body, err := os.ReadFile("testdata/hints/codeassist_quota_exhausted.json")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		ParseHint(429, nil, body, testNow)
	}
}
