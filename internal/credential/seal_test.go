package credential_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/credential"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

const (
	tokKey = "{sy}:oauth:tok:ge-oauth"
	rtKey  = "{sy}:oauth:rt:ge-oauth"
)

func newKey(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func keyring(t *testing.T, current string, previous ...string) *credential.Keyring {
	t.Helper()
	k, err := credential.NewKeyring(current, previous)
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	return k
}

// syncBuffer is a log sink shared by several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// stored reads one field of a token hash as Redis holds it.
func stored(t *testing.T, b storetest.Backend, key, field string) string {
	t.Helper()
	v, err := b.Client.HGet(bg, key, field).Result()
	if err != nil {
		t.Fatalf("HGET %s %s: %v", key, field, err)
	}
	return v
}

// assertSealed fails unless a stored value is sealed with the key id and
// does not contain the secret.
func assertSealed(t *testing.T, what, v, plain, keyID string) {
	t.Helper()
	if strings.Contains(v, plain) || !strings.HasPrefix(v, "enc:v1:"+keyID+":") {
		t.Errorf("%s in Redis = %q; want it sealed under key %s (enc:v1:%s:…), not containing %q", what, v, keyID, keyID, plain)
	}
}

func TestTokensEncryptedAtRestAndKeyRotation(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ep := newTokenEndpoint(t)
		ep.set(func(e *tokenEndpoint) { e.rotate = true })
		a := oauthAccount("ge-oauth", ep.url)
		k1, k2 := newKey(t), newKey(t)
		ring1 := keyring(t, k1)

		if tok := mustToken(t, replica(t, b, credential.Options{Keys: ring1}), a); tok != "ya29.token-1" {
			t.Fatalf("token %q", tok)
		}
		assertSealed(t, "access token", stored(t, b, tokKey, "a"), "ya29.token-1", ring1.ID())
		assertSealed(t, "rotated refresh token", stored(t, b, rtKey, "t"), "rotated-rt-1", ring1.ID())
		// The same token sealed twice differs (random nonce per value).
		if stored(t, b, tokKey, "a") == stored(t, b, rtKey, "t") {
			t.Fatal("two sealed values are equal")
		}

		// Another replica with the same key reads the shared token.
		if tok := mustToken(t, replica(t, b, credential.Options{Keys: ring1}), a); tok != "ya29.token-1" {
			t.Fatalf("other replica got %q; want the shared ya29.token-1", tok)
		}
		// Rotation: k2 is current, k1 previous: values written under k1 still open.
		ring2 := keyring(t, k2, k1)
		r2 := replica(t, b, credential.Options{Keys: ring2})
		if tok := mustToken(t, r2, a); tok != "ya29.token-1" {
			t.Fatalf("replica with the previous key got %q; want ya29.token-1 without a refresh", tok)
		}
		if n := ep.count(); n != 1 {
			t.Fatalf("%d refreshes; want 1", n)
		}
		// The next refresh uses the rotated refresh token opened with the
		// previous key, and writes it again under the current key.
		ep.set(func(e *tokenEndpoint) { e.rotate = false })
		if err := r2.Invalidate(bg, a); err != nil {
			t.Fatal(err)
		}
		if tok := mustToken(t, r2, a); tok != "ya29.token-2" || ep.lastRT() != "rotated-rt-1" {
			t.Fatalf("token %q from refresh token %q; want ya29.token-2 from rotated-rt-1", tok, ep.lastRT())
		}
		assertSealed(t, "access token", stored(t, b, tokKey, "a"), "ya29.token-2", ring2.ID())
		assertSealed(t, "rotated refresh token", stored(t, b, rtKey, "t"), "rotated-rt-1", ring2.ID())

		// k1 retired: everything still opens with k2 alone.
		r3 := replica(t, b, credential.Options{Keys: keyring(t, k2)})
		if tok := mustToken(t, r3, a); tok != "ya29.token-2" {
			t.Fatalf("token %q after retiring the previous key; want ya29.token-2", tok)
		}
		if err := r3.Invalidate(bg, a); err != nil {
			t.Fatal(err)
		}
		if tok := mustToken(t, r3, a); tok != "ya29.token-3" || ep.lastRT() != "rotated-rt-1" {
			t.Fatalf("token %q from refresh token %q; want ya29.token-3 from the re-sealed rotated-rt-1", tok, ep.lastRT())
		}
	})
}

