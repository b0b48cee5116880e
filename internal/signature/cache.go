// Package signature keeps thinking signatures in Redis, shared by every
// replica (or, without Redis, in this process's memory), so a history that crosses protocols keeps the continuity tokens a
// provider needs and never carries another provider's token.
//
// Providers sign their reasoning (Anthropic thinking signatures, Gemini
// thoughtSignature) and refuse a replayed history whose signatures are missing
// (Gemini 3 tool loops) or foreign ("Corrupted thought signature", "Invalid
// signature"). Clients of another protocol drop them or cannot carry them, so
// the gateway records each signature it translates, with the family that
// produced it, under two keys: the tool call id it preceded, and the session
// and index of the assistant message. Entries live two hours. Signatures a
// client does carry back are tagged with their origin (see Tag).
package signature

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	sykeys "github.com/switchyard-gw/switchyard/internal/keyspace"
)

// Limits of what is kept.
const (
	TTL       = 2 * time.Hour
	MinLength = 50       // shorter signatures are placeholders, not worth keeping
	MaxLength = 64 << 10 // longer ones are refused (bounded memory in Redis)
	maxThink  = 64 << 10 // thinking text kept with an Anthropic signature
	maxPut    = 64       // entries written per answer
)

// Entry is one recorded signature.
type Entry struct {
	Family    string `json:"f"`           // provider that produced it: anthropic | gemini
	Signature string `json:"s"`           // the opaque token, byte for byte
	Thinking  string `json:"t,omitempty"` // the signed thinking text (Anthropic)
}

// Key names where an entry is found.
type Key struct {
	ToolCall string // a tool call id, or
	Scope    string // with Session and Message: the assistant message
	Session  string
	Message  int
}

// Cache is the signature store. A nil *Cache records nothing and finds
// nothing, so callers need no special case when it is off.
type Cache struct {
	st   Store
	keys sykeys.Space
}

// Store is where a Cache keeps its entries: the shared Redis (New) or this
// process's memory (NewEmbedded on a MemStore). Keys are the keyspace's
// Signature* names, values the entries as JSON.
type Store interface {
	// SetAll keeps each value under its key for ttl.
	SetAll(ctx context.Context, kv map[string][]byte, ttl time.Duration) error
	// GetAll returns the value of each key, nil where there is none.
	GetAll(ctx context.Context, keys []string) ([][]byte, error)
}

// New returns a cache on the shared Redis with the scheduler's namespace
// (same hash tag).
func New(rdb redis.UniversalClient, namespace string) *Cache {
	return &Cache{st: redisStore{rdb: rdb}, keys: sykeys.New(namespace)}
}

// NewEmbedded returns a cache in this process's memory (no shared store);
// m nil makes a MemStore of its own on the real clock.
func NewEmbedded(m *MemStore) *Cache {
	if m == nil {
		m = NewMemStore(nil, 0)
	}
	return &Cache{st: m, keys: sykeys.New("")}
}

func (c *Cache) key(k Key) string {
	if k.ToolCall != "" {
		return c.keys.SignatureToolCall(k.ToolCall)
	}
	return c.keys.SignatureMessage(k.Scope, k.Session, k.Message)
}

// Keep reports whether a signature is worth recording.
func Keep(sig string) bool { return len(sig) >= MinLength && len(sig) <= MaxLength }

// Put records entries under their keys in one round trip.
func (c *Cache) Put(ctx context.Context, entries map[Key]Entry) error {
	if c == nil || len(entries) == 0 {
		return nil
	}
	kv := make(map[string][]byte, min(len(entries), maxPut))
	for k, e := range entries {
		if !Keep(e.Signature) || len(kv) >= maxPut {
			continue
		}
		if len(e.Thinking) > maxThink {
			e.Thinking = "" // too long to keep: the signature alone still tells the family
		}
		v, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encode signature entry: %w", err)
		}
		kv[c.key(k)] = v
	}
	if len(kv) == 0 {
		return nil
	}
	if err := c.st.SetAll(ctx, kv, TTL); err != nil {
		return fmt.Errorf("record signatures: %w", err)
	}
	return nil
}

// Lookup finds entries by key in one round trip. Missing keys are absent
// from the answer.
func (c *Cache) Lookup(ctx context.Context, keys []Key) (map[Key]Entry, error) {
	if c == nil || len(keys) == 0 {
		return nil, nil
	}
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = c.key(k)
	}
	vals, err := c.st.GetAll(ctx, names)
	if err != nil {
		return nil, fmt.Errorf("look up signatures: %w", err)
	}
	found := make(map[Key]Entry, len(keys))
	for i, k := range keys {
		if i >= len(vals) || vals[i] == nil {
			continue
		}
		var e Entry
		if json.Unmarshal(vals[i], &e) == nil && e.Signature != "" {
			found[k] = e
		}
	}
	return found, nil
}
