package dispatch_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/app"
	"github.com/switchyard-gw/switchyard/internal/dispatch"
	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/schedule"
	"github.com/switchyard-gw/switchyard/internal/upstream"
)

// relayEvents is the length of the benchmark stream.
const relayEvents = 1000

// relayUpstream serves an Anthropic Messages stream of n events, flushing
// after each one, as a provider does.
func relayUpstream(n int) http.HandlerFunc {
	var evs [][]byte
	add := func(name, data string) { evs = append(evs, []byte("event: "+name+"\ndata: "+data+"\n\n")) }
	add("message_start", `{"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","model":"claude-bench","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":33,"output_tokens":1}}}`)
	add("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
	for range n - 5 {
		add("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Checking the weather in Paris for you, one moment."}}`)
	}
	add("content_block_stop", `{"type":"content_block_stop","index":0}`)
	add("message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":230}}`)
	add("message_stop", `{"type":"message_stop"}`)
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		for _, ev := range evs {
			if _, err := w.Write(ev); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
		}
	}
}

// relaySched always answers with the one account of the pool. It embeds the
// interface so that it keeps compiling when the interface grows; a method
// it does not define would panic if the relay path called it.
type relaySched struct{ dispatch.Scheduler }

func (relaySched) Acquire(context.Context, schedule.Query) (schedule.Lease, error) {
	return schedule.Lease{Status: schedule.StatusOK, Account: "an-1", Decision: "sticky"}, nil
}

func (relaySched) Report(context.Context, schedule.Outcome) (time.Time, error) {
	return time.Time{}, nil
}

func (relaySched) Settings(context.Context) (schedule.Settings, error) {
	return schedule.Settings{Mode: schedule.Balance}, nil
}

func (relaySched) NoteSuccess(account, group string) {}

// relayGateway is a dispatcher behind a real HTTP server, forwarding to base.
func relayGateway(b *testing.B, base string) *httptest.Server {
	pool, err := account.Parse([]byte("accounts:\n  - id: an-1\n    email: an-1@example.com\n    provider: anthropic\n    base_url: "+base+"\n    api_key: bench-key\n    tier: pro\n"), nil)
	if err != nil {
		b.Fatal(err)
	}
	tr := upstream.NewTransport(upstream.Timeouts{Connect: 5 * time.Second, ResponseHeader: 10 * time.Second})
	b.Cleanup(tr.CloseIdleConnections)
	d := &dispatch.Dispatcher{
		Router:    dispatch.NewCatalog(account.StaticSource(pool), nil),
		Sched:     relaySched{},
		Upstream:  &upstream.Client{HTTP: &http.Client{Transport: tr}, UserAgent: "switchyard/bench"},
		Log:       slog.New(slog.DiscardHandler),
		Protocols: app.Protocols(),
		Policy: dispatch.Policy{
			MaxAttempts: 1, RequestTimeout: time.Minute, FirstEventTimeout: 10 * time.Second,
			IdleTimeout: 10 * time.Second, KeepAlive: 15 * time.Second, RateLimitGrace: time.Second,
			MaxEventBytes: 16 << 20, MaxResponseBytes: 64 << 20,
		},
	}
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		d.Serve(r.Context(), w, &dispatch.Request{
			Protocol: llm.Anthropic, Op: upstream.OpGenerate, Model: "claude-bench", Body: body, Stream: true,
			Scope: "kbench", Header: http.Header{"Anthropic-Version": {"2023-06-01"}},
		})
	}))
	b.Cleanup(gw.Close)
	return gw
}

// BenchmarkRelayStream streams relayEvents events from an httptest upstream
// to an HTTP client, directly (baseline) and through the dispatcher behind a
// second httptest server (pump goroutine, classify, usage scan, AppendEvent,
// one write and flush per event). One op is one whole stream; ns/event is
// the time per event. The difference between the two is the relay's cost.
func BenchmarkRelayStream(b *testing.B) {
	up := httptest.NewServer(relayUpstream(relayEvents))
	b.Cleanup(up.Close)
	body := []byte(`{"model":"claude-bench","max_tokens":256,"stream":true,"messages":[{"role":"user","content":"Hello there"}]}`)
	for _, c := range []struct {
		name string
		url  func(b *testing.B) string
	}{
		{"direct", func(*testing.B) string { return up.URL + "/v1/messages" }},
		{"gateway", func(b *testing.B) string { return relayGateway(b, up.URL).URL + "/v1/messages" }},
	} {
		b.Run(fmt.Sprintf("%s/events=%d", c.name, relayEvents), func(b *testing.B) {
			url := c.url(b)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			b.Cleanup(client.CloseIdleConnections)
			var last []byte
			stream := func() {
				resp, err := client.Post(url, "application/json", bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				defer resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
				var tail tailWriter
				if _, err := io.Copy(&tail, resp.Body); err != nil {
					b.Fatal(err)
				}
				last = tail.b
			}
			stream()
			if !strings.Contains(string(last), "message_stop") {
				b.Fatalf("stream did not end with message_stop: %q", last)
			}
			b.ReportAllocs()
			for b.Loop() {
				stream()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*relayEvents), "ns/event")
		})
	}
}

// tailWriter keeps the last bytes written to it.
type tailWriter struct{ b []byte }

func (t *tailWriter) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 256 {
		t.b = append(t.b[:0], t.b[len(t.b)-128:]...)
	}
	return len(p), nil
}
