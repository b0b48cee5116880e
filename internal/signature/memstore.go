package signature

import (
	"context"
	"sync"
	"time"
)

// DefaultMemBytes bounds a MemStore made with maxBytes 0: about 1,000
// signed answers' worth of entries at the largest sizes, many more at the
// usual ones.
const DefaultMemBytes = 64 << 20

// entryOverhead is what one entry costs besides its key and value (map
// slot, queue slot, headers), counted against the byte bound.
const entryOverhead = 96

// MemStore keeps signature entries in this process's memory, for a gateway
// without a shared store: under one lock, on the real clock (an injectable
// now), each entry for its TTL, and at most maxBytes in all. Every entry
// lives the same TTL, so the oldest written is the first to expire: when the
// bound is reached the oldest entries go first.
type MemStore struct {
	now      func() time.Time
	maxBytes int

	mu    sync.Mutex
	m     map[string]memEntry
	queue []queued // in write order; entries overwritten since are stale
	head  int      // queue[head:] is live
	stale int      // items of queue[head:] whose key was written again since
	seq   uint64
	bytes int
}

type memEntry struct {
	val     []byte
	expires time.Time
	seq     uint64
}

type queued struct {
	key string
	seq uint64
}

// NewMemStore returns an empty store; now nil is time.Now, maxBytes 0 is
// DefaultMemBytes.
func NewMemStore(now func() time.Time, maxBytes int) *MemStore {
	if now == nil {
		now = time.Now
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMemBytes
	}
	return &MemStore{now: now, maxBytes: maxBytes, m: map[string]memEntry{}}
}

func size(key string, val []byte) int { return len(key) + len(val) + entryOverhead }

// SetAll keeps each value under its key for ttl, replacing what was there.
func (s *MemStore) SetAll(_ context.Context, kv map[string][]byte, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for k, v := range kv {
		if old, ok := s.m[k]; ok {
			s.bytes -= size(k, old.val)
			s.stale++
		}
		s.seq++
		s.m[k] = memEntry{val: v, expires: now.Add(ttl), seq: s.seq}
		s.queue = append(s.queue, queued{key: k, seq: s.seq})
		s.bytes += size(k, v)
	}
	s.evict(now)
	return nil
}

// GetAll returns the live value of each key, nil where there is none.
func (s *MemStore) GetAll(_ context.Context, keys []string) ([][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	out := make([][]byte, len(keys))
	for i, k := range keys {
		if e, ok := s.m[k]; ok && now.Before(e.expires) {
			out[i] = e.val
		}
	}
	s.evict(now)
	return out, nil
}

// Len is the number of entries held (expired ones included until they are
// evicted).
func (s *MemStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// evict drops entries from the oldest while they have expired or the store
// holds more than its bound.
func (s *MemStore) evict(now time.Time) {
	for s.head < len(s.queue) {
		q := s.queue[s.head]
		e, ok := s.m[q.key]
		if ok && e.seq == q.seq {
			if now.Before(e.expires) && s.bytes <= s.maxBytes {
				break
			}
			delete(s.m, q.key)
			s.bytes -= size(q.key, e.val)
		} else {
			s.stale--
		}
		s.queue[s.head] = queued{}
		s.head++
	}
	// Reuse the queue's front once most of it is spent, and drop the items
	// of rewritten keys once they outnumber the live ones (a key written
	// again and again must not grow the queue).
	switch {
	case s.stale > 64 && s.stale > len(s.m):
		live := s.queue[:0]
		for _, q := range s.queue[s.head:] {
			if e, ok := s.m[q.key]; ok && e.seq == q.seq {
				live = append(live, q)
			}
		}
		clear(s.queue[len(live):])
		s.queue, s.head, s.stale = live, 0, 0
	case s.head > 64 && s.head*2 >= len(s.queue):
		n := copy(s.queue, s.queue[s.head:])
		clear(s.queue[n:])
		s.queue = s.queue[:n]
		s.head = 0
	}
}
