package app_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// The agent CLIs' own request shapes, through the gateway to providers of
// another protocol, against the strict fake (which refuses what the real
// providers refuse).

// dataEvents returns the data of each SSE event, whatever the line endings.
func dataEvents(body string) []gjson.Result {
	var out []gjson.Result
	for _, e := range sseEvents(strings.ReplaceAll(body, "\r\n", "\n")) {
		if gjson.Valid(e[1]) {
			out = append(out, gjson.Parse(e[1]))
		}
	}
	return out
}

// Gemini CLI always sends temperature, topP and includeThoughts: a reasoning
// model must get reasoning_effort without them, a chat model the reverse.
func TestGeminiCLIOnOpenAIAccounts(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: "gemini-2.5-pro: openai/gpt-5\ngemini-2.5-flash: openai/gpt-4o\n"})
	goog := map[string]string{"x-goog-api-key": clientKey}
	const user = `{"role":"user","parts":[{"text":"list the files in /tmp"}]}`
	const rest = `"systemInstruction":{"role":"user","parts":[{"text":"You are Gemini CLI."}]},
		"tools":[{"functionDeclarations":[{"name":"list_directory","description":"List a directory",
			"parametersJsonSchema":{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}}]}],
		"generationConfig":{"temperature":0,"topP":0.95,"thinkingConfig":{"includeThoughts":true}}}`
	for model, reasoning := range map[string]bool{"gemini-2.5-pro": true, "gemini-2.5-flash": false} {
		t.Run(model, func(t *testing.T) {
			path := "/v1beta/models/" + model + ":streamGenerateContent?alt=sse"
			resp, out := h.do("POST", path, `{"contents":[`+user+`],`+rest, goog)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, out)
			}
			var call gjson.Result
			for _, d := range dataEvents(out) {
				for _, p := range d.Get("candidates.0.content.parts").Array() {
					if p.Get("functionCall").Exists() {
						call = p
					}
				}
			}
			if call.Get("functionCall.name").Str != "list_directory" {
				t.Fatalf("no function call in %s", out)
			}
			up := lastUpstream(t, h.fake, "openai").Body
			if got := gjson.GetBytes(up, "reasoning_effort").Exists(); got != reasoning {
				t.Errorf("reasoning_effort sent: %v, want %v: %s", got, reasoning, up)
			}
			if got := gjson.GetBytes(up, "top_p").Exists() || gjson.GetBytes(up, "temperature").Exists(); got == reasoning {
				t.Errorf("sampling parameters sent: %v, want %v: %s", got, !reasoning, up)
			}
			// The function response turn, as Gemini CLI sends it.
			follow := `{"contents":[` + user + `,{"role":"model","parts":[` + call.Raw + `]},
				{"role":"user","parts":[{"functionResponse":{"id":"` + call.Get("functionCall.id").Str +
				`","name":"list_directory","response":{"output":"a.txt b.txt"}}}]}],` + rest
			resp, out = h.do("POST", path, follow, goog)
			var text strings.Builder
			for _, d := range dataEvents(out) {
				for _, p := range d.Get("candidates.0.content.parts").Array() {
					if !p.Get("thought").Bool() {
						text.WriteString(p.Get("text").Str)
					}
				}
			}
			if resp.StatusCode != 200 || !strings.HasPrefix(text.String(), "Tool result received") || !strings.Contains(text.String(), "a.txt b.txt") {
				t.Fatalf("function response turn: %d %s", resp.StatusCode, out)
			}
		})
	}
}

// Claude Code sends a ~150-character JSON metadata.user_id and a per-session
// billing line first in its system prompt; on a reasoning model it asks for
// thinking.
func TestClaudeCodeOnReasoningModel(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: "claude-sonnet-4-5: openai/gpt-5\n"})
	hdr := map[string]string{"x-api-key": clientKey, "anthropic-version": "2023-06-01"}
	body := `{"model":"claude-sonnet-4-5","max_tokens":32000,"stream":true,
		"thinking":{"type":"enabled","budget_tokens":10000},
		"metadata":{"user_id":"{\"device_id\":\"3fa9c1d23fa9c1d23fa9c1d23fa9c1d23fa9c1d23fa9c1d23fa9c1d23fa9c1d2\",\"account_uuid\":\"\",\"session_id\":\"9b1c2d3e-4f50-4a6b-8c7d-0e1f2a3b4c5d\"}"},
		"system":[{"type":"text","text":"x-anthropic-billing-header: cc_version=2.1.88.a3f; cc_entrypoint=cli; cch=00000;"},
			{"type":"text","text":"You are Claude Code.","cache_control":{"type":"ephemeral"}}],
		"messages":[{"role":"user","content":"hello there"}]}`
	resp, out := h.do("POST", "/v1/messages?beta=true", body, hdr)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, out)
	}
	evs := dataEvents(out)
	if len(evs) == 0 || evs[0].Get("type").Str != "message_start" || evs[0].Get("message.usage.input_tokens").Int() == 0 {
		t.Errorf("message_start without an input estimate: %s", out)
	}
	up := lastUpstream(t, h.fake, "openai").Body
	if u := gjson.GetBytes(up, "user").Str; len(u) == 0 || len(u) > 64 {
		t.Errorf("user %q", u)
	}
	if strings.Contains(string(up), "x-anthropic-billing-header") || gjson.GetBytes(up, "messages.0.content").Str != "You are Claude Code." {
		t.Errorf("billing line forwarded: %s", up)
	}
}

