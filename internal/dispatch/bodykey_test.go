package dispatch

import (
	"testing"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

// Accounts of one provider share a translated body unless their capability
// overrides differ.
func TestBodyKey(t *testing.T) {
	plain := bodyKey(llm.OpenAI, nil)
	if plain != bodyKey(llm.OpenAI, map[string]bool{}) || plain == bodyKey(llm.Gemini, nil) {
		t.Fatal("one body per provider without overrides")
	}
	a := bodyKey(llm.OpenAI, map[string]bool{"sampling": true})
	b := bodyKey(llm.OpenAI, map[string]bool{"sampling": false})
	c := bodyKey(llm.OpenAI, map[string]bool{"sampling": true, "reasoning": false})
	if a == plain || a == b || a == c || b == c {
		t.Fatalf("overrides must get their own body: %q %q %q %q", plain, a, b, c)
	}
	if a != bodyKey(llm.OpenAI, map[string]bool{"sampling": true}) {
		t.Fatal("the key must be stable")
	}
}
