package credential

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	sykeys "github.com/switchyard-gw/switchyard/internal/keyspace"
)

//go:embed lua/fetch.lua
var fetchSrc string

//go:embed lua/store.lua
var storeSrc string

//go:embed lua/release.lua
var releaseSrc string

//go:embed lua/invalidate.lua
var invalidateSrc string

// keyspace names the token keys (keyspace.Space's OAuth* names). The hash
// tag is the scheduler's ({sy} or {sy:<namespace>}), so token state lives in
// the same slot as the rest of the shared state and every script's KEYS hash
// to one Redis Cluster slot.
type keyspace struct{ sp sykeys.Space }

func newKeyspace(namespace string) keyspace { return keyspace{sp: sykeys.New(namespace)} }

func (k keyspace) token(id string) string   { return k.sp.OAuthToken(id) }
func (k keyspace) lock(id string) string    { return k.sp.OAuthLock(id) }
func (k keyspace) rotated(id string) string { return k.sp.OAuthRotated(id) }

// all is the KEYS of every script but invalidate: token, lock, rotated.
func (k keyspace) all(id string) []string {
	return []string{k.token(id), k.lock(id), k.rotated(id)}
}

// tokenState is the token state the replicas share: the shared Redis
// (shared: the Lua scripts define the rules) or, without one, this
// process's memory (MemTokens: the same rules in Go).
type tokenState interface {
	// fetchToken reads the token or takes the refresh lock (fetch.lua).
	fetchToken(ctx context.Context, id, fp, owner string, lockTTL time.Duration) (fetched, error)
	// storeToken publishes a token and releases the lock (store.lua); false:
	// the lock was lost and the token not published.
	storeToken(ctx context.Context, id, fp, owner, access string, life, lead time.Duration, rotated string) (bool, error)
	// releaseFailed records a failed refresh for hold and releases the lock
	// (release.lua).
	releaseFailed(ctx context.Context, id, fp, owner, code string, hold time.Duration, forget string) error
	// dropToken deletes the stored token if it is refused ("" = any token)
	// (invalidate.lua).
	dropToken(ctx context.Context, id, refused string) (bool, error)
}

// shared is the token state in Redis. Access tokens and rotated refresh
// tokens are sealed with ring before they are written and opened after they
// are read (a nil ring keeps them in plain text); the scripts only compare
// stored values byte for byte.
type shared struct {
	rdb                               redis.UniversalClient
	keys                              keyspace
	ring                              *Keyring
	fetch, store, release, invalidate *redis.Script
}

func newShared(rdb redis.UniversalClient, namespace string, ring *Keyring) *shared {
	return &shared{
		rdb:        rdb,
		keys:       newKeyspace(namespace),
		ring:       ring,
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
	// rotatedRaw is rotated as stored (sealed), for release.lua to compare;
	// rotatedStale: a previous key opened it, so it is written again under
	// the current key at the next refresh.
	rotatedRaw   string
	rotatedStale bool
	// accessUnreadable: a token is stored but no key opens it; accessRaw is
	// what is stored, for invalidate.lua to compare.
	accessUnreadable bool
	accessRaw        string
}

// usable reports whether a stale token may still serve a request while a new
// one is being fetched.
func (f fetched) usable() bool { return f.access != "" && f.expiresIn > staleMargin }

// staleMargin is how much life a stale token needs left to be handed out.
const staleMargin = 10 * time.Second

// fetchToken reads the shared token or takes the refresh lock (fetch.lua).
// A stored token no key opens is absent: it is dropped and the read is
// repeated once, so the caller refreshes (or waits for another replica's
// refresh) instead of failing.
func (s *shared) fetchToken(ctx context.Context, id, fp, owner string, lockTTL time.Duration) (fetched, error) {
	f, err := s.fetchOnce(ctx, id, fp, owner, lockTTL)
	if err != nil || !f.accessUnreadable || f.status != statusHit {
		return f, err
	}
	if _, err := s.invalidate.Run(ctx, s.rdb, []string{s.keys.token(id)}, f.accessRaw).Result(); err != nil {
		return fetched{}, fmt.Errorf("drop unreadable shared token: %w", err)
	}
	f, err = s.fetchOnce(ctx, id, fp, owner, lockTTL)
	if err == nil && f.status == statusHit && f.accessUnreadable {
		// Rewritten at once by a replica with another key: wait and retry.
		f.status = statusWait
	}
	return f, err
}

func (s *shared) fetchOnce(ctx context.Context, id, fp, owner string, lockTTL time.Duration) (fetched, error) {
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
	if f.access != "" {
		plain, _, err := s.ring.open(f.access, aadAccess(id))
		if err != nil {
			f.accessUnreadable, f.accessRaw = true, f.access
		}
		f.access = plain
	}
	switch f.status {
	case statusRefresh:
		f.rotatedRaw = str(res[4])
		plain, stale, err := s.ring.open(f.rotatedRaw, aadRefresh(id))
		if err == nil {
			f.rotated, f.rotatedStale = plain, stale
		}
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
	sealedAccess, err := s.ring.seal(access, aadAccess(id))
	if err != nil {
		return false, fmt.Errorf("publish token: %w", err)
	}
	sealedRotated, err := s.ring.seal(rotated, aadRefresh(id))
	if err != nil {
		return false, fmt.Errorf("publish token: %w", err)
	}
	n, err := s.store.Run(ctx, s.rdb, s.keys.all(id), owner, fp, sealedAccess, life.Milliseconds(), lead.Milliseconds(), sealedRotated).Int64()
	if err != nil {
		return false, fmt.Errorf("publish token: %w", err)
	}
	return n == 1, nil
}

// releaseFailed records a failed refresh for hold and releases the lock;
// forget names a rotated refresh token the provider refused, as stored
// (fetched.rotatedRaw).
func (s *shared) releaseFailed(ctx context.Context, id, fp, owner, code string, hold time.Duration, forget string) error {
	if err := s.release.Run(ctx, s.rdb, s.keys.all(id), owner, fp, code, hold.Milliseconds(), forget).Err(); err != nil {
		return fmt.Errorf("release refresh lock: %w", err)
	}
	return nil
}

// dropToken deletes the stored token if it is refused ("" = any token). A
// sealed token is compared after opening it (each sealing differs), then
// deleted only if it is still the value read; one no key opens is deleted
// as well.
func (s *shared) dropToken(ctx context.Context, id, refused string) (bool, error) {
	if s.ring != nil && refused != "" {
		raw, err := s.rdb.HGet(ctx, s.keys.token(id), "a").Result()
		if errors.Is(err, redis.Nil) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("drop shared token: %w", err)
		}
		if plain, _, err := s.ring.open(raw, aadAccess(id)); err == nil && plain != refused {
			return false, nil
		}
		refused = raw
	}
	n, err := s.invalidate.Run(ctx, s.rdb, []string{s.keys.token(id)}, refused).Int64()
	if err != nil {
		return false, fmt.Errorf("drop shared token: %w", err)
	}
	return n == 1, nil
}
