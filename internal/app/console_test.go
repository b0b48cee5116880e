package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/console"
	"github.com/switchyard-gw/switchyard/internal/console/browsertest"
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
	re := regexp.MustCompile("api\\.(?:json|blob|text)\\('(GET|POST|PUT|DELETE)', ['`]([^'`]+)['`]")
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
type consoleAccount struct {
	ID             string `json:"id"`
	Disabled       bool   `json:"disabled"`
	DisabledReason string `json:"disabled_reason"`
	Cooldowns      []struct {
		ModelGroup string `json:"model_group"`
		Reason     string `json:"reason"`
	} `json:"cooldowns"`
	InFlight int64 `json:"in_flight"`
}

func consoleAccounts(t *testing.T, h *harness) []consoleAccount {
	t.Helper()
	st, body := h.adminDo("GET", "/admin/accounts", "")
	var v struct {
		Accounts []consoleAccount `json:"accounts"`
	}
	if st != 200 || json.Unmarshal([]byte(body), &v) != nil {
		t.Fatalf("GET /admin/accounts: %d %s", st, body)
	}
	return v.Accounts
}

type consoleRecord struct {
	RequestID string `json:"request_id"`
	TraceID   string `json:"trace_id"`
	Error     string `json:"error"`
	Attempts  []struct {
		Account string `json:"account"`
		Email   string `json:"email"`
		Outcome string `json:"outcome"`
		Reason  string `json:"reason"`
	} `json:"attempts"`
}

func consoleList(t *testing.T, h *harness, query string) []consoleRecord {
	t.Helper()
	st, body := h.adminDo("GET", "/admin/requests?"+query, "")
	var v struct {
		Requests []consoleRecord `json:"requests"`
	}
	if st != 200 || json.Unmarshal([]byte(body), &v) != nil {
		t.Fatalf("GET /admin/requests?%s: %d %s", query, st, body)
	}
	return v.Requests
}

func consoleIDs(recs []consoleRecord) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.RequestID
	}
	return out
}

// consoleEventually retries check until it passes or 15 seconds passed (the
// page polls every few seconds) and fails the test with the last problem.
func consoleEventually(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(150 * time.Millisecond)
	}
}

// consoleCheckScheduling fails unless the scheduling card shows exactly what
// GET /admin/scheduling answers now.
func consoleCheckScheduling(t *testing.T, h *harness, b *browsertest.Browser) {
	t.Helper()
	b.WaitAttr("#scheduling", "aria-busy", "false")
	st, body := h.adminDo("GET", "/admin/scheduling", "")
	var v struct {
		Mode    string  `json:"mode"`
		MaxWait float64 `json:"max_wait_seconds"`
		Fixed   *string `json:"fixed_account_id"`
	}
	if st != 200 || json.Unmarshal([]byte(body), &v) != nil {
		t.Fatalf("GET /admin/scheduling: %d %s", st, body)
	}
	if got := b.Text("#sched-mode"); got != v.Mode {
		t.Errorf("the page shows mode %q; the gateway says %q", got, v.Mode)
	}
	if got := b.AttrAll("#mode-buttons button[aria-pressed='true']", "data-mode"); !slices.Equal(got, []string{v.Mode}) {
		t.Errorf("pressed mode buttons %v; the gateway's mode is %q", got, v.Mode)
	}
	wait := strconv.FormatFloat(v.MaxWait, 'f', -1, 64)
	if got := b.Text("#sched-maxwait"); !strings.HasPrefix(got, wait+" s") {
		t.Errorf("the page shows max wait %q; the gateway says %s s", got, wait)
	}
	if got := b.Value("#maxwait"); got != wait {
		t.Errorf("the max wait input holds %q; the gateway says %s", got, wait)
	}
	if on := b.Enabled("#maxwait"); on != (v.Mode == "CacheFirst") {
		t.Errorf("max wait input enabled=%v in mode %s; it is usable only in CacheFirst", on, v.Mode)
	}
	fixedText, fixedValue := b.Text("#sched-fixed"), b.Value("#fixed")
	switch {
	case v.Fixed == nil && (fixedText != "none" || fixedValue != ""):
		t.Errorf("the page shows fixed account %q (drop-down %q); the gateway has none", fixedText, fixedValue)
	case v.Fixed != nil && (!strings.Contains(fixedText, "("+*v.Fixed+")") || fixedValue != *v.Fixed):
		t.Errorf("the page shows fixed account %q (drop-down %q); the gateway says %q", fixedText, fixedValue, *v.Fixed)
	}
}

