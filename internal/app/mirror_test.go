package app_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

// TestOutageKeepsAndRestoresControlState: two replicas on a real
// redis-server. An operator disables an account, sets round robin and pins a
// fixed account; Redis dies. New sessions never reach the disabled account
// and the fixed account keeps serving; admin changes are refused with a 503
// that says why. Redis comes back empty: the disabled account, the mode and
// the fixed account are back within a few seconds.
func TestOutageKeepsAndRestoresControlState(t *testing.T) {
	c := newCluster(t, 2, fakeupstream.Options{})
	adm := c.on(0)
	for _, call := range []struct{ method, path, body string }{
		{"POST", "/admin/accounts/oa-1/disable", `{"reason":"broken by operator"}`},
		{"PUT", "/admin/scheduling", `{"mode":"PerformanceFirst","max_wait_seconds":7}`},
		{"PUT", "/admin/fixed-account", `{"account_id":"an-2"}`},
	} {
		if st, out := adm.adminDo(call.method, call.path, call.body); st != 200 {
			t.Fatalf("%s %s: %d %s", call.method, call.path, st, out)
		}
	}
	time.Sleep(1200 * time.Millisecond) // every replica's mirror refreshes within a second

	killRedis(t, c.redis)
	openai := map[string]int{}
	for i := 0; i < 24; i++ {
		sid := "5e7a" + strings.Repeat("0", 4) + "-1111-4a6b-8c7d-0e1f2a3b4c" + string(rune('a'+i%26)) + "0"
		body := `{"model":"gpt-4o","user":"session-` + sid + `","messages":[{"role":"user","content":"hello mirror"}]}`
		resp, out := c.on(i).do("POST", "/v1/chat/completions", body, oaiHdr)
		if resp.StatusCode != 200 {
			t.Fatalf("request %d during the outage: %d %s", i, resp.StatusCode, out)
		}
		openai[resp.Header.Get("X-Account-Email")]++
		resp, out = c.on(i).do("POST", "/v1/messages", sessionBody(sid), anthHdr)
		if resp.StatusCode != 200 {
			t.Fatalf("anthropic request %d during the outage: %d %s", i, resp.StatusCode, out)
		}
		if got := resp.Header.Get("X-Account-Email"); got != "an-2@example.com" {
			t.Fatalf("during the outage replica %d served %s; want the fixed account an-2", i%2, got)
		}
	}
	if openai["oa-1@example.com"] != 0 || openai["oa-2@example.com"] == 0 || openai["oa-3@example.com"] == 0 {
		t.Fatalf("openai requests during the outage: %v; want oa-2 and oa-3 in turn and never the disabled oa-1", openai)
	}
	st, out := c.on(1).adminDo("POST", "/admin/accounts/oa-2/disable", "")
	if st != 503 || !strings.Contains(out, "admin changes need the shared store") {
		t.Fatalf("admin change during the outage: %d %s; want 503 saying admin changes need the shared store", st, out)
	}

	storetest.RestartRedis(t, c.redis)
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok, why := controlStateBack(c.on(1))
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("control state not back 5s after Redis restarted empty: %s", why)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for i := 0; i < 6; i++ {
		resp, _ := c.on(i).do("POST", "/v1/chat/completions", oaiJSON, oaiHdr)
		if got := resp.Header.Get("X-Account-Email"); resp.StatusCode != 200 || got == "oa-1@example.com" {
			t.Fatalf("after the restart: %d from %s", resp.StatusCode, got)
		}
	}
}

// controlStateBack reads the shared control state through a replica's admin API.
func controlStateBack(h *harness) (bool, string) {
	st, out := h.adminDo("GET", "/admin/scheduling", "")
	if st != 200 {
		return false, out
	}
	var s struct {
		Mode    string  `json:"mode"`
		MaxWait float64 `json:"max_wait_seconds"`
		Fixed   *string `json:"fixed_account_id"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil || s.Mode != "PerformanceFirst" || s.MaxWait != 7 || s.Fixed == nil || *s.Fixed != "an-2" {
		return false, out
	}
	st, out = h.adminDo("GET", "/admin/accounts", "")
	if st != 200 {
		return false, out
	}
	var v struct {
		Accounts []struct {
			ID             string `json:"id"`
			Disabled       bool   `json:"disabled"`
			DisabledReason string `json:"disabled_reason"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		return false, out
	}
	for _, a := range v.Accounts {
		if a.ID == "oa-1" && a.Disabled && a.DisabledReason == "broken by operator" {
			return true, ""
		}
	}
	return false, out
}
