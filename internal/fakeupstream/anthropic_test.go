package fakeupstream

import (
	"encoding/json"
	"strings"
	"testing"
)

const (
	claudeHello      = `[{"role":"user","content":"Say hi"}]`
	claudeTools      = `"tools":[{"name":"get_weather","input_schema":` + weatherTool + `}]`
	claudeThinking   = `"thinking":{"type":"enabled","budget_tokens":1024}`
	claudeToolResult = `[{"role":"user","content":"weather?"},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}]},` +
		`{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"18C"}]}]}]`
)

func claudeBody(extra, messages string) string {
	if extra != "" {
		extra += ","
	}
	return `{"model":"claude-sonnet-4-5","max_tokens":2048,` + extra + `"messages":` + messages + `}`
}

var messagesCases = []struct {
	name     string
	body     string
	wantText string
	wantArgs string
	thinking bool
}{
	{name: "text", body: claudeBody("", claudeHello), wantText: "Hello from fake anthropic model claude-sonnet-4-5. You said: Say hi"},
	{name: "system blocks", body: claudeBody(`"system":[{"type":"text","text":"be brief"}]`, `[{"role":"user","content":[{"type":"text","text":"Yo"}]}]`),
		wantText: "Hello from fake anthropic model claude-sonnet-4-5. You said: Yo"},
	{name: "tool call", body: claudeBody(claudeTools, claudeHello), wantArgs: wantWeatherArgs},
	{name: "tool result", body: claudeBody(claudeTools, claudeToolResult), wantText: "Tool result received: 18C"},
	{name: "thinking", body: claudeBody(claudeThinking, claudeHello), wantText: "Hello from fake anthropic model claude-sonnet-4-5. You said: Say hi", thinking: true},
	{name: "adaptive thinking with tools", body: claudeBody(`"thinking":{"type":"adaptive"},`+claudeTools, claudeHello), wantArgs: wantWeatherArgs, thinking: true},
}

func TestMessagesJSON(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	for _, tc := range messagesCases {
		t.Run(tc.name, func(t *testing.T) {
			resp := do(t, ts, call{path: "/v1/messages?beta=true", header: anthropicAuth, body: tc.body})
			if resp.StatusCode != 200 {
				t.Fatalf("status = %d, want 200", resp.StatusCode)
			}
			if !strings.HasPrefix(resp.Header.Get("request-id"), "req_") {
				t.Errorf("request-id = %q", resp.Header.Get("request-id"))
			}
			v := readJSON(t, resp)
			if str(v, "type") != "message" || str(v, "model") != "claude-sonnet-4-5" || !strings.HasPrefix(str(v, "id"), "msg_") {
				t.Errorf("envelope = %v", v)
			}
			blocks, _ := get(v, "content").([]any)
			if tc.thinking {
				if str(blocks, 0, "type") != "thinking" || len(str(blocks, 0, "signature")) < 80 {
					t.Fatalf("first block = %v, want thinking with a signature of >= 80 chars", get(blocks, 0))
				}
				blocks = blocks[1:]
			}
			if tc.wantArgs != "" {
				input, _ := json.Marshal(get(blocks, 0, "input"))
				if str(v, "stop_reason") != "tool_use" || str(blocks, 0, "type") != "tool_use" || string(input) != tc.wantArgs {
					t.Errorf("got stop %q block %v, want tool_use with %s", str(v, "stop_reason"), get(blocks, 0), tc.wantArgs)
				}
				if !strings.HasPrefix(str(blocks, 0, "id"), "toolu_") {
					t.Errorf("tool_use id = %q", str(blocks, 0, "id"))
				}
				return
			}
			if str(v, "stop_reason") != "end_turn" || str(blocks, 0, "text") != tc.wantText {
				t.Errorf("got stop %q text %q, want end_turn %q", str(v, "stop_reason"), str(blocks, 0, "text"), tc.wantText)
			}
		})
	}
}

