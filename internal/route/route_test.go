package route

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/account"
)

func mustParseTable(t *testing.T, data string) *Table {
	t.Helper()
	tab, err := ParseTable([]byte(data))
	if err != nil {
		t.Fatalf("ParseTable() error: %v", err)
	}
	return tab
}

func TestResolve(t *testing.T) {
	tab := mustParseTable(t, `
gpt-4o: gemini/gemini-2.5-pro
"gpt-4o*": gemini-2.5-flash
"gpt-*": openai/gpt-4.1
"claude-*-haiku*": claude-sonnet-4-6
"claude-*": anthropic/claude-opus-4-6
"*-preview": gemini-3-pro
"a*c": x-ac
"ab*": x-ab
"*bc": x-bc
"q*r*s": qrs-2stars
"qr*s": qrs-1star
"*": gemini/gemini-2.5-flash-lite
llama-3: meta-llama/llama-3-70b
Mixed-Case: OpenAI/gpt-4.1-mini
`)
	tests := []struct {
		model   string
		want    Target
		matched bool
	}{
		{"gpt-4o", Target{"gemini-2.5-pro", account.Gemini}, true},                // exact beats gpt-4o*
		{"GPT-4O", Target{"gemini-2.5-pro", account.Gemini}, true},                // case-insensitive
		{"gpt-4o-mini", Target{"gemini-2.5-flash", ""}, true},                     // gpt-4o* beats gpt-*
		{"gpt-4.1", Target{"gpt-4.1", account.OpenAI}, true},                      // gpt-*
		{"claude-3-5-haiku-latest", Target{"claude-sonnet-4-6", ""}, true},        // more literals than claude-*
		{"claude-opus-4", Target{"claude-opus-4-6", account.Anthropic}, true},     // claude-*
		{"gemini-3-pro-preview", Target{"gemini-3-pro", ""}, true},                // *-preview
		{"abc", Target{"x-bc", ""}, true},                                         // a*c, ab*, *bc tie (2 literals, 1 star); "*bc" sorts first
		{"qrs", Target{"qrs-1star", ""}, true},                                    // 3 literals each; fewer stars wins
		{"qXrYs", Target{"qrs-2stars", ""}, true},                                 // only q*r*s matches
		{"llama-3", Target{"meta-llama/llama-3-70b", ""}, true},                   // unknown prefix is part of the model
		{"mixed-case", Target{"gpt-4.1-mini", account.OpenAI}, true},              // provider prefix case-insensitive
		{"models/gpt-4o", Target{"gemini-2.5-pro", account.Gemini}, true},         // Gemini resource prefix stripped
		{"something-else", Target{"gemini-2.5-flash-lite", account.Gemini}, true}, // catch-all
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			got, matched := tab.Resolve(tt.model)
			if got != tt.want || matched != tt.matched {
				t.Errorf("Resolve(%q) = %v, %v; want %v, %v", tt.model, got, matched, tt.want, tt.matched)
			}
		})
	}
}

func TestResolveNoMatch(t *testing.T) {
	tests := []struct {
		name  string
		table *Table
		model string
		want  Target
	}{
		{"nil table", nil, "gpt-4o", Target{Model: "gpt-4o"}},
		{"empty table", mustParseTable(t, ""), "Claude-X", Target{Model: "Claude-X"}},
		{"no pattern matches", mustParseTable(t, `"gpt-*": x`), "gemini-2.5-pro", Target{Model: "gemini-2.5-pro"}},
		{"models/ prefix stripped", mustParseTable(t, `"gpt-*": x`), "models/gemini-2.5-pro", Target{Model: "gemini-2.5-pro"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, matched := tt.table.Resolve(tt.model)
			if got != tt.want || matched {
				t.Errorf("Resolve(%q) = %v, %v; want %v, false", tt.model, got, matched, tt.want)
			}
		})
	}
}

