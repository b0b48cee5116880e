package app_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
)

// A Gemini client on Anthropic accounts replays the gateway's thoughtSignature
// on its functionCall part, as Gemini CLI does, without the thought text. The
// next upstream request must still carry extended thinking, with the signed
// thinking block put back in front of the tool calls. (Without the CLI: the
// same exchange as the gemini_on_anthropic cell of TestCLIAgentLoops.)
func TestGeminiClientKeepsAnthropicThinkingAcrossToolSteps(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: "gemini-2.5-flash: anthropic/claude-sonnet-4-5\n"})
	token := "sig-" + randomToken(t)
	dir := "/tmp/loop-" + token
	path := "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
	hdr := map[string]string{"x-goog-api-key": clientKey}
	user := fmt.Sprintf(`{"role":"user","parts":[{"text":%q}]}`, fakeupstream.AgentLoopMarker(dir, token))
	rest := `"tools":[{"functionDeclarations":[{"name":"read_file","parametersJsonSchema":{"type":"object","properties":{"file_path":{"type":"string"}},"required":["file_path"]}}]}],` +
		`"generationConfig":{"thinkingConfig":{"includeThoughts":true,"thinkingBudget":4096}}}`

	resp, body := h.do("POST", path, `{"contents":[`+user+`],`+rest, hdr)
	if resp.StatusCode != 200 {
		t.Fatalf("step 1: %d %s", resp.StatusCode, body)
	}
	// What Gemini CLI keeps of the answer: the function calls with their
	// signatures; thought parts are dropped from its history.
	var calls, results []string
	for _, line := range strings.Split(body, "\n") {
		data, ok := strings.CutPrefix(strings.TrimSpace(line), "data: ")
		if !ok {
			continue
		}
		for _, p := range gjson.Get(data, "candidates.0.content.parts").Array() {
			fc := p.Get("functionCall")
			if !fc.Exists() {
				continue
			}
			part := map[string]any{"functionCall": json.RawMessage(fc.Raw)}
			if s := p.Get("thoughtSignature").Str; s != "" {
				part["thoughtSignature"] = s
			}
			b, _ := json.Marshal(part)
			calls = append(calls, string(b))
			results = append(results, fmt.Sprintf(`{"functionResponse":{"id":%q,"name":%q,"response":{"output":"content of call %d"}}}`,
				fc.Get("id").Str, fc.Get("name").Str, len(results)))
		}
	}
	if len(calls) != 2 || !strings.Contains(calls[0], "thoughtSignature") {
		t.Fatalf("step 1 answered %d function calls (want 2, the first signed): %s", len(calls), body)
	}
	history := user + `,{"role":"model","parts":[` + strings.Join(calls, ",") + `]},{"role":"user","parts":[` + strings.Join(results, ",") + `]}`
	resp, body = h.do("POST", path, `{"contents":[`+history+`],`+rest, hdr)
	if resp.StatusCode != 200 || !strings.Contains(body, "charlie.txt") {
		t.Fatalf("step 2: %d %s", resp.StatusCode, body)
	}

	var up []fakeupstream.Record
	for _, r := range h.fake.Requests() {
		if s, ok := fakeupstream.AgentLoopOf(r); ok && s.Token == token {
			up = append(up, r)
		}
	}
	if len(up) != 2 {
		t.Fatalf("upstream saw %d loop requests; want 2", len(up))
	}
	first, second := gjson.GetBytes(up[0].Body, "thinking").Raw, gjson.GetBytes(up[1].Body, "thinking").Raw
	if first == "" || second != first {
		t.Errorf("upstream thinking: step 1 %s, step 2 %s; want the client's setting on both", first, second)
	}
	turn := gjson.GetBytes(up[1].Body, "messages.1.content")
	if b := turn.Get("0"); b.Get("type").Str != "thinking" || !strings.Contains(b.Get("thinking").Str, token) || b.Get("signature").Str == "" {
		t.Errorf("step 2's tool turn does not start with the signed thinking of step 1: %s", turn.Raw)
	}
	if n := len(turn.Get(`#(type=="tool_use")#`).Array()); n != 2 {
		t.Errorf("step 2's tool turn has %d tool_use blocks; want 2: %s", n, turn.Raw)
	}
}