// Newer Codex sends its tools in an additional_tools input item, some grouped
// in namespaces; the client must get namespaced calls back as name and
// namespace, and its replay of them must pair with their outputs upstream.
func TestCodexNamespacedToolsOnAnthropic(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: "gpt-5.2-codex: anthropic/claude-sonnet-4-5\n"})
	auth := map[string]string{"Authorization": "Bearer " + clientKey}
	tools := `{"type":"additional_tools","tools":[
		{"type":"namespace","name":"multi_agent_v1","description":"Sub-agents","tools":[
			{"type":"function","name":"spawn_agent","description":"Start a sub-agent",
			 "parameters":{"type":"object","properties":{"message":{"type":"string"}},"required":["message"]}}]},
		{"type":"function","name":"exec_command","parameters":{"type":"object","properties":{"cmd":{"type":"string"}}}}]}`
	user := `{"type":"message","role":"user","content":[{"type":"input_text","text":"delegate the audit"}]}`
	head := `{"model":"gpt-5.2-codex","instructions":"You are Codex.","tools":[],"stream":true,"store":false,"input":[`
	resp, out := h.do("POST", "/v1/responses", head+tools+","+user+`]}`, auth)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, out)
	}
	var call gjson.Result
	for _, d := range dataEvents(out) {
		if d.Get("type").Str == "response.output_item.done" && d.Get("item.type").Str == "function_call" {
			call = d.Get("item")
		}
	}
	if call.Get("name").Str != "spawn_agent" || call.Get("namespace").Str != "multi_agent_v1" {
		t.Fatalf("namespaced call %s in %s", call.Raw, out)
	}
	up := lastUpstream(t, h.fake, "anthropic").Body
	if gjson.GetBytes(up, "tools.0.name").Str != "multi_agent_v1__spawn_agent" || gjson.GetBytes(up, "tools.1.name").Str != "exec_command" {
		t.Fatalf("upstream tools: %s", gjson.GetBytes(up, "tools").Raw)
	}
	replay := head + tools + "," + user + `,{"type":"function_call","call_id":"` + call.Get("call_id").Str +
		`","namespace":"multi_agent_v1","name":"spawn_agent","arguments":` + strconv.Quote(call.Get("arguments").Str) +
		`},{"type":"function_call_output","call_id":"` + call.Get("call_id").Str + `","output":"agent-7 started"}]}`
	resp, out = h.do("POST", "/v1/responses", replay, auth)
	if resp.StatusCode != 200 || !strings.Contains(out, "Tool result received: agent-7 started") {
		t.Fatalf("replay: %d %s", resp.StatusCode, out)
	}
	up = lastUpstream(t, h.fake, "anthropic").Body
	if gjson.GetBytes(up, "messages.1.content.0.name").Str != "multi_agent_v1__spawn_agent" {
		t.Errorf("replayed call upstream: %s", gjson.GetBytes(up, "messages").Raw)
	}
}

// A Gemini thought signature handed to an OpenAI client is dropped by it; the
// gateway must put it back when the client replays the call, or Gemini
// refuses the turn.
func TestGeminiSignatureRoundTripForOpenAIClient(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: "smart: gemini/gemini-3-pro-preview\n"})
	auth := map[string]string{"Authorization": "Bearer " + clientKey}
	tools := `"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]`
	user := `{"role":"user","content":"weather in Paris?"}`
	resp, out := h.do("POST", "/v1/chat/completions", `{"model":"smart","reasoning_effort":"high",`+tools+`,"messages":[`+user+`]}`, auth)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, out)
	}
	call := gjson.Get(out, "choices.0.message.tool_calls.0")
	if call.Get("function.name").Str != "get_weather" {
		t.Fatalf("no tool call: %s", out)
	}
	if !gjson.GetBytes(lastUpstream(t, h.fake, "gemini").Body, "generationConfig.thinkingConfig").Exists() {
		t.Fatal("thinking was not asked for, so nothing is signed")
	}
	// The client keeps only the OpenAI fields of the call.
	plain := `{"role":"assistant","content":null,"tool_calls":[{"id":"` + call.Get("id").Str + `","type":"function",` +
		`"function":{"name":"get_weather","arguments":` + strconv.Quote(call.Get("function.arguments").Str) + `}}]}`
	follow := `{"model":"smart","reasoning_effort":"high",` + tools + `,"messages":[` + user + `,` + plain +
		`,{"role":"tool","tool_call_id":"` + call.Get("id").Str + `","content":"sunny"}]}`
	resp, out = h.do("POST", "/v1/chat/completions", follow, auth)
	if resp.StatusCode != 200 || !strings.Contains(out, "Tool result received") || !strings.Contains(out, "sunny") {
		t.Fatalf("replayed call: %d %s", resp.StatusCode, out)
	}
}
