package dispatch

import (
	"strings"
	"sync"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/route"
	"github.com/switchyard-gw/switchyard/internal/schedule"
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
	pools *account.Source
	table *route.Table

	mu    sync.Mutex
	state *catalogState
}

type catalogState struct {
	pool  *account.Pool
	index *route.Index
	cache sync.Map // routeKey -> *routeResult
	size  int
}

type routeKey struct {
	model  string
	client llm.Protocol
}

type routeResult struct {
	route *Route
	err   *llm.Error
}

// maxCachedRoutes bounds the cache against clients sending endless model names.
const maxCachedRoutes = 4096

// NewCatalog builds a catalog over a pool source and a routes table.
func NewCatalog(pools *account.Source, table *route.Table) *Catalog {
	return &Catalog{pools: pools, table: table}
}

func (c *Catalog) current() *catalogState {
	p := c.pools.Current()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == nil || c.state.pool != p || c.state.size > maxCachedRoutes {
		c.state = &catalogState{pool: p, index: route.NewIndex(p)}
	}
	return c.state
}

// Resolve routes a client model for a client protocol.
func (c *Catalog) Resolve(model string, client llm.Protocol) (*Route, *llm.Error) {
	st := c.current()
	k := routeKey{model: model, client: client}
	if v, ok := st.cache.Load(k); ok {
		r := v.(*routeResult)
		return r.route, r.err
	}
	r, e := c.resolve(st, model, client)
	c.mu.Lock()
	st.size++
	c.mu.Unlock()
	st.cache.Store(k, &routeResult{route: r, err: e})
	return r, e
}

func (c *Catalog) resolve(st *catalogState, model string, client llm.Protocol) (*Route, *llm.Error) {
	t, _ := c.table.Resolve(model)
	all := st.index.Candidates(t)
	var same, other []*account.Account
	for _, a := range all {
		if a.Disabled {
			continue
		}
		if llm.Protocol(a.Provider) == client {
			same = append(same, a)
		} else {
			other = append(other, a)
		}
	}
	if len(same) == 0 {
		if len(other) > 0 {
			return nil, llm.Errorf(llm.KindInvalidRequest,
				"model %q is served only by %s accounts; serving %s clients from %s accounts needs protocol translation, which is not available yet",
				model, other[0].Provider, client, other[0].Provider)
		}
		return nil, llm.Errorf(llm.KindNotFound, "model %q is not served by any account of this gateway", model)
	}
	ids := make([]string, len(same))
	accts := make(map[string]*account.Account, len(same))
	for i, a := range same {
		ids[i] = a.ID
		accts[a.ID] = a
	}
	cands := schedule.NewCandidates(ids, func(i int) int { return same[i].Tier.Rank() })
	return &Route{Mapped: t.Model, Group: strings.ToLower(t.Model), Candidates: cands, accounts: accts}, nil
}

// Pool is the current account pool.
func (c *Catalog) Pool() *account.Pool { return c.pools.Current() }
