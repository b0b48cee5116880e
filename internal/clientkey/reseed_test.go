package clientkey_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/clientkey"
	"github.com/switchyard-gw/switchyard/internal/keyspace"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

// TestCreateRefusesANameTakenOnAnotherReplica: two replicas create the same
// name before either re-reads the store; the store keeps the first key and
// the second create is refused (409), so the first key keeps working.
func TestCreateRefusesANameTakenOnAnotherReplica(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		space := keyspace.New("t")
		one, _ := clientkey.NewRegistry([]string{"sk-env"}, "", env(nil), clientkey.NewRedisStore(b.Client, space), nil)
		two, _ := clientkey.NewRegistry([]string{"sk-env"}, "", env(nil), clientkey.NewRedisStore(b.Client, space), nil)
		_, first, err := one.Create(ctx, "svc", nil, clientkey.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		// two has not read the store since: its cached set lacks "svc".
		if _, _, err := two.Create(ctx, "svc", nil, clientkey.Limits{}); !errors.Is(err, clientkey.ErrExists) {
			t.Fatalf("second create of the same name: %v; want ErrExists", err)
		}
		one.Refresh(ctx)
		two.Refresh(ctx)
		for i, r := range []*clientkey.Registry{one, two} {
			if _, ok := r.Current().Lookup(first); !ok {
				t.Fatalf("replica %d: the first key of the name was replaced", i+1)
			}
		}
	})
}

// TestUpdateDoesNotBringBackARevokedKey: a limit change through a replica
// that has not seen a revoke yet is refused, not a resurrection.
func TestUpdateDoesNotBringBackARevokedKey(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		space := keyspace.New("t")
		one, _ := clientkey.NewRegistry([]string{"sk-env"}, "", env(nil), clientkey.NewRedisStore(b.Client, space), nil)
		two, _ := clientkey.NewRegistry([]string{"sk-env"}, "", env(nil), clientkey.NewRedisStore(b.Client, space), nil)
		_, secret, err := one.Create(ctx, "svc", nil, clientkey.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		two.Refresh(ctx)
		if err := one.Delete(ctx, "svc"); err != nil {
			t.Fatal(err)
		}
		rpm := int64(5)
		if _, err := two.Update(ctx, "svc", clientkey.Patch{RPM: &rpm}); !errors.Is(err, clientkey.ErrNotFound) {
			t.Fatalf("update of a key revoked on another replica: %v; want ErrNotFound", err)
		}
		if n, _ := b.Client.HLen(ctx, space.ClientKeys()).Result(); n != 0 {
			t.Fatalf("the store holds %d keys after the revoke; want 0", n)
		}
		if _, ok := two.Current().Lookup(secret); ok {
			t.Fatal("the revoked key still works")
		}
	})
}

// TestCreateOverAFileKeyNamesTheFile: the refusal says the keys file holds the name.
func TestCreateOverAFileKeyNamesTheFile(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		r, err := clientkey.NewRegistry([]string{"sk-env"}, writeKeys(t, "sk-file\n"), env(nil), clientkey.NewRedisStore(b.Client, keyspace.New("t")), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = r.Create(context.Background(), "key-1", nil, clientkey.Limits{})
		if !errors.Is(err, clientkey.ErrFileName) || !errors.Is(err, clientkey.ErrExists) || !strings.Contains(err.Error(), "keys file") {
			t.Fatalf("create over a file key: %v; want a conflict naming the keys file", err)
		}
		_, _, err = r.Create(context.Background(), "env-1", nil, clientkey.Limits{})
		if !errors.Is(err, clientkey.ErrEnvName) || !strings.Contains(err.Error(), "SWITCHYARD_API_KEYS") {
			t.Fatalf("create over an environment key: %v; want a conflict naming SWITCHYARD_API_KEYS", err)
		}
	})
}

