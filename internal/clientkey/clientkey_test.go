package clientkey_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/clientkey"
	"github.com/switchyard-gw/switchyard/internal/keyspace"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestParsePlainFile(t *testing.T) {
	keys, secrets, err := clientkey.ParseFile([]byte("# team\nsk-one\n\n  sk-two  \n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0].Name != "key-1" || keys[1].Name != "key-2" || keys[1].Digest != clientkey.Digest("sk-two") {
		t.Fatalf("keys %+v", keys)
	}
	if strings.Join(secrets, ",") != "sk-one,sk-two" {
		t.Fatalf("secrets %v", secrets)
	}
}

func TestParseYAMLFile(t *testing.T) {
	sum := sha256.Sum256([]byte("sk-hashed"))
	doc := `keys:
  - name: alice
    key: ${ALICE_KEY}
    models: ["gpt-*", "claude-sonnet-*"]
    rpm: 60
    tpm: 100000
    max_in_flight: 4
    daily_tokens: 2000000
  - name: ci-bot
    key_sha256: ` + hex.EncodeToString(sum[:]) + `
    disabled: true
`
	keys, secrets, err := clientkey.ParseFile([]byte(doc), env(map[string]string{"ALICE_KEY": "sk-alice-secret"}))
	if err != nil {
		t.Fatal(err)
	}
	a, b := keys[0], keys[1]
	if a.Name != "alice" || a.Digest != clientkey.Digest("sk-alice-secret") || a.Limits != (clientkey.Limits{RPM: 60, TPM: 100000, MaxInFlight: 4, DailyTokens: 2000000}) {
		t.Fatalf("alice %+v", a)
	}
	if !a.Allows("gpt-4o") || !a.Allows("claude-sonnet-4-5") || a.Allows("gemini-2.5-pro") {
		t.Fatal("alice's allow-list is not applied")
	}
	if b.Name != "ci-bot" || b.Digest != sum || !b.Disabled || !b.Allows("anything") {
		t.Fatalf("ci-bot %+v", b)
	}
	if len(secrets) != 1 || secrets[0] != "sk-alice-secret" {
		t.Fatalf("secrets %v", secrets)
	}
}

func TestParseErrorsNeverShowSecrets(t *testing.T) {
	for _, doc := range []string{
		"keys:\n  - name: a\n    key: sk-visible-secret\n    key_sha256: abc\n",
		"keys:\n  - name: bad name!\n    key: sk-visible-secret\n",
		"keys:\n  - name: a\n    key: sk-visible-secret\n  - name: a\n    key: sk-visible-secret-2\n",
		"keys:\n  - name: a\n    key: sk-visible-secret\n    rpm: -1\n",
		"keys:\n  - name: a\n    key: sk-visible-secret\n    colour: red\n",
		"keys:\n  - name: a\n    key: ${MISSING_VAR}\n",
		"keys:\n  - name: a\n    key_sha256: sk-visible-secret\n",
	} {
		_, _, err := clientkey.ParseFile([]byte(doc), env(nil))
		if err == nil {
			t.Errorf("accepted:\n%s", doc)
			continue
		}
		if strings.Contains(err.Error(), "sk-visible-secret") {
			t.Errorf("error shows the secret: %v", err)
		}
	}
}

func TestRegistryReloadsTheFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "keys.yaml")
	write := func(s string) {
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		later := time.Now().Add(time.Duration(len(s)) * time.Second)
		_ = os.Chtimes(p, later, later)
	}
	write("keys:\n  - name: alice\n    key: sk-a\n")
	r, err := clientkey.NewRegistry([]string{"sk-env"}, p, env(nil), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := r.Current().Lookup("sk-a"); !ok || k.Name != "alice" {
		t.Fatal("file key not served")
	}
	if k, ok := r.Current().Lookup("sk-env"); !ok || k.Name != "env-1" || k.Source != clientkey.SourceEnv {
		t.Fatal("environment key not served")
	}
	write("keys:\n  - name: bob\n    key: sk-b\n    rpm: 5\n")
	r.Refresh(context.Background())
	if _, ok := r.Current().Lookup("sk-a"); ok {
		t.Fatal("a key removed from the file still works")
	}
	if k, ok := r.Current().Lookup("sk-b"); !ok || k.Limits.RPM != 5 {
		t.Fatal("a key added to the file is not served")
	}
	write("keys: []\n")
	r2, _ := clientkey.NewRegistry(nil, p, env(nil), nil, nil)
	if r2.Current().Open() {
		t.Fatal("a gateway with an empty keys file is open to every client")
	}
	write("keys: [ this is not valid")
	r.Refresh(context.Background())
	if _, ok := r.Current().Lookup("sk-b"); !ok {
		t.Fatal("a bad file replaced the last good keys")
	}
	if _, ok := r.Current().Lookup("wrong"); ok {
		t.Fatal("an unknown key is accepted")
	}
}

