package credential_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/credential"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

// Test secrets: no error may contain them.
const (
	clientSecret = "client-secret-5e1f"
	fileRT       = "refresh-secret-0a9c"
)

// tokenEndpoint is a fake OAuth token endpoint (Google's shape, §3.9) that
// counts refreshes.
type tokenEndpoint struct {
	t   *testing.T
	url string

	mu        sync.Mutex
	refreshes int
	usedRT    []string // refresh token of each request
	expiresIn int
	rotate    bool          // answer each refresh with a new refresh token
	status    int           // != 200: fail with this status
	body      string        // the failure's body
	delay     time.Duration // before answering
}

func newTokenEndpoint(t *testing.T) *tokenEndpoint {
	e := &tokenEndpoint{t: t, expiresIn: 3599}
	srv := httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(srv.Close)
	e.url = srv.URL + "/token"
	return e
}

func (e *tokenEndpoint) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	// AuthStyleInParams: the client credentials travel in the form.
	if r.PostForm.Get("grant_type") != "refresh_token" || r.PostForm.Get("client_id") != "cid.apps.googleusercontent.com" ||
		r.PostForm.Get("client_secret") != clientSecret || r.Header.Get("Authorization") != "" {
		e.t.Errorf("token request: grant_type=%q client_id=%q secret ok=%v auth header=%q", r.PostForm.Get("grant_type"),
			r.PostForm.Get("client_id"), r.PostForm.Get("client_secret") == clientSecret, r.Header.Get("Authorization"))
	}
	e.mu.Lock()
	e.refreshes++
	n := e.refreshes
	e.usedRT = append(e.usedRT, r.PostForm.Get("refresh_token"))
	delay, status, body, expiresIn, rotate := e.delay, e.status, e.body, e.expiresIn, e.rotate
	e.mu.Unlock()
	time.Sleep(delay)
	w.Header().Set("Content-Type", "application/json")
	if status != 0 && status != http.StatusOK {
		w.WriteHeader(status)
		fmt.Fprint(w, body)
		return
	}
	resp := map[string]any{"access_token": fmt.Sprintf("ya29.token-%d", n), "expires_in": expiresIn,
		"token_type": "Bearer", "scope": "https://www.googleapis.com/auth/cloud-platform"}
	if rotate {
		resp["refresh_token"] = fmt.Sprintf("rotated-rt-%d", n)
	}
	_ = json.NewEncoder(w).Encode(resp)
}

func (e *tokenEndpoint) set(fn func(e *tokenEndpoint)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	fn(e)
}

func (e *tokenEndpoint) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.refreshes
}

func (e *tokenEndpoint) lastRT() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.usedRT) == 0 {
		return ""
	}
	return e.usedRT[len(e.usedRT)-1]
}

func oauthAccount(id, tokenURL string) *account.Account {
	return &account.Account{ID: id, Email: id + "@example.com", Provider: account.Provider("gemini"), OAuth: &account.OAuth{
		TokenURL: tokenURL, ClientID: "cid.apps.googleusercontent.com",
		ClientSecret: account.Secret(clientSecret), RefreshToken: account.Secret(fileRT),
	}}
}

// clock is one fake time for miniredis (TIME and the stores' caches move
// together), the embedded store's clock, or the real clock on redis-server.
type clock struct {
	b  storetest.Backend
	mu sync.Mutex
	t  time.Time
}

func newClock(b storetest.Backend) *clock {
	c := &clock{b: b, t: time.Now()}
	if b.Mini != nil {
		b.Mini.SetTime(c.t)
	}
	return c
}

// fake reports whether the clock is the test's to move.
func (c *clock) fake() bool { return c.b.Mini != nil || c.b.Embedded != nil }

func (c *clock) now() time.Time {
	switch {
	case c.b.Embedded != nil:
		return c.b.Embedded.Clock.Now()
	case c.b.Mini == nil:
		return time.Now()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	switch {
	case c.b.Embedded != nil:
		c.b.Embedded.Clock.FastForward(d)
		return
	case c.b.Mini == nil:
		time.Sleep(d)
		return
	}
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.b.Mini.SetTime(c.t)
	c.mu.Unlock()
}

// replica builds a token store with its own Redis connection, as another
// gateway process would have; on the embedded store, a store on the test's
// one MemTokens (replicas sharing it as they would share a Redis).
func replica(t *testing.T, b storetest.Backend, o credential.Options) *credential.Store {
	t.Helper()
	if b.Embedded != nil {
		if o.Now == nil {
			o.Now = b.Embedded.Clock.Now
		}
		return credential.NewEmbedded(memTokens(b), o)
	}
	c := redis.NewClient(&redis.Options{Addr: b.Addr})
	t.Cleanup(func() { c.Close() })
	return credential.NewStore(c, o)
}

func memTokens(b storetest.Backend) *credential.MemTokens {
	return b.Embedded.Store(func(now func() time.Time) any { return credential.NewMemTokens(now) }).(*credential.MemTokens)
}

// ageToken sets the stored token of id to be due for refresh in refreshIn
// and to expire in expiresIn (negative: past), on the store's clock.
func ageToken(t *testing.T, b storetest.Backend, id string, refreshIn, expiresIn time.Duration) {
	t.Helper()
	if b.Embedded != nil {
		now := b.Embedded.Clock.Now()
		memTokens(b).SetTimes(id, now.Add(refreshIn), now.Add(expiresIn))
		return
	}
	now, err := b.Client.Time(bg).Result()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Client.HSet(bg, "{sy}:oauth:tok:"+id, "r", now.Add(refreshIn).UnixMilli(), "e", now.Add(expiresIn).UnixMilli()).Err(); err != nil {
		t.Fatal(err)
	}
}

// deadLock holds id's refresh lock for ttl, as a replica that died would.
func deadLock(t *testing.T, b storetest.Backend, id string, ttl time.Duration) {
	t.Helper()
	if b.Embedded != nil {
		memTokens(b).TakeLock(id, "dead-replica", ttl)
		return
	}
	if err := b.Client.Set(bg, "{sy}:oauth:lock:"+id, "dead-replica", ttl).Err(); err != nil {
		t.Fatal(err)
	}
}

// assertNoSecrets fails when an error's text carries a credential or the
// token endpoint's answer.
func assertNoSecrets(t *testing.T, err error, extra ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range append([]string{clientSecret, fileRT, "ya29.", "rotated-rt-", "error_description"}, extra...) {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q reveals %q", err.Error(), s)
		}
	}
}
