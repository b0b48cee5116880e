package credential

import (
	"context"
	"sync"
	"time"
)

// MemTokens is the token state of a gateway without a shared store, in this
// process's memory: the rules of lua/*.lua in Go, under one lock, on the
// real clock (an injectable now). Several Stores on one MemTokens behave as
// replicas on one Redis. Nothing leaves the process, so nothing is sealed.
// Memory is bounded by the number of accounts: each has at most a token, a
// lock and a rotated refresh token, and expired ones are swept.
type MemTokens struct {
	now func() time.Time

	mu      sync.Mutex
	tokens  map[string]*memToken // the token hash of fetch.lua, by account
	locks   map[string]memLock
	rotated map[string]memRotated
	swept   time.Time
}

// memToken is one account's token hash: a, e, r, f, x, xu and its TTL.
type memToken struct {
	fp        string
	access    string // "" = no token (only a failure is recorded)
	expiry    time.Time
	refreshAt time.Time
	failCode  string // "" = no failure recorded
	failUntil time.Time
	deadline  time.Time // the hash's TTL; zero = none
}

type memLock struct {
	owner string
	until time.Time
}

type memRotated struct{ token, fp string }

// sweepEvery is how often expired tokens and locks are let go.
const sweepEvery = time.Minute

// NewMemTokens returns empty token state; now nil is time.Now.
func NewMemTokens(now func() time.Time) *MemTokens {
	if now == nil {
		now = time.Now
	}
	return &MemTokens{now: now, tokens: map[string]*memToken{}, locks: map[string]memLock{}, rotated: map[string]memRotated{}}
}

// begin locks the state and returns the time of the operation (TIME in the
// scripts), sweeping what has expired now and then.
func (m *MemTokens) begin() time.Time {
	m.mu.Lock()
	now := m.now()
	if now.Sub(m.swept) >= sweepEvery {
		m.swept = now
		for id, t := range m.tokens {
			if t.expired(now) {
				delete(m.tokens, id)
			}
		}
		for id, l := range m.locks {
			if !now.Before(l.until) {
				delete(m.locks, id)
			}
		}
	}
	return now
}

func (t *memToken) expired(now time.Time) bool {
	return !t.deadline.IsZero() && !now.Before(t.deadline)
}

// token returns id's live token hash, nil when there is none.
func (m *MemTokens) token(id string, now time.Time) *memToken {
	t := m.tokens[id]
	if t != nil && t.expired(now) {
		delete(m.tokens, id)
		return nil
	}
	return t
}

// lockOwner returns the owner of id's live refresh lock, "" when it is free.
func (m *MemTokens) lockOwner(id string, now time.Time) string {
	l, ok := m.locks[id]
	if !ok || !now.Before(l.until) {
		return ""
	}
	return l.owner
}

// fetchToken is fetch.lua.
func (m *MemTokens) fetchToken(_ context.Context, id, fp, owner string, lockTTL time.Duration) (fetched, error) {
	now := m.begin()
	defer m.mu.Unlock()
	var access string
	var life time.Duration
	if t := m.token(id, now); t != nil && t.fp == fp {
		if t.access != "" {
			access, life = t.access, t.expiry.Sub(now)
			if left := t.refreshAt.Sub(now); left > 0 {
				return fetched{status: statusHit, access: access, refreshIn: left, expiresIn: life}, nil
			}
			if life < 0 {
				access, life = "", 0
			}
		}
		if t.failCode != "" && t.failUntil.After(now) {
			return fetched{status: statusFailed, access: access, expiresIn: life, failedReason: t.failCode}, nil
		}
	}
	if m.lockOwner(id, now) != "" {
		return fetched{status: statusWait, access: access, expiresIn: life}, nil
	}
	m.locks[id] = memLock{owner: owner, until: now.Add(lockTTL)}
	f := fetched{status: statusRefresh, access: access, expiresIn: life}
	if rt, ok := m.rotated[id]; ok && rt.fp == fp {
		f.rotated, f.rotatedRaw = rt.token, rt.token
	}
	return f, nil
}

// storeToken is store.lua.
func (m *MemTokens) storeToken(_ context.Context, id, fp, owner, access string, life, lead time.Duration, rotated string) (bool, error) {
	now := m.begin()
	defer m.mu.Unlock()
	lead = min(lead, life/2)
	if rotated != "" {
		m.rotated[id] = memRotated{token: rotated, fp: fp}
	}
	if m.lockOwner(id, now) != owner {
		return false, nil
	}
	m.tokens[id] = &memToken{fp: fp, access: access, expiry: now.Add(life), refreshAt: now.Add(life - lead), deadline: now.Add(life)}
	delete(m.locks, id)
	return true, nil
}

// releaseFailed is release.lua.
func (m *MemTokens) releaseFailed(_ context.Context, id, fp, owner, code string, hold time.Duration, forget string) error {
	now := m.begin()
	defer m.mu.Unlock()
	if m.lockOwner(id, now) == owner {
		delete(m.locks, id)
	}
	if rt, ok := m.rotated[id]; ok && forget != "" && rt.token == forget {
		delete(m.rotated, id)
	}
	t := m.token(id, now)
	if t == nil || t.fp != fp {
		t = &memToken{}
		m.tokens[id] = t
	}
	t.fp, t.failCode, t.failUntil = fp, code, now.Add(hold)
	if t.deadline.IsZero() || t.deadline.Sub(now) < hold {
		t.deadline = now.Add(hold)
	}
	return nil
}

// dropToken is invalidate.lua: a token other than the refused one is newer
// and kept.
func (m *MemTokens) dropToken(_ context.Context, id, refused string) (bool, error) {
	now := m.begin()
	defer m.mu.Unlock()
	t := m.token(id, now)
	if t == nil || t.access == "" || refused != "" && t.access != refused {
		return false, nil
	}
	delete(m.tokens, id)
	return true, nil
}
