package app_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/switchyard-gw/switchyard/internal/app"
	"github.com/switchyard-gw/switchyard/internal/config"
	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
)

// Test credentials: the leak test greps every log line for them.
const (
	clientKey = "sy-client-key-7f3c9a"
	adminKey  = "sy-admin-key-51d2e8"
)

func upstreamKey(id string) string { return "upkey-secret-" + id }

// harness is one gateway (in-process, real listeners) in front of one fake upstream.
type harness struct {
	t       *testing.T
	fake    *fakeupstream.Server
	fakeURL string
	base    string // http://client-listener
	admin   string // http://admin-listener
	logs    *syncBuffer
	cancel  context.CancelFunc
	done    chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type acctSpec struct {
	id, provider, tier string
	models             []string
}

func defaultAccounts() []acctSpec {
	return []acctSpec{
		{id: "an-1", provider: "anthropic", tier: "pro"},
		{id: "an-2", provider: "anthropic", tier: "pro"},
		{id: "oa-1", provider: "openai", tier: "pro"},
		{id: "oa-2", provider: "openai", tier: "pro"},
		{id: "ge-1", provider: "gemini", tier: "pro"},
		{id: "ge-2", provider: "gemini", tier: "pro"},
	}
}

func accountsYAML(fakeURL string, accts []acctSpec) string {
	var b strings.Builder
	b.WriteString("accounts:\n")
	for _, a := range accts {
		base := fakeURL
		if a.provider == "openai" {
			base += "/v1"
		}
		fmt.Fprintf(&b, "  - id: %s\n    email: %s@example.com\n    provider: %s\n    base_url: %s\n    api_key: %s\n    tier: %s\n",
			a.id, a.id, a.provider, base, upstreamKey(a.id), a.tier)
		if len(a.models) > 0 {
			fmt.Fprintf(&b, "    models: [%s]\n", strings.Join(a.models, ", "))
		}
	}
	return b.String()
}

type harnessOpts struct {
	accounts []acctSpec
	routes   string
	env      map[string]string
	redisURL string
	fake     *fakeupstream.Server
	fakeURL  string
	tracer   trace.TracerProvider // nil: configured from OTEL_* (off in tests)
}

func newHarness(t *testing.T, o harnessOpts) *harness {
	t.Helper()
	h := &harness{t: t, logs: &syncBuffer{}}
	if o.fake != nil {
		h.fake, h.fakeURL = o.fake, o.fakeURL
	} else {
		// Strict: the fake refuses what the real providers refuse.
		h.fake = fakeupstream.New(fakeupstream.Options{Strict: true})
		srv := httptest.NewServer(h.fake)
		t.Cleanup(srv.Close)
		h.fakeURL = srv.URL
	}
	if o.accounts == nil {
		o.accounts = defaultAccounts()
	}
	dir := t.TempDir()
	acctFile := filepath.Join(dir, "accounts.yaml")
	if err := os.WriteFile(acctFile, []byte(accountsYAML(h.fakeURL, o.accounts)), 0o600); err != nil {
		t.Fatal(err)
	}
	routesFile := ""
	if o.routes != "" {
		routesFile = filepath.Join(dir, "routes.yaml")
		if err := os.WriteFile(routesFile, []byte(o.routes), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{
		"SWITCHYARD_LISTEN_ADDR":             "127.0.0.1:0",
		"SWITCHYARD_ADMIN_ADDR":              "127.0.0.1:0",
		"SWITCHYARD_ACCOUNTS_FILE":           acctFile,
		"SWITCHYARD_ROUTES_FILE":             routesFile,
		"SWITCHYARD_API_KEYS":                clientKey,
		"SWITCHYARD_ADMIN_KEY":               adminKey,
		"SWITCHYARD_REDIS_URL":               o.redisURL,
		"SWITCHYARD_FIRST_EVENT_TIMEOUT":     "2s",
		"SWITCHYARD_STREAM_IDLE_TIMEOUT":     "2s",
		"SWITCHYARD_RESPONSE_HEADER_TIMEOUT": "3s",
		"SWITCHYARD_JSON_HEADER_TIMEOUT":     "3s",
		"SWITCHYARD_RATE_LIMIT_GRACE":        "3s",
		"SWITCHYARD_SHUTDOWN_GRACE":          "5s",
		"SWITCHYARD_LOG_LEVEL":               "debug",
	}
	for k, v := range o.env {
		env[k] = v
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg, err := config.Load()
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	go func() {
		err := app.Run(ctx, cfg, app.Env{Stdout: pw, LookupEnv: os.LookupEnv, Version: "test", TracerProvider: o.tracer})
		pw.Close()
		h.done <- err
	}()
	sc := bufio.NewScanner(pr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for (h.base == "" || h.admin == "") && sc.Scan() {
		line := sc.Text()
		h.logs.Write([]byte(line + "\n"))
		if a, ok := strings.CutPrefix(line, "LISTENING "); ok {
			h.base = "http://" + a
		}
		if a, ok := strings.CutPrefix(line, "ADMIN "); ok {
			h.admin = "http://" + a
		}
	}
	if h.base == "" {
		cancel()
		t.Fatalf("gateway did not start: %v\n%s", <-h.done, h.logs.String())
	}
	go func() {
		for sc.Scan() {
			h.logs.Write([]byte(sc.Text() + "\n"))
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("gateway stopped with error: %v", err)
		}
	case <-time.After(10 * time.Second):
		h.t.Errorf("gateway did not stop within 10s")
	}
	h.cancel = nil
	h.assertNoSecretsInLogs()
}

func (h *harness) assertNoSecretsInLogs() {
	logs := h.logs.String()
	for _, s := range []string{clientKey, adminKey, "upkey-secret-"} {
		if strings.Contains(logs, s) {
			h.t.Errorf("a credential (%s…) appears in the logs", s[:8])
		}
	}
}

// do sends a raw request to the client API.
func (h *harness) do(method, path, body string, hdr map[string]string) (*http.Response, string) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.base+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// adminDo sends an authenticated request to the admin API.
func (h *harness) adminDo(method, path, body string) (int, string) {
	h.t.Helper()
	req, _ := http.NewRequest(method, h.admin+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+adminKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// credentialsUsed lists which upstream account served each recorded request.
func (h *harness) credentialsUsed() []string {
	var out []string
	for _, r := range h.fake.Requests() {
		out = append(out, strings.TrimPrefix(r.Credential, "upkey-secret-"))
	}
	return out
}
