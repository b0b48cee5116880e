package credential_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/credential"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

var bg = context.Background()

func mustToken(t *testing.T, s *credential.Store, a *account.Account) string {
	t.Helper()
	tok, err := s.AccessToken(bg, a)
	if err != nil {
		t.Fatalf("AccessToken: %v", err)
	}
	return tok
}

func TestOneRefreshForManyCallersOnThreeReplicas(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ep := newTokenEndpoint(t)
		ep.set(func(e *tokenEndpoint) { e.delay = 150 * time.Millisecond })
		a := oauthAccount("ge-oauth", ep.url)
		stores := []*credential.Store{
			replica(t, b, credential.Options{}), replica(t, b, credential.Options{}), replica(t, b, credential.Options{}),
		}
		var wg sync.WaitGroup
		toks := make([]string, 20)
		errs := make([]error, 20)
		for i := range 20 {
			wg.Go(func() { toks[i], errs[i] = stores[i%3].AccessToken(bg, a) })
		}
		wg.Wait()
		for i := range 20 {
			if errs[i] != nil || toks[i] != "ya29.token-1" {
				t.Errorf("caller %d: token %q, err %v; want ya29.token-1", i, toks[i], errs[i])
			}
		}
		if n := ep.count(); n != 1 {
			t.Fatalf("%d refreshes for 20 callers on 3 replicas; want 1", n)
		}
		if ep.lastRT() != fileRT {
			t.Errorf("refresh used another refresh token than the file's")
		}
	})
}

func TestTokenReusedUntilSkewBeforeExpiry(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		clk := newClock(b)
		ep := newTokenEndpoint(t)
		// miniredis and the embedded store: the real 60 s skew on a one-hour
		// token, with fake time. redis-server: real time, so a short token and skew.
		life, skew := 3599*time.Second, time.Duration(0)
		if !clk.fake() {
			life, skew = 5*time.Second, 2*time.Second
		}
		wantSkew := skew
		if wantSkew == 0 {
			wantSkew = 60 * time.Second
		}
		ep.set(func(e *tokenEndpoint) { e.expiresIn = int(life / time.Second) })
		a := oauthAccount("ge-oauth", ep.url)
		r1 := replica(t, b, credential.Options{Skew: skew, Now: clk.now})
		r2 := replica(t, b, credential.Options{Skew: skew, Now: clk.now})

		if tok := mustToken(t, r1, a); tok != "ya29.token-1" {
			t.Fatalf("first token %q", tok)
		}
		clk.advance(life - wantSkew - time.Second) // one second before the refresh point
		if tok := mustToken(t, r1, a); tok != "ya29.token-1" {
			t.Fatalf("cached token %q; want ya29.token-1 reused", tok)
		}
		if tok := mustToken(t, r2, a); tok != "ya29.token-1" {
			t.Fatalf("other replica got %q; want the shared ya29.token-1", tok)
		}
		if n := ep.count(); n != 1 {
			t.Fatalf("%d refreshes before the refresh point; want 1", n)
		}
		clk.advance(1500 * time.Millisecond) // now within the skew of the expiry
		if tok := mustToken(t, r1, a); tok != "ya29.token-2" {
			t.Fatalf("token %q within the skew; want a refreshed ya29.token-2", tok)
		}
		if tok := mustToken(t, r2, a); tok != "ya29.token-2" {
			t.Fatalf("other replica got %q; want the shared ya29.token-2", tok)
		}
		if n := ep.count(); n != 2 {
			t.Fatalf("%d refreshes; want 2", n)
		}
	})
}

