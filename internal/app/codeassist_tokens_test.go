package app_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
)

// caGenerateCalls returns the fake's Code Assist generate calls (JSON and
// SSE) from the n-th recorded request on.
func caGenerateCalls(fake *fakeupstream.Server, from int) []fakeupstream.Record {
	var out []fakeupstream.Record
	for _, r := range fake.Requests()[from:] {
		if r.Provider == fakeupstream.ProviderCodeAssist && strings.Contains(r.Path, "enerateContent") {
			out = append(out, r)
		}
	}
	return out
}

// caDirect sends a loadCodeAssist call to the fake with an access token.
func caDirect(t *testing.T, fakeURL, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", fakeURL+"/v1internal:loadCodeAssist", strings.NewReader(`{"metadata":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Access tokens that expire every two seconds: the gateway keeps serving
// from the same account across several expiries (it refreshes before the
// expiry it was told, and after a 401 it refreshes and retries the same
// account), and the client never sees an error.
func TestCodeAssistAccessTokensExpireAndAreRefreshed(t *testing.T) {
	fake, url := caFake(t)
	const life = 2 * time.Second
	fake.SetAccessTokenLifetime(life)
	fake.SetCodeAssistUser(caRefresh("ca-a"), fakeupstream.CodeAssistUser{Tier: fakeupstream.TierStandard, Project: "proj-a"})
	fake.SetCodeAssistUser(caRefresh("ca-b"), fakeupstream.CodeAssistUser{Tier: fakeupstream.TierStandard, Project: "proj-b"})
	h := newCodeAssistHarness(t, fake, url, caPoolFile(t, url, []caAccount{
		{id: "ca-a", project: "proj-a", tier: "ultra"}, {id: "ca-b", project: "proj-b", tier: "pro"},
	}), "", nil)

	// Over three and a half lifetimes, JSON and SSE.
	start := time.Now()
	for i := 0; time.Since(start) < 3*life+life/2; i++ {
		if i%2 == 0 {
			if got := h.served("gemini-2.5-pro"); got != "ca-a@example.com" {
				t.Fatalf("request %d at %s served by %q; want ca-a", i, time.Since(start).Round(time.Millisecond), got)
			}
		} else {
			resp, body := h.do("POST", "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", geminiBody("hello"), geminiHdr)
			if resp.StatusCode != 200 || !strings.Contains(body, `"finishReason":"STOP"`) || resp.Header.Get("X-Account-Email") != "ca-a@example.com" {
				t.Fatalf("stream %d at %s: %d %s %s", i, time.Since(start).Round(time.Millisecond), resp.StatusCode,
					resp.Header.Get("X-Account-Email"), body)
			}
		}
		time.Sleep(150 * time.Millisecond)
	}
	var tokens []string
	seen := map[string]bool{}
	for _, r := range caGenerateCalls(fake, 0) {
		if gjson.GetBytes(r.Body, "project").Str != "proj-a" {
			t.Fatalf("a call went to project %s", gjson.GetBytes(r.Body, "project").Str)
		}
		if !seen[r.Credential] {
			seen[r.Credential] = true
			tokens = append(tokens, r.Credential)
		}
	}
	if len(tokens) < 3 {
		t.Fatalf("the upstream saw %d access tokens over 3.5 lifetimes; want a new one at least every lifetime", len(tokens))
	}
	if n := fake.AccessTokensIssued(caRefresh("ca-a")); n < len(tokens) {
		t.Errorf("the token endpoint issued %d tokens for ca-a; the upstream saw %d", n, len(tokens))
	}
	// The fake did refuse the first token once it expired: the refreshes
	// above were needed.
	if st, body := caDirect(t, url, tokens[0]); st != 401 || gjson.Get(body, "error.status").Str != "UNAUTHENTICATED" ||
		gjson.Get(body, "error.details.0.reason").Str != "ACCESS_TOKEN_EXPIRED" {
		t.Fatalf("the first access token after its expiry: %d %s; want 401 UNAUTHENTICATED", st, body)
	}

	// A token refused before its announced expiry: one 401, a refresh, the
	// same account again; the client sees a plain answer.
	fake.SetAccessTokenLifetime(time.Hour)
	time.Sleep(life + 200*time.Millisecond) // the gateway's 2 s token is gone
	h.served("gemini-2.5-pro")              // and it holds a one-hour token
	issued := fake.AccessTokensIssued(caRefresh("ca-a"))
	fake.ExpireAccessTokens()
	from := len(fake.Requests())
	if got := h.served("gemini-2.5-pro"); got != "ca-a@example.com" {
		t.Fatalf("after the token was refused: served by %q; want ca-a again", got)
	}
	calls := caGenerateCalls(fake, from)
	if len(calls) != 2 || calls[0].Status != 401 || calls[1].Status != 200 || calls[0].Credential == calls[1].Credential ||
		gjson.GetBytes(calls[1].Body, "project").Str != "proj-a" {
		var got []string
		for _, c := range calls {
			got = append(got, gjson.GetBytes(c.Body, "project").Str+":"+http.StatusText(c.Status))
		}
		t.Fatalf("upstream calls after the refusal %v; want a 401 then a 200 with a new token on proj-a", got)
	}
	if n := fake.AccessTokensIssued(caRefresh("ca-a")); n != issued+1 {
		t.Errorf("tokens issued for ca-a: %d, then %d; want one refresh after the 401", issued, n)
	}
	if n := fake.AccessTokensIssued(caRefresh("ca-b")); n != 0 {
		t.Errorf("ca-b signed in %d times; the pool never had to leave ca-a", n)
	}
	if a := h.caAccount("ca-a"); a.Disabled || len(a.Cooldowns) != 0 {
		t.Errorf("ca-a after the expiries: disabled %v, cooldowns %+v", a.Disabled, a.Cooldowns)
	}
}
