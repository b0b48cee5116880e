package fakeupstream

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"
)

// caPost sends a Code Assist call with a bearer token.
func caPost(t *testing.T, base, tok, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func refreshFor(t *testing.T, base, rt string) (int, string) {
	t.Helper()
	resp, err := http.PostForm(base+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {"c"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestCodeAssistControlAndTokens(t *testing.T) {
	s := New(Options{})
	srv := httptest.NewServer(s)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/_control/codeassist/users", "application/json",
		strings.NewReader(`{"refresh_token":"rt-x","user":{"tier":"standard-tier","project":"px","quota":{"gemini-2.5-pro":0.25}}}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("control: %v %v", err, resp.Status)
	}
	resp.Body.Close()
	st1, b1 := refreshFor(t, srv.URL, "rt-x")
	st2, b2 := refreshFor(t, srv.URL, "rt-x")
	a1, a2 := gjson.Get(b1, "access_token").Str, gjson.Get(b2, "access_token").Str
	if st1 != 200 || st2 != 200 || a1 == "" || a1 == a2 {
		t.Fatalf("refreshes %d %s / %d %s; want two different access tokens", st1, b1, st2, b2)
	}
	st, body := caPost(t, srv.URL, a1, "/v1internal:retrieveUserQuota", `{"project":"px"}`)
	if st != 200 || !strings.Contains(body, `"remainingFraction":0.25`) {
		t.Fatalf("quota %d %s", st, body)
	}
	if st, body := caPost(t, srv.URL, a2, "/v1internal:loadCodeAssist", `{"metadata":{}}`); st != 200 ||
		gjson.Get(body, "currentTier.id").Str != "standard-tier" || gjson.Get(body, "cloudaicompanionProject").Str != "px" {
		t.Fatalf("load %d %s", st, body)
	}
	if resp, err := http.Post(srv.URL+"/_control/codeassist/revoke", "application/json", strings.NewReader(`{"refresh_token":"rt-x"}`)); err != nil || resp.StatusCode != 200 {
		t.Fatalf("revoke: %v", err)
	}
	if st, body := refreshFor(t, srv.URL, "rt-x"); st != 400 || gjson.Get(body, "error").Str != "invalid_grant" {
		t.Fatalf("revoked refresh %d %s; want 400 invalid_grant", st, body)
	}
	if st, _ := caPost(t, srv.URL, a1, "/v1internal:loadCodeAssist", `{}`); st != 401 {
		t.Fatalf("a revoked user's access token got %d; want 401", st)
	}
}

func TestCodeAssistOnboardingOperation(t *testing.T) {
	s := New(Options{})
	srv := httptest.NewServer(s)
	defer srv.Close()
	s.SetCodeAssistUser("rt-new", CodeAssistUser{OnboardPolls: 1})
	_, b := refreshFor(t, srv.URL, "rt-new")
	tok := gjson.Get(b, "access_token").Str
	if _, body := caPost(t, srv.URL, tok, "/v1internal:loadCodeAssist", `{}`); gjson.Get(body, "currentTier").Exists() {
		t.Fatalf("a new user has a current tier: %s", body)
	}
	_, op := caPost(t, srv.URL, tok, "/v1internal:onboardUser", `{"tierId":"free-tier"}`)
	if gjson.Get(op, "done").Bool() || gjson.Get(op, "name").Str == "" {
		t.Fatalf("onboardUser %s; want an unfinished operation", op)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/v1internal/"+gjson.Get(op, "name").Str, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	done, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	project := gjson.GetBytes(done, "response.cloudaicompanionProject.id").Str
	if !gjson.GetBytes(done, "done").Bool() || project == "" {
		t.Fatalf("operation %s; want done with a project", done)
	}
	if st, body := caPost(t, srv.URL, tok, "/v1internal:generateContent",
		`{"model":"gemini-2.5-flash","project":"`+project+`","request":{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}}`); st != 200 ||
		!strings.Contains(gjson.Get(body, "response.candidates.0.content.parts.0.text").Str, "fake gemini") || gjson.Get(body, "traceId").Str == "" {
		t.Fatalf("generate %d %s", st, body)
	}
	if st, _ := caPost(t, srv.URL, tok, "/v1internal:generateContent",
		`{"model":"gemini-2.5-flash","project":"someone-elses","request":{"contents":[]}}`); st != 403 {
		t.Fatalf("another project got %d; want 403", st)
	}
	s.SetCodeAssistQuota("rt-new", "gemini-2.5-flash", 0)
	st, body := caPost(t, srv.URL, tok, "/v1internal:generateContent",
		`{"model":"gemini-2.5-flash","project":"`+project+`","request":{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}}`)
	if st != 429 || gjson.Get(body, "error.details.0.reason").Str != "QUOTA_EXHAUSTED" || gjson.Get(body, "error.details.0.metadata.quotaResetDelay").Str != "2h0m0s" {
		t.Fatalf("exhausted model: %d %s", st, body)
	}
}

func TestCodeAssistRefusesExpiredAccessTokens(t *testing.T) {
	s := New(Options{})
	srv := httptest.NewServer(s)
	defer srv.Close()
	s.SetCodeAssistUser("rt-exp", CodeAssistUser{Tier: TierStandard, Project: "px"})
	s.SetAccessTokenLifetime(1500 * time.Millisecond)
	_, b1 := refreshFor(t, srv.URL, "rt-exp")
	if gjson.Get(b1, "expires_in").Int() != 1 {
		t.Fatalf("expires_in of a 1.5s token: %s", b1)
	}
	old := gjson.Get(b1, "access_token").Str
	if st, body := caPost(t, srv.URL, old, "/v1internal:loadCodeAssist", `{}`); st != 200 {
		t.Fatalf("a fresh token got %d %s", st, body)
	}
	// A refresh does not end the tokens issued before it (Google keeps each
	// one until its own expiry).
	_, b2 := refreshFor(t, srv.URL, "rt-exp")
	if st, body := caPost(t, srv.URL, old, "/v1internal:loadCodeAssist", `{}`); st != 200 {
		t.Fatalf("a token superseded by a refresh but not expired got %d %s", st, body)
	}
	time.Sleep(1600 * time.Millisecond)
	for _, path := range []string{"/v1internal:loadCodeAssist", "/v1internal:generateContent"} {
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(`{"model":"gemini-2.5-pro","project":"px","request":{"contents":[]}}`))
		req.Header.Set("Authorization", "Bearer "+old)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		e := gjson.GetBytes(body, "error")
		if resp.StatusCode != 401 || e.Get("code").Int() != 401 || e.Get("status").Str != "UNAUTHENTICATED" ||
			e.Get("details.0.reason").Str != "ACCESS_TOKEN_EXPIRED" || e.Get("details.0.domain").Str != "googleapis.com" ||
			!strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Errorf("%s with an expired token: %d %s %v; want Google's 401 UNAUTHENTICATED ACCESS_TOKEN_EXPIRED", path, resp.StatusCode, body, resp.Header)
		}
	}
	req, _ := http.NewRequest("GET", srv.URL+"/oauth2/v2/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+old)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Errorf("userinfo with an expired token: %v %v", err, resp)
	} else {
		resp.Body.Close()
	}
	// The refresh token still works, and ExpireAccessTokens ends every
	// token at once.
	s.SetAccessTokenLifetime(time.Hour)
	_, b3 := refreshFor(t, srv.URL, "rt-exp")
	fresh := gjson.Get(b3, "access_token").Str
	if st, body := caPost(t, srv.URL, fresh, "/v1internal:loadCodeAssist", `{}`); st != 200 {
		t.Fatalf("a token refreshed after the expiry got %d %s", st, body)
	}
	s.ExpireAccessTokens()
	if st, body := caPost(t, srv.URL, fresh, "/v1internal:loadCodeAssist", `{}`); st != 401 || !strings.Contains(body, "ACCESS_TOKEN_EXPIRED") {
		t.Fatalf("after ExpireAccessTokens: %d %s", st, body)
	}
	if n := s.AccessTokensIssued("rt-exp"); n != 3 || gjson.Get(b2, "access_token").Str == "" {
		t.Errorf("AccessTokensIssued = %d; want 3", n)
	}
}
