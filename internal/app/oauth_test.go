package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
)

// OAuth test credentials: the logs must never show them.
const (
	oauthClientSecret = "oauth-client-secret-4b7e"
	oauthRefreshToken = "oauth-refresh-token-93d1"
)

// googleTokens is a fake Google token endpoint (protocols.md §3.9).
type googleTokens struct {
	mu        sync.Mutex
	refreshes int
	// next is the access token prefix handed out ("" = invalid_grant).
	next []string
}

func (g *googleTokens) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	g.mu.Lock()
	g.refreshes++
	n := g.refreshes
	prefix := "ya29.e2e-"
	if len(g.next) > 0 {
		prefix, g.next = g.next[0], g.next[1:]
	}
	g.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.PostForm.Get("refresh_token") != oauthRefreshToken || r.PostForm.Get("client_secret") != oauthClientSecret || prefix == "" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":"invalid_grant","error_description":"Token has been expired or revoked."}`)
		return
	}
	fmt.Fprintf(w, `{"access_token":"%s%d","expires_in":3599,"token_type":"Bearer","scope":"https://www.googleapis.com/auth/cloud-platform"}`, prefix, n)
}

func (g *googleTokens) script(next ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.next = next
}

func (g *googleTokens) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.refreshes
}

// newOAuthHarness runs a gateway whose pool is one Gemini OAuth account
// (ultra, so it is preferred) and one Gemini key account (free).
func newOAuthHarness(t *testing.T) (*harness, *googleTokens) {
	t.Helper()
	fake := fakeupstream.New(fakeupstream.Options{})
	up := httptest.NewServer(fake)
	t.Cleanup(up.Close)
	tokens := &googleTokens{}
	ts := httptest.NewServer(tokens)
	t.Cleanup(ts.Close)
	pool := fmt.Sprintf(`accounts:
  - id: ge-oauth
    email: ge-oauth@example.com
    provider: gemini
    base_url: %[1]s
    tier: ultra
    oauth:
      token_url: %[2]s/token
      client_id: test-client.apps.googleusercontent.com
      client_secret: %[3]s
      refresh_token: %[4]s
  - id: ge-key
    email: ge-key@example.com
    provider: gemini
    base_url: %[1]s
    api_key: %[5]s
    tier: free
`, up.URL, ts.URL, oauthClientSecret, oauthRefreshToken, upstreamKey("ge-key"))
	file := filepath.Join(t.TempDir(), "oauth-accounts.yaml")
	if err := os.WriteFile(file, []byte(pool), 0o600); err != nil {
		t.Fatal(err)
	}
	// PerformanceFirst: no sticky or last-used reuse, so every request starts
	// on the best tier with an eligible account.
	h := newHarness(t, harnessOpts{fake: fake, fakeURL: up.URL, env: map[string]string{
		"SWITCHYARD_ACCOUNTS_FILE": file, "SWITCHYARD_SCHEDULING_MODE": "PerformanceFirst"}})
	t.Cleanup(func() {
		logs := h.logs.String()
		for _, s := range []string{oauthClientSecret, oauthRefreshToken, "ya29.e2e-", "bad-tok"} {
			if strings.Contains(logs, s) {
				t.Errorf("an OAuth credential (%s…) appears in the logs", s[:8])
			}
		}
	})
	return h, tokens
}

const geminiGenerate = "/v1beta/models/gemini-2.5-flash:generateContent"

var geminiHdr = map[string]string{"x-goog-api-key": clientKey}

func geminiBody(text string) string {
	return `{"contents":[{"role":"user","parts":[{"text":"` + text + `"}]}]}`
}

// lastUpstream is the newest request the fake upstream saw.
func (h *harness) lastUpstream() fakeupstream.Record {
	h.t.Helper()
	recs := h.fake.Requests()
	if len(recs) == 0 {
		h.t.Fatal("the fake upstream saw no request")
	}
	return recs[len(recs)-1]
}

