package session

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"
)

// validID reports whether s has the id format: "sid-" and 16 lower-case hex digits.
func validID(s string) bool {
	if len(s) != 20 || s[:4] != "sid-" {
		return false
	}
	for _, c := range s[4:] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func TestIDFormat(t *testing.T) {
	sum := sha256.Sum256([]byte("cc:" + ccUUID))
	want := "sid-" + hex.EncodeToString(sum[:])[:16]
	if got := id(kindClaudeCode, ccUUID); got != want {
		t.Errorf("got %q; want %q", got, want)
	}
	sum = sha256.Sum256([]byte("msg:a b"))
	if got, want := id(kindMessage, "a", "b"), "sid-"+hex.EncodeToString(sum[:])[:16]; got != want {
		t.Errorf("joined parts: got %q; want %q", got, want)
	}
}

// TestKindsDoNotCollide checks that the same text as an explicit id and as a
// message gives different ids.
func TestKindsDoNotCollide(t *testing.T) {
	const text = "fix the failing test"
	ids := map[string]string{
		"anthropic user_id": Anthropic([]byte(`{"metadata":{"user_id":"`+text+`"}}`), nil),
		"anthropic message": Anthropic([]byte(`{"messages":[{"role":"user","content":"`+text+`"}]}`), nil),
		"claude code":       Anthropic(nil, http.Header{"X-Claude-Code-Session-Id": {text}}),
		"prompt_cache_key":  OpenAI([]byte(`{"prompt_cache_key":"`+text+`"}`), nil),
		"user":              OpenAI([]byte(`{"user":"`+text+`"}`), nil),
		"codex":             OpenAI(nil, http.Header{"Session_id": {text}}),
	}
	seen := map[string]string{}
	for source, sid := range ids {
		if !validID(sid) {
			t.Errorf("%s: %q is not a valid id", source, sid)
		}
		if other, dup := seen[sid]; dup {
			t.Errorf("%s and %s both give %s", source, other, sid)
		}
		seen[sid] = source
	}
	// The same first message gives the same id whatever the protocol.
	gemini := Gemini([]byte(`{"contents":[{"role":"user","parts":[{"text":"`+text+`"}]}]}`), nil)
	if gemini != ids["anthropic message"] {
		t.Errorf("gemini message id %q; want the anthropic message id %q", gemini, ids["anthropic message"])
	}
}
