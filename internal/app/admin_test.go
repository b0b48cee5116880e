package app_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
)

func TestAdminAPI(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: demoRoutes})
	check := func(method, path, body string, want int, has string) string {
		t.Helper()
		st, out := h.adminDo(method, path, body)
		if st != want || !strings.Contains(out, has) {
			t.Fatalf("%s %s = %d %s; want %d containing %q", method, path, st, out, want, has)
		}
		return out
	}
	// Auth: no key and a wrong key.
	for _, key := range []string{"", "wrong"} {
		req, _ := http.NewRequest("GET", h.admin+"/admin/accounts", nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Fatalf("admin with key %q: %d; want 401", key, resp.StatusCode)
		}
	}
	out := check("GET", "/admin/accounts", "", 200, `"id":"an-1"`)
	if strings.Contains(out, "upkey-secret") {
		t.Fatal("the accounts view shows a credential")
	}
	check("GET", "/admin/scheduling", "", 200, `"mode":"Balance"`)
	check("PUT", "/admin/scheduling", `{"mode":"CacheFirst","max_wait_seconds":12}`, 200, `"max_wait_seconds":12`)
	check("PUT", "/admin/scheduling", `{"mode":"Fastest"}`, 400, "mode must be")
	check("PUT", "/admin/scheduling", `{"max_wait_seconds":-1}`, 400, "max_wait_seconds")
	check("GET", "/admin/scheduling", "", 200, `"mode":"CacheFirst"`)
	check("PUT", "/admin/fixed-account", `{"account_id":"nope"}`, 404, "no account")
	check("PUT", "/admin/fixed-account", `{"account_id":"oa-2"}`, 200, `"fixed_account_id":"oa-2"`)
	resp, _ := h.do("POST", "/v1/chat/completions", oaiJSON, oaiHdr)
	if got := resp.Header.Get("X-Account-Email"); got != "oa-2@example.com" {
		t.Fatalf("fixed account not used: %s", got)
	}
	check("DELETE", "/admin/fixed-account", "", 200, `"fixed_account_id":null`)

	// Disable: the account leaves the pool; enable brings it back.
	check("POST", "/admin/accounts/oa-1/disable", `{"reason":"maintenance"}`, 200, `"disabled":true`)
	for i := 0; i < 3; i++ {
		resp, _ := h.do("POST", "/v1/chat/completions", oaiJSON, oaiHdr)
		if got := resp.Header.Get("X-Account-Email"); got != "oa-2@example.com" {
			t.Fatalf("disabled account served a request: %s", got)
		}
	}
	var v accountsView
	_ = json.Unmarshal([]byte(check("GET", "/admin/accounts", "", 200, "maintenance")), &v)
	check("POST", "/admin/accounts/oa-1/enable", "", 200, `"disabled":false`)
	check("POST", "/admin/accounts/nope/enable", "", 404, "no account")

	// Cooldowns: a 429 cools an account; clearing one account's cooldowns works.
	h.fake.AddFault(fakeupstream.Fault{Provider: "anthropic", Times: 1, Kind: "status", Status: 429, Reason: "rate_limit", RetryAfter: "60s"})
	h.do("POST", "/v1/messages", anthJSON, anthHdr)
	cool := h.cooldowns()
	if len(cool) != 1 {
		t.Fatalf("cooldowns %v; want one", cool)
	}
	for id := range cool {
		check("DELETE", "/admin/rate-limits/"+id, "", 200, `"cleared":true`)
	}
	if c := h.cooldowns(); len(c) != 0 {
		t.Fatalf("cooldowns after clearing: %v", c)
	}
	h.fake.AddFault(fakeupstream.Fault{Provider: "openai", Times: 1, Kind: "status", Status: 429, Reason: "rate_limit", RetryAfter: "60s"})
	h.do("POST", "/v1/chat/completions", oaiJSON, oaiHdr)
	check("DELETE", "/admin/rate-limits", "", 200, `"cleared":true`)
	if c := h.cooldowns(); len(c) != 0 {
		t.Fatalf("cooldowns after clearing all: %v", c)
	}

	// Bindings: two Claude Code sessions plus the conversation of the 429
	// requests above (its first user message is its fingerprint), bound once
	// per model group (claude and gpt).
	for _, sid := range []string{"11111111-1111-4a6b-8c7d-0e1f2a3b4c5d", "22222222-1111-4a6b-8c7d-0e1f2a3b4c5d"} {
		h.do("POST", "/v1/messages", sessionBody(sid), anthHdr)
	}
	check("POST", "/admin/session-bindings/clear", "", 200, `"cleared":4`)
	check("GET", "/admin/nothing", "", 404, "no such admin route")
}

func TestAdminDisabledWithoutKey(t *testing.T) {
	h := newHarness(t, harnessOpts{env: map[string]string{"SWITCHYARD_ADMIN_KEY": ""}})
	st, out := h.adminDo("GET", "/admin/accounts", "")
	if st != 403 || !strings.Contains(out, "SWITCHYARD_ADMIN_KEY") {
		t.Fatalf("admin without a configured key: %d %s; want 403 naming the variable", st, out)
	}
}
