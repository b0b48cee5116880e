package app_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/console/browsertest"
)

// The Keys page in headless Chromium, checked against GET /admin/keys after
// every step.

type consoleKey struct {
	Name        string   `json:"name"`
	Fingerprint string   `json:"fingerprint"`
	Source      string   `json:"source"`
	Models      []string `json:"models"`
	Limits      struct {
		RPM         int64 `json:"rpm"`
		TPM         int64 `json:"tpm"`
		MaxInFlight int64 `json:"max_in_flight"`
		DailyTokens int64 `json:"daily_tokens"`
	} `json:"limits"`
	Disabled   bool `json:"disabled"`
	UsageToday struct {
		Requests int64 `json:"requests"`
		Tokens   int64 `json:"tokens"`
	} `json:"usage_today"`
}

func consoleKeys(t *testing.T, h *harness) []consoleKey {
	t.Helper()
	st, body := h.adminDo("GET", "/admin/keys", "")
	var v struct {
		Keys []consoleKey `json:"keys"`
	}
	if st != 200 || json.Unmarshal([]byte(body), &v) != nil {
		t.Fatalf("GET /admin/keys: %d %s", st, body)
	}
	return v.Keys
}

func findKey(keys []consoleKey, name string) (consoleKey, bool) {
	i := slices.IndexFunc(keys, func(k consoleKey) bool { return k.Name == name })
	if i < 0 {
		return consoleKey{}, false
	}
	return keys[i], true
}

// consoleCheckKeys fails unless the keys table shows what GET /admin/keys
// answers now: the keys in order, each with its fingerprint, source, limits,
// state and today's request count.
func consoleCheckKeys(t *testing.T, h *harness, b *browsertest.Browser) {
	t.Helper()
	keys := consoleKeys(t, h)
	var names []string
	for _, k := range keys {
		names = append(names, k.Name)
	}
	consoleEventually(t, "the keys listed", func() error {
		if got := b.AttrAll("#keys-table tbody tr", "data-key-name"); !slices.Equal(got, names) {
			return fmt.Errorf("the page lists keys %v; the gateway %v", got, names)
		}
		return nil
	})
	for _, k := range keys {
		row := fmt.Sprintf("#keys-table tr[data-key-name='%s']", k.Name)
		if got := b.Text(row + " td:nth-child(1)"); !strings.Contains(got, k.Fingerprint) {
			t.Errorf("%s: the page shows %q; the fingerprint is %s", k.Name, got, k.Fingerprint)
		}
		if got := b.Text(row + " td:nth-child(2)"); got != k.Source {
			t.Errorf("%s: source %q; the gateway says %q", k.Name, got, k.Source)
		}
		limits := b.Text(row + " td:nth-child(4)")
		if k.Limits.RPM > 0 && !strings.Contains(limits, strconv.FormatInt(k.Limits.RPM, 10)+" rpm") ||
			k.Limits.RPM == 0 && strings.Contains(limits, "rpm") {
			t.Errorf("%s: limits %q; the gateway's rpm is %d", k.Name, limits, k.Limits.RPM)
		}
		if got := b.Text(row + " td:nth-child(5)"); !strings.Contains(got, strconv.FormatInt(k.UsageToday.Requests, 10)+" req") {
			t.Errorf("%s: usage %q; the gateway counts %d requests today", k.Name, got, k.UsageToday.Requests)
		}
		if n := b.Count(row + " td:nth-child(5) svg rect.bar"); n != 2 {
			t.Errorf("%s: %d usage bars; want requests and tokens", k.Name, n)
		}
		if state := b.Text(row + " td:nth-child(7)"); strings.Contains(state, "disabled") != k.Disabled {
			t.Errorf("%s: state %q; the gateway says disabled=%v", k.Name, state, k.Disabled)
		}
	}
}