// consoleCheckAccounts fails unless the pool table shows what GET
// /admin/accounts answers now: the accounts in order, enabled or disabled
// with the reason, the number of cooldowns and the requests in flight.
func consoleCheckAccounts(t *testing.T, h *harness, b *browsertest.Browser) {
	t.Helper()
	accts := consoleAccounts(t, h)
	var ids []string
	for _, a := range accts {
		ids = append(ids, a.ID)
	}
	if got := b.AttrAll("#acct-table tbody tr", "data-account-id"); !slices.Equal(got, ids) {
		t.Errorf("the page lists accounts %v; the gateway %v", got, ids)
	}
	for _, a := range accts {
		row := fmt.Sprintf("#acct-table tr[data-account-id='%s']", a.ID)
		state := b.Text(row + " td:nth-child(4)")
		if strings.Contains(state, "disabled") != a.Disabled || (a.Disabled && !strings.Contains(state, a.DisabledReason)) {
			t.Errorf("%s: the page shows state %q; the gateway says disabled=%v (%q)", a.ID, state, a.Disabled, a.DisabledReason)
		}
		if n := b.Count(row + " td:nth-child(5) li"); n != len(a.Cooldowns) {
			t.Errorf("%s: the page shows %d cooldowns; the gateway %d", a.ID, n, len(a.Cooldowns))
		}
		if got := b.Text(row + " td:nth-child(7)"); got != strconv.FormatInt(a.InFlight, 10) {
			t.Errorf("%s: the page shows %q in flight; the gateway %d", a.ID, got, a.InFlight)
		}
	}
}

