package app_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
)

// Streams that end properly give their upstream connection back to the pool:
// a run of streams (same protocol, translated, or collected for a JSON
// client) opens one connection to the provider, not one per stream (which
// costs a TLS handshake each against a real provider).
func TestFinishedStreamsReuseTheUpstreamConnection(t *testing.T) {
	fake := fakeupstream.New(fakeupstream.Options{Strict: true})
	// The end of each body comes apart from its last event, as over a real
	// network: a gateway that stops reading at the terminal event cuts the
	// connection.
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fake.ServeHTTP(w, r)
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		time.Sleep(20 * time.Millisecond)
	}))
	var opened atomic.Int64
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	h := newHarness(t, harnessOpts{routes: demoRoutes, fake: fake, fakeURL: srv.URL,
		accounts: []acctSpec{{id: "an-1", provider: "anthropic", tier: "pro"}}})
	for _, c := range []struct{ name, path, body string }{
		{"anthropic stream", "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":20,"stream":true,"messages":[{"role":"user","content":"hi"}]}`},
		{"chat stream, translated", "/v1/chat/completions", `{"model":"claude-sonnet-4-5","stream":true,"messages":[{"role":"user","content":"hi"}]}`},
		{"chat JSON, collected", "/v1/chat/completions", `{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}]}`},
	} {
		send := func() {
			for i := 0; i < 5; i++ {
				resp, body := h.do("POST", c.path, c.body, map[string]string{"x-api-key": clientKey, "Authorization": "Bearer " + clientKey, "anthropic-version": "2023-06-01"})
				if resp.StatusCode != 200 || !strings.Contains(body, "Hello from fake an") {
					t.Fatalf("%s %d: %d %s", c.name, i, resp.StatusCode, body)
				}
			}
		}
		send()
		// The first run's connections finish their bodies (20 ms) and, read
		// to the end, wait in the gateway's pool for the second run.
		time.Sleep(150 * time.Millisecond)
		before := opened.Load()
		send()
		if n := opened.Load() - before; n > 1 {
			t.Errorf("%s: the second 5 requests opened %d new upstream connections; want the pooled ones reused", c.name, n)
		}
	}
}