func TestFailedRefreshKeepsUsingAValidToken(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ep := newTokenEndpoint(t)
		a := oauthAccount("ge-oauth", ep.url)
		mustToken(t, replica(t, b, credential.Options{}), a)
		// Age the shared token (both servers, no clock needed): due for
		// refresh, still valid for a minute. Fresh replicas have no cache.
		ageToken(t, b, "ge-oauth", -time.Millisecond, time.Minute)
		ep.set(func(e *tokenEndpoint) { e.status, e.body = 503, `{"error":"backend_error"}` })
		if tok := mustToken(t, replica(t, b, credential.Options{}), a); tok != "ya29.token-1" {
			t.Fatalf("token %q while the endpoint fails; want the still valid ya29.token-1", tok)
		}
		// The failure is shared for a moment: another replica does not retry it.
		if tok := mustToken(t, replica(t, b, credential.Options{}), a); tok != "ya29.token-1" {
			t.Fatalf("other replica got %q; want ya29.token-1", tok)
		}
		if n := ep.count(); n != 2 {
			t.Fatalf("%d refreshes; want 2 (one success, one failure)", n)
		}
		// Once the token has expired the failure is an error.
		ageToken(t, b, "ge-oauth", -time.Millisecond, -time.Millisecond)
		_, err := replica(t, b, credential.Options{}).AccessToken(bg, a)
		if !errors.Is(err, credential.ErrRefresh) || errors.Is(err, credential.ErrInvalidGrant) {
			t.Fatalf("err %v; want ErrRefresh", err)
		}
		assertNoSecrets(t, err)
	})
}

func TestInvalidateForcesOneRefresh(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ep := newTokenEndpoint(t)
		a := oauthAccount("ge-oauth", ep.url)
		r1 := replica(t, b, credential.Options{})
		r2 := replica(t, b, credential.Options{})
		mustToken(t, r1, a)
		mustToken(t, r2, a) // r2 caches ya29.token-1 too

		if err := r1.Invalidate(bg, a); err != nil {
			t.Fatalf("Invalidate: %v", err)
		}
		if tok := mustToken(t, r1, a); tok != "ya29.token-2" {
			t.Fatalf("token after Invalidate %q; want ya29.token-2", tok)
		}
		// Requests refused with the same old token report it one after another:
		// one refresh, not one each.
		if err := r1.Invalidate(bg, a); err != nil {
			t.Fatalf("Invalidate: %v", err)
		}
		if tok := mustToken(t, r1, a); tok != "ya29.token-2" {
			t.Fatalf("token %q after a repeated Invalidate; want ya29.token-2", tok)
		}
		// The other replica's refused token is older than the shared one: it
		// picks up the new token without another refresh.
		if err := r2.Invalidate(bg, a); err != nil {
			t.Fatalf("Invalidate: %v", err)
		}
		if tok := mustToken(t, r2, a); tok != "ya29.token-2" {
			t.Fatalf("other replica got %q; want ya29.token-2", tok)
		}
		if n := ep.count(); n != 2 {
			t.Fatalf("%d refreshes; want 2", n)
		}
	})
}

func TestInvalidGrant(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ep := newTokenEndpoint(t)
		ep.set(func(e *tokenEndpoint) {
			e.status = 400
			e.body = `{"error":"invalid_grant","error_description":"Token has been expired or revoked: ` + fileRT + `"}`
		})
		a := oauthAccount("ge-oauth", ep.url)
		r1 := replica(t, b, credential.Options{})
		r2 := replica(t, b, credential.Options{})
		_, err := r1.AccessToken(bg, a)
		if !errors.Is(err, credential.ErrInvalidGrant) {
			t.Fatalf("err %v; want ErrInvalidGrant", err)
		}
		assertNoSecrets(t, err, "Token has been expired")
		// Another replica learns it from the shared store, without a refresh.
		_, err = r2.AccessToken(bg, a)
		if !errors.Is(err, credential.ErrInvalidGrant) {
			t.Fatalf("other replica: err %v; want ErrInvalidGrant", err)
		}
		if n := ep.count(); n != 1 {
			t.Fatalf("%d refreshes; want 1", n)
		}
	})
}

