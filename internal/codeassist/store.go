package codeassist

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchyard-gw/switchyard/internal/account"
	sykeys "github.com/switchyard-gw/switchyard/internal/keyspace"
)

// keyspace names this package's keys in the shared store (keyspace.Space's
// CodeAssist* names). They carry the scheduler's hash tag ({sy} or
// {sy:<namespace>}), so they live in the same Redis Cluster slot as the rest
// of the shared state.
type keyspace struct{ sp sykeys.Space }

func newKeyspace(namespace string) keyspace { return keyspace{sp: sykeys.New(namespace)} }

// info is the discovered project and tier of an account (hash).
func (k keyspace) info(id string) string { return k.sp.CodeAssistInfo(id) }

// discoverLock is held by the replica discovering an account's project.
func (k keyspace) discoverLock(id string) string { return k.sp.CodeAssistLock(id) }

// quotaSlot is held by the replica that reads an account's quota for one
// poll interval: while it exists, no other replica reads it.
func (k keyspace) quotaSlot(id string) string { return k.sp.CodeAssistQuotaSlot(id) }

// quota is the last quota read of an account (hash), for the operator view.
func (k keyspace) quota(id string) string { return k.sp.CodeAssistQuota(id) }

// verify records that Code Assist asked the account's owner to verify it.
func (k keyspace) verify(id string) string { return k.sp.CodeAssistVerify(id) }

// releaseSrc deletes a lock only when its owner releases it.
const releaseSrc = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`

var releaseScript = redis.NewScript(releaseSrc)

// lock takes key for ttl under a fresh owner id; ok reports whether it was
// free.
func lock(ctx context.Context, rdb redis.UniversalClient, key string, ttl time.Duration) (owner string, ok bool, err error) {
	owner = newOwner()
	ok, err = rdb.SetNX(ctx, key, owner, ttl).Result()
	if err != nil {
		return "", false, fmt.Errorf("take lock: %w", err)
	}
	return owner, ok, nil
}

func unlock(ctx context.Context, rdb redis.UniversalClient, key, owner string) error {
	if err := releaseScript.Run(ctx, rdb, []string{key}, owner).Err(); err != nil {
		return fmt.Errorf("release lock: %w", err)
	}
	return nil
}

func newOwner() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// fingerprint identifies the Google user an account signs in as (its
// client and refresh token) and the project it names, without revealing a
// credential: discovered state of other credentials is never reused.
func fingerprint(a *account.Account) string {
	h := sha256.New()
	parts := []string{a.BaseURL, a.Project}
	if a.OAuth != nil {
		parts = append(parts, a.OAuth.ClientID, a.OAuth.RefreshToken.Reveal())
	}
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}