func TestInvalidateComparesSealedTokens(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ep := newTokenEndpoint(t)
		a := oauthAccount("ge-oauth", ep.url)
		ring := keyring(t, newKey(t))
		r1 := replica(t, b, credential.Options{Keys: ring})
		r2 := replica(t, b, credential.Options{Keys: ring})
		mustToken(t, r1, a)
		mustToken(t, r2, a)
		if err := r1.Invalidate(bg, a); err != nil {
			t.Fatal(err)
		}
		if tok := mustToken(t, r1, a); tok != "ya29.token-2" {
			t.Fatalf("token after Invalidate %q; want ya29.token-2", tok)
		}
		// r2's refused token is older than the shared one: the shared token stays.
		if err := r2.Invalidate(bg, a); err != nil {
			t.Fatal(err)
		}
		if tok := mustToken(t, r2, a); tok != "ya29.token-2" {
			t.Fatalf("other replica got %q; want ya29.token-2", tok)
		}
		if n := ep.count(); n != 2 {
			t.Fatalf("%d refreshes; want 2", n)
		}
	})
}

func TestUndecryptableTokensAreAbsent(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ep := newTokenEndpoint(t)
		ep.set(func(e *tokenEndpoint) { e.rotate = true })
		a := oauthAccount("ge-oauth", ep.url)
		var logs syncBuffer
		log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		ring1 := keyring(t, newKey(t))
		mustToken(t, replica(t, b, credential.Options{Keys: ring1, Log: log}), a)

		// A replica with another key: the token and the rotated refresh
		// token are absent to it; it refreshes with the file's refresh token.
		if tok := mustToken(t, replica(t, b, credential.Options{Keys: keyring(t, newKey(t)), Log: log}), a); tok != "ya29.token-2" {
			t.Fatalf("token %q with a wrong key; want a refreshed ya29.token-2", tok)
		}
		if got := ep.lastRT(); got != fileRT {
			t.Errorf("refresh with a wrong key used %q; want the file's refresh token", got)
		}
		// A replica without a key cannot open sealed values either.
		if tok := mustToken(t, replica(t, b, credential.Options{Log: log}), a); tok != "ya29.token-3" {
			t.Fatalf("token %q without a key; want a refreshed ya29.token-3", tok)
		}
		if v := stored(t, b, tokKey, "a"); v != "ya29.token-3" {
			t.Errorf("without a key the token is stored as %q; want plain text", v)
		}
		// With a key, a plain value (written before encryption, or planted) is not trusted.
		if tok := mustToken(t, replica(t, b, credential.Options{Keys: ring1, Log: log}), a); tok != "ya29.token-4" {
			t.Fatalf("token %q over a plain stored token; want a refreshed ya29.token-4", tok)
		}
		// A corrupted sealed value is absent too.
		if err := b.Client.HSet(bg, tokKey, "a", stored(t, b, tokKey, "a")[:20]+"AAAA").Err(); err != nil {
			t.Fatal(err)
		}
		if tok := mustToken(t, replica(t, b, credential.Options{Keys: ring1, Log: log}), a); tok != "ya29.token-5" {
			t.Fatalf("token %q over a corrupted value; want a refreshed ya29.token-5", tok)
		}
		for _, s := range []string{"ya29.", "rotated-rt-", "enc:v1:", fileRT} {
			if strings.Contains(logs.String(), s) {
				t.Errorf("logs reveal %q:\n%s", s, logs.String())
			}
		}
	})
}

func TestNewKeyring(t *testing.T) {
	k, err := credential.NewKeyring("", nil)
	if k != nil || err != nil {
		t.Fatalf("NewKeyring(\"\") = %v, %v; want nil, nil (plain text)", k, err)
	}
	good := newKey(t)
	short := base64.StdEncoding.EncodeToString([]byte("sixteen-byte-key"))
	for _, c := range []struct {
		name, current string
		previous      []string
		secret        string
	}{
		{"not base64", "not-base64-secret!", nil, "not-base64-secret"},
		{"wrong length", short, nil, short},
		{"bad previous", good, []string{short}, short},
		{"previous without current", "", []string{good}, good},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := credential.NewKeyring(c.current, c.previous)
			if err == nil {
				t.Fatal("NewKeyring accepted it")
			}
			if strings.Contains(err.Error(), c.secret) || strings.Contains(err.Error(), good) {
				t.Errorf("error %q reveals a key", err)
			}
		})
	}
	a, b := keyring(t, good), keyring(t, " "+good+"\n")
	if a.ID() == "" || a.ID() != b.ID() || strings.Contains(good, a.ID()) {
		t.Errorf("key ids %q, %q; want one stable id, not part of the key", a.ID(), b.ID())
	}
}