func TestOtherRefreshFailures(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		cases := []struct {
			name, body, want string
			status           int
		}{
			{"invalid client", `{"error":"invalid_client","error_description":"The OAuth client was not found. ` + clientSecret + `"}`, "invalid_client", 401},
			{"server error without a code", `<html>` + fileRT + `</html>`, "answered 500", 500},
			{"garbage code", `{"error":"` + fileRT + ` spaced"}`, "(unrecognised)", 400},
			{"2xx without a token", `{"token_type":"Bearer","secret":"` + clientSecret + `"}`, "unusable answer", 299},
		}
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				ep := newTokenEndpoint(t)
				ep.set(func(e *tokenEndpoint) { e.status, e.body = c.status, c.body })
				a := oauthAccount("acct-"+string(rune('a'+i)), ep.url)
				_, err := replica(t, b, credential.Options{}).AccessToken(bg, a)
				if !errors.Is(err, credential.ErrRefresh) || errors.Is(err, credential.ErrInvalidGrant) {
					t.Fatalf("err %v; want ErrRefresh only", err)
				}
				if !strings.Contains(err.Error(), c.want) {
					t.Errorf("err %q; want it to mention %q", err, c.want)
				}
				assertNoSecrets(t, err, "OAuth client was not found", "<html>")
			})
		}
		t.Run("unreachable endpoint", func(t *testing.T) {
			a := oauthAccount("acct-down", "http://127.0.0.1:1/token?x="+clientSecret)
			_, err := replica(t, b, credential.Options{}).AccessToken(bg, a)
			if !errors.Is(err, credential.ErrRefresh) || !strings.Contains(err.Error(), "unreachable") {
				t.Fatalf("err %v; want ErrRefresh: token endpoint unreachable", err)
			}
			assertNoSecrets(t, err, "127.0.0.1:1")
		})
	})
}

func TestRotatedRefreshTokenIsUsedNext(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ep := newTokenEndpoint(t)
		ep.set(func(e *tokenEndpoint) { e.rotate = true })
		a := oauthAccount("ge-oauth", ep.url)
		r1 := replica(t, b, credential.Options{})
		r2 := replica(t, b, credential.Options{})
		mustToken(t, r1, a)
		if ep.lastRT() != fileRT {
			t.Fatalf("first refresh must use the file's refresh token")
		}
		// The next refresh, on another replica, uses the rotated token.
		if err := r2.Invalidate(bg, a); err != nil {
			t.Fatal(err)
		}
		mustToken(t, r2, a)
		if got := ep.lastRT(); got != "rotated-rt-1" {
			t.Fatalf("second refresh used %q; want rotated-rt-1", got)
		}
		// New credentials in the accounts file win over a token rotated from old ones.
		a2 := oauthAccount("ge-oauth", ep.url)
		a2.OAuth.RefreshToken = "refresh-secret-new"
		if tok := mustToken(t, r1, a2); tok != "ya29.token-3" {
			t.Fatalf("token %q for new credentials; want a fresh ya29.token-3", tok)
		}
		if got := ep.lastRT(); got != "refresh-secret-new" {
			t.Fatalf("refresh for new credentials used %q; want the file's new token", got)
		}
	})
}

func TestWaitsForAnotherReplicasLockThenTakesOver(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ep := newTokenEndpoint(t)
		a := oauthAccount("ge-oauth", ep.url)
		// A replica took the lock and died.
		deadLock(t, b, "ge-oauth", 300*time.Millisecond)
		if b.Mini != nil {
			go func() { time.Sleep(300 * time.Millisecond); b.Mini.FastForward(time.Second) }()
		}
		start := time.Now()
		if tok := mustToken(t, replica(t, b, credential.Options{}), a); tok != "ya29.token-1" {
			t.Fatalf("token %q", tok)
		}
		if d := time.Since(start); d < 250*time.Millisecond || d > 3*time.Second {
			t.Errorf("took %s; want to wait for the lock (~300ms), not longer", d)
		}
	})
}

