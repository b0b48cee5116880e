package fakeupstream

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// strictCase is a request the strict fake must refuse (bad) next to one it
// must answer (good).
type strictCase struct {
	name      string
	path      string
	header    map[string]string
	bad, good string
	want      string // in the refusal's body
}

func strictChat(model, extra, messages string) string {
	if messages == "" {
		messages = `[{"role":"user","content":"hi"}]`
	}
	return `{"model":"` + model + `","messages":` + messages + extra + `}`
}

func strictMessages(extra, messages string) string {
	return `{"model":"claude-sonnet-4-5","max_tokens":4000` + extra + `,"messages":` + messages + `}`
}

func strictCases() []strictCase {
	const chat, msgs, responses = "/v1/chat/completions", "/v1/messages", "/v1/responses"
	thinking := "The user wants a reply from claude-sonnet-4-5. A short greeting will do."
	sig := signature(ProviderAnthropic, "claude-sonnet-4-5", thinking)
	thinkingBlock := fmt.Sprintf(`{"type":"thinking","thinking":%q,"signature":%q}`, thinking, sig)
	toolUse := `{"type":"tool_use","id":"toolu_1","name":"read","input":{}}`
	toolResult := `{"type":"tool_result","tool_use_id":"toolu_1","content":"ok"}`
	loop := func(first string) string {
		return `[{"role":"user","content":"go"},{"role":"assistant","content":[` + first + `]},{"role":"user","content":[` + toolResult + `]}]`
	}
	call := `{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"read","arguments":"{}"}}]}`
	return []strictCase{
		{name: "openai user over 64", path: chat, header: openAIAuth,
			bad:  strictChat("gpt-4o", `,"user":"`+strings.Repeat("u", 65)+`"`, ""),
			good: strictChat("gpt-4o", `,"user":"`+strings.Repeat("u", 64)+`"`, ""),
			want: "Invalid 'user': string too long. Expected a string with maximum length 64, but got a string with length 65 instead."},
		{name: "openai top_p on a reasoning model", path: chat, header: openAIAuth,
			bad: strictChat("gpt-5", `,"top_p":0.95`, ""), good: strictChat("gpt-5", `,"top_p":1`, ""),
			want: "Unsupported parameter: 'top_p' is not supported with this model."},
		{name: "openai temperature next to reasoning_effort", path: chat, header: openAIAuth,
			bad:  strictChat("my-model", `,"reasoning_effort":"low","temperature":0.7`, ""),
			good: strictChat("gpt-4.1", `,"temperature":0.7`, ""),
			want: "Unsupported value: 'temperature' does not support 0.7 with this model. Only the default (1) value is supported."},
		{name: "openai reasoning_effort on a non-reasoning model", path: chat, header: openAIAuth,
			bad: strictChat("gpt-4o", `,"reasoning_effort":"medium"`, ""), good: strictChat("o3", `,"reasoning_effort":"medium"`, ""),
			want: "Unsupported parameter: 'reasoning_effort' is not supported with this model."},
		{name: "openai tool message without its call", path: chat, header: openAIAuth,
			bad:  strictChat("gpt-4o", "", `[{"role":"user","content":"go"},{"role":"tool","tool_call_id":"call_1","content":"ok"}]`),
			good: strictChat("gpt-4o", "", `[{"role":"user","content":"go"},`+call+`,{"role":"tool","tool_call_id":"call_1","content":"ok"}]`),
			want: "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'."},
		{name: "openai call without its tool message", path: chat, header: openAIAuth,
			bad:  strictChat("gpt-4o", "", `[{"role":"user","content":"go"},`+call+`,{"role":"user","content":"and?"}]`),
			good: strictChat("gpt-4o", "", `[{"role":"user","content":"go"},`+call+`,{"role":"tool","tool_call_id":"call_1","content":"ok"},{"role":"user","content":"and?"}]`),
			want: "The following tool_call_ids did not have response messages: call_1"},
		{name: "responses output without its call", path: responses, header: openAIAuth,
			bad:  `{"model":"gpt-4o","input":[{"role":"user","content":"go"},{"type":"function_call_output","call_id":"call_9","output":"ok"}]}`,
			good: `{"model":"gpt-4o","input":[{"role":"user","content":"go"},{"type":"function_call","call_id":"call_9","name":"read","arguments":"{}"},{"type":"function_call_output","call_id":"call_9","output":"ok"}]}`,
			want: "No tool call found for function call output with call_id call_9."},
		{name: "responses call without its output", path: responses, header: openAIAuth,
			bad:  `{"model":"gpt-4o","input":[{"role":"user","content":"go"},{"type":"function_call","call_id":"call_9","name":"read","arguments":"{}"}]}`,
			good: `{"model":"gpt-4o","input":[{"role":"user","content":"go"}],"user":"short"}`,
			want: "No tool output found for function call call_9."},
		{name: "anthropic thinking without a valid signature", path: msgs, header: anthropicAuth,
			bad:  strictMessages("", `[{"role":"user","content":"a"},{"role":"assistant","content":[{"type":"thinking","thinking":"x","signature":"forged"},{"type":"text","text":"b"}]},{"role":"user","content":"c"}]`),
			good: strictMessages("", `[{"role":"user","content":"a"},{"role":"assistant","content":[`+thinkingBlock+`,{"type":"text","text":"b"}]},{"role":"user","content":"c"}]`),
			want: "Invalid `signature` in `thinking` block"},
		{name: "anthropic tool loop turn without thinking", path: msgs, header: anthropicAuth,
			bad:  strictMessages(`,"thinking":{"type":"enabled","budget_tokens":1024}`, loop(toolUse)),
			good: strictMessages(`,"thinking":{"type":"enabled","budget_tokens":1024}`, loop(thinkingBlock+","+toolUse)),
			want: "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`. When `thinking` is enabled, a final `assistant` message must start with a thinking block"},
		{name: "anthropic tool_result without its tool_use", path: msgs, header: anthropicAuth,
			bad:  strictMessages("", `[{"role":"user","content":"go"},{"role":"assistant","content":[{"type":"text","text":"no call"}]},{"role":"user","content":[`+toolResult+`]}]`),
			good: strictMessages("", loop(toolUse)),
			want: "messages.2.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_1."},
		{name: "anthropic tool_use without its tool_result", path: msgs, header: anthropicAuth,
			bad:  strictMessages("", `[{"role":"user","content":"go"},{"role":"assistant","content":[`+toolUse+`]},{"role":"user","content":"ignored the call"}]`),
			good: strictMessages("", loop(toolUse)),
			want: "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1."},
		{name: "anthropic temperature with thinking", path: msgs, header: anthropicAuth,
			bad:  strictMessages(`,"temperature":0.5,"thinking":{"type":"enabled","budget_tokens":1024}`, `[{"role":"user","content":"a"}]`),
			good: strictMessages(`,"temperature":1,"thinking":{"type":"enabled","budget_tokens":1024}`, `[{"role":"user","content":"a"}]`),
			want: "`temperature` may only be set to 1 when thinking is enabled."},
	}
}

