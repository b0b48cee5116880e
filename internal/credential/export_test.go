package credential

import "time"

// SetTimes moves the refresh-at and expiry of id's stored token (tests: a
// token due for refresh, or expired), as an HSET of r and e would.
func (m *MemTokens) SetTimes(id string, refreshAt, expiry time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t := m.tokens[id]; t != nil {
		t.refreshAt, t.expiry = refreshAt, expiry
	}
}

// TakeLock holds id's refresh lock for owner (tests: a replica that took it
// and died).
func (m *MemTokens) TakeLock(id, owner string, ttl time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.locks[id] = memLock{owner: owner, until: m.now().Add(ttl)}
}
