package clientkey_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/clientkey"
	"github.com/switchyard-gw/switchyard/internal/keyspace"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

// apiStoreOn is the API key store of a backend: the shared Redis, or the
// embedded store (one MemStore per test, shared by its replicas).
func apiStoreOn(b storetest.Backend) clientkey.APIStore {
	if b.Embedded != nil {
		return b.Embedded.Store(func(func() time.Time) any { return clientkey.NewMemStore() }).(clientkey.APIStore)
	}
	return clientkey.NewRedisStore(b.Client, keyspace.New(""))
}

// The API key stores follow one set of rules: Create refuses a name held,
// Put replaces only a key held (a revoke is never undone), Restore writes
// only what is missing, List is by name, the secret is never kept.
func TestAPIStoreRules(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := apiStoreOn(b)
		svc := &clientkey.Key{Name: "svc", Digest: clientkey.Digest("sy-svc"), Models: []string{"gpt-*"}, Limits: clientkey.Limits{RPM: 10}}
		if err := s.Create(ctx, svc); err != nil {
			t.Fatal(err)
		}
		if err := s.Create(ctx, &clientkey.Key{Name: "svc", Digest: clientkey.Digest("sy-other")}); !errors.Is(err, clientkey.ErrExists) {
			t.Fatalf("create over a held name: %v; want ErrExists", err)
		}
		if err := s.Put(ctx, &clientkey.Key{Name: "gone", Digest: clientkey.Digest("sy-gone")}); !errors.Is(err, clientkey.ErrNotFound) {
			t.Fatalf("put of a key not held: %v; want ErrNotFound", err)
		}
		svc.Models[0] = "changed by the caller" // the store keeps its own copy
		upd := &clientkey.Key{Name: "svc", Digest: clientkey.Digest("sy-svc"), Models: []string{"gpt-*"}, Limits: clientkey.Limits{RPM: 20}, Disabled: true}
		if err := s.Put(ctx, upd); err != nil {
			t.Fatal(err)
		}
		n, err := s.Restore(ctx, []*clientkey.Key{
			{Name: "svc", Digest: clientkey.Digest("sy-old")},
			{Name: "alpha", Digest: clientkey.Digest("sy-alpha")},
		})
		if err != nil || n != 1 {
			t.Fatalf("restore: %d, %v; want 1 (the missing key only)", n, err)
		}
		keys, err := s.List(ctx)
		if err != nil || len(keys) != 2 || keys[0].Name != "alpha" || keys[1].Name != "svc" {
			t.Fatalf("list: %+v, %v", keys, err)
		}
		got := keys[1]
		if got.Digest != clientkey.Digest("sy-svc") || got.Limits.RPM != 20 || !got.Disabled || len(got.Models) != 1 ||
			got.Models[0] != "gpt-*" || got.Source != clientkey.SourceAPI {
			t.Fatalf("svc: %+v", got)
		}
		if ok, err := s.Delete(ctx, "svc"); !ok || err != nil {
			t.Fatalf("delete: %v %v", ok, err)
		}
		if ok, _ := s.Delete(ctx, "svc"); ok {
			t.Fatal("a second delete found the key")
		}
		if err := s.Put(ctx, upd); !errors.Is(err, clientkey.ErrNotFound) {
			t.Fatalf("put after a revoke: %v; want ErrNotFound", err)
		}
	})
}

// Without a shared store the registry manages API keys in memory: created,
// found by secret, changed and revoked.
func TestRegistryOnMemStore(t *testing.T) {
	ctx := context.Background()
	r, err := clientkey.NewRegistry([]string{"sk-env"}, "", env(nil), clientkey.NewMemStore(), nil)
	if err != nil {
		t.Fatal(err)
	}
	k, secret, err := r.Create(ctx, "svc", nil, clientkey.Limits{RPM: 5})
	if err != nil || k.Source != clientkey.SourceAPI {
		t.Fatalf("create: %+v %v", k, err)
	}
	if got, ok := r.Current().Lookup(secret); !ok || got.Name != "svc" || got.Limits.RPM != 5 {
		t.Fatal("a created key is not found")
	}
	dis := true
	if _, err := r.Update(ctx, "svc", clientkey.Patch{Disabled: &dis}); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.Current().Lookup(secret); got == nil || !got.Disabled {
		t.Fatal("a disable is not seen")
	}
	if err := r.Delete(ctx, "svc"); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Current().Lookup(secret); ok {
		t.Fatal("a revoked key still works")
	}
}

// A gateway without environment or file keys is open until an operator
// creates an API key; revoking the last one must not open it again.
func TestRevokingTheLastAPIKeyKeepsTheGatewayClosed(t *testing.T) {
	ctx := context.Background()
	r, err := clientkey.NewRegistry(nil, "", env(nil), clientkey.NewMemStore(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Current().Open() {
		t.Fatal("a gateway without any key is not open")
	}
	_, secret, err := r.Create(ctx, "svc", nil, clientkey.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Current().Open() {
		t.Fatal("a gateway with an API key is open")
	}
	if err := r.Delete(ctx, "svc"); err != nil {
		t.Fatal(err)
	}
	if r.Current().Open() {
		t.Fatal("revoking the last API key opened the gateway to anyone")
	}
	if _, ok := r.Current().Lookup(secret); ok {
		t.Fatal("a revoked key still works")
	}
	if _, ok := r.Current().Lookup(""); ok {
		t.Fatal("a request without a key is let in")
	}
}