func TestResolveIndependentOfFileOrder(t *testing.T) {
	lines := []string{
		`"a*c": ac`, `"ab*": ab`, `"*bc": bc`, `"*b*": b`, `"a*": a`, `"*c": c`,
		`"q*r*s": qrs2`, `"qr*s": qrs1`, `"*": any`, `abc: exact`,
	}
	models := []string{"abc", "abcd", "xbc", "ab", "qrs", "qxrs", "zzz", "ABC", "xbx"}
	want := make([]Target, len(models))
	base := mustParseTable(t, strings.Join(lines, "\n"))
	for i, m := range models {
		want[i], _ = base.Resolve(m)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 50 {
		shuffled := slices.Clone(lines)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		tab := mustParseTable(t, strings.Join(shuffled, "\n"))
		for i, m := range models {
			if got, _ := tab.Resolve(m); got != want[i] {
				t.Fatalf("round %d: Resolve(%q) = %v; want %v (file order:\n%s)", round, m, got, want[i], strings.Join(shuffled, "\n"))
			}
		}
	}
}

func TestPatterns(t *testing.T) {
	tab := mustParseTable(t, `
"*": a
zeta: b
"gpt-*": c
alpha: d
"gpt-4o*": e
`)
	want := []string{"alpha", "zeta", "gpt-4o*", "gpt-*", "*"}
	if got := tab.Patterns(); !slices.Equal(got, want) {
		t.Errorf("Patterns() = %q; want %q", got, want)
	}
	if got := tab.Len(); got != 5 {
		t.Errorf("Len() = %d; want 5", got)
	}
}

func TestParseTableErrors(t *testing.T) {
	tests := []struct {
		name, data string
		want       []string
	}{
		{"not a mapping", "- a\n- b\n", []string{"routes must be a mapping of pattern to target"}},
		{"bad pattern", `"gpt 4": x`, []string{`route "gpt 4": invalid character ' ' (allowed: letters, digits and . _ : / @ * -)`}},
		{"empty pattern", `"": x`, []string{`route "": empty pattern`}},
		{"empty target", `gpt-4: ""`, []string{`route "gpt-4": empty target`}},
		{"null target", "gpt-4:\n", []string{`route "gpt-4": empty target`}},
		{"list target", "gpt-4: [a]\n", []string{`route "gpt-4": target must be a string (quote it if YAML reads it as a number or boolean)`}},
		{"boolean target", "gpt-4: yes\n", []string{`route "gpt-4": target must be a string (quote it if YAML reads it as a number or boolean)`}},
		{"provider without model", `gpt-4: gemini/`, []string{`route "gpt-4": target "gemini/" names provider gemini but no model`}},
		{"wildcard target", `"gpt-*": "gemini-*"`, []string{`route "gpt-*": target "gemini-*": a target is a model name, not a pattern`}},
		{"space in target", `gpt-4: "gemini 2"`, []string{`route "gpt-4": target "gemini 2": contains a space or control character`}},
		{"duplicate ignoring case", "GPT-4: a\ngpt-4: b\n", []string{`route "gpt-4": same pattern as "GPT-4" (patterns ignore case)`}},
		{
			"all problems reported",
			"\"a b\": x\nok: fine\nz: \"\"\n",
			[]string{
				`route "a b": invalid character ' ' (allowed: letters, digits and . _ : / @ * -)`,
				`route "z": empty target`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTable([]byte(tt.data))
			var got []string
			if err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ParseTable() error lines = %q; want %q", got, tt.want)
			}
		})
	}
}

func TestLoadTable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "routes.yaml")
	if err := os.WriteFile(path, []byte("gpt-4o: gemini/gemini-2.5-pro\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		wantLen int
		wantErr string
	}{
		{name: "no file configured", path: ""},
		{name: "file", path: path, wantLen: 1},
		{name: "missing", path: filepath.Join(dir, "nope.yaml"), wantErr: "read routes file: open " + filepath.Join(dir, "nope.yaml") + ": no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab, err := LoadTable(tt.path)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.wantErr {
				t.Fatalf("LoadTable() error = %q; want %q", gotErr, tt.wantErr)
			}
			if err == nil && tab.Len() != tt.wantLen {
				t.Errorf("Len() = %d; want %d", tab.Len(), tt.wantLen)
			}
		})
	}
}

func TestFamily(t *testing.T) {
	tests := []struct {
		model string
		want  account.Provider
	}{
		{"claude-sonnet-4-6", account.Anthropic},
		{"Claude-Opus-4", account.Anthropic},
		{"claude", ""},
		{"gpt-4o", account.OpenAI},
		{"GPT-4.1", account.OpenAI},
		{"o1", account.OpenAI},
		{"o1-mini", account.OpenAI},
		{"o3-pro", account.OpenAI},
		{"o4-mini", account.OpenAI},
		{"chatgpt-4o-latest", account.OpenAI},
		{"codex-mini-latest", account.OpenAI},
		{"o2-x", ""},
		{"gemini-2.5-pro", account.Gemini},
		{"models/gemini-2.5-flash", account.Gemini},
		{"Models/Claude-x", account.Anthropic},
		{"gemini", ""},
		{"llama-3", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			if got := Family(tt.model); got != tt.want {
				t.Errorf("Family(%q) = %q; want %q", tt.model, got, tt.want)
			}
		})
	}
}
