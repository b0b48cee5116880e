package clientkey

import (
	"context"
	"slices"
	"sort"
	"sync"
)

// MemStore keeps API-created keys in this process's memory, for a gateway
// without a shared store (the keys last until the process ends, like the
// rest of its state). It implements APIStore with RedisStore's rules: digests
// only, Create refuses a name it holds, Put replaces only a key it holds.
type MemStore struct {
	mu   sync.Mutex
	keys map[string]Key // by name
}

// NewMemStore returns an empty store.
func NewMemStore() *MemStore { return &MemStore{keys: map[string]Key{}} }

// stored is the copy of k the store keeps: what RedisStore's record keeps.
func stored(k *Key) Key {
	return Key{Name: k.Name, Digest: k.Digest, Models: slices.Clone(k.Models), Limits: k.Limits, Disabled: k.Disabled, Source: SourceAPI}
}

// List returns the API keys by name.
func (s *MemStore) List(context.Context) ([]*Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Key, 0, len(s.keys))
	for _, k := range s.keys {
		c := stored(&k)
		out = append(out, &c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Create stores a new API key; ErrExists when the store holds the name.
func (s *MemStore) Create(_ context.Context, k *Key) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.keys[k.Name]; ok {
		return ErrExists
	}
	s.keys[k.Name] = stored(k)
	return nil
}

// Put replaces an existing API key; ErrNotFound when there is none.
func (s *MemStore) Put(_ context.Context, k *Key) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.keys[k.Name]; !ok {
		return ErrNotFound
	}
	s.keys[k.Name] = stored(k)
	return nil
}

// Restore writes the keys the store lacks and reports how many.
func (s *MemStore) Restore(_ context.Context, keys []*Key) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, k := range keys {
		if _, ok := s.keys[k.Name]; !ok {
			s.keys[k.Name] = stored(k)
			n++
		}
	}
	return n, nil
}

// Delete revokes an API key; it reports whether the key existed.
func (s *MemStore) Delete(_ context.Context, name string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.keys[name]
	delete(s.keys, name)
	return ok, nil
}
