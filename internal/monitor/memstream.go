package monitor

import (
	"context"
	"sync"
)

// MemStream is the request log of a gateway without a shared store: a ring
// of records in this process's memory, under one lock, holding at most the
// log's MaxLen records (exactly, where Redis trims about that many).
type MemStream struct {
	mu      sync.Mutex
	ring    [][]byte // grows up to the cap; ring[first] is the oldest
	first   int
	n       int    // records held
	next    uint64 // sequence number of the next record; held: next-n .. next-1
	trimmed bool
}

// NewMemStream returns an empty stream.
func NewMemStream() *MemStream { return &MemStream{} }

// Append adds records and drops the oldest beyond maxLen.
func (s *MemStream) Append(_ context.Context, maxLen int64, records [][]byte) error {
	if maxLen <= 0 {
		maxLen = 1
	}
	limit := int(min(maxLen, int64(^uint(0)>>2)))
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.ring) > limit {
		s.resize(limit) // the cap was lowered
	}
	for _, r := range records {
		if s.n == len(s.ring) && len(s.ring) < limit {
			s.resize(min(max(2*len(s.ring), 64), limit))
		}
		if s.n == len(s.ring) { // full: the oldest goes
			s.ring[s.first] = r
			s.first = (s.first + 1) % len(s.ring)
			s.trimmed = true
		} else {
			s.ring[(s.first+s.n)%len(s.ring)] = r
			s.n++
		}
		s.next++
	}
	return nil
}

// resize moves the records into a ring of size n, keeping the newest.
func (s *MemStream) resize(n int) {
	keep := min(s.n, n)
	if keep < s.n {
		s.trimmed = true
	}
	ring := make([][]byte, n)
	for i := range keep {
		ring[i] = s.ring[(s.first+s.n-keep+i)%len(s.ring)]
	}
	s.ring, s.first, s.n = ring, 0, keep
}

// page copies up to a page of the records with sequence numbers in
// [lo, hi) that are still held, oldest first: the newest of them when
// reverse, else the oldest. It returns the range it copied.
func (s *MemStream) page(buf [][]byte, lo, hi uint64, reverse bool) ([][]byte, uint64, uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	oldest := s.next - uint64(s.n)
	lo, hi = max(lo, oldest), min(hi, s.next)
	if lo >= hi {
		return buf[:0], lo, lo
	}
	if reverse {
		lo = max(lo, hi-min(hi, page))
	} else {
		hi = min(hi, lo+page)
	}
	buf = buf[:0]
	for q := lo; q < hi; q++ {
		buf = append(buf, s.ring[(s.first+int(q-oldest))%len(s.ring)])
	}
	return buf, lo, hi
}

// Scan reads the stream a page at a time, so fn runs without the lock.
func (s *MemStream) Scan(ctx context.Context, reverse bool, fn func(raw []byte) (bool, error)) error {
	buf := make([][]byte, 0, page)
	lo, hi := uint64(0), ^uint64(0)
	for {
		got, glo, ghi := s.page(buf, lo, hi, reverse)
		if len(got) == 0 {
			return nil
		}
		for i := range got {
			raw := got[i]
			if reverse {
				raw = got[len(got)-1-i]
			}
			more, err := fn(raw)
			if err != nil || !more {
				return err
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if reverse {
			hi = glo
		} else {
			lo = ghi
		}
	}
}

// Trimmed reports whether a record was ever dropped for the cap.
func (s *MemStream) Trimmed(context.Context, int64) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.trimmed, nil
}

// Len is the number of records held.
func (s *MemStream) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}
