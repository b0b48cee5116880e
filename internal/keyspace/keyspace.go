// Package keyspace is the one definition of the shared store's key names.
// Every key of a deployment carries the same Redis Cluster hash tag, "{sy}",
// or "{sy:<namespace>}" with SWITCHYARD_REDIS_NAMESPACE, so every script's
// KEYS hash to one slot; deployments with different namespaces share one
// Redis (or spread over a cluster's slots) without seeing each other's state.
package keyspace

import (
	"fmt"
	"strings"
)

// MaxNamespace is the longest namespace accepted.
const MaxNamespace = 32

// Space names the keys of one namespace.
type Space struct{ tag string }

// New returns the keyspace of namespace ("" = the default, "{sy}"). The
// namespace is checked by Validate when the configuration is loaded.
func New(namespace string) Space {
	if namespace == "" {
		return Space{tag: "{sy}"}
	}
	return Space{tag: "{sy:" + namespace + "}"}
}

// Tag is the hash tag every key of the space starts with.
func (s Space) Tag() string { return s.tag }

// Key joins parts under the hash tag: Key("sess", "k", "s1") is
// "{sy}:sess:k:s1".
func (s Space) Key(parts ...string) string {
	var b strings.Builder
	n := len(s.tag)
	for _, p := range parts {
		n += 1 + len(p)
	}
	b.Grow(n)
	b.WriteString(s.tag)
	for _, p := range parts {
		b.WriteByte(':')
		b.WriteString(p)
	}
	return b.String()
}

// Validate accepts "" or 1 to 32 of A-Z, a-z, 0-9, "_" and "-": characters
// that cannot end the hash tag ("}") or split a key (":").
func Validate(namespace string) error {
	if len(namespace) > MaxNamespace {
		return fmt.Errorf("must be at most %d characters, got %d", MaxNamespace, len(namespace))
	}
	for _, r := range namespace {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
		default:
			return fmt.Errorf("may contain only A-Z, a-z, 0-9, _ and -, got %q", namespace)
		}
	}
	return nil
}
