package account

import (
	"strings"
	"testing"
)

func TestParseCapabilities(t *testing.T) {
	env := func(string) (string, bool) { return "", false }
	p, err := Parse([]byte(`accounts:
  - id: oa-1
    email: a@example.com
    provider: openai
    api_key: sk-x
    capabilities: {reasoning: false, sampling: true}
  - id: oa-2
    email: b@example.com
    provider: openai
    api_key: sk-y
`), env)
	if err != nil {
		t.Fatal(err)
	}
	a := p.Accounts()
	if c := a[0].Capabilities; len(c) != 2 || c["reasoning"] || !c["sampling"] {
		t.Fatalf("capabilities %v", c)
	}
	if a[1].Capabilities != nil {
		t.Fatalf("no override expected, got %v", a[1].Capabilities)
	}
	for body, want := range map[string]string{
		"capabilities: {vision: true}": "capabilities.vision: unknown capability (want reasoning or sampling)",
		"capabilities: [reasoning]":    "capabilities: must be a mapping of capability names to true or false",
	} {
		_, err := Parse([]byte("accounts:\n  - id: oa-1\n    email: a@example.com\n    provider: openai\n    api_key: sk-x\n    "+body+"\n"), env)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", body, err, want)
		}
	}
}
