package app_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
)

// Code Assist test credentials: the logs must never show them.
const (
	caClientSecret = "ca-client-secret-6a1f"
	caRefreshStem  = "ca-refresh-token-"
)

func caRefresh(id string) string { return caRefreshStem + id }

// caAccount is one codeassist account of a test pool.
type caAccount struct {
	id, project, tier string
	models            []string
}

// caFake is a fake upstream on a real listener, shared by the replicas of a test.
func caFake(t *testing.T) (*fakeupstream.Server, string) {
	t.Helper()
	fake := fakeupstream.New(fakeupstream.Options{})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return fake, srv.URL
}

// caPoolFile writes an accounts file of codeassist accounts signing in at
// the fake's token endpoint.
func caPoolFile(t *testing.T, fakeURL string, accts []caAccount) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("accounts:\n")
	for _, a := range accts {
		fmt.Fprintf(&b, "  - id: %s\n    email: %s@example.com\n    provider: codeassist\n    base_url: %s\n", a.id, a.id, fakeURL)
		fmt.Fprintf(&b, "    oauth: {token_url: %q, client_id: test-client.apps.googleusercontent.com, client_secret: %s, refresh_token: %s}\n",
			fakeURL+"/token", caClientSecret, caRefresh(a.id))
		if a.project != "" {
			fmt.Fprintf(&b, "    project: %s\n", a.project)
		}
		if a.tier != "" {
			fmt.Fprintf(&b, "    tier: %s\n", a.tier)
		}
		if len(a.models) > 0 {
			fmt.Fprintf(&b, "    models: [%s]\n", strings.Join(a.models, ", "))
		}
	}
	file := filepath.Join(t.TempDir(), "codeassist-accounts.yaml")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// newCodeAssistHarness runs one gateway over a codeassist pool; env adds
// settings (the scheduling mode defaults to PerformanceFirst, so every
// request starts at the best eligible account).
func newCodeAssistHarness(t *testing.T, fake *fakeupstream.Server, fakeURL, poolFile, redisURL string, env map[string]string) *harness {
	t.Helper()
	e := map[string]string{"SWITCHYARD_ACCOUNTS_FILE": poolFile, "SWITCHYARD_SCHEDULING_MODE": "PerformanceFirst",
		"SWITCHYARD_QUOTA_POLL_INTERVAL": "0"}
	for k, v := range env {
		e[k] = v
	}
	h := newHarness(t, harnessOpts{fake: fake, fakeURL: fakeURL, redisURL: redisURL, env: e})
	t.Cleanup(func() {
		logs := h.logs.String()
		for _, s := range []string{caClientSecret, caRefreshStem, "ya29.fake-"} {
			if strings.Contains(logs, s) {
				t.Errorf("a Code Assist credential (%s…) appears in the logs", s[:8])
			}
		}
	})
	return h
}

// caRequests returns the fake's Code Assist requests whose path ends with suffix.
func caRequests(fake *fakeupstream.Server, suffix string) []fakeupstream.Record {
	var out []fakeupstream.Record
	for _, r := range fake.Requests() {
		if r.Provider == fakeupstream.ProviderCodeAssist && strings.HasSuffix(r.Path, suffix) {
			out = append(out, r)
		}
	}
	return out
}

// caAdminAccount is an account in GET /admin/accounts.
type caAdminAccount struct {
	ID             string `json:"id"`
	Tier           string `json:"tier"`
	Disabled       bool   `json:"disabled"`
	DisabledReason string `json:"disabled_reason"`
	Cooldowns      []struct {
		ModelGroup string    `json:"model_group"`
		Until      time.Time `json:"until"`
		Reason     string    `json:"reason"`
	} `json:"cooldowns"`
	Quota      map[string]float64 `json:"quota"`
	CodeAssist *struct {
		Project       string `json:"project"`
		ProjectSource string `json:"project_source"`
		TierID        string `json:"tier_id"`
		TierSource    string `json:"tier_source"`
		Quota         *struct {
			ReadAt time.Time `json:"read_at"`
			Models map[string]struct {
				Remaining float64 `json:"remaining"`
			} `json:"models"`
		} `json:"quota"`
		Verification *struct {
			Reason string `json:"reason"`
			URL    string `json:"url"`
		} `json:"verification"`
	} `json:"codeassist"`
}

func (h *harness) caAccount(id string) caAdminAccount {
	h.t.Helper()
	st, body := h.adminDo("GET", "/admin/accounts", "")
	if st != 200 {
		h.t.Fatalf("admin accounts: %d %s", st, body)
	}
	var v struct {
		Accounts []caAdminAccount `json:"accounts"`
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		h.t.Fatal(err)
	}
	for _, a := range v.Accounts {
		if a.ID == id {
			return a
		}
	}
	h.t.Fatalf("account %s not in the admin view: %s", id, body)
	return caAdminAccount{}
}
