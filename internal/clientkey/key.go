// Package clientkey holds the gateway's client keys with their identities:
// a name, the models a key may use, and its limits (requests and tokens per
// minute, requests in flight, tokens per day). Keys come from the
// environment, from the keys file (reloaded on change) and from the admin
// API (stored in the shared store as SHA-256 digests only, shared by every
// replica). Secrets are never kept: a presented key is hashed and looked up
// by its digest.
package clientkey

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/switchyard-gw/switchyard/internal/account"
)

// Sources of a key.
const (
	SourceEnv  = "env"
	SourceFile = "file"
	SourceAPI  = "api"
)

// Limits bound what one key may use; zero means no limit.
type Limits struct {
	RPM         int64 `json:"rpm"`           // requests per minute, across replicas
	TPM         int64 `json:"tpm"`           // tokens per minute
	MaxInFlight int64 `json:"max_in_flight"` // requests in flight, across replicas
	DailyTokens int64 `json:"daily_tokens"`  // tokens per UTC day
}

// Any reports whether some limit is set.
func (l Limits) Any() bool { return l.RPM > 0 || l.TPM > 0 || l.MaxInFlight > 0 || l.DailyTokens > 0 }

// Key is one client key, without its secret.
type Key struct {
	Name     string   `json:"name"`
	Digest   [32]byte `json:"-"`
	Models   []string `json:"models"` // globs; empty allows every model
	Limits   Limits   `json:"limits"`
	Disabled bool     `json:"disabled"`
	Source   string   `json:"source"`
}

// Digest is the SHA-256 of a secret.
func Digest(secret string) [32]byte { return sha256.Sum256([]byte(secret)) }

// Fingerprint names the key without revealing it: the first 12 hex digits
// of its digest.
func (k *Key) Fingerprint() string { return "sha256:" + hex.EncodeToString(k.Digest[:6]) }

// Scope is the id that scopes the key's session bindings and windows. It is
// derived from the digest, as before keys had names, so bindings survive.
func (k *Key) Scope() string { return "k" + hex.EncodeToString(k.Digest[:6]) }

// Allows reports whether the key may use model, and the rule that refuses it.
func (k *Key) Allows(model string) bool {
	if len(k.Models) == 0 {
		return true
	}
	for _, g := range k.Models {
		if account.MatchGlob(g, model) {
			return true
		}
	}
	return false
}

// AllowList is the key's allow-list for messages.
func (k *Key) AllowList() string { return strings.Join(k.Models, ", ") }

// Anonymous is the identity of every request when no key is configured
// (allowed on loopback only).
var anonymous = &Key{Name: "anonymous", Source: SourceEnv}

// Set is an immutable lookup table of keys by digest.
type Set struct {
	closed   bool // keys are configured, even if none is left
	byDigest map[[32]byte]*Key
	byName   map[string]*Key
	order    []*Key
}

// NewSet builds a set; on a name or digest given twice the first one wins,
// and the later one is reported in shadowed.
func NewSet(keys []*Key) (s *Set, shadowed []*Key) {
	s = &Set{byDigest: make(map[[32]byte]*Key, len(keys)), byName: make(map[string]*Key, len(keys))}
	for _, k := range keys {
		if _, dup := s.byName[k.Name]; dup {
			shadowed = append(shadowed, k)
			continue
		}
		if _, dup := s.byDigest[k.Digest]; dup {
			shadowed = append(shadowed, k)
			continue
		}
		s.byName[k.Name] = k
		s.byDigest[k.Digest] = k
		s.order = append(s.order, k)
	}
	return s, shadowed
}

// Open reports whether no key is configured: no environment keys, no keys
// file and no API keys. A gateway that has a keys file stays closed when the
// file or the API leaves no key, and refuses every request.
func (s *Set) Open() bool { return !s.closed && len(s.order) == 0 }

// Lookup finds the key of a presented secret. Hashing first makes the map
// look-up independent of the secret's bytes (no timing oracle).
func (s *Set) Lookup(presented string) (*Key, bool) {
	if s.Open() {
		return anonymous, true
	}
	if presented == "" {
		return nil, false
	}
	k, ok := s.byDigest[Digest(presented)]
	return k, ok
}

// Named finds a key by name.
func (s *Set) Named(name string) (*Key, bool) {
	k, ok := s.byName[name]
	return k, ok
}

// Keys lists the keys in order.
func (s *Set) Keys() []*Key { return s.order }
