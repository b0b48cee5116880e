package app_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
)

const (
	promptCanary  = "PROMPT-CANARY-3e9d1c"
	sessionCanary = "SESSION-CANARY-5b7a90"
)

// TestNoSecretsInTelemetry runs every protocol, JSON and streamed, with a
// rotation, a client error and a failure, then searches the logs, every span
// (names, attributes, statuses, events, resources), the /metrics text and the
// request log for the credentials, the prompt and the raw session id.
func TestNoSecretsInTelemetry(t *testing.T) {
	h, rec := newTracedHarness(t, harnessOpts{})
	msg := "say hi " + promptCanary
	oai := map[string]string{"Authorization": "Bearer " + clientKey, "X-Claude-Code-Session-Id": sessionCanary}
	anth := map[string]string{"x-api-key": clientKey, "anthropic-version": "2023-06-01", "X-Claude-Code-Session-Id": sessionCanary}
	gem := map[string]string{"x-goog-api-key": clientKey}
	type call struct {
		path, body string
		hdr        map[string]string
		fault      *fakeupstream.Fault
	}
	calls := []call{
		{"/v1/chat/completions", `{"model":"gpt-4o","user":"` + sessionCanary + `","messages":[{"role":"user","content":"` + msg + `"}]}`, oai, nil},
		{"/v1/chat/completions", `{"model":"gpt-4o","stream":true,"prompt_cache_key":"` + sessionCanary + `","messages":[{"role":"user","content":"` + msg + `"}]}`, oai,
			&fakeupstream.Fault{Provider: "openai", Times: 1, Kind: "status", Status: 500}},
		{"/v1/responses", `{"model":"gpt-4o","input":"` + msg + `"}`, oai, nil},
		{"/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":64,"metadata":{"user_id":"` + sessionCanary + `"},"messages":[{"role":"user","content":"` + msg + `"}]}`, anth, nil},
		{"/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"` + msg + `"}]}`, anth, nil},
		{"/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"` + msg + `"}]}`, anth,
			&fakeupstream.Fault{Provider: "anthropic", Times: 3, Kind: "status", Status: 500}}, // every attempt fails
		{"/v1beta/models/gemini-pro-latest:generateContent?key=" + clientKey, `{"contents":[{"role":"user","parts":[{"text":"` + msg + `"}]}]}`, nil, nil},
		{"/v1beta/models/gemini-pro-latest:streamGenerateContent?alt=sse", `{"contents":[{"role":"user","parts":[{"text":"` + msg + `"}]}]}`, gem, nil},
		{"/v1beta/models/gemini-pro-latest:generateContent", `{"contents":[{"role":"user","parts":[{"text":"` + msg + `"}]}]}`, gem,
			&fakeupstream.Fault{Provider: "gemini", Times: 1, Kind: "status", Status: 400}},
	}
	statuses := map[int]int{}
	for _, c := range calls {
		if c.fault != nil {
			h.fake.AddFault(*c.fault)
		}
		resp, _ := h.do("POST", c.path, c.body, c.hdr)
		statuses[resp.StatusCode/100]++
	}
	if statuses[2] != 7 || statuses[4] != 1 || statuses[5] != 1 {
		t.Fatalf("status classes %v; want 7 successes, 1 client error, 1 failure", statuses)
	}

	metrics := scrapeMetrics(t, h)
	export := ""
	for deadline := time.Now().Add(3 * time.Second); strings.Count(export, "\n") < len(calls); {
		if time.Now().After(deadline) {
			t.Fatalf("request log holds %d records; want %d", strings.Count(export, "\n"), len(calls))
		}
		_, export = h.adminDo("GET", "/admin/requests/export", "")
		time.Sleep(20 * time.Millisecond)
	}
	h.stop() // flushes everything, then the harness checks the logs for credentials too
	spans := spanText(rec.Ended())
	if !strings.Contains(spans, "chat gpt-4o-2024-08-06") || !strings.Contains(spans, "generate_content gemini-2.5-pro") {
		t.Fatalf("spans missing; got:\n%.2000s", spans)
	}
	sources := map[string]string{"logs": h.logs.String(), "spans": spans, "metrics": metrics, "request log": export}
	needles := []string{clientKey, adminKey, "upkey-secret-", promptCanary, sessionCanary}
	for name, text := range sources {
		for _, n := range needles {
			if strings.Contains(text, n) {
				t.Errorf("%q appears in the %s", n, name)
			}
		}
	}
}

// spanText renders everything a span exporter would send.
func spanText(spans []sdktrace.ReadOnlySpan) string {
	var b strings.Builder
	for _, s := range spans {
		fmt.Fprintf(&b, "%s %v %s\n", s.Name(), s.Status(), s.Resource().String())
		for _, kv := range s.Attributes() {
			fmt.Fprintf(&b, "  %s=%s\n", kv.Key, kv.Value.String())
		}
		for _, e := range s.Events() {
			fmt.Fprintf(&b, "  event %s\n", e.Name)
			for _, kv := range e.Attributes {
				fmt.Fprintf(&b, "    %s=%s\n", kv.Key, kv.Value.String())
			}
		}
		for _, l := range s.Links() {
			fmt.Fprintf(&b, "  link %v\n", l.Attributes)
		}
	}
	return b.String()
}
