package app_test

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/dispatch"
)

// TestResponsesOmittedToolsHeader: a Responses request (as Codex sends it
// with gpt-5: a function tool next to the hosted web_search) routed to an
// Anthropic account goes out without web_search, and the answer says so in
// X-Switchyard-Omitted-Tools, streamed or not, with one debug line per
// request. On an OpenAI account nothing is left out and no header is set. A
// request that requires the hosted tool is a 400 in the Responses envelope
// and reaches no provider.
func TestResponsesOmittedToolsHeader(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: "ws-anthropic: anthropic/claude-sonnet-4-5\nws-openai: openai/gpt-5\n"})
	auth := map[string]string{"Authorization": "Bearer " + clientKey}
	body := func(model, extra string) string {
		return `{"model":"` + model + `","input":[{"role":"user","content":"look it up"}],` +
			`"tools":[{"type":"function","name":"exec_command","parameters":{"type":"object","properties":{"cmd":{"type":"string"}}}},` +
			`{"type":"web_search"},{"type":"web_search"}]` + extra + `}`
	}
	sent := func(provider string) []string {
		var out []string
		for _, r := range h.fake.Requests() {
			if r.Provider == provider {
				out = append(out, string(r.Body))
			}
		}
		return out
	}

	for i, extra := range []string{`,"stream":true,"tool_choice":"auto"`, `,"tool_choice":"auto"`} {
		resp, out := h.do("POST", "/v1/responses", body("ws-anthropic", extra), auth)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: status %d: %s", extra, resp.StatusCode, out)
		}
		if got := resp.Header.Get("x-switchyard-omitted-tools"); got != "web_search" {
			t.Errorf("%s: %s = %q; want web_search", extra, dispatch.OmittedToolsHeader, got)
		}
		reqs := sent("anthropic")
		if len(reqs) != i+1 {
			t.Fatalf("%s: the Anthropic account saw %d requests; want %d", extra, len(reqs), i+1)
		}
		if tools := gjson.Get(reqs[i], "tools.#.name").Raw; tools != `["exec_command"]` {
			t.Errorf("%s: the provider was offered %s; want only exec_command", extra, tools)
		}
	}
	if n := strings.Count(h.logs.String(), "tools left out of a translated request"); n != 2 {
		t.Errorf("%d debug lines about the left-out tools; want one per request (2):\n%s", n, h.logs.String())
	}

	resp, out := h.do("POST", "/v1/responses", body("ws-openai", `,"stream":true`), auth)
	if resp.StatusCode != 200 || resp.Header.Get(dispatch.OmittedToolsHeader) != "" {
		t.Errorf("same protocol: status %d, %s = %q; want 200 and no header: %s",
			resp.StatusCode, dispatch.OmittedToolsHeader, resp.Header.Get(dispatch.OmittedToolsHeader), out)
	}
	if reqs := sent("openai"); len(reqs) != 1 || !strings.Contains(reqs[0], `"web_search"`) {
		t.Errorf("same protocol: the OpenAI account must get web_search as sent: %v", reqs)
	}

	for _, extra := range []string{`,"tool_choice":{"type":"web_search"}`, `,"stream":true,"tools":[{"type":"web_search"}],"tool_choice":"required"`} {
		b := body("ws-anthropic", extra)
		if strings.Contains(extra, `"tools"`) { // the later "tools" replaces the first
			b = `{"model":"ws-anthropic","input":"look it up"` + extra + `}`
		}
		resp, out := h.do("POST", "/v1/responses", b, auth)
		if resp.StatusCode != 400 || gjson.Get(out, "error.type").Str != "invalid_request_error" ||
			!strings.Contains(gjson.Get(out, "error.message").Str, "built-in") {
			t.Errorf("%s: status %d %s; want a 400 invalid_request_error naming the built-in tool", extra, resp.StatusCode, out)
		}
	}
	if reqs := sent("anthropic"); len(reqs) != 2 {
		t.Errorf("the refused requests reached the provider: %d Anthropic requests; want 2", len(reqs))
	}
}
