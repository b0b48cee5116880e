package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
)

// Keys checks client keys in constant time. Keys are kept only as SHA-256
// digests; a key's id (for scoping bindings) is a prefix of its digest.
type Keys struct {
	digests [][32]byte
	ids     []string
}

// NewKeys builds the key set. An empty set means no client auth (allowed on
// loopback only; config enforces that).
func NewKeys(keys []string) *Keys {
	k := &Keys{}
	for _, key := range keys {
		d := sha256.Sum256([]byte(key))
		k.digests = append(k.digests, d)
		k.ids = append(k.ids, "k"+hex.EncodeToString(d[:6]))
	}
	return k
}

// Open reports whether no keys are configured.
func (k *Keys) Open() bool { return len(k.digests) == 0 }

// Check returns the id of the presented key, or ok=false. Every configured
// key is compared, without early exit.
func (k *Keys) Check(presented string) (id string, ok bool) {
	if k.Open() {
		return "anonymous", true
	}
	if presented == "" {
		return "", false
	}
	d := sha256.Sum256([]byte(presented))
	match := -1
	for i := range k.digests {
		if subtle.ConstantTimeCompare(d[:], k.digests[i][:]) == 1 {
			match = i
		}
	}
	if match < 0 {
		return "", false
	}
	return k.ids[match], true
}

// presentedKey finds the client credential in every place the three SDKs put it.
func presentedKey(r *http.Request) string {
	if a := r.Header.Get("Authorization"); a != "" {
		if len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
			return strings.TrimSpace(a[7:])
		}
	}
	if v := r.Header.Get("x-api-key"); v != "" {
		return v
	}
	if v := r.Header.Get("x-goog-api-key"); v != "" {
		return v
	}
	return r.URL.Query().Get("key")
}