func TestMessagesStream(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	for _, tc := range messagesCases {
		t.Run(tc.name, func(t *testing.T) {
			body := strings.Replace(tc.body, "{", `{"stream":true,`, 1)
			msgs := readSSE(t, do(t, ts, call{path: "/v1/messages", header: anthropicAuth, body: body}))
			if len(msgs) < 2 || msgs[0].event != "message_start" || msgs[len(msgs)-1].event != "message_stop" {
				t.Fatalf("stream must go from message_start to message_stop: %v", msgs)
			}
			var (
				order                      []string
				text, args, thinking, sig  string
				textDeltas, pings, current = 0, 0, -1
				stop                       string
				inputTokens                float64
			)
			for _, m := range msgs {
				v := m.json(t)
				if str(v, "type") != m.event {
					t.Errorf("event %q carries type %q", m.event, str(v, "type"))
				}
				idx, _ := get(v, "index").(float64)
				switch m.event {
				case "ping":
					pings++
				case "message_start":
					inputTokens, _ = get(v, "message", "usage", "input_tokens").(float64)
				case "content_block_start":
					if int(idx) != current+1 {
						t.Errorf("block %v started after block %d", idx, current)
					}
					current = int(idx)
					order = append(order, str(v, "content_block", "type"))
				case "content_block_delta":
					if int(idx) != current {
						t.Errorf("delta for block %v while block %d is open", idx, current)
					}
					switch d := get(v, "delta"); str(d, "type") {
					case "text_delta":
						text += str(d, "text")
						textDeltas++
					case "input_json_delta":
						args += str(d, "partial_json")
					case "thinking_delta":
						thinking += str(d, "thinking")
					case "signature_delta":
						sig = str(d, "signature")
					}
				case "message_delta":
					stop = str(v, "delta", "stop_reason")
					if n, _ := get(v, "usage", "output_tokens").(float64); n < 1 {
						t.Errorf("message_delta usage.output_tokens = %v", n)
					}
				}
			}
			if pings == 0 {
				t.Error("no ping event")
			}
			if inputTokens < 1 {
				t.Errorf("message_start input_tokens = %v", inputTokens)
			}
			if tc.thinking {
				if len(order) == 0 || order[0] != "thinking" || thinking == "" || len(sig) < 80 {
					t.Errorf("blocks %v, thinking %q, signature %q: want a leading thinking block with a signature", order, thinking, sig)
				}
				if sig != signature(ProviderAnthropic, "claude-sonnet-4-5", thinking) {
					t.Error("streamed signature does not match the streamed thinking text")
				}
			}
			if tc.wantArgs != "" {
				if stop != "tool_use" || args != tc.wantArgs || order[len(order)-1] != "tool_use" {
					t.Errorf("got stop %q args %s blocks %v, want tool_use %s", stop, args, order, tc.wantArgs)
				}
				return
			}
			if stop != "end_turn" || text != tc.wantText || textDeltas < 3 {
				t.Errorf("got stop %q text %q in %d deltas, want end_turn %q in >= 3", stop, text, textDeltas, tc.wantText)
			}
		})
	}
}

