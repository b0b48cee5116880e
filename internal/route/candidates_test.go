package route

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/account"
)

const candidatePool = `accounts:
  - {id: ant-free, email: a@x, provider: anthropic, api_key: k}
  - {id: ant-ultra, email: b@x, provider: anthropic, api_key: k, tier: ultra}
  - {id: ant-pro-off, email: c@x, provider: anthropic, api_key: k, tier: pro, disabled: true}
  - {id: oai-pro, email: d@x, provider: openai, api_key: k, tier: pro}
  - {id: oai-claude-proxy, email: e@x, provider: openai, api_key: k, tier: ultra, models: ["claude-*"]}
  - {id: gem-flash-only, email: f@x, provider: gemini, api_key: k, models: ["gemini-*-flash*"]}
  - {id: gem-any, email: g@x, provider: gemini, api_key: k, tier: pro}
  - {id: gem-custom, email: h@x, provider: gemini, api_key: k, tier: ultra, models: ["my-tuned-*", "GEMINI-2.5-PRO"]}
`

func mustPool(t testing.TB, data string) *account.Pool {
	t.Helper()
	p, err := account.Parse([]byte(data), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("Parse() error: %v", err)
	}
	return p
}

func idList(accts []*account.Account) []string {
	var out []string
	for _, a := range accts {
		out = append(out, a.ID)
	}
	return out
}

func TestCandidates(t *testing.T) {
	pool := mustPool(t, candidatePool)
	tests := []struct {
		name   string
		target Target
		want   []string
	}{
		{
			name:   "family plus allow-list, tier then file order, disabled kept",
			target: Target{Model: "claude-sonnet-4-6"},
			want:   []string{"ant-ultra", "oai-claude-proxy", "ant-pro-off", "ant-free"},
		},
		{
			name:   "pinned provider excludes other providers' allow-lists",
			target: Target{Model: "claude-sonnet-4-6", Provider: account.Anthropic},
			want:   []string{"ant-ultra", "ant-pro-off", "ant-free"},
		},
		{
			name:   "allow-list narrows the provider's accounts",
			target: Target{Model: "gemini-2.5-pro"},
			want:   []string{"gem-custom", "gem-any"},
		},
		{
			name:   "glob in allow-list",
			target: Target{Model: "gemini-2.5-flash-lite"},
			want:   []string{"gem-any", "gem-flash-only"},
		},
		{
			name:   "model outside every family, served by allow-list only",
			target: Target{Model: "my-tuned-model"},
			want:   []string{"gem-custom"},
		},
		{
			name:   "pinned provider serves a model outside its family",
			target: Target{Model: "deepseek-chat", Provider: account.OpenAI},
			want:   []string{"oai-pro"},
		},
		{
			name:   "pinned provider, allow-list of another provider does not count",
			target: Target{Model: "my-tuned-model", Provider: account.OpenAI},
			want:   []string{"oai-pro"},
		},
		{
			name:   "case-insensitive",
			target: Target{Model: "GPT-4o"},
			want:   []string{"oai-pro"},
		},
		{
			name:   "no account",
			target: Target{Model: "llama-3"},
			want:   nil,
		},
	}
	ix := NewIndex(pool)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := idList(Candidates(pool, tt.target)); !slices.Equal(got, tt.want) {
				t.Errorf("Candidates(%v) = %q; want %q", tt.target, got, tt.want)
			}
			for i := range 2 { // computed, then cached
				if got := idList(ix.Candidates(tt.target)); !slices.Equal(got, tt.want) {
					t.Errorf("Index.Candidates(%v) call %d = %q; want %q", tt.target, i+1, got, tt.want)
				}
			}
		})
	}
}

// bigPool builds n accounts over every provider and tier, a tenth of them
// with allow-lists.
func bigPool(t testing.TB, n int) *account.Pool {
	providers := []string{"anthropic", "openai", "gemini"}
	tiers := []string{"free", "pro", "ultra"}
	models := []string{`["claude-*"]`, `["gpt-4*", "o3*"]`, `["gemini-*-pro"]`, `["*"]`}
	var b strings.Builder
	b.WriteString("accounts:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {id: acct-%d, email: u%d@x, provider: %s, api_key: k, tier: %s",
			i, i, providers[i%3], tiers[(i/3)%3])
		if i%10 == 0 {
			fmt.Fprintf(&b, ", models: %s", models[(i/10)%len(models)])
		}
		b.WriteString("}\n")
	}
	return mustPool(t, b.String())
}

func TestIndexMatchesCandidates(t *testing.T) {
	pool := bigPool(t, 600)
	ix := NewIndex(pool)
	targets := []Target{
		{Model: "claude-opus-4"}, {Model: "gpt-4o"}, {Model: "o3-mini"}, {Model: "gemini-2.5-pro"},
		{Model: "gemini-2.5-flash"}, {Model: "llama"}, {Model: "gpt-4o", Provider: account.Gemini},
		{Model: "custom", Provider: account.Anthropic},
	}
	for _, tg := range targets {
		t.Run(tg.String(), func(t *testing.T) {
			want := idList(Candidates(pool, tg))
			first := ix.Candidates(tg)
			if got := idList(first); !slices.Equal(got, want) {
				t.Fatalf("Index.Candidates(%v) = %d accounts; want %d, the same as Candidates", tg, len(got), len(want))
			}
			again := ix.Candidates(tg)
			if len(first) > 0 && &again[0] != &first[0] {
				t.Errorf("second Index.Candidates(%v) recomputed; want the cached slice", tg)
			}
		})
	}
}

func TestIndexCacheBounded(t *testing.T) {
	pool := mustPool(t, candidatePool)
	ix := NewIndex(pool)
	for i := range maxCachedTargets + 10 {
		ix.Candidates(Target{Model: fmt.Sprintf("claude-%d", i)})
	}
	if n := ix.cache.Load().n.Load(); n > maxCachedTargets {
		t.Errorf("cache holds %d targets; want at most %d", n, maxCachedTargets)
	}
	want := []string{"ant-ultra", "oai-claude-proxy", "ant-pro-off", "ant-free"}
	if got := idList(ix.Candidates(Target{Model: "claude-x"})); !slices.Equal(got, want) {
		t.Errorf("after a cache reset, Candidates = %q; want %q", got, want)
	}
}

func BenchmarkIndexCandidates(b *testing.B) {
	ix := NewIndex(bigPool(b, 10_000))
	t := Target{Model: "claude-sonnet-4-6"}
	ix.Candidates(t)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ix.Candidates(t)
	}
}

func BenchmarkResolve(b *testing.B) {
	tab, err := ParseTable([]byte("gpt-4o: gemini/gemini-2.5-pro\n\"gpt-*\": m1\n\"claude-*-haiku*\": m2\n\"*\": m3\n"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		tab.Resolve("claude-3-5-haiku-latest")
	}
}
