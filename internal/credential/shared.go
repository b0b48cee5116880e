package credential

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

//go:embed lua/fetch.lua
var fetchSrc string

//go:embed lua/store.lua
var storeSrc string

//go:embed lua/release.lua
var releaseSrc string

//go:embed lua/invalidate.lua
var invalidateSrc string

// keyspace names the token keys. The hash tag is the scheduler's ({sy} or
// {sy:<namespace>}), so token state lives in the same slot as the rest of the
// shared state and every script's KEYS hash to one Redis Cluster slot.
type keyspace struct{ tag string }

func newKeyspace(namespace string) keyspace {
	if namespace == "" {
		return keyspace{tag: "{sy}"}
	}
	return keyspace{tag: "{sy:" + namespace + "}"}
}

func (k keyspace) token(id string) string   { return k.tag + ":oauth:tok:" + id }
func (k keyspace) lock(id string) string    { return k.tag + ":oauth:lock:" + id }
func (k keyspace) rotated(id string) string { return k.tag + ":oauth:rt:" + id }

// all is the KEYS of every script but invalidate: token, lock, rotated.
func (k keyspace) all(id string) []string {
	return []string{k.token(id), k.lock(id), k.rotated(id)}
}

// shared is the token state in Redis.
type shared struct {
	rdb                               redis.UniversalClient
	keys                              keyspace
	fetch, store, release, invalidate *redis.Script
}

func newShared(rdb redis.UniversalClient, namespace string) *shared {
	return &shared{
		rdb:        rdb,
		keys:       newKeyspace(namespace),
		fetch:      redis.NewScript(fetchSrc),
		store:      redis.NewScript(storeSrc),
		release:    redis.NewScript(releaseSrc),
		invalidate: redis.NewScript(invalidateSrc),
	}
}

// fetchStatus is fetch.lua's verdict.
type fetchStatus string

const (
	statusHit     fetchStatus = "hit"
	statusRefresh fetchStatus = "refresh"
	statusWait    fetchStatus = "wait"
	statusFailed  fetchStatus = "failed"
)

// fetched is one fetch.lua reply. Durations are measured on the Redis clock.
type fetched struct {
	status fetchStatus
	// access is the stored token: fresh on a hit, otherwise possibly still
	// usable until expiresIn.
	access       string
	refreshIn    time.Duration
	expiresIn    time.Duration
	rotated      string // statusRefresh: the rotated refresh token, "" = the file's
	failedReason string // statusFailed: the error code of the failed refresh
}

// usable reports whether a stale token may still serve a request while a new
// one is being fetched.
func (f fetched) usable() bool { return f.access != "" && f.expiresIn > staleMargin }

// staleMargin is how much life a stale token needs left to be handed out.
const staleMargin = 10 * time.Second

func (s *shared) fetchToken(ctx context.Context, id, fp, owner string, lockTTL time.Duration) (fetched, error) {
	res, err := s.fetch.Run(ctx, s.rdb, s.keys.all(id), fp, owner, lockTTL.Milliseconds()).Slice()
	if err != nil {
		return fetched{}, fmt.Errorf("read shared token: %w", err)
	}
	if len(res) < 5 {
		return fetched{}, fmt.Errorf("read shared token: short reply (%d)", len(res))
	}
	str := func(v any) string { s, _ := v.(string); return s }
	num := func(v any) time.Duration { n, _ := v.(int64); return time.Duration(n) * time.Millisecond }
	f := fetched{status: fetchStatus(str(res[0])), access: str(res[1]), refreshIn: num(res[2]), expiresIn: num(res[3])}
	switch f.status {
	case statusRefresh:
		f.rotated = str(res[4])
	case statusFailed:
		f.failedReason = str(res[4])
	case statusHit, statusWait:
	default:
		return fetched{}, fmt.Errorf("read shared token: unknown status %q", f.status)
	}
	return f, nil
}

// storeToken publishes a token and releases the lock. It reports whether the
// token was published (false: the lock was lost, see store.lua).
func (s *shared) storeToken(ctx context.Context, id, fp, owner, access string, life, lead time.Duration, rotated string) (bool, error) {
	n, err := s.store.Run(ctx, s.rdb, s.keys.all(id), owner, fp, access, life.Milliseconds(), lead.Milliseconds(), rotated).Int64()
	if err != nil {
		return false, fmt.Errorf("publish token: %w", err)
	}
	return n == 1, nil
}

// releaseFailed records a failed refresh for hold and releases the lock;
// forget names a rotated refresh token the provider refused.
func (s *shared) releaseFailed(ctx context.Context, id, fp, owner, code string, hold time.Duration, forget string) error {
	if err := s.release.Run(ctx, s.rdb, s.keys.all(id), owner, fp, code, hold.Milliseconds(), forget).Err(); err != nil {
		return fmt.Errorf("release refresh lock: %w", err)
	}
	return nil
}

// dropToken deletes the stored token if it is refused ("" = any token).
func (s *shared) dropToken(ctx context.Context, id, refused string) (bool, error) {
	n, err := s.invalidate.Run(ctx, s.rdb, []string{s.keys.token(id)}, refused).Int64()
	if err != nil {
		return false, fmt.Errorf("drop shared token: %w", err)
	}
	return n == 1, nil
}
