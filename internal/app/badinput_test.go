package app_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
)

// envelope checks that body is an error in the protocol's own shape.
func envelope(t *testing.T, proto, body string) string {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("error body is not JSON: %q", body)
	}
	e, _ := v["error"].(map[string]any)
	if e == nil {
		t.Fatalf("no error object in %s", body)
	}
	msg, _ := e["message"].(string)
	switch proto {
	case "anthropic":
		if v["type"] != "error" || e["type"] == nil {
			t.Fatalf("not an Anthropic envelope: %s", body)
		}
	case "gemini":
		if e["code"] == nil || e["status"] == nil {
			t.Fatalf("not a Google envelope: %s", body)
		}
	case "openai":
		if e["type"] == nil {
			t.Fatalf("not an OpenAI envelope: %s", body)
		}
	}
	if msg == "" {
		t.Fatalf("empty error message: %s", body)
	}
	return msg
}

func TestBadInputGetsProtocolErrors(t *testing.T) {
	h := newHarness(t, harnessOpts{
		routes: demoRoutes,
		env:    map[string]string{"SWITCHYARD_MAX_BODY_BYTES": "4KiB"},
	})
	auth := map[string]string{"Authorization": "Bearer " + clientKey}
	anth := map[string]string{"x-api-key": clientKey, "anthropic-version": "2023-06-01"}
	goog := map[string]string{"x-goog-api-key": clientKey}
	big := `{"model":"gpt-4o","messages":[{"role":"user","content":"` + strings.Repeat("x", 8<<10) + `"}]}`
	cases := []struct {
		name, proto, method, path, body string
		hdr                             map[string]string
		want                            int
		msgHas                          string
	}{
		{"openai malformed", "openai", "POST", "/v1/chat/completions", `{"model":`, auth, 400, "JSON"},
		{"anthropic malformed", "anthropic", "POST", "/v1/messages", `not json`, anth, 400, "JSON"},
		{"gemini malformed", "gemini", "POST", "/v1beta/models/gemini-2.5-pro:generateContent", `[1,2`, goog, 400, "JSON"},
		{"openai no model", "openai", "POST", "/v1/chat/completions", `{"messages":[]}`, auth, 400, "model"},
		{"openai missing key", "openai", "POST", "/v1/chat/completions", `{"model":"gpt-4o"}`, nil, 401, "key"},
		{"openai wrong key", "openai", "POST", "/v1/chat/completions", `{"model":"gpt-4o"}`, map[string]string{"Authorization": "Bearer nope"}, 401, "key"},
		{"anthropic wrong key", "anthropic", "POST", "/v1/messages", `{"model":"claude-x"}`, map[string]string{"x-api-key": "nope"}, 401, "key"},
		{"gemini wrong key", "gemini", "POST", "/v1beta/models/gemini-2.5-pro:generateContent", `{}`, map[string]string{"x-goog-api-key": "nope"}, 401, "key"},
		{"gemini key in query", "gemini", "POST", "/v1beta/models/nothing-here:generateContent?key=" + clientKey, `{"contents":[]}`, nil, 404, "not served"},
		{"unknown model", "openai", "POST", "/v1/chat/completions", `{"model":"llama-3","messages":[]}`, auth, 404, "not served"},
		{"unknown route", "openai", "POST", "/v1/embeddings", `{}`, auth, 404, "no route"},
		{"unknown gemini method", "gemini", "POST", "/v1beta/models/gemini-2.5-pro:embedContent", `{}`, goog, 404, "unknown method"},
		{"too large", "openai", "POST", "/v1/chat/completions", big, auth, 413, "limit"},
		{"wrong content type", "anthropic", "POST", "/v1/messages", `{"model":"claude-x"}`, map[string]string{"x-api-key": clientKey, "Content-Type": "text/plain"}, 415, "content type"},
		// Translated requests are checked by the client protocol's decoder before any account is tried.
		{"translated: legacy function role", "openai", "POST", "/v1/chat/completions", `{"model":"claude-sonnet-4-5","messages":[{"role":"function","name":"f","content":"x"}]}`, auth, 400, "function"},
		{"translated: stateful responses", "openai", "POST", "/v1/responses", `{"model":"gemini-pro-latest","input":"hi","previous_response_id":"resp_1"}`, auth, 400, "previous_response_id"},
		{"translated: messages not a list", "anthropic", "POST", "/v1/messages", `{"model":"gpt-4o","max_tokens":5,"messages":{"role":"user"}}`, anth, 400, "messages"},
		{"translated: gemini contents not a list", "gemini", "POST", "/v1beta/models/claude-sonnet-4-5:generateContent", `{"contents":"hi"}`, goog, 400, "contents"},
		{"count tokens where no account can count", "anthropic", "POST", "/v1/messages/count_tokens", `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`, anth, 400, "count"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := h.do(tc.method, tc.path, tc.body, tc.hdr)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d; want %d (%s)", resp.StatusCode, tc.want, body)
			}
			if msg := envelope(t, tc.proto, body); !strings.Contains(strings.ToLower(msg), strings.ToLower(tc.msgHas)) {
				t.Errorf("message %q does not mention %q", msg, tc.msgHas)
			}
			if strings.Contains(body, clientKey) {
				t.Error("error body echoes the client key")
			}
		})
	}
	if n := len(h.fake.Requests()); n != 0 {
		t.Fatalf("bad input reached the upstream %d times", n)
	}
	// The process is still healthy.
	if resp, _ := h.do("GET", "/healthz", "", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz after bad input: %d", resp.StatusCode)
	}
}

func TestUpstreamGarbageIsRetriedThenReported(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: demoRoutes})
	h.fake.AddFault(fakeupstream.Fault{Provider: "openai", Kind: fakeupstream.KindGarbage})
	resp, body := h.do("POST", "/v1/chat/completions", `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`,
		map[string]string{"Authorization": "Bearer " + clientKey})
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("status %d; want 502 (%s)", resp.StatusCode, body)
	}
	envelope(t, "openai", body)
	// Every attempt is spent (a transient failure may go back to an account
	// after all were tried), and both accounts are tried.
	if got := h.credentialsUsed(); len(got) != 3 || got[0] == got[1] {
		t.Fatalf("upstream calls %v; want 3, the first two on different accounts", got)
	}
}

func TestUnknownFieldsSurviveFastPath(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: demoRoutes})
	body := `{"model":"claude-sonnet-4-5","max_tokens":50,"future_field":{"nested":[1,2,3]},"messages":[{"role":"user","content":"hi there"}]}`
	resp, out := h.do("POST", "/v1/messages?beta=true", body, map[string]string{"x-api-key": clientKey, "anthropic-version": "2023-06-01"})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, out)
	}
	reqs := h.fake.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d upstream requests", len(reqs))
	}
	// Only the model is rewritten; a JSON request stays JSON upstream.
	want := strings.Replace(body, `"claude-sonnet-4-5"`, `"claude-sonnet-4-5-20250929"`, 1)
	if string(reqs[0].Body) != want {
		t.Fatalf("upstream body\n got %s\nwant %s", reqs[0].Body, want)
	}
	if !strings.Contains(reqs[0].Path, "/v1/messages") {
		t.Errorf("path %q", reqs[0].Path)
	}
}
