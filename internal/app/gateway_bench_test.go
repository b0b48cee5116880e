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
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/app"
	"github.com/switchyard-gw/switchyard/internal/config"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

const gwbClientKey = "sy-bench-client-key"

// gwbUpstream answers every Messages call with a short canned stream (or, for
// a JSON request, the same answer as one JSON body) and the rate-limit
// headers Anthropic sends on every response.
func gwbUpstream() http.HandlerFunc {
	var b strings.Builder
	add := func(name, data string) { fmt.Fprintf(&b, "event: %s\ndata: %s\n\n", name, data) }
	add("message_start", `{"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":33,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}`)
	add("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
	for _, t := range []string{"Hello from the ", "bench upstream. ", "You said hello."} {
		add("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"`+t+`"}}`)
	}
	add("content_block_stop", `{"type":"content_block_stop","index":0}`)
	add("message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":12}}`)
	add("message_stop", `{"type":"message_stop"}`)
	stream := []byte(b.String())
	answer := []byte(`{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"Hello from the bench upstream. You said hello."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":33,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":12}}`)
	reset := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h := w.Header()
		if !bytes.Contains(body, []byte(`"stream":true`)) {
			h.Set("Content-Type", "application/json")
			h.Set("anthropic-ratelimit-requests-limit", "1000")
			h.Set("anthropic-ratelimit-requests-remaining", "999")
			h.Set("anthropic-ratelimit-requests-reset", reset)
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(answer)
			return
		}
		h.Set("Content-Type", "text/event-stream")
		h.Set("anthropic-ratelimit-requests-limit", "1000")
		h.Set("anthropic-ratelimit-requests-remaining", "999")
		h.Set("anthropic-ratelimit-requests-reset", reset)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(stream)
	}
}

// gwbStart runs the gateway in-process (real listeners) with two Anthropic
// accounts on upstreamURL and returns its base URL.
func gwbStart(b *testing.B, upstreamURL, redisURL string) string {
	b.Helper()
	dir := b.TempDir()
	var acc strings.Builder
	acc.WriteString("accounts:\n")
	for i := 1; i <= 2; i++ {
		fmt.Fprintf(&acc, "  - id: an-%d\n    email: an-%d@example.com\n    provider: anthropic\n    base_url: %s\n    api_key: bench-key-%d\n    tier: pro\n", i, i, upstreamURL, i)
	}
	accFile := filepath.Join(dir, "accounts.yaml")
	routesFile := filepath.Join(dir, "routes.yaml")
	if err := os.WriteFile(accFile, []byte(acc.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(routesFile, []byte("claude-sonnet-4-5: claude-sonnet-4-5-20250929\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	for k, v := range map[string]string{
		"SWITCHYARD_LISTEN_ADDR":    "127.0.0.1:0",
		"SWITCHYARD_ADMIN_ADDR":     "127.0.0.1:0",
		"SWITCHYARD_ACCOUNTS_FILE":  accFile,
		"SWITCHYARD_ROUTES_FILE":    routesFile,
		"SWITCHYARD_API_KEYS":       gwbClientKey,
		"SWITCHYARD_ADMIN_KEY":      "",
		"SWITCHYARD_API_KEYS_FILE":  "",
		"SWITCHYARD_REDIS_URL":      redisURL,
		"SWITCHYARD_SHUTDOWN_GRACE": "2s",
		"SWITCHYARD_LOG_LEVEL":      "info",
		"SWITCHYARD_LOG_FORMAT":     "json",
	} {
		b.Setenv(k, v)
	}
	cfg, err := config.Load()
	if err != nil {
		b.Fatalf("config: %v", err)
	}
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		err := app.Run(ctx, cfg, app.Env{Stdout: pw, LookupEnv: os.LookupEnv, Version: "bench"})
		pw.Close()
		done <- err
	}()
	sc := bufio.NewScanner(pr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	base := ""
	for base == "" && sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "LISTENING "); ok {
			base = "http://" + a
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if base == "" {
		cancel()
		b.Fatalf("gateway did not start: %v", <-done)
	}
	b.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			b.Errorf("gateway did not stop within 10s")
		}
	})
	return base
}

// gwbBodies are Anthropic requests of 200 Claude Code sessions.
func gwbBodies(stream bool) [][]byte {
	out := make([][]byte, 200)
	for i := range out {
		out[i] = fmt.Appendf(nil, `{"model":"claude-sonnet-4-5","max_tokens":256,"stream":%t,`+
			`"metadata":{"user_id":"user_5f0c_account__session_0b8f2c3e-1111-4a2b-9c3d-%012d"},`+
			`"messages":[{"role":"user","content":"Hello there, gateway! This is session %d."}]}`, stream, i, i)
	}
	return out
}

// BenchmarkGateway is one client request through the whole in-process
// gateway (gin edge, auth, probe, session id, scheduler on the embedded store
// or a real redis-server, upstream call, collect or relay) against a canned
// upstream, one request at a time. allocs/op counts the whole test process:
// the gateway, the HTTP client and the canned upstream.
func BenchmarkGateway(b *testing.B) {
	up := httptest.NewServer(gwbUpstream())
	b.Cleanup(up.Close)
	stores := []struct {
		name  string
		redis func(b *testing.B) string
	}{
		{"embedded", func(*testing.B) string { return "" }},
		{"redis-server", func(b *testing.B) string { return storetest.URL(storetest.StartRedis(b)) }},
	}
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			base := gwbStart(b, up.URL, st.redis(b))
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
			b.Cleanup(client.CloseIdleConnections)
			for _, mode := range []struct {
				name   string
				stream bool
			}{{"json_sticky", false}, {"stream_sticky", true}} {
				bodies := gwbBodies(mode.stream)
				send := func(i int) {
					req, err := http.NewRequest(http.MethodPost, base+"/v1/messages", bytes.NewReader(bodies[i%len(bodies)]))
					if err != nil {
						b.Fatal(err)
					}
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("anthropic-version", "2023-06-01")
					req.Header.Set("x-api-key", gwbClientKey)
					resp, err := client.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Fatalf("status %d", resp.StatusCode)
					}
				}
				b.Run(mode.name, func(b *testing.B) {
					for i := range bodies { // bind every session first
						send(i)
					}
					b.ReportAllocs()
					i := 0
					for b.Loop() {
						send(i)
						i++
					}
				})
			}
		})
	}
}
