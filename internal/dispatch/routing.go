package dispatch

import (
	"strings"
	"sync"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/route"
	"github.com/switchyard-gw/switchyard/internal/schedule"
	"github.com/switchyard-gw/switchyard/internal/upstream"
)

// Route is where a client model goes: the mapped model and the accounts that
// can serve it for this client protocol.
type Route struct {
	Mapped     string
	Group      string // model group for cooldowns and round robin
	Candidates *schedule.Candidates
	accounts   map[string]*account.Account
}

// Account returns a candidate by id.
func (r *Route) Account(id string) *account.Account { return r.accounts[id] }

// Catalog resolves models against the current pool and routes table. Results
// are cached per pool version, so a request for a known model costs a map
// lookup.
type Catalog struct {
	pools  *account.Source
	routes *route.Source // re-read on change
	// Tiers, when set, gives learned tiers (see tiers.go); nil: the file's.
	Tiers Tiers
	// Protocols tells which providers can count tokens for which clients
	// (nil: only a client's own protocol).
	Protocols *Protocols

	mu    sync.Mutex
	state *catalogState
}

type catalogState struct {
	pool  *account.Pool
	table *route.Table
	tiers uint64 // Tiers generation the routes were ranked with
	index *route.Index
	cache sync.Map // routeKey -> *routeResult
	size  int
}

type routeKey struct {
	model  string
	client llm.Protocol
	count  bool
}

type routeResult struct {
	route *Route
	err   *llm.Error
}

// maxCachedRoutes bounds the cache against clients sending endless model names.
const maxCachedRoutes = 4096

// NewCatalog builds a catalog over a pool source and a routes source (nil:
// no routes).
func NewCatalog(pools *account.Source, routes *route.Source) *Catalog {
	if routes == nil {
		routes = route.StaticSource(&route.Table{})
	}
	return &Catalog{pools: pools, routes: routes}
}

func (c *Catalog) current() *catalogState {
	p, t := c.pools.Current(), c.routes.Current()
	gen := c.tierGeneration()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == nil || c.state.pool != p || c.state.table != t || c.state.size > maxCachedRoutes || c.state.tiers != gen {
		c.state = &catalogState{pool: p, table: t, index: route.NewIndex(p), tiers: gen}
	}
	return c.state
}

// Resolve routes a client model for a client protocol and operation. Every
// provider's accounts may serve any client (translation); a token count goes
// only to accounts that can count.
func (c *Catalog) Resolve(model string, client llm.Protocol, op upstream.Op) (*Route, *llm.Error) {
	st := c.current()
	k := routeKey{model: model, client: client, count: op == upstream.OpCountTokens}
	if v, ok := st.cache.Load(k); ok {
		r := v.(*routeResult)
		return r.route, r.err
	}
	r, e := c.resolve(st, k)
	c.mu.Lock()
	st.size++
	c.mu.Unlock()
	st.cache.Store(k, &routeResult{route: r, err: e})
	return r, e
}

func (c *Catalog) resolve(st *catalogState, k routeKey) (*Route, *llm.Error) {
	t, _ := st.table.Resolve(k.model)
	all := st.index.Candidates(t)
	cands := make([]*account.Account, 0, len(all))
	for _, a := range all {
		if a.Disabled {
			continue
		}
		if k.count && !c.canCount(k.client, a.Provider) {
			continue
		}
		cands = append(cands, a)
	}
	if len(cands) == 0 {
		if k.count && len(all) > 0 {
			return nil, llm.Errorf(llm.KindInvalidRequest,
				"model %q is served only by accounts that cannot count tokens (%s)", k.model, all[0].Provider)
		}
		return nil, llm.Errorf(llm.KindNotFound, "model %q is not served by any account of this gateway", k.model)
	}
	ids := make([]string, len(cands))
	accts := make(map[string]*account.Account, len(cands))
	for i, a := range cands {
		ids[i] = a.ID
		accts[a.ID] = a
	}
	sc := schedule.NewCandidates(ids, func(i int) int { return c.tierOf(cands[i]).Rank() })
	return &Route{Mapped: t.Model, Group: strings.ToLower(t.Model), Candidates: sc, accounts: accts}, nil
}

// Pool is the current account pool.
func (c *Catalog) Pool() *account.Pool { return c.pools.Current() }

func (c *Catalog) canCount(client llm.Protocol, provider account.Provider) bool {
	p := llm.Protocol(provider.Wire())
	if c.Protocols == nil {
		return p == client
	}
	return c.Protocols.canCount(client, p)
}