// TestConsoleKeysInBrowser creates a key in the page, sees it used, changes
// a limit, disables and enables it and revokes it; keys of the environment
// and the keys file are read-only.
func TestConsoleKeysInBrowser(t *testing.T) {
	b := browsertest.Start(t)
	shots := consoleScreenshots(t)
	// The keys file's allow-lists are free text: one of them is markup.
	keysFile := teamKeysFile(t)
	data, err := os.ReadFile(keysFile)
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, []byte("  - {name: team-markup, key: sy-markup-secret-9z8y, models: [\"<img src=x onerror=document.title='pwned'>\"]}\n")...)
	if err := os.WriteFile(keysFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, harnessOpts{env: map[string]string{"SWITCHYARD_API_KEYS_FILE": keysFile}})
	defer func() {
		if t.Failed() {
			p := filepath.Join(shots, "keys-failure.png")
			if _, err := b.Try("screenshot", map[string]any{"path": p, "fullPage": true}); err == nil {
				t.Logf("the page when the test failed: %s", p)
			}
			return
		}
		for _, p := range b.Problems() {
			if !regexp.MustCompile(`Failed to load resource: the server responded with a status of 40[013]`).MatchString(p) {
				t.Errorf("the page logged: %s", p)
			}
		}
	}()
	msg := `{"model":"claude-sonnet-4-5","max_tokens":32,"messages":[{"role":"user","content":"a key made in the console"}]}`
	send := func(secret string) int {
		resp, _ := h.do("POST", "/v1/messages", msg, map[string]string{"x-api-key": secret, "anthropic-version": "2023-06-01"})
		return resp.StatusCode
	}

	b.Goto(h.admin + "/admin/ui/#/keys")
	b.WaitVisible("#signin-key")
	b.Fill("#signin-key", adminKey)
	b.Press("Enter")
	b.WaitVisible("#page-keys")
	b.WaitCount("#keys-table tbody tr", 4) // env-1, team-red, team-blue, team-markup
	consoleCheckKeys(t, h, b)
	if got := b.Text("#keys-table tr[data-key-name='team-markup'] td:nth-child(3)"); !strings.Contains(got, "<img src=x") {
		t.Errorf("the markup allow-list shows as %q; want its text", got)
	}
	if n := b.Count("#keys-table img"); n != 0 {
		t.Errorf("an allow-list became %d img element(s)", n)
	}
	for _, name := range []string{"env-1", "team-red"} {
		if got := b.Attr(fmt.Sprintf("role=button[name='Edit %s']", name), "aria-disabled"); got != "true" {
			t.Errorf("%s is not made by the admin API, yet its Edit button is usable (aria-disabled %q)", name, got)
		}
	}

	// A name the gateway would refuse is caught in the page.
	b.Fill("#key-name", "bad name!")
	b.Click("#key-create")
	b.WaitText("#key-create-message", "Name:")
	if b.Attr("#key-name", "aria-invalid") != "true" {
		t.Error("the bad name is not marked invalid")
	}

	// Create: the secret is shown once and works.
	b.Fill("#key-name", "ui-team")
	b.Fill("#key-models", "claude-*")
	b.Fill("#key-rpm", "60")
	b.Click("#key-create")
	b.WaitText("#key-create-message", "ui-team is created")
	secret := b.Value("#key-secret-value")
	if !strings.HasPrefix(secret, "sy-") || len(secret) < 20 {
		t.Fatalf("secret shown %q", secret)
	}
	k, ok := findKey(consoleKeys(t, h), "ui-team")
	if !ok || k.Source != "api" || k.Limits.RPM != 60 || !slices.Equal(k.Models, []string{"claude-*"}) {
		t.Fatalf("the gateway has %+v (listed %v)", k, ok)
	}
	consoleCheckKeys(t, h, b)
	b.Screenshot(filepath.Join(shots, "7-keys-created.png"), true)
	if st := send(secret); st != 200 {
		t.Fatalf("a request with the new key: %d", st)
	}
	b.Click("#key-secret-done")
	b.WaitHidden("#key-secret")
	if v := b.Value("#key-secret-value"); v != "" {
		t.Errorf("the secret stays in the page after Done: %q", v)
	}

	// Its request shows in today's usage with the next refresh.
	b.WaitText("#keys-table tr[data-key-name='ui-team'] td:nth-child(5)", "1 req")
	consoleCheckKeys(t, h, b)

	// The usage card sums the request log per key, then per model.
	b.WaitText("#usage-table tr[data-usage-name='ui-team'] td:nth-child(2)", "1")
	if got := b.AttrAll("#usage-table tbody tr", "data-usage-name"); !slices.Equal(got, []string{"ui-team"}) {
		t.Errorf("usage per key lists %v; only ui-team sent a request", got)
	}
	if n := b.Count("#usage-chart svg rect.bar"); n != 1 {
		t.Errorf("usage chart has %d bars; want 1", n)
	}
	b.Select("#usage-group", "model")
	b.WaitText("#usage-table tr[data-usage-name='claude-sonnet-4-5'] td:nth-child(2)", "1")
	b.WaitText("#usage-status", "1 request, 0 errors since")

	// Edit a limit in the dialog.
	b.Click("role=button[name='Edit ui-team']")
	b.WaitVisible("#key-edit")
	if got := b.Value("#edit-rpm"); got != "60" {
		t.Errorf("the edit dialog shows rpm %q; the key has 60", got)
	}
	b.Fill("#edit-rpm", "120")
	b.Fill("#edit-daily", "500000")
	b.Click("#key-edit-save")
	b.WaitText("#keys-message", "ui-team now has 120 rpm")
	b.WaitHidden("#key-edit")
	if k, _ := findKey(consoleKeys(t, h), "ui-team"); k.Limits.RPM != 120 || k.Limits.DailyTokens != 500000 || k.Limits.TPM != 0 {
		t.Errorf("after the edit the gateway has limits %+v", k.Limits)
	}
	consoleCheckKeys(t, h, b)

	// Disable and enable.
	b.Click("role=button[name='Disable ui-team']")
	b.WaitText("#keys-message", "ui-team is disabled")
	consoleCheckKeys(t, h, b)
	if st := send(secret); st != 403 {
		t.Errorf("a disabled key's request: %d; want 403", st)
	}
	b.Click("role=button[name='Enable ui-team']")
	b.WaitText("#keys-message", "ui-team is enabled.")
	consoleCheckKeys(t, h, b)
	if st := send(secret); st != 200 {
		t.Errorf("an enabled key's request: %d; want 200", st)
	}
	b.Screenshot(filepath.Join(shots, "8-keys.png"), true)

	// Revoke takes a second press.
	b.Click("role=button[name='Revoke ui-team']")
	b.WaitText("#keys-message", "Confirm revoke")
	if _, ok := findKey(consoleKeys(t, h), "ui-team"); !ok {
		t.Fatal("one press revoked the key")
	}
	b.Click("role=button[name='Confirm revoking ui-team']")
	b.WaitText("#keys-message", "ui-team is revoked.")
	if _, ok := findKey(consoleKeys(t, h), "ui-team"); ok {
		t.Error("the gateway still lists the revoked key")
	}
	consoleCheckKeys(t, h, b)
	if st := send(secret); st != 401 {
		t.Errorf("a revoked key's request: %d; want 401", st)
	}
	if strings.Contains(b.Text("body"), secret) {
		t.Error("the page still shows the secret")
	}
	if title := b.Text("head > title"); title != "Switchyard console" {
		t.Errorf("page title %q: markup from a key's allow-list ran in the page", title)
	}
}
