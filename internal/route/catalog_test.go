package route_test

import (
	"testing"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/route"
)

func TestCatalog(t *testing.T) {
	seen := map[string]bool{}
	n := map[account.Provider]int{}
	for _, m := range route.Catalog() {
		if seen[m.ID] {
			t.Errorf("%s listed twice", m.ID)
		}
		seen[m.ID] = true
		n[m.Provider]++
		// A catalog model is served by its provider's accounts without an
		// allow-list, so its family must be its provider.
		if f := route.Family(m.ID); f != m.Provider {
			t.Errorf("%s: family %q, listed under %q", m.ID, f, m.Provider)
		}
	}
	for _, p := range []account.Provider{account.Anthropic, account.OpenAI, account.Gemini} {
		if n[p] < 3 {
			t.Errorf("%s: %d models in the catalog", p, n[p])
		}
	}
	// Callers get their own copy.
	c := route.Catalog()
	c[0].ID = "changed"
	if route.Catalog()[0].ID == "changed" {
		t.Error("the catalog can be changed by a caller")
	}
}

func TestServes(t *testing.T) {
	plain := &account.Account{Provider: account.OpenAI}
	listed := &account.Account{Provider: account.OpenAI, Models: []string{"gpt-4.1*"}}
	ca := &account.Account{Provider: account.CodeAssist, Models: []string{"gemini-*"}}
	for _, c := range []struct {
		a     *account.Account
		model string
		want  bool
	}{
		{plain, "gpt-5", true},
		{plain, "claude-sonnet-4-5", false},
		{listed, "gpt-4.1-mini", true},
		{listed, "gpt-5", false},
		{ca, "gemini-2.5-pro", true},
		{ca, "gpt-5", false},
	} {
		if got := route.Serves(c.a, c.model); got != c.want {
			t.Errorf("Serves(%s %v, %s) = %v", c.a.Provider, c.a.Models, c.model, got)
		}
	}
}