// consoleScreenshots is where the browser test saves its screenshots:
// $SWITCHYARD_CONSOLE_SCREENSHOTS when set (kept), else a temporary directory.
func consoleScreenshots(t *testing.T) string {
	dir := os.Getenv("SWITCHYARD_CONSOLE_SCREENSHOTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestConsoleInBrowser drives the console in headless Chromium through
// sign-in, the scheduling card, the pool and the request monitor, and after
// every step compares what the page shows with what the admin API says.
func TestConsoleInBrowser(t *testing.T) {
	b := browsertest.Start(t)
	t.Logf("browser: %s", b.Version)
	shots := consoleScreenshots(t)
	shot := func(name string) {
		p := filepath.Join(shots, name+".png")
		b.Screenshot(p, true)
		t.Logf("screenshot %s", p)
	}
	t.Setenv(console.EnvJaegerURL, consoleJaeger)
	h, _ := newTracedHarness(t, harnessOpts{})
	defer func() {
		if t.Failed() {
			p := filepath.Join(shots, "failure.png")
			if _, err := b.Try("screenshot", map[string]any{"path": p, "fullPage": true}); err == nil {
				t.Logf("the page when the test failed: %s", p)
			}
			return
		}
		raw, err := b.Try("problems", nil)
		var problems []string
		if err == nil {
			err = json.Unmarshal(raw, &problems)
		}
		if err != nil {
			t.Errorf("reading the page's console: %v", err)
		}
		for _, p := range problems {
			// The browser logs the API's expected refusals (wrong key, a
			// rejected max wait); anything else is a problem of the page.
			if !regexp.MustCompile(`Failed to load resource: the server responded with a status of 40[013]`).MatchString(p) {
				t.Errorf("the page logged: %s", p)
			}
		}
	}()

	// Traffic: a good request, one rotated after a garbage answer, one that
	// fails on every attempt.
	if st := consoleRequest(h, "req-ui-ok"); st != 200 {
		t.Fatalf("good request: %d", st)
	}
	h.fake.AddFault(fakeupstream.Fault{Provider: "openai", Times: 1, Kind: fakeupstream.KindGarbage})
	if st := consoleRequest(h, "req-ui-rotated"); st != 200 {
		t.Fatalf("rotated request: %d", st)
	}
	h.fake.AddFault(fakeupstream.Fault{Provider: "openai", Kind: fakeupstream.KindStatus, Status: 500})
	if st := consoleRequest(h, "req-ui-fail"); st < 500 {
		t.Fatalf("failing request: %d; want 5xx", st)
	}
	h.fake.ClearFaults()
	consoleRecords(t, h, "limit=1000", 3)

	// Sign-in: a wrong key is refused with a clear message and not kept.
	b.Goto(h.admin + "/admin/ui")
	b.WaitVisible("#signin-key")
	if a := b.Active(); !strings.HasPrefix(a, "input#signin-key") {
		t.Errorf("focus after loading: %s; want the key input", a)
	}
	b.Fill("#signin-key", "not-the-admin-key")
	b.Click("role=button[name='Sign in']")
	if msg := b.WaitText("#signin-message", "Wrong admin key"); !strings.Contains(msg, "401") {
		t.Errorf("wrong key message %q does not name the 401", msg)
	}
	if s := b.SessionStorage(); s != "{}" {
		t.Errorf("a refused key was kept: %s", s)
	}
	shot("1-signin-wrong-key")
	b.Fill("#signin-key", adminKey)
	b.Press("Enter")
	b.WaitVisible("#nav")
	if s := b.SessionStorage(); !strings.Contains(s, adminKey) {
		t.Errorf("the key is not in session storage: %s", s)
	}
	if s := b.LocalStorage(); s != "{}" {
		t.Errorf("local storage holds %s; the key belongs in session storage only", s)
	}

	// Overview: the numbers are the request log's.
	b.WaitVisible("#page-overview")
	rotations := 0
	for _, r := range consoleList(t, h, "limit=1000") {
		for _, a := range r.Attempts {
			if a.Outcome == "rotate" {
				rotations++
			}
		}
	}
	b.WaitText("#ov-total .value", "3")
	if got := b.Text("#ov-rotation-total .value"); got != strconv.Itoa(rotations) {
		t.Errorf("overview shows %s rotations; the request log has %d", got, rotations)
	}
	if got := b.Text("#ov-error-rate .value"); got != "1 · 33.3 %" {
		t.Errorf("overview errors %q; want 1 of 3", got)
	}
	if n := b.Count("#ov-rpm svg rect.bar"); n < 1 {
		t.Errorf("no bar in the requests-per-minute chart")
	}
	if n := b.Count("#ov-rotations svg rect.bar"); n < 1 {
		t.Errorf("no bar in the rotations chart")
	}
	shot("2-overview")
	b.Check("#ov-full", true)
	b.WaitText("#ov-status", "From the whole request log (3 records)")
	if got := b.Text("#ov-total .value"); got != "3" {
		t.Errorf("overview from the export counts %s requests; want 3", got)
	}
	b.Check("#ov-full", false)

	// Accounts and the scheduling card.
	b.Click("#nav a[data-page='accounts']")
	b.WaitVisible("#page-accounts")
	b.WaitText("#sched-read", ":")
	b.WaitCount("#acct-table tbody tr", 6)
	consoleCheckScheduling(t, h, b)
	b.Click("#acct-clear-all")
	b.WaitText("#acct-message", "All cooldowns cleared.")
	consoleCheckAccounts(t, h, b)

	b.Click("#mode-buttons >> role=button[name='PerformanceFirst']")
	b.WaitText("#sched-message", "The gateway's mode is now PerformanceFirst.")
	consoleCheckScheduling(t, h, b)
	if hint := b.Text("#maxwait-hint"); !strings.Contains(hint, "Only used in CacheFirst") {
		t.Errorf("max wait hint outside CacheFirst: %q", hint)
	}
	// With the keyboard: focus CacheFirst and press Space.
	b.Focus("#mode-buttons button[data-mode='CacheFirst']")
	b.Press("Space")
	b.WaitText("#sched-message", "The gateway's mode is now CacheFirst.")
	consoleCheckScheduling(t, h, b)
	b.Fill("#maxwait", "42")
	b.Click("#maxwait-apply")
	b.WaitText("#sched-message", "The gateway's max wait is now 42 s.")
	consoleCheckScheduling(t, h, b)
	// A value the gateway refuses: its message, and its value stays shown.
	b.Fill("#maxwait", "5000")
	b.Press("Enter")
	b.WaitText("#sched-message", "max_wait_seconds must be between 0 and 3600")
	consoleCheckScheduling(t, h, b)
	// A change made elsewhere shows up with the next refresh.
	if st, out := h.adminDo("PUT", "/admin/scheduling", `{"mode":"Balance"}`); st != 200 {
		t.Fatalf("PUT scheduling: %d %s", st, out)
	}
	b.WaitText("#sched-mode", "Balance")
	consoleCheckScheduling(t, h, b)

	// Fixed account: set, used, cleared.
	b.Select("#fixed", "oa-2")
	b.Click("#fixed-apply")
	b.WaitText("#sched-message", "Requests are pinned to oa-2@example.com (oa-2)")
	consoleCheckScheduling(t, h, b)
	if resp, _ := h.do("POST", "/v1/chat/completions", consoleOpenAI, consoleOAIHdr); resp.Header.Get("X-Account-Email") != "oa-2@example.com" {
		t.Errorf("the fixed account set in the page did not serve: %s", resp.Header.Get("X-Account-Email"))
	}
	b.Select("#fixed", "")
	b.Click("#fixed-apply")
	b.WaitText("#sched-message", "No fixed account")
	consoleCheckScheduling(t, h, b)

	// Clear bindings: exactly two conversations are bound.
	if st, _ := h.adminDo("POST", "/admin/session-bindings/clear", ""); st != 200 {
		t.Fatal("clear bindings")
	}
	for _, sid := range []string{"ui-1", "ui-2"} {
		if resp, body := h.do("POST", "/v1/messages", fmt.Sprintf(consoleSession, sid), consoleAnthHdr); resp.StatusCode != 200 {
			t.Fatalf("session %s: %d %s", sid, resp.StatusCode, body)
		}
	}
	b.Click("role=button[name='Clear bindings']")
	b.WaitText("#sched-message", "Cleared 2 session bindings.")
	b.Click("role=button[name='Clear bindings']")
	b.WaitText("#sched-message", "Cleared 0 session bindings.")

	// A cooldown counts down in the page and is cleared from it.
	h.fake.AddFault(fakeupstream.Fault{Provider: "anthropic", Times: 1, Kind: fakeupstream.KindStatus, Status: 429,
		Reason: fakeupstream.ReasonRateLimit, RetryAfter: "120s"})
	h.do("POST", "/v1/messages", fmt.Sprintf(consoleSession, "ui-cool"), consoleAnthHdr)
	cooled := ""
	for _, a := range consoleAccounts(t, h) {
		if len(a.Cooldowns) > 0 {
			cooled = a.ID
		}
	}
	if cooled == "" {
		t.Fatal("no account cooled after a 429")
	}
	cell := fmt.Sprintf("#acct-table tr[data-account-id='%s'] td:nth-child(5)", cooled)
	if text := b.WaitText(cell, " left"); !strings.Contains(text, "rate_limit") {
		t.Errorf("cooldown cell %q does not give the reason", text)
	}
	consoleCheckAccounts(t, h, b)
	shot("3-accounts")
	b.Click(fmt.Sprintf("role=button[name='Clear the cooldowns of %s']", cooled))
	b.WaitText("#acct-message", cooled+": cooldowns cleared.")
	consoleCheckAccounts(t, h, b)

	// Disable and enable; the button keeps the focus.
	b.Click("role=button[name='Disable oa-1']")
	b.WaitText("#acct-message", "oa-1 is disabled (disabled in the operator console).")
	consoleCheckAccounts(t, h, b)
	if a := b.Active(); a != "button#:Enable" {
		t.Errorf("focus after disabling: %q; want the same button, now Enable", a)
	}
	b.Press("Enter")
	b.WaitText("#acct-message", "oa-1 is enabled.")
	consoleCheckAccounts(t, h, b)

	// The request monitor lists what the request log lists, newest first.
	b.Click("#nav a[data-page='monitor']")
	b.WaitVisible("#page-monitor")
	pageIDs := func(want []string) func() error {
		return func() error {
			if got := b.AttrAll("#mon-table tbody button[data-request-id]", "data-request-id"); !slices.Equal(got, want) {
				return fmt.Errorf("the page lists %v; want %v", got, want)
			}
			return nil
		}
	}
	consoleEventually(t, "all requests", pageIDs(consoleIDs(consoleList(t, h, "limit=100"))))
	b.Check("#mon-errors", true)
	failedIDs := consoleIDs(consoleList(t, h, "limit=100&errors_only=true"))
	if !slices.Contains(failedIDs, "req-ui-fail") {
		t.Fatalf("errors only: %v", failedIDs)
	}
	consoleEventually(t, "errors only", pageIDs(failedIDs))
	b.Fill("#mon-q", "req-ui-fail")
	consoleEventually(t, "search", pageIDs([]string{"req-ui-fail"}))
	b.Select("#mon-protocol", "anthropic")
	consoleEventually(t, "protocol anthropic", pageIDs(nil))
	b.WaitText("#mon-status", "0 of 1 request ")
	b.Select("#mon-protocol", "openai")
	consoleEventually(t, "protocol openai", pageIDs([]string{"req-ui-fail"}))
	failed := consoleList(t, h, "q=req-ui-fail")[0]
	b.Select("#mon-account", failed.Attempts[0].Account)
	consoleEventually(t, "account of an attempt", pageIDs([]string{"req-ui-fail"}))
	b.Select("#mon-account", "an-1")
	consoleEventually(t, "account without an attempt", pageIDs(nil))
	b.Select("#mon-account", "")
	consoleEventually(t, "all accounts", pageIDs([]string{"req-ui-fail"}))
	shot("4-monitor")

	// The detail of the failed request: every attempt, and the trace link.
	b.Click("button[data-request-id='req-ui-fail']")
	b.WaitVisible("#detail-attempts")
	if n := b.Count("#detail-attempts tbody tr"); n != len(failed.Attempts) {
		t.Errorf("detail shows %d attempts; the record has %d", n, len(failed.Attempts))
	}
	for i, a := range failed.Attempts {
		row := b.Text(fmt.Sprintf("#detail-attempts tbody tr:nth-child(%d)", i+1))
		for _, want := range []string{a.Email, a.Account, a.Outcome, a.Reason} {
			if !strings.Contains(row, want) {
				t.Errorf("attempt %d shows %q; missing %q", i+1, row, want)
			}
		}
	}
	if failed.TraceID == "" {
		t.Error("the failed request has no trace id")
	} else if href := b.Attr("#detail-trace", "href"); href != consoleJaeger+"/trace/"+failed.TraceID {
		t.Errorf("trace link %q; want %s/trace/%s", href, consoleJaeger, failed.TraceID)
	}
	if body := b.Text("#detail-body"); !strings.Contains(body, failed.Error[:min(len(failed.Error), 40)]) {
		t.Errorf("the detail does not show the error %q", failed.Error)
	}
	shot("5-request-detail")
	b.Press("Escape")
	b.WaitHidden("#detail")
	if a := b.Active(); !strings.Contains(a, "req-ui-fail") {
		t.Errorf("focus after closing the detail: %q; want the request's button", a)
	}

	// Export: the file the page saves is the gateway's NDJSON export.
	file := filepath.Join(t.TempDir(), "export.ndjson")
	if name := b.Download("#mon-export", file); !strings.HasSuffix(name, ".ndjson") {
		t.Errorf("export file name %q", name)
	}
	b.WaitText("#mon-export-message", "Exported")
	saved, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", h.admin+"/admin/requests/export", nil)
	req.Header.Set("Authorization", "Bearer "+adminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(saved) != string(want) || len(saved) == 0 {
		t.Errorf("exported file (%d bytes) differs from the gateway's export (%d bytes)", len(saved), len(want))
	}

	// Sign out forgets the key.
	b.Click("#signout")
	b.WaitVisible("#signin-key")
	if s := b.SessionStorage(); s != "{}" {
		t.Errorf("session storage after signing out: %s", s)
	}

	// A stored key the gateway no longer accepts (rotated): back to sign-in.
	b.SetSessionStorage("switchyard.adminKey", "a-rotated-key")
	b.Reload()
	b.WaitText("#signin-message", "The gateway no longer accepts this admin key (401)")
	if s := b.SessionStorage(); s != "{}" {
		t.Errorf("session storage after a 401: %s", s)
	}

	// A gateway without an admin key: the page says the API is disabled.
	off := newHarness(t, harnessOpts{env: map[string]string{"SWITCHYARD_ADMIN_KEY": ""}})
	b.Goto(off.admin + "/admin/ui/")
	b.Fill("#signin-key", "any-key")
	b.Press("Enter")
	if msg := b.WaitText("#signin-message", "The admin API is disabled on this gateway (403)"); !strings.Contains(msg, "SWITCHYARD_ADMIN_KEY") {
		t.Errorf("403 message %q does not say how to enable the API", msg)
	}
	shot("6-admin-disabled")
}