func (h *harness) accountState(id string) (disabled bool, reason string, cooling bool) {
	h.t.Helper()
	st, body := h.adminDo("GET", "/admin/accounts", "")
	if st != 200 {
		h.t.Fatalf("admin accounts: %d %s", st, body)
	}
	var v struct {
		Accounts []struct {
			ID             string            `json:"id"`
			Disabled       bool              `json:"disabled"`
			DisabledReason string            `json:"disabled_reason"`
			Cooldowns      []json.RawMessage `json:"cooldowns"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		h.t.Fatal(err)
	}
	for _, a := range v.Accounts {
		if a.ID == id {
			return a.Disabled, a.DisabledReason, len(a.Cooldowns) > 0
		}
	}
	h.t.Fatalf("account %s not in the admin view", id)
	return false, "", false
}

func TestOAuthAccountSendsBearerAccessToken(t *testing.T) {
	h, tokens := newOAuthHarness(t)
	for i := range 3 {
		resp, body := h.do("POST", geminiGenerate, geminiBody(fmt.Sprintf("hello %d", i)), geminiHdr)
		if resp.StatusCode != 200 || resp.Header.Get("X-Account-Email") != "ge-oauth@example.com" {
			t.Fatalf("request %d: %d via %q: %s", i, resp.StatusCode, resp.Header.Get("X-Account-Email"), body)
		}
		if got := h.lastUpstream().Credential; got != "ya29.e2e-1" {
			t.Fatalf("request %d reached the upstream with credential %q; want the access token ya29.e2e-1", i, got)
		}
	}
	if n := tokens.count(); n != 1 {
		t.Fatalf("%d refreshes for 3 requests; want 1 (the token is reused)", n)
	}
}

func TestOAuth401RefreshesAndRetriesTheSameAccount(t *testing.T) {
	h, tokens := newOAuthHarness(t)
	tokens.script("bad-tok-") // the first access token is refused upstream
	resp, body := h.do("POST", geminiGenerate, geminiBody("hello"), geminiHdr)
	if resp.StatusCode != 200 || resp.Header.Get("X-Account-Email") != "ge-oauth@example.com" {
		t.Fatalf("%d via %q: %s; want 200 from the OAuth account after a refresh", resp.StatusCode, resp.Header.Get("X-Account-Email"), body)
	}
	recs := h.fake.Requests()
	if len(recs) != 2 || recs[0].Credential != "bad-tok-1" || recs[0].Status != 401 || recs[1].Credential != "ya29.e2e-2" || recs[1].Status != 200 {
		t.Fatalf("upstream saw %+v; want a 401 with bad-tok-1, then 200 with ya29.e2e-2", recs)
	}
	if _, _, cooling := h.accountState("ge-oauth"); cooling {
		t.Errorf("ge-oauth cools down after a 401 that a refresh fixed")
	}
}

func TestOAuthInvalidGrantDisablesTheAccount(t *testing.T) {
	h, tokens := newOAuthHarness(t)
	tokens.script("") // invalid_grant
	resp, body := h.do("POST", geminiGenerate, geminiBody("hello"), geminiHdr)
	if resp.StatusCode != 200 || resp.Header.Get("X-Account-Email") != "ge-key@example.com" {
		t.Fatalf("%d via %q: %s; want 200 from the key account", resp.StatusCode, resp.Header.Get("X-Account-Email"), body)
	}
	if got := h.lastUpstream().Credential; got != upstreamKey("ge-key") {
		t.Fatalf("served with credential %q; want the key account's", got)
	}
	disabled, reason, _ := h.accountState("ge-oauth")
	if !disabled || reason != "invalid_grant: refresh token revoked or expired" {
		t.Fatalf("ge-oauth disabled=%v reason=%q; want disabled for invalid_grant", disabled, reason)
	}
	// The operator sees why the attempt failed: the refused refresh, not
	// only a reason class.
	var failed string
	for _, l := range strings.Split(h.logs.String(), "\n") {
		if strings.Contains(l, `"attempt failed"`) && strings.Contains(l, `"account":"ge-oauth"`) {
			failed = l
		}
	}
	if !strings.Contains(failed, "invalid_grant") {
		t.Errorf("no attempt-failed log line naming invalid_grant for ge-oauth; got %q", failed)
	}
	// Disabled for every request: the next one does not try the OAuth account.
	before := tokens.count()
	resp, _ = h.do("POST", geminiGenerate, geminiBody("again"), geminiHdr)
	if resp.StatusCode != 200 || resp.Header.Get("X-Account-Email") != "ge-key@example.com" || tokens.count() != before {
		t.Fatalf("second request: %d via %q, %d refreshes; want the key account, no refresh",
			resp.StatusCode, resp.Header.Get("X-Account-Email"), tokens.count()-before)
	}

	// The operator fixes the credentials and enables the account again. (A
	// failed refresh is shared for a second; wait it out.)
	time.Sleep(1100 * time.Millisecond)
	if st, body := h.adminDo("POST", "/admin/accounts/ge-oauth/enable", ""); st != 200 {
		t.Fatalf("enable: %d %s", st, body)
	}
	if disabled, _, _ := h.accountState("ge-oauth"); disabled {
		t.Fatal("ge-oauth still disabled after enable")
	}
	resp, body = h.do("POST", geminiGenerate, geminiBody("back"), geminiHdr)
	if resp.StatusCode != 200 || resp.Header.Get("X-Account-Email") != "ge-oauth@example.com" {
		t.Fatalf("after enable: %d via %q: %s; want the OAuth account", resp.StatusCode, resp.Header.Get("X-Account-Email"), body)
	}
	if got := h.lastUpstream().Credential; !strings.HasPrefix(got, "ya29.e2e-") {
		t.Fatalf("after enable the upstream saw credential %q; want a fresh access token", got)
	}
}
