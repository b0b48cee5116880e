package clientkey

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/redis/go-redis/v9"

	sykeys "github.com/switchyard-gw/switchyard/internal/keyspace"
)

// RedisStore keeps API-created keys in one hash of the shared store: name ->
// a JSON record holding the key's SHA-256, never the secret.
type RedisStore struct {
	rdb redis.UniversalClient
	key string
}

// NewRedisStore uses the hash under the scheduler's hash tag ("" = the
// default namespace's).
func NewRedisStore(rdb redis.UniversalClient, tag string) *RedisStore {
	if tag == "" {
		tag = sykeys.New("").Tag()
	}
	return &RedisStore{rdb: rdb, key: tag + ":keys"}
}

type storedKey struct {
	Name     string   `json:"name"`
	SHA256   string   `json:"sha256"`
	Models   []string `json:"models,omitempty"`
	Limits   Limits   `json:"limits"`
	Disabled bool     `json:"disabled,omitempty"`
}

// List returns the API keys by name.
func (s *RedisStore) List(ctx context.Context) ([]*Key, error) {
	m, err := s.rdb.HGetAll(ctx, s.key).Result()
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	out := make([]*Key, 0, len(m))
	for _, v := range m {
		var sk storedKey
		if json.Unmarshal([]byte(v), &sk) != nil {
			continue
		}
		d, err := hex.DecodeString(sk.SHA256)
		if err != nil || len(d) != 32 || !ValidName(sk.Name) {
			continue
		}
		k := &Key{Name: sk.Name, Models: sk.Models, Limits: sk.Limits, Disabled: sk.Disabled, Source: SourceAPI}
		copy(k.Digest[:], d)
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Put creates or replaces an API key.
func (s *RedisStore) Put(ctx context.Context, k *Key) error {
	b, _ := json.Marshal(storedKey{Name: k.Name, SHA256: hex.EncodeToString(k.Digest[:]), Models: k.Models, Limits: k.Limits, Disabled: k.Disabled})
	if err := s.rdb.HSet(ctx, s.key, k.Name, b).Err(); err != nil {
		return fmt.Errorf("store api key: %w", err)
	}
	return nil
}

// Delete revokes an API key; it reports whether the key existed.
func (s *RedisStore) Delete(ctx context.Context, name string) (bool, error) {
	n, err := s.rdb.HDel(ctx, s.key, name).Result()
	if err != nil {
		return false, fmt.Errorf("revoke api key: %w", err)
	}
	return n > 0, nil
}