// TestAPIKeysSurviveAnEmptiedStore: the store restarts empty (no control
// marker): the replica keeps serving its last good API keys instead of
// adopting the empty list, re-seeds them (Reseed, called by the mirror
// while it re-seeds) and, once the marker is back, follows the store again:
// a revoke of the last key then stays revoked.
func TestAPIKeysSurviveAnEmptiedStore(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		space := keyspace.New("t")
		ready := func() {
			if err := b.Client.Set(ctx, space.ControlMarker(), "ready", 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
		ready()
		store := func() *clientkey.RedisStore {
			return clientkey.NewRedisStore(b.Client, space).FollowMarker(space.ControlMarker())
		}
		one, _ := clientkey.NewRegistry([]string{"sk-env"}, "", env(nil), store(), nil)
		two, _ := clientkey.NewRegistry([]string{"sk-env"}, "", env(nil), store(), nil)
		_, secret, err := one.Create(ctx, "svc", []string{"gpt-*"}, clientkey.Limits{RPM: 7})
		if err != nil {
			t.Fatal(err)
		}
		two.Refresh(ctx)

		if err := b.Client.FlushAll(ctx).Err(); err != nil { // Redis restarted empty
			t.Fatal(err)
		}
		for i, r := range []*clientkey.Registry{one, two} {
			r.Refresh(ctx)
			if _, ok := r.Current().Lookup(secret); !ok {
				t.Fatalf("replica %d: an API key stopped working when the store restarted empty", i+1)
			}
		}
		// A replica that never read the keys has nothing to re-seed.
		cold, _ := clientkey.NewRegistry([]string{"sk-env"}, "", env(nil), store(), nil)
		if err := cold.Reseed(ctx); err != nil {
			t.Fatal(err)
		}
		if n, _ := b.Client.HLen(ctx, space.ClientKeys()).Result(); n != 0 {
			t.Fatalf("a cold replica re-seeded %d keys", n)
		}
		if err := two.Reseed(ctx); err != nil {
			t.Fatal(err)
		}
		ready()
		for i, r := range []*clientkey.Registry{one, two, cold} {
			r.Refresh(ctx)
			if k, ok := r.Current().Lookup(secret); !ok || k.Limits.RPM != 7 || !k.Allows("gpt-4o") || k.Allows("claude-x") {
				t.Fatalf("replica %d after re-seeding: %+v, %v; want svc with its limits", i+1, k, ok)
			}
		}

		// A legitimate revoke of the last key is not an emptied store.
		if err := one.Delete(ctx, "svc"); err != nil {
			t.Fatal(err)
		}
		for i, r := range []*clientkey.Registry{one, two} {
			r.Refresh(ctx)
			r.Refresh(ctx)
			if _, ok := r.Current().Lookup(secret); ok {
				t.Fatalf("replica %d: the revoked last key still works", i+1)
			}
		}
		if err := two.Reseed(ctx); err != nil {
			t.Fatal(err)
		}
		if n, _ := b.Client.HLen(ctx, space.ClientKeys()).Result(); n != 0 {
			t.Fatal("re-seeding brought back a revoked key")
		}
	})
}

// TestChangesWaitForTheGuard: every change of an API key waits for the
// guard (the mirror's BeforeChange) and fails with its error.
func TestChangesWaitForTheGuard(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		r, _ := clientkey.NewRegistry([]string{"sk-env"}, "", env(nil), clientkey.NewRedisStore(b.Client, keyspace.New("t")), nil)
		down := errors.New("admin changes need the shared store")
		var refuse bool
		r.GuardChanges(func(context.Context) error {
			if refuse {
				return down
			}
			return nil
		})
		if _, _, err := r.Create(ctx, "svc", nil, clientkey.Limits{}); err != nil {
			t.Fatal(err)
		}
		refuse = true
		if _, _, err := r.Create(ctx, "svc2", nil, clientkey.Limits{}); !errors.Is(err, down) {
			t.Fatalf("create: %v; want the guard's error", err)
		}
		if _, err := r.Update(ctx, "svc", clientkey.Patch{}); !errors.Is(err, down) {
			t.Fatalf("update: %v; want the guard's error", err)
		}
		if err := r.Delete(ctx, "svc"); !errors.Is(err, down) {
			t.Fatalf("delete: %v; want the guard's error", err)
		}
	})
}

func writeKeys(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "keys.txt")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
