package app

import (
	"strings"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/clientkey"
	"github.com/switchyard-gw/switchyard/internal/route"
	"github.com/switchyard-gw/switchyard/internal/server"
)

// modelList names the models a client key may use (server.Models).
type modelList struct {
	pools  *account.Source
	routes *route.Source
}

// Models lists the models key may use (server.Models): the exact patterns of
// the routes file, the exact entries of the accounts' allow-lists, and the
// built-in catalog's models that an enabled account of their provider
// serves. Each is listed only when routing finds an enabled account for it
// and the key's allow-list admits it. CanCount tells whether one of those
// accounts can count tokens (anthropic or gemini; openai cannot).
func (m *modelList) Models(k *clientkey.Key) []server.ModelInfo {
	pool, table := m.pools.Current(), m.routes.Current()
	seen := map[string]bool{}
	var out []server.ModelInfo
	consider := func(id string) {
		lower := strings.ToLower(id)
		if id == "" || strings.Contains(id, "*") || seen[lower] {
			return
		}
		seen[lower] = true
		if k != nil && !k.Allows(id) {
			return
		}
		t, _ := table.Resolve(id)
		info, serving := server.ModelInfo{ID: id}, false
		for _, a := range route.Candidates(pool, t) {
			if a.Disabled {
				continue
			}
			serving = true
			if w := a.Provider.Wire(); w == account.Anthropic || w == account.Gemini {
				info.CanCount = true
			}
		}
		if serving {
			out = append(out, info)
		}
	}
	for _, p := range table.Patterns() {
		consider(p)
	}
	for _, a := range pool.Accounts() {
		for _, g := range a.Models {
			consider(g)
		}
	}
	for _, km := range route.Catalog() {
		if offered(pool, km) {
			consider(km.ID)
		}
	}
	return out
}

// offered reports whether an enabled account of the known model's provider
// serves it under its own name.
func offered(pool *account.Pool, km route.KnownModel) bool {
	for _, a := range pool.Accounts() {
		if !a.Disabled && a.Provider.Wire() == km.Provider && route.Serves(a, km.ID) {
			return true
		}
	}
	return false
}