func TestAPIKeysAreSharedAndFileWins(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		p := filepath.Join(t.TempDir(), "keys.txt")
		if err := os.WriteFile(p, []byte("sk-file\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		one, err := clientkey.NewRegistry(nil, p, env(nil), clientkey.NewRedisStore(b.Client, keyspace.New("t")), nil)
		if err != nil {
			t.Fatal(err)
		}
		two, _ := clientkey.NewRegistry([]string{"sk-env-two"}, "", env(nil), clientkey.NewRedisStore(b.Client, keyspace.New("t")), nil)
		k, secret, err := one.Create(ctx, "svc", []string{"gpt-*"}, clientkey.Limits{RPM: 10})
		if err != nil || !strings.HasPrefix(secret, "sy-") || k.Source != clientkey.SourceAPI {
			t.Fatalf("create: %+v %v", k, err)
		}
		// Only the digest is stored.
		raw, _ := b.Client.HGetAll(ctx, keyspace.New("t").ClientKeys()).Result()
		if strings.Contains(raw["svc"], secret) || len(raw) != 1 {
			t.Fatalf("store holds %v", raw)
		}
		two.Refresh(ctx)
		if k, ok := two.Current().Lookup(secret); !ok || k.Limits.RPM != 10 {
			t.Fatal("an API key is not seen by another replica")
		}
		dis := true
		if _, err := two.Update(ctx, "svc", clientkey.Patch{Disabled: &dis}); err != nil {
			t.Fatal(err)
		}
		one.Refresh(ctx)
		if k, _ := one.Current().Lookup(secret); k == nil || !k.Disabled {
			t.Fatal("a disable through one replica is not seen by the other")
		}
		if err := one.Delete(ctx, "svc"); err != nil {
			t.Fatal(err)
		}
		two.Refresh(ctx)
		if _, ok := two.Current().Lookup(secret); ok {
			t.Fatal("a revoked key still works on another replica")
		}
		// The file's key-1 cannot be changed through the API, and an API
		// key of the same name is shadowed by it.
		if _, err := one.Update(ctx, "key-1", clientkey.Patch{Disabled: &dis}); err != clientkey.ErrNotAPI {
			t.Fatalf("update of a file key: %v; want ErrNotAPI", err)
		}
		if _, _, err := one.Create(ctx, "key-1", nil, clientkey.Limits{}); !errors.Is(err, clientkey.ErrFileName) {
			t.Fatalf("create over a file key: %v; want ErrFileName", err)
		}
		_ = clientkey.NewRedisStore(b.Client, keyspace.New("t")).Create(ctx, &clientkey.Key{Name: "key-1", Digest: clientkey.Digest("sk-api")})
		one.Refresh(ctx)
		if k, _ := one.Current().Named("key-1"); k.Source != clientkey.SourceFile || len(one.Shadowed()) != 1 {
			t.Fatalf("key-1 from %s, %d shadowed; want the file's and one shadowed", k.Source, len(one.Shadowed()))
		}
		if _, ok := one.Current().Lookup("sk-api"); ok {
			t.Fatal("a shadowed API key works")
		}
	})
}

// A placeholder key is refused at start by the configuration; a reload that
// brings one in is refused too, and the last good keys keep serving.
func TestReloadRefusesPlaceholderKeys(t *testing.T) {
	p := filepath.Join(t.TempDir(), "keys.txt")
	if err := os.WriteFile(p, []byte("sk-good-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := clientkey.NewRegistry(nil, p, env(nil), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.RefuseSecrets(func(s string) bool { return strings.HasPrefix(s, "CHANGE-ME") })
	if err := os.WriteFile(p, []byte("sk-good-1\nCHANGE-ME-client-key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.Refresh(context.Background())
	if _, ok := r.Current().Lookup("CHANGE-ME-client-key"); ok {
		t.Fatal("a placeholder key brought in by a reload is served")
	}
	if _, ok := r.Current().Lookup("sk-good-1"); !ok {
		t.Fatal("the last good keys stopped serving")
	}
}
