package dispatch

import "testing"

// In-stream error events are read by the same table as error bodies: an
// error the provider names is not a generic 502 with an account-wide cooldown.
func TestInBandStatus(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		want       int
	}{
		{"anthropic not found", `{"type":"error","error":{"type":"not_found_error","message":"model: claude-x"}}`, 404},
		{"anthropic permission", `{"type":"error","error":{"type":"permission_error","message":"no access"}}`, 403},
		{"anthropic authentication", `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`, 401},
		{"anthropic overloaded", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`, 529},
		{"anthropic rate limit", `{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}`, 429},
		{"gemini status without code", `{"error":{"status":"RESOURCE_EXHAUSTED","message":"Resource has been exhausted"}}`, 429},
		{"gemini code", `{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}`, 503},
		{"responses error event", `{"type":"error","code":"insufficient_quota","message":"You exceeded your current quota","param":null,"sequence_number":2}`, 429},
		{"responses failed", `{"type":"response.failed","response":{"id":"resp_1","status":"failed","error":{"code":"server_error","message":"boom"}}}`, 500},
		{"chat error chunk", `{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}`, 429},
		{"unknown", `{"error":{"message":"something"}}`, 502},
	} {
		if got := inBandStatus([]byte(tc.data)); got != tc.want {
			t.Errorf("%s: %d; want %d", tc.name, got, tc.want)
		}
	}
}