func TestCallerContextEndsButRefreshCompletes(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ep := newTokenEndpoint(t)
		ep.set(func(e *tokenEndpoint) { e.delay = 300 * time.Millisecond })
		a := oauthAccount("ge-oauth", ep.url)
		r := replica(t, b, credential.Options{})
		ctx, cancel := context.WithTimeout(bg, 50*time.Millisecond)
		defer cancel()
		if _, err := r.AccessToken(ctx, a); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v; want the caller's deadline", err)
		}
		time.Sleep(400 * time.Millisecond)
		if tok := mustToken(t, r, a); tok != "ya29.token-1" {
			t.Fatalf("token %q", tok)
		}
		if n := ep.count(); n != 1 {
			t.Fatalf("%d refreshes; want the abandoned one to have completed and been reused", n)
		}
	})
}

func TestKeysShareTheSchedulersHashTag(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ep := newTokenEndpoint(t)
		ep.set(func(e *tokenEndpoint) { e.rotate = true })
		r := replica(t, b, credential.Options{Namespace: "team-a"})
		mustToken(t, r, oauthAccount("ge-oauth", ep.url))
		keys, err := b.Client.Keys(bg, "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != 2 {
			t.Fatalf("keys %v; want the token and the rotated refresh token", keys)
		}
		for _, k := range keys {
			if !strings.HasPrefix(k, "{sy:team-a}:oauth:") {
				t.Errorf("key %q outside the namespace's hash tag", k)
			}
		}
	})
}

func TestSharedStoreUnreachableRefreshesLocally(t *testing.T) {
	ep := newTokenEndpoint(t)
	a := oauthAccount("ge-oauth", ep.url)
	r := replica(t, storetest.Backend{Addr: storetest.FreePort(t)}, credential.Options{})
	if tok := mustToken(t, r, a); tok != "ya29.token-1" {
		t.Fatalf("token %q", tok)
	}
	if tok := mustToken(t, r, a); tok != "ya29.token-1" {
		t.Fatalf("token %q; want the cached one", tok)
	}
	if n := ep.count(); n != 1 {
		t.Fatalf("%d refreshes; want 1", n)
	}
}

func TestNoSharedStore(t *testing.T) {
	ep := newTokenEndpoint(t)
	ep.set(func(e *tokenEndpoint) { e.rotate = true })
	a := oauthAccount("ge-oauth", ep.url)
	s := credential.NewStore(nil, credential.Options{})
	mustToken(t, s, a)
	if err := s.Invalidate(bg, a); err != nil {
		t.Fatal(err)
	}
	if tok := mustToken(t, s, a); tok != "ya29.token-2" || ep.lastRT() != "rotated-rt-1" {
		t.Fatalf("token %q with refresh token %q; want ya29.token-2 from rotated-rt-1", tok, ep.lastRT())
	}
}

// A failed refresh holds for FailHold: callers meanwhile (on any replica)
// get the failure without calling the endpoint; afterwards the next caller
// refreshes again (an operator who fixed the account is not refused by the
// old failure).
func TestFailureHoldsForFailHold(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		clk := newClock(b)
		ep := newTokenEndpoint(t)
		ep.set(func(e *tokenEndpoint) { e.status, e.body = 400, `{"error":"invalid_grant"}` })
		a := oauthAccount("ge-oauth", ep.url)
		o := credential.Options{FailHold: 300 * time.Millisecond, Now: clk.now}
		r1, r2 := replica(t, b, o), replica(t, b, o)
		for _, r := range []*credential.Store{r1, r2, r1} {
			if _, err := r.AccessToken(bg, a); !errors.Is(err, credential.ErrInvalidGrant) {
				t.Fatalf("err %v; want ErrInvalidGrant", err)
			}
		}
		if n := ep.count(); n != 1 {
			t.Fatalf("%d refreshes within the hold; want 1", n)
		}
		clk.advance(400 * time.Millisecond)
		ep.set(func(e *tokenEndpoint) { e.status = 0 })
		if tok := mustToken(t, r2, a); tok != "ya29.token-2" {
			t.Fatalf("token %q after the hold; want a new refresh", tok)
		}
	})
}
