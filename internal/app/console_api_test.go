package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/console"
	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
)

// The operator console (/admin/ui/) over a real in-process gateway: first
// every call the page makes, at the HTTP level (TestConsoleAPI); then the
// page itself in headless Chromium (TestConsoleInBrowser), checked against
// what the admin API says after every step.

const (
	consoleJaeger  = "http://jaeger.test:16686"
	consoleOpenAI  = `{"model":"gpt-4o","messages":[{"role":"user","content":"hello operator console"}]}`
	consoleSession = `{"model":"claude-sonnet-4-5","max_tokens":32,"metadata":{"user_id":"user_console_account__session_%s"},` +
		`"messages":[{"role":"user","content":"a conversation the console will unbind"}]}`
)

var (
	consoleOAIHdr  = map[string]string{"Authorization": "Bearer " + clientKey}
	consoleAnthHdr = map[string]string{"x-api-key": clientKey, "anthropic-version": "2023-06-01"}
)

// consoleGet fetches a URL without credentials and without following redirects.
func consoleGet(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// consoleRequest sends a client request with a request id and returns the status.
func consoleRequest(h *harness, id string) int {
	h.t.Helper()
	hdr := map[string]string{"X-Request-Id": id}
	for k, v := range consoleOAIHdr {
		hdr[k] = v
	}
	resp, _ := h.do("POST", "/v1/chat/completions", consoleOpenAI, hdr)
	return resp.StatusCode
}

// consoleRecords waits until the request log lists want records and returns them.
func consoleRecords(t *testing.T, h *harness, query string, want int) []map[string]any {
	t.Helper()
	var list struct {
		Requests []map[string]any `json:"requests"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, body := h.adminDo("GET", "/admin/requests?"+query, "")
		if st != 200 {
			t.Fatalf("GET /admin/requests?%s: %d %s", query, st, body)
		}
		list.Requests = nil
		if err := json.Unmarshal([]byte(body), &list); err != nil {
			t.Fatalf("request list: %v: %s", err, body)
		}
		if len(list.Requests) >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(list.Requests) != want {
		t.Fatalf("request log lists %d records for %q; want %d", len(list.Requests), query, want)
	}
	return list.Requests
}

// hasFields fails unless obj has every field, with a JSON value of the kind
// given after the colon: s string, n number, b bool, a array, o object,
// ? string or null.
func hasFields(t *testing.T, what string, obj map[string]any, fields ...string) {
	t.Helper()
	for _, f := range fields {
		name, kind, _ := strings.Cut(f, ":")
		v, ok := obj[name]
		if !ok {
			t.Errorf("%s: no field %q in %v", what, name, obj)
			continue
		}
		good := true
		switch kind {
		case "s":
			_, good = v.(string)
		case "n":
			_, good = v.(float64)
		case "b":
			_, good = v.(bool)
		case "a":
			_, good = v.([]any)
		case "o":
			_, good = v.(map[string]any)
		case "?":
			_, isStr := v.(string)
			good = isStr || v == nil
		}
		if !good {
			t.Errorf("%s: field %q is %T (%v); want kind %q", what, name, v, v, kind)
		}
	}
}

func decodeObject(t *testing.T, what, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("%s: not a JSON object: %v: %s", what, err, body)
	}
	return m
}

// pageCalls reads the admin API calls the page can make from js/admin.js as
// served, normalised to "METHOD path" with "{}" for interpolations.
func pageCalls(t *testing.T, admin string) []string {
	t.Helper()
	resp, src := consoleGet(t, admin+"/admin/ui/js/admin.js")
	if resp.StatusCode != 200 {
		t.Fatalf("admin.js: %d", resp.StatusCode)
	}
	re := regexp.MustCompile("api\\.(?:json|blob|text)\\('(GET|POST|PUT|PATCH|DELETE)', ['`]([^'`]+)['`]")
	interp := regexp.MustCompile(`\$\{[^}]*\}`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(src, -1) {
		c := m[1] + " " + interp.ReplaceAllString(m[2], "{}")
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

// TestConsoleAPI checks that the console is served without the admin key,
// with its security headers, and that every admin API call the page makes
// exists and answers in the shape the page reads.
func TestConsoleAPI(t *testing.T) {
	t.Setenv(console.EnvJaegerURL, consoleJaeger+"/")
	h, _ := newTracedHarness(t, harnessOpts{})

	// The page: public static files with a strict CSP.
	resp, _ := consoleGet(t, h.admin+"/admin/ui")
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/admin/ui/" {
		t.Fatalf("/admin/ui: %d Location %q; want a redirect to /admin/ui/", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, page := consoleGet(t, h.admin+"/admin/ui/")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(page, `<script type="module" src="js/main.js">`) {
		t.Fatalf("/admin/ui/: %d %s\n%.300s", resp.StatusCode, resp.Header.Get("Content-Type"), page)
	}
	if got := resp.Header.Get("Content-Security-Policy"); got != console.ContentSecurityPolicy ||
		!strings.Contains(got, "script-src 'self'") || strings.Contains(got, "unsafe") {
		t.Errorf("CSP %q", got)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("security headers missing: %v", resp.Header)
	}
	resp, body := consoleGet(t, h.admin+"/admin/ui/config.json")
	if resp.StatusCode != 200 || strings.TrimSpace(body) != `{"jaeger_url":"`+consoleJaeger+`","problems":[]}` {
		t.Errorf("config.json: %d %s", resp.StatusCode, body)
	}
	for path, ctype := range map[string]string{"console.css": "text/css", "icon.svg": "image/svg+xml", "js/main.js": "text/javascript"} {
		if resp, _ := consoleGet(t, h.admin+"/admin/ui/"+path); resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), ctype) {
			t.Errorf("%s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	if resp, _ := consoleGet(t, h.admin+"/admin/ui/nope.js"); resp.StatusCode != 404 || resp.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("missing file: %d", resp.StatusCode)
	}

	// Traffic for the request log and a cooldown: one good request, one that
	// fails on every attempt, one 429.
	if st := consoleRequest(h, "req-api-ok"); st != 200 {
		t.Fatalf("good request: %d", st)
	}
	h.fake.AddFault(fakeupstream.Fault{Provider: "openai", Kind: fakeupstream.KindStatus, Status: 500})
	if st := consoleRequest(h, "req-api-fail"); st < 500 {
		t.Fatalf("failing request: %d; want 5xx", st)
	}
	h.fake.ClearFaults()
	h.fake.AddFault(fakeupstream.Fault{Provider: "anthropic", Times: 1, Kind: fakeupstream.KindStatus, Status: 429,
		Reason: fakeupstream.ReasonRateLimit, RetryAfter: "120s"})
	h.do("POST", "/v1/messages", fmt.Sprintf(consoleSession, "api-1"), consoleAnthHdr)

	// Every call of admin.js, each checked below.
	checked := map[string]func(){}
	call := func(method, path, reqBody string, want int) map[string]any {
		t.Helper()
		st, out := h.adminDo(method, path, reqBody)
		if st != want {
			t.Fatalf("%s %s: %d %s; want %d", method, path, st, out, want)
		}
		return decodeObject(t, method+" "+path, out)
	}
	scheduling := func(what string, v map[string]any) {
		t.Helper()
		hasFields(t, what, v, "mode:s", "max_wait_seconds:n", "fixed_account_id:?")
	}
	checked["GET accounts"] = func() {
		v := call("GET", "/admin/accounts", "", 200)
		hasFields(t, "accounts", v, "accounts:a")
		cooling := 0
		for _, a := range v["accounts"].([]any) {
			acct := a.(map[string]any)
			hasFields(t, "account", acct, "id:s", "email:s", "provider:s", "tier:s", "disabled:b", "cooldowns:a", "quota:o", "in_flight:n")
			for _, c := range acct["cooldowns"].([]any) {
				cooling++
				cd := c.(map[string]any)
				hasFields(t, "cooldown", cd, "model_group:s", "until:s", "reason:s")
				if _, err := time.Parse(time.RFC3339, cd["until"].(string)); err != nil {
					t.Errorf("cooldown until %q: %v", cd["until"], err)
				}
			}
		}
		if cooling == 0 {
			t.Errorf("no cooldown after a 429: %v", v)
		}
	}
	checked["POST accounts/{}/disable"] = func() {
		v := call("POST", "/admin/accounts/oa-1/disable", `{"reason":"disabled in the operator console"}`, 200)
		hasFields(t, "disable", v, "id:s", "disabled:b")
		st, out := h.adminDo("GET", "/admin/accounts", "")
		if st != 200 || !strings.Contains(out, `"disabled_reason":"disabled in the operator console"`) {
			t.Errorf("disable reason not shown: %s", out)
		}
	}
	checked["POST accounts/{}/enable"] = func() {
		hasFields(t, "enable", call("POST", "/admin/accounts/oa-1/enable", "", 200), "id:s", "disabled:b")
	}
	checked["GET scheduling"] = func() { scheduling("GET scheduling", call("GET", "/admin/scheduling", "", 200)) }
	checked["PUT scheduling"] = func() {
		scheduling("PUT mode", call("PUT", "/admin/scheduling", `{"mode":"CacheFirst"}`, 200))
		scheduling("PUT max wait", call("PUT", "/admin/scheduling", `{"max_wait_seconds":42}`, 200))
		v := call("PUT", "/admin/scheduling", `{"max_wait_seconds":5000}`, 400)
		hasFields(t, "rejected max wait", v["error"].(map[string]any), "message:s", "status:n")
	}
	checked["PUT fixed-account"] = func() {
		v := call("PUT", "/admin/fixed-account", `{"account_id":"oa-2"}`, 200)
		scheduling("PUT fixed", v)
		if v["fixed_account_id"] != "oa-2" {
			t.Errorf("fixed account: %v", v)
		}
	}
	checked["DELETE fixed-account"] = func() {
		if v := call("DELETE", "/admin/fixed-account", "", 200); v["fixed_account_id"] != nil {
			t.Errorf("fixed account after DELETE: %v", v)
		}
	}
	checked["POST session-bindings/clear"] = func() {
		hasFields(t, "clear bindings", call("POST", "/admin/session-bindings/clear", "", 200), "cleared:n")
	}
	checked["DELETE rate-limits/{}"] = func() {
		hasFields(t, "clear one", call("DELETE", "/admin/rate-limits/an-1", "", 200), "cleared:b")
	}
	checked["DELETE rate-limits"] = func() {
		hasFields(t, "clear all", call("DELETE", "/admin/rate-limits", "", 200), "cleared:b")
	}
	// Client keys: each check makes the key it works on.
	keyView := func(what string, k map[string]any) {
		t.Helper()
		hasFields(t, what, k, "name:s", "fingerprint:s", "source:s", "models:a", "limits:o", "disabled:b", "usage_today:o", "last_used:?")
		hasFields(t, what+" limits", k["limits"].(map[string]any), "rpm:n", "tpm:n", "max_in_flight:n", "daily_tokens:n")
		hasFields(t, what+" usage", k["usage_today"].(map[string]any), "requests:n", "tokens:n")
	}
	makeKey := func(name string) {
		t.Helper()
		v := call("POST", "/admin/keys", `{"name":"`+name+`","models":["claude-*"],"rpm":60}`, 201)
		hasFields(t, "created key", v, "name:s", "key:s")
		keyView("created key", v)
	}
	checked["POST keys"] = func() {
		makeKey("console-create")
		v := call("POST", "/admin/keys", `{"name":"console-create"}`, 409)
		hasFields(t, "duplicate key", v["error"].(map[string]any), "message:s")
	}
	checked["GET keys"] = func() {
		makeKey("console-list")
		v := call("GET", "/admin/keys", "", 200)
		hasFields(t, "keys", v, "keys:a", "shadowed:a")
		found := false
		for _, k := range v["keys"].([]any) {
			keyView("listed key", k.(map[string]any))
			found = found || k.(map[string]any)["name"] == "console-list"
		}
		if !found {
			t.Errorf("a created key is not listed: %v", v)
		}
	}
	checked["PATCH keys/{}"] = func() {
		makeKey("console-patch")
		v := call("PATCH", "/admin/keys/console-patch", `{"rpm":120,"disabled":true}`, 200)
		k := v["key"].(map[string]any)
		keyView("patched key", k)
		if k["limits"].(map[string]any)["rpm"] != float64(120) || k["disabled"] != true {
			t.Errorf("patched key: %v", k)
		}
		call("PATCH", "/admin/keys/env-1", `{"rpm":1}`, 409) // the environment's key
	}
	checked["DELETE keys/{}"] = func() {
		makeKey("console-delete")
		if v := call("DELETE", "/admin/keys/console-delete", "", 200); v["deleted"] != "console-delete" {
			t.Errorf("delete: %v", v)
		}
		call("DELETE", "/admin/keys/console-delete", "", 404)
	}
	checked["GET usage?{}"] = func() {
		consoleRecords(t, h, "limit=1000", 3)
		for _, by := range []string{"key", "model", "account"} {
			v := call("GET", "/admin/usage?group_by="+by+"&since=24h", "", 200)
			hasFields(t, "usage by "+by, v, "group_by:s", "since:s", "until:s", "groups:a", "total:o", "complete:b")
			if v["group_by"] != by || len(v["groups"].([]any)) == 0 {
				t.Errorf("usage by %s: %v", by, v)
			}
			for _, g := range v["groups"].([]any) {
				hasFields(t, "usage group", g.(map[string]any), "name:s", "requests:n", "errors:n", "input_tokens:n", "output_tokens:n", "cached_tokens:n")
			}
		}
		v := call("GET", "/admin/usage?group_by=bogus", "", 400)
		hasFields(t, "bad group_by", v["error"].(map[string]any), "message:s")
	}
	record := func(what string, r map[string]any) {
		t.Helper()
		hasFields(t, what, r, "time:s", "request_id:s", "protocol:s", "route:s", "model:s", "status:n", "stream:b",
			"attempts:a", "latency_ms:n", "tokens:o")
		if _, err := time.Parse(time.RFC3339Nano, r["time"].(string)); err != nil {
			t.Errorf("%s: time %q: %v", what, r["time"], err)
		}
		hasFields(t, what+" tokens", r["tokens"].(map[string]any), "input:n", "output:n")
		for _, a := range r["attempts"].([]any) {
			hasFields(t, what+" attempt", a.(map[string]any), "account:s", "email:s", "decision:s", "outcome:s", "duration_ms:n")
		}
	}
	checked["GET requests?{}"] = func() {
		all := consoleRecords(t, h, "limit=1000", 3)
		for _, r := range all {
			record("record", r)
		}
		if all[0]["request_id"] == "req-api-ok" {
			t.Errorf("records are not newest first: %v", all[0]["request_id"])
		}
		errs := consoleRecords(t, h, "limit=100&errors_only=true&q=req-api", 1)
		if errs[0]["request_id"] != "req-api-fail" || errs[0]["error"] == "" {
			t.Errorf("errors only: %v", errs[0])
		}
		if _, ok := errs[0]["trace_id"].(string); !ok {
			t.Errorf("a traced request has no trace_id: %v", errs[0])
		}
		for _, a := range errs[0]["attempts"].([]any) {
			if a := a.(map[string]any); a["outcome"] != "rotate" || a["reason"] != "server_error" {
				t.Errorf("attempt of the failed request: %v", a)
			}
		}
	}
	checked["GET requests/{}"] = func() {
		record("one record", call("GET", "/admin/requests/req-api-fail", "", 200))
		v := call("GET", "/admin/requests/no-such-request", "", 404)
		hasFields(t, "missing record", v["error"].(map[string]any), "message:s")
	}
	checked["GET requests/export"] = func() {
		req, _ := http.NewRequest("GET", h.admin+"/admin/requests/export", nil)
		req.Header.Set("Authorization", "Bearer "+adminKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		lines := strings.Split(strings.TrimSpace(string(body)), "\n")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-ndjson" || len(lines) != 3 {
			t.Fatalf("export: %d %s, %d lines", resp.StatusCode, resp.Header.Get("Content-Type"), len(lines))
		}
		for _, l := range lines {
			record("export line", decodeObject(t, "export line", l))
		}
	}

	calls := pageCalls(t, h.admin)
	t.Logf("the page makes %d kinds of admin API call: %v", len(calls), calls)
	if len(calls) < 10 {
		t.Fatalf("found only %d API calls in admin.js: %v", len(calls), calls)
	}
	order := []string{"GET requests?{}", "GET accounts"} // the log and the cooldown first, before they are cleared
	for _, c := range calls {
		if !slices.Contains(order, c) {
			order = append(order, c)
		}
	}
	for _, c := range order {
		check, ok := checked[c]
		if !ok {
			t.Errorf("the page calls %q, which this test does not check", c)
			continue
		}
		check()
	}
	for c := range checked {
		if !slices.Contains(calls, c) {
			t.Errorf("checked %q, which the page no longer calls", c)
		}
	}

	// The sign-in probe: a wrong key is a 401 with a message.
	req, _ := http.NewRequest("GET", h.admin+"/admin/scheduling", nil)
	req.Header.Set("Authorization", "Bearer wrong-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("wrong key: %d", resp.StatusCode)
	}
	hasFields(t, "401", decodeObject(t, "401", string(b))["error"].(map[string]any), "message:s")
}

// TestConsoleWithAdminDisabled: the page is still served, and the API it
// signs in with answers 403 with the reason.
func TestConsoleWithAdminDisabled(t *testing.T) {
	h := newHarness(t, harnessOpts{env: map[string]string{"SWITCHYARD_ADMIN_KEY": ""}})
	if resp, _ := consoleGet(t, h.admin+"/admin/ui/"); resp.StatusCode != 200 {
		t.Fatalf("/admin/ui/ without an admin key: %d", resp.StatusCode)
	}
	st, body := h.adminDo("GET", "/admin/scheduling", "")
	if st != 403 {
		t.Fatalf("scheduling with the admin API disabled: %d", st)
	}
	msg, _ := decodeObject(t, "403", body)["error"].(map[string]any)["message"].(string)
	if !strings.Contains(msg, "disabled") {
		t.Errorf("403 message %q does not say the API is disabled", msg)
	}
}

// consoleAccount is what the browser test compares of GET /admin/accounts.
