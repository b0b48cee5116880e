package app_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/console"
	"github.com/switchyard-gw/switchyard/internal/console/browsertest"
	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
)

// The console in headless Chromium, checked against the admin API after every step.

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

// TestConsoleShowsCodeAssistAccounts: the accounts page shows what the admin
// API says of Code Assist accounts: the project, where the tier comes from,
// when the quota was read, and a verification request.
func TestConsoleShowsCodeAssistAccounts(t *testing.T) {
	b := browsertest.Start(t)
	fake, url := caFake(t)
	fake.SetCodeAssistUser(caRefresh("ca-found"), fakeupstream.CodeAssistUser{Tier: fakeupstream.TierStandard, Project: "proj-found",
		Quota: map[string]float64{"gemini-2.5-pro": 0.4}})
	fake.SetCodeAssistUser(caRefresh("ca-verify"), fakeupstream.CodeAssistUser{Tier: fakeupstream.TierStandard, Project: "proj-verify",
		VerifyRequired: true})
	h := newCodeAssistHarness(t, fake, url, caPoolFile(t, url, []caAccount{
		{id: "ca-found"}, {id: "ca-verify", project: "proj-verify", tier: "ultra"},
	}), "", map[string]string{"SWITCHYARD_QUOTA_POLL_INTERVAL": "1h"}) // one read, at start

	// ca-verify (ultra) is asked to verify; ca-found, discovered, serves.
	if got := h.served("gemini-2.5-pro"); got != "ca-found@example.com" {
		t.Fatalf("served by %s; want ca-found after ca-verify's verification request", got)
	}
	var found, verify caAdminAccount
	consoleEventually(t, "quota read and verification in the admin view", func() error {
		found, verify = h.caAccount("ca-found"), h.caAccount("ca-verify")
		if found.CodeAssist == nil || found.CodeAssist.Quota == nil || found.CodeAssist.Quota.ReadAt.IsZero() ||
			verify.CodeAssist == nil || verify.CodeAssist.Verification == nil {
			return fmt.Errorf("ca-found %+v, ca-verify %+v", found.CodeAssist, verify.CodeAssist)
		}
		return nil
	})

	b.Goto(h.admin + "/admin/ui")
	b.WaitVisible("#signin-key")
	b.Fill("#signin-key", adminKey)
	b.Press("Enter")
	b.WaitVisible("#nav")
	b.Click("#nav a[data-page='accounts']")
	b.WaitVisible("#page-accounts")
	b.WaitCount("#acct-table tbody tr", 2)
	cell := func(id string, n int) string {
		return b.Text(fmt.Sprintf("#acct-table tr[data-account-id='%s'] td:nth-child(%d)", id, n))
	}
	consoleEventually(t, "the Code Assist fields on the page", func() error {
		var problems []string
		want := func(id string, n int, what, text string) {
			if got := cell(id, n); !strings.Contains(got, text) {
				problems = append(problems, fmt.Sprintf("%s %s: %q lacks %q", id, what, got, text))
			}
		}
		// The project (discovered / from the file) under the provider.
		want("ca-found", 2, "provider", "codeassist")
		want("ca-found", 2, "provider", found.CodeAssist.Project)
		want("ca-verify", 2, "provider", "proj-verify")
		// Where the tier comes from.
		want("ca-found", 3, "tier", found.Tier)
		want("ca-found", 3, "tier", "from Code Assist ("+found.CodeAssist.TierID+")")
		want("ca-verify", 3, "tier", "ultra")
		want("ca-verify", 3, "tier", "from the file")
		// The verification request, with its link.
		want("ca-verify", 4, "state", "verification asked: "+verify.CodeAssist.Verification.URL)
		if strings.Contains(cell("ca-found", 4), "verification") {
			problems = append(problems, "ca-found shows a verification request it does not have")
		}
		// The quota, and when it was read.
		want("ca-found", 6, "quota", "gemini-2.5-pro: 40")
		if got := cell("ca-found", 6); !regexp.MustCompile(`read \d\d:\d\d:\d\d`).MatchString(got) {
			problems = append(problems, fmt.Sprintf("ca-found quota %q does not say when it was read", got))
		}
		if len(problems) > 0 {
			return errors.New(strings.Join(problems, "; "))
		}
		return nil
	})
	// The read time is the admin API's, in the browser's clock format.
	readAt := h.caAccount("ca-found").CodeAssist.Quota.ReadAt.Local().Format("15:04:05")
	if got := cell("ca-found", 6); !strings.Contains(got, "read "+readAt) {
		t.Errorf("quota cell %q; the admin API read it at %s", got, readAt)
	}
}