// TestThinkingSignatureRoundTrip replays thinking blocks: the fake's own
// signature for the same model is accepted, anything else is refused the way
// Anthropic refuses it.
func TestThinkingSignatureRoundTrip(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	first := readJSON(t, do(t, ts, call{path: "/v1/messages", header: anthropicAuth, body: claudeBody(claudeThinking+","+claudeTools, claudeHello)}))
	content, _ := json.Marshal(get(first, "content"))
	toolID := str(first, "content", 1, "id")
	history := func(assistant string) string {
		return `[{"role":"user","content":"weather?"},{"role":"assistant","content":` + assistant + `},` +
			`{"role":"user","content":[{"type":"tool_result","tool_use_id":"` + toolID + `","content":"sunny"}]}]`
	}
	tampered := strings.Replace(string(content), `"thinking":"The user`, `"thinking":"A user`, 1)
	cases := []struct {
		name       string
		model      string
		assistant  string
		wantStatus int
	}{
		{name: "own signature", model: "claude-sonnet-4-5", assistant: string(content), wantStatus: 200},
		{name: "other model", model: "claude-opus-4-1", assistant: string(content), wantStatus: 400},
		{name: "edited thinking", model: "claude-sonnet-4-5", assistant: tampered, wantStatus: 400},
		{name: "forged signature", model: "claude-sonnet-4-5",
			assistant: `[{"type":"thinking","thinking":"hm","signature":"RXBVQkNrWUlCeGdDS2tB"},{"type":"text","text":"ok"}]`, wantStatus: 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := strings.Replace(claudeBody(claudeThinking+","+claudeTools, history(tc.assistant)), "claude-sonnet-4-5", tc.model, 1)
			resp := do(t, ts, call{path: "/v1/messages", header: anthropicAuth, body: body})
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			v := readJSON(t, resp)
			if tc.wantStatus == 200 {
				if got := str(v, "content", 1, "text"); got != "Tool result received: sunny" {
					t.Errorf("text = %q", got)
				}
				return
			}
			const want = "messages.1.content.0: Invalid `signature` in `thinking` block"
			if str(v, "type") != "error" || str(v, "error", "type") != "invalid_request_error" || str(v, "error", "message") != want {
				t.Errorf("error body = %v, want invalid_request_error %q", v, want)
			}
		})
	}
}

func TestAnthropicEndpoints(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	cases := []struct {
		name       string
		c          call
		wantStatus int
		check      func(t *testing.T, v map[string]any)
	}{
		{
			name:       "missing anthropic-version",
			c:          call{path: "/v1/messages", header: map[string]string{"x-api-key": "k"}, body: claudeBody("", claudeHello)},
			wantStatus: 400,
			check: func(t *testing.T, v map[string]any) {
				if str(v, "error", "type") != "invalid_request_error" || !strings.Contains(str(v, "error", "message"), "anthropic-version") {
					t.Errorf("body = %v", v)
				}
			},
		},
		{
			name:       "missing max_tokens",
			c:          call{path: "/v1/messages", header: anthropicAuth, body: `{"model":"claude-x","messages":[]}`},
			wantStatus: 400,
			check: func(t *testing.T, v map[string]any) {
				if str(v, "error", "message") != "max_tokens: Field required" {
					t.Errorf("body = %v", v)
				}
			},
		},
		{
			name:       "malformed json",
			c:          call{path: "/v1/messages", header: anthropicAuth, body: `{"model":`},
			wantStatus: 400,
			check: func(t *testing.T, v map[string]any) {
				if str(v, "type") != "error" || str(v, "error", "type") != "invalid_request_error" {
					t.Errorf("body = %v", v)
				}
			},
		},
		{
			name:       "count tokens",
			c:          call{path: "/v1/messages/count_tokens?beta=true", header: anthropicAuth, body: `{"model":"claude-x","messages":[{"role":"user","content":"hello there"}]}`},
			wantStatus: 200,
			check: func(t *testing.T, v map[string]any) {
				if n, _ := v["input_tokens"].(float64); n < 1 || len(v) != 1 {
					t.Errorf("body = %v, want {\"input_tokens\":N}", v)
				}
			},
		},
		{
			name:       "models with anthropic-version",
			c:          call{method: "GET", path: "/v1/models?limit=1000", header: map[string]string{"Authorization": "Bearer sk-ant-oat01-x", "anthropic-version": "2023-06-01"}},
			wantStatus: 200,
			check: func(t *testing.T, v map[string]any) {
				if str(v, "data", 0, "type") != "model" || !strings.HasPrefix(str(v, "data", 0, "id"), "claude") || get(v, "has_more") != false || str(v, "first_id") == "" {
					t.Errorf("body = %v, want the Anthropic list shape", v)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := do(t, ts, tc.c)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			tc.check(t, readJSON(t, resp))
		})
	}
}
