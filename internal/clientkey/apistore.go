package clientkey

import (
	"context"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/redis/go-redis/v9"

	sykeys "github.com/switchyard-gw/switchyard/internal/keyspace"
)

//go:embed update.lua
var updateSrc string

// ErrUnseeded is List's answer while the shared store does not hold the
// control state (it restarted empty and is not re-seeded yet): the keys it
// lists are not the API keys, and the caller keeps the ones it has.
var ErrUnseeded = errors.New("the shared store lost its state and is not re-seeded yet")

// markerReady is the control marker's value while the store holds the
// control state (schedule's mirror writes it).
const markerReady = "ready"

// RedisStore keeps API-created keys in one hash of the shared store: name ->
// a JSON record holding the key's SHA-256, never the secret.
type RedisStore struct {
	rdb    redis.UniversalClient
	key    string
	marker string
	update *redis.Script
}

// NewRedisStore uses the client key hash of the keyspace.
func NewRedisStore(rdb redis.UniversalClient, space sykeys.Space) *RedisStore {
	return &RedisStore{rdb: rdb, key: space.ClientKeys(), update: redis.NewScript(updateSrc)}
}

// FollowMarker makes List read the control marker (keyspace ControlMarker)
// with the keys and answer ErrUnseeded unless it is "ready": set it where a
// control state mirror re-seeds a store that restarted empty, so an emptied
// store is never taken for every key revoked.
func (s *RedisStore) FollowMarker(marker string) *RedisStore {
	s.marker = marker
	return s
}

type storedKey struct {
	Name     string   `json:"name"`
	SHA256   string   `json:"sha256"`
	Models   []string `json:"models,omitempty"`
	Limits   Limits   `json:"limits"`
	Disabled bool     `json:"disabled,omitempty"`
}

func record(k *Key) []byte {
	b, _ := json.Marshal(storedKey{Name: k.Name, SHA256: hex.EncodeToString(k.Digest[:]), Models: k.Models, Limits: k.Limits, Disabled: k.Disabled})
	return b
}

// List returns the API keys by name (with the marker followed: in one
// round trip with the marker, ErrUnseeded unless it is "ready").
func (s *RedisStore) List(ctx context.Context) ([]*Key, error) {
	var (
		mark *redis.StringCmd
		all  *redis.MapStringStringCmd
	)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		if s.marker != "" {
			mark = p.Get(ctx, s.marker)
		}
		all = p.HGetAll(ctx, s.key)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	if mark != nil && mark.Val() != markerReady {
		return nil, ErrUnseeded
	}
	m := all.Val()
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

// Create stores a new API key; ErrExists when the store holds the name
// (created meanwhile on another replica: HSETNX, the first one stays).
func (s *RedisStore) Create(ctx context.Context, k *Key) error {
	ok, err := s.rdb.HSetNX(ctx, s.key, k.Name, record(k)).Result()
	if err != nil {
		return fmt.Errorf("store api key: %w", err)
	}
	if !ok {
		return ErrExists
	}
	return nil
}

// Put replaces an existing API key (update.lua); ErrNotFound when it was
// revoked meanwhile.
func (s *RedisStore) Put(ctx context.Context, k *Key) error {
	n, err := s.update.Run(ctx, s.rdb, []string{s.key}, k.Name, record(k)).Int()
	if err != nil {
		return fmt.Errorf("store api key: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// Restore writes the keys the store lacks (HSETNX: a key created since is
// kept), re-seeding a store that restarted empty. It returns how many it wrote.
func (s *RedisStore) Restore(ctx context.Context, keys []*Key) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	cmds := make([]*redis.BoolCmd, len(keys))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.HSetNX(ctx, s.key, k.Name, record(k))
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("restore api keys: %w", err)
	}
	n := 0
	for _, c := range cmds {
		if c.Val() {
			n++
		}
	}
	return n, nil
}

// Delete revokes an API key; it reports whether the key existed.
func (s *RedisStore) Delete(ctx context.Context, name string) (bool, error) {
	n, err := s.rdb.HDel(ctx, s.key, name).Result()
	if err != nil {
		return false, fmt.Errorf("revoke api key: %w", err)
	}
	return n > 0, nil
}
