package fakeupstream

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplitAndClip(t *testing.T) {
	for _, s := range []string{"Hello from fake openai model gpt-4o.", "{}", "héllo wörld ✓✓✓", "ab"} {
		for _, n := range []int{2, 4} {
			parts := split(s, n)
			if len(parts) != n || strings.Join(parts, "") != s {
				t.Errorf("split(%q, %d) = %q", s, n, parts)
			}
			for _, p := range parts {
				if !utf8.ValidString(p) {
					t.Errorf("split(%q, %d) cut a character: %q", s, n, p)
				}
			}
		}
	}
	if got := clip("ééééé", 5); got != "éé" {
		t.Errorf("clip = %q, want %q", got, "éé")
	}
}

func TestArgsFromSchema(t *testing.T) {
	cases := []struct {
		schema, want string
	}{
		{"", `{}`},
		{`{"type":"object","properties":{"q":{"type":"string"}}}`, `{}`},
		{weatherTool, wantWeatherArgs},
		{`{"type":"OBJECT","properties":{"unit":{"type":"STRING","enum":["C","F"]},"tags":{"type":["array","null"]},"opts":{"type":"object"},"n":{"type":"number"}},"required":["unit","tags","opts","n"]}`,
			`{"unit":"C","tags":[],"opts":{},"n":1}`},
		{`not json`, `{}`},
	}
	for _, tc := range cases {
		if got := argsFromSchema([]byte(tc.schema)); got != tc.want {
			t.Errorf("argsFromSchema(%s) = %s, want %s", tc.schema, got, tc.want)
		}
	}
}

func TestSignature(t *testing.T) {
	a := signature(ProviderAnthropic, "claude-x", "thinking")
	if len(a) < 80 || a != signature(ProviderAnthropic, "claude-x", "thinking") {
		t.Errorf("signature %q: want >= 80 chars and deterministic", a)
	}
	for _, other := range []string{
		signature(ProviderAnthropic, "claude-y", "thinking"),
		signature(ProviderAnthropic, "claude-x", "thinking!"),
		signature(ProviderGemini, "claude-x", "thinking"),
	} {
		if other == a {
			t.Error("signature does not depend on family, model and text")
		}
	}
}
