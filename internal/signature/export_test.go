package signature

import "time"

// TTLs lists the live entries' keys with their remaining time (tests).
func (s *MemStore) TTLs() map[string]time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	out := map[string]time.Duration{}
	for k, e := range s.m {
		if now.Before(e.expires) {
			out[k] = e.expires.Sub(now)
		}
	}
	return out
}

// QueueLen is the length of the write-order queue (tests).
func (s *MemStore) QueueLen() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue) - s.head
}
