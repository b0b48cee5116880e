package route

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/switchyard-gw/switchyard/internal/account"
)

// maxCachedTargets bounds an Index's cache. When it fills up (say, clients
// sending random model names), the cache starts over empty, and the targets
// in real use come back at the cost of one computation each.
const maxCachedTargets = 4096

// Candidates lists the accounts of pool that can serve t, disabled ones
// included (the scheduler filters on runtime state):
//
//   - when t pins a provider, only that provider's accounts;
//   - an account with an allow-list serves t when a glob matches t.Model;
//   - an account without one serves t when its provider is t's provider,
//     pinned or else the model's Family.
//
// They are ordered by tier (ultra, pro, free), then file order. It scans the
// whole pool; per request, use an Index.
func Candidates(pool *account.Pool, t Target) []*account.Account {
	family := targetFamily(t)
	var out []*account.Account
	for _, a := range pool.Accounts() {
		if canServe(a, t, family) {
			out = append(out, a)
		}
	}
	// File order is Index order, so a stable sort by tier is (tier, Index).
	slices.SortStableFunc(out, func(a, b *account.Account) int {
		return cmp.Compare(a.Tier.Rank(), b.Tier.Rank())
	})
	return out
}

// targetFamily is the provider that serves t through accounts without an
// allow-list: the pinned one, else the model's family.
func targetFamily(t Target) account.Provider {
	if t.Provider != "" {
		return t.Provider
	}
	return Family(t.Model)
}

func canServe(a *account.Account, t Target, family account.Provider) bool {
	if t.Provider != "" && a.Provider != t.Provider {
		return false
	}
	if len(a.Models) > 0 {
		return a.Allows(t.Model)
	}
	return family != "" && a.Provider == family
}

// Index answers Candidates for one pool cheaply: accounts are grouped once,
// and each target's answer is cached, so a repeated model costs one map
// lookup. It is safe for concurrent use. Build a new Index for each new pool.
type Index struct {
	pool *account.Pool
	// plain holds the accounts without an allow-list, per provider, and
	// listed those with one; both in (tier, file) order.
	plain  map[account.Provider][]*account.Account
	listed []*account.Account
	cache  atomic.Pointer[targetCache]
}

// targetCache maps Target to its candidate slice.
type targetCache struct {
	m sync.Map
	n atomic.Int64
}

// NewIndex indexes pool.
func NewIndex(pool *account.Pool) *Index {
	ordered := slices.Clone(pool.Accounts())
	slices.SortStableFunc(ordered, func(a, b *account.Account) int {
		return cmp.Compare(a.Tier.Rank(), b.Tier.Rank())
	})
	ix := &Index{pool: pool, plain: make(map[account.Provider][]*account.Account)}
	for _, a := range ordered {
		if len(a.Models) > 0 {
			ix.listed = append(ix.listed, a)
		} else {
			ix.plain[a.Provider] = append(ix.plain[a.Provider], a)
		}
	}
	ix.cache.Store(&targetCache{})
	return ix
}

// Pool returns the indexed pool.
func (ix *Index) Pool() *account.Pool { return ix.pool }

// Candidates returns the same accounts, in the same order, as
// Candidates(ix.Pool(), t). The slice is shared between callers and must not
// be modified.
func (ix *Index) Candidates(t Target) []*account.Account {
	c := ix.cache.Load()
	if v, ok := c.m.Load(t); ok {
		return v.([]*account.Account)
	}
	out := ix.compute(t)
	if c.n.Load() >= maxCachedTargets {
		ix.cache.CompareAndSwap(c, &targetCache{})
		return out
	}
	if _, loaded := c.m.LoadOrStore(t, out); !loaded {
		c.n.Add(1)
	}
	return out
}

// compute merges the family's plain accounts with the allow-listed accounts
// that match, keeping (tier, file) order.
func (ix *Index) compute(t Target) []*account.Account {
	family := targetFamily(t)
	var plain []*account.Account
	if family != "" {
		plain = ix.plain[family]
	}
	var matched []*account.Account
	for _, a := range ix.listed {
		if canServe(a, t, family) {
			matched = append(matched, a)
		}
	}
	if len(matched) == 0 {
		return plain
	}
	if len(plain) == 0 {
		return matched
	}
	out := make([]*account.Account, 0, len(plain)+len(matched))
	i, j := 0, 0
	for i < len(plain) && j < len(matched) {
		if before(plain[i], matched[j]) {
			out = append(out, plain[i])
			i++
		} else {
			out = append(out, matched[j])
			j++
		}
	}
	out = append(out, plain[i:]...)
	return append(out, matched[j:]...)
}

// before orders accounts by tier, then file position.
func before(a, b *account.Account) bool {
	if ra, rb := a.Tier.Rank(), b.Tier.Rank(); ra != rb {
		return ra < rb
	}
	return a.Index < b.Index
}
