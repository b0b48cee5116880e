package telemetry

import (
	"sync"

	"github.com/switchyard-gw/switchyard/internal/clientkey"
)

// maxKeyLabels caps the client key names that become label values; a
// gateway with more keys reports the rest as "other".
const maxKeyLabels = 1000

// Label values of the client key label besides the keys' names.
const (
	keyAnonymous = "anonymous"
	keyOther     = "other"
)

// labelSet admits up to max distinct label values, first come first served.
type labelSet struct {
	mu   sync.Mutex
	seen map[string]struct{}
	max  int
}

func newLabelSet(max int) *labelSet { return &labelSet{seen: map[string]struct{}{}, max: max} }

// label is the value reported for a client key name: the name itself when
// it is a valid key name and the cap has room, "anonymous" for none, else
// "other".
func (s *labelSet) label(name string) string {
	if name == "" {
		return keyAnonymous
	}
	if !clientkey.ValidName(name) {
		return keyOther
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seen[name]; ok {
		return name
	}
	if len(s.seen) >= s.max {
		return keyOther
	}
	s.seen[name] = struct{}{}
	return name
}