func statusAndBody(t *testing.T, resp *http.Response) (int, string) {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestStrictRefusesWhatProvidersRefuse(t *testing.T) {
	_, strict := newTestServer(t, Options{Strict: true})
	_, lenient := newTestServer(t, Options{})
	for _, c := range strictCases() {
		t.Run(c.name, func(t *testing.T) {
			status, body := statusAndBody(t, do(t, strict, call{path: c.path, header: c.header, body: c.bad}))
			if status != http.StatusBadRequest || !strings.Contains(body, c.want) {
				t.Fatalf("bad request: %d %s\nwant 400 with %q", status, body, c.want)
			}
			if !json.Valid([]byte(body)) || !strings.Contains(body, "invalid_request_error") {
				t.Fatalf("not the provider's error body: %s", body)
			}
			if status, body := statusAndBody(t, do(t, strict, call{path: c.path, header: c.header, body: c.good})); status != http.StatusOK {
				t.Fatalf("good request refused: %d %s", status, body)
			}
			if strings.Contains(c.name, "signature") {
				return // signatures are checked in every mode
			}
			if status, body := statusAndBody(t, do(t, lenient, call{path: c.path, header: c.header, body: c.bad})); status != http.StatusOK {
				t.Fatalf("the lenient fake refused: %d %s", status, body)
			}
		})
	}
}

// TestStrictGeminiThoughtSignatures: a function call the fake signed must
// come back with that signature (or Google's documented dummy) while it is in
// the current turn.
func TestStrictGeminiThoughtSignatures(t *testing.T) {
	_, ts := newTestServer(t, Options{Strict: true})
	const path = "/v1beta/models/gemini-3-pro-preview:generateContent"
	first := `{"contents":[{"role":"user","parts":[{"text":"read it"}]}],
		"tools":[{"functionDeclarations":[{"name":"read","parameters":{"type":"object"}}]}],
		"generationConfig":{"thinkingConfig":{"includeThoughts":true}}}`
	status, body := statusAndBody(t, do(t, ts, call{path: path, header: geminiAuth, body: first}))
	if status != http.StatusOK {
		t.Fatalf("first turn: %d %s", status, body)
	}
	var resp struct {
		Candidates []struct {
			Content struct {
				Parts []json.RawMessage `json:"parts"`
			} `json:"content"`
		} `json:"candidates"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil || len(resp.Candidates) == 0 {
		t.Fatalf("answer %s: %v", body, err)
	}
	parts := resp.Candidates[0].Content.Parts
	var fc struct {
		FunctionCall struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"functionCall"`
		ThoughtSignature string `json:"thoughtSignature"`
	}
	if err := json.Unmarshal(parts[len(parts)-1], &fc); err != nil || fc.FunctionCall.ID == "" || fc.ThoughtSignature == "" {
		t.Fatalf("want a signed call with an id: %s", body)
	}
	replay := func(sig string) string {
		part := fmt.Sprintf(`{"functionCall":{"id":%q,"name":"read","args":{}}`, fc.FunctionCall.ID)
		if sig != "" {
			part += fmt.Sprintf(`,"thoughtSignature":%q`, sig)
		}
		return `{"contents":[{"role":"user","parts":[{"text":"read it"}]},{"role":"model","parts":[` + part + `}]},
			{"role":"user","parts":[{"functionResponse":{"id":"` + fc.FunctionCall.ID + `","name":"read","response":{"output":"ok"}}}]}]}`
	}
	for sig, want := range map[string]string{
		"":                                 "Function call is missing a thought_signature in functionCall parts.",
		"Zm9yZ2Vk":                         "Corrupted thought signature.",
		fc.ThoughtSignature:                "",
		"skip_thought_signature_validator": "",
	} {
		status, body := statusAndBody(t, do(t, ts, call{path: path, header: geminiAuth, body: replay(sig)}))
		switch {
		case want == "" && status != http.StatusOK:
			t.Errorf("signature %q refused: %d %s", sig, status, body)
		case want != "" && (status != http.StatusBadRequest || !strings.Contains(body, want) || !strings.Contains(body, "INVALID_ARGUMENT")):
			t.Errorf("signature %q: %d %s, want 400 with %q", sig, status, body, want)
		}
	}
	// Outside the current turn the signature is no longer checked.
	later := strings.TrimSuffix(replay(""), "]}") + `,{"role":"model","parts":[{"text":"done"}]},{"role":"user","parts":[{"text":"thanks"}]}]}`
	if status, body := statusAndBody(t, do(t, ts, call{path: path, header: geminiAuth, body: later})); status != http.StatusOK {
		t.Errorf("an earlier turn was checked: %d %s", status, body)
	}
}
