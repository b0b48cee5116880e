package credential

import (
	"sync"
	"time"

	"github.com/switchyard-gw/switchyard/internal/account"
)

// entry is what one replica knows about one account's token. Entries are
// replaced, never modified, so readers need no lock beyond the map's.
type entry struct {
	cred *account.OAuth // the credentials the entry belongs to (pointer: cheap check)
	fp   string         // their fingerprint (survives a pool reload that keeps them)
	// access is the last token handed out; fresh until refreshAt (local
	// clock), zero refreshAt = not to be reused without asking the store.
	access    string
	refreshAt time.Time
	// rotated is a refresh token the provider rotated while the shared store
	// was unreachable; only local refreshes use it.
	rotated string
	// invalidated is when a caller last reported the token refused.
	invalidated time.Time
}

// cache is the per-replica token cache.
type cache struct {
	mu sync.RWMutex
	m  map[string]*entry // by account id
}

func newCache() *cache { return &cache{m: map[string]*entry{}} }

// fresh returns a's cached token if it belongs to a's current credentials and
// is not yet due for refresh. This is the hot path: one read lock, no hashing.
func (c *cache) fresh(a *account.Account, now time.Time) (string, bool) {
	c.mu.RLock()
	e := c.m[a.ID]
	c.mu.RUnlock()
	if e == nil || e.cred != a.OAuth || e.access == "" || !now.Before(e.refreshAt) {
		return "", false
	}
	return e.access, true
}

// get returns the entry of a's current credentials, or a zero entry.
func (c *cache) get(a *account.Account, fp string) entry {
	c.mu.RLock()
	e := c.m[a.ID]
	c.mu.RUnlock()
	if e == nil || e.fp != fp {
		return entry{}
	}
	return *e
}

// put records the token handed out for a; refreshAt zero means it is not to
// be reused. The rotated refresh token and the invalidation time of the same
// credentials are kept.
func (c *cache) put(a *account.Account, fp, access string, refreshAt time.Time) {
	c.update(a, fp, func(e *entry) { e.access, e.refreshAt = access, refreshAt })
}

// update replaces a's entry with a copy changed by fn; an entry of other
// credentials starts afresh.
func (c *cache) update(a *account.Account, fp string, fn func(*entry)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	next := entry{cred: a.OAuth, fp: fp}
	if old := c.m[a.ID]; old != nil && old.fp == fp {
		next = *old
		next.cred = a.OAuth
	}
	fn(&next)
	c.m[a.ID] = &next
}

// invalidate forgets a's token unless it was invalidated less than grace ago
// (callers that failed with the same token report it one after another). It
// returns the token to drop from the shared store and whether to drop it.
func (c *cache) invalidate(a *account.Account, fp string, now time.Time, grace time.Duration) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m[a.ID]
	if old == nil || old.fp != fp {
		c.m[a.ID] = &entry{cred: a.OAuth, fp: fp, invalidated: now}
		return "", true
	}
	if !old.invalidated.IsZero() && now.Sub(old.invalidated) < grace {
		return "", false
	}
	next := *old
	next.access, next.refreshAt, next.invalidated = "", time.Time{}, now
	c.m[a.ID] = &next
	return old.access, true
}
