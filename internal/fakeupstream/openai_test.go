package fakeupstream

import (
	"encoding/json"
	"strings"
	"testing"
)

func chatBody(extra string, messages string) string {
	if extra != "" {
		extra += ","
	}
	return `{"model":"gpt-4o",` + extra + `"messages":` + messages + `}`
}

const (
	chatHello      = `[{"role":"user","content":"Say hi"}]`
	chatToolResult = `[{"role":"user","content":"weather?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{}"}}]},{"role":"tool","tool_call_id":"call_1","content":"18 degrees and sunny in Paris, with a light breeze"}]`
	chatTools      = `"tools":[{"type":"function","function":{"name":"get_weather","parameters":` + weatherTool + `}},{"type":"function","function":{"name":"other"}}]`
)

var chatCases = []struct {
	name      string
	body      string
	wantText  string // "" when a tool call is expected
	wantTool  string
	wantArgs  string
	reasoning bool
}{
	{name: "text", body: chatBody("", chatHello), wantText: "Hello from fake openai model gpt-4o. You said: Say hi"},
	{name: "tool call", body: chatBody(chatTools, chatHello), wantTool: "get_weather", wantArgs: wantWeatherArgs},
	{name: "forced tool", body: chatBody(chatTools+`,"tool_choice":{"type":"function","function":{"name":"other"}}`, chatHello), wantTool: "other", wantArgs: `{}`},
	{name: "tool choice none", body: chatBody(chatTools+`,"tool_choice":"none"`, chatHello), wantText: "Hello from fake openai model gpt-4o. You said: Say hi"},
	{name: "tool result", body: chatBody(chatTools, chatToolResult), wantText: "Tool result received: 18 degrees and sunny in Paris, with a li"},
	{name: "reasoning", body: chatBody(`"reasoning_effort":"low"`, chatHello), wantText: "Hello from fake openai model gpt-4o. You said: Say hi", reasoning: true},
	{name: "long user text not echoed", body: chatBody("", `[{"role":"user","content":[{"type":"text","text":"`+strings.Repeat("x", 300)+`"}]}]`), wantText: "Hello from fake openai model gpt-4o."},
}

func TestChatCompletionsJSON(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	for _, tc := range chatCases {
		t.Run(tc.name, func(t *testing.T) {
			resp := do(t, ts, call{path: "/v1/chat/completions", header: openAIAuth, body: tc.body})
			if resp.StatusCode != 200 {
				t.Fatalf("status = %d, want 200", resp.StatusCode)
			}
			v := readJSON(t, resp)
			if got := str(v, "object"); got != "chat.completion" {
				t.Errorf("object = %q, want chat.completion", got)
			}
			if got := str(v, "model"); got != "gpt-4o" {
				t.Errorf("model = %q, want gpt-4o", got)
			}
			if !strings.HasPrefix(str(v, "id"), "chatcmpl-") {
				t.Errorf("id = %q, want chatcmpl- prefix", str(v, "id"))
			}
			msg := get(v, "choices", 0, "message")
			finish := str(v, "choices", 0, "finish_reason")
			if tc.wantTool != "" {
				if finish != "tool_calls" {
					t.Errorf("finish_reason = %q, want tool_calls", finish)
				}
				if got := str(msg, "tool_calls", 0, "function", "name"); got != tc.wantTool {
					t.Errorf("tool name = %q, want %q", got, tc.wantTool)
				}
				if got := str(msg, "tool_calls", 0, "function", "arguments"); got != tc.wantArgs {
					t.Errorf("arguments = %s, want %s", got, tc.wantArgs)
				}
				if get(msg, "content") != nil {
					t.Errorf("content = %v, want null", get(msg, "content"))
				}
			} else {
				if finish != "stop" {
					t.Errorf("finish_reason = %q, want stop", finish)
				}
				if got := str(msg, "content"); got != tc.wantText {
					t.Errorf("content = %q, want %q", got, tc.wantText)
				}
			}
			if got := str(msg, "reasoning_content") != ""; got != tc.reasoning {
				t.Errorf("has reasoning_content = %v, want %v", got, tc.reasoning)
			}
			if n, _ := get(v, "usage", "prompt_tokens").(float64); n < 1 {
				t.Errorf("usage.prompt_tokens = %v, want > 0", n)
			}
			if n, _ := get(v, "usage", "prompt_tokens_details", "cached_tokens").(float64); n != 0 {
				t.Errorf("cached_tokens = %v, want 0", n)
			}
		})
	}
}

func TestChatCompletionsStream(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	for _, tc := range chatCases {
		for _, includeUsage := range []bool{false, true} {
			name := tc.name
			if includeUsage {
				name += "/include_usage"
			}
			t.Run(name, func(t *testing.T) {
				extra := `"stream":true,`
				if includeUsage {
					extra += `"stream_options":{"include_usage":true},`
				}
				body := strings.Replace(tc.body, "{", "{"+extra, 1)
				resp := do(t, ts, call{path: "/v1/chat/completions", header: openAIAuth, body: body})
				msgs := readSSE(t, resp)
				if len(msgs) == 0 || msgs[len(msgs)-1].data != "[DONE]" {
					t.Fatalf("stream does not end with [DONE]: %v", msgs)
				}
				var text, args, reasoning, finish, toolName string
				var textDeltas, argFragments int
				var usage any
				for _, m := range msgs[:len(msgs)-1] {
					if m.event != "" {
						t.Errorf("unexpected event: line %q", m.event)
					}
					v := m.json(t)
					if str(v, "object") != "chat.completion.chunk" {
						t.Errorf("object = %q", str(v, "object"))
					}
					if u := get(v, "usage"); u != nil {
						usage = u
						if choices, _ := get(v, "choices").([]any); len(choices) != 0 {
							t.Errorf("usage chunk has choices: %v", choices)
						}
					}
					if c, ok := get(v, "choices", 0, "delta", "content").(string); ok && c != "" {
						text += c
						textDeltas++
					}
					reasoning += str(v, "choices", 0, "delta", "reasoning_content")
					if f := str(v, "choices", 0, "finish_reason"); f != "" {
						finish = f
					}
					if tcall := get(v, "choices", 0, "delta", "tool_calls", 0); tcall != nil {
						if idx, _ := get(tcall, "index").(float64); idx != 0 {
							t.Errorf("tool call index = %v, want 0", idx)
						}
						if n := str(tcall, "function", "name"); n != "" {
							toolName = n
							if !strings.HasPrefix(str(tcall, "id"), "call_") {
								t.Errorf("tool call id = %q", str(tcall, "id"))
							}
						} else {
							argFragments++
						}
						args += str(tcall, "function", "arguments")
					}
				}
				if (usage != nil) != includeUsage {
					t.Errorf("usage chunk present = %v, want %v", usage != nil, includeUsage)
				}
				if tc.wantTool != "" {
					if finish != "tool_calls" || toolName != tc.wantTool || args != tc.wantArgs {
						t.Errorf("got finish %q tool %q args %s, want tool_calls %q %s", finish, toolName, args, tc.wantTool, tc.wantArgs)
					}
					if argFragments < 2 {
						t.Errorf("arguments came in %d fragments, want >= 2", argFragments)
					}
					return
				}
				if finish != "stop" || text != tc.wantText {
					t.Errorf("got finish %q text %q, want stop %q", finish, text, tc.wantText)
				}
				if textDeltas < 3 {
					t.Errorf("text came in %d deltas, want >= 3", textDeltas)
				}
				if (reasoning != "") != tc.reasoning {
					t.Errorf("reasoning_content = %q, want present = %v", reasoning, tc.reasoning)
				}
			})
		}
	}
}

func TestResponses(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	tools := `"tools":[{"type":"function","name":"get_weather","parameters":` + weatherTool + `}]`
	cases := []struct {
		name     string
		body     string
		wantText string
		wantArgs string
	}{
		{name: "string input", body: `{"model":"gpt-5","input":"hello"}`, wantText: "Hello from fake openai model gpt-5. You said: hello"},
		{name: "items", body: `{"model":"gpt-5","instructions":"be brief","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"hey"}]}]}`,
			wantText: "Hello from fake openai model gpt-5. You said: hey"},
		{name: "tool call", body: `{"model":"gpt-5","input":"weather?",` + tools + `}`, wantArgs: wantWeatherArgs},
		{name: "tool result", body: `{"model":"gpt-5",` + tools + `,"input":[{"role":"user","content":"weather?"},{"type":"function_call","call_id":"c1","name":"get_weather","arguments":"{}"},{"type":"function_call_output","call_id":"c1","output":"sunny"}]}`,
			wantText: "Tool result received: sunny"},
	}
	for _, tc := range cases {
		t.Run(tc.name+"/json", func(t *testing.T) {
			v := readJSON(t, do(t, ts, call{path: "/v1/responses", header: openAIAuth, body: tc.body}))
			if str(v, "status") != "completed" || str(v, "object") != "response" || !strings.HasPrefix(str(v, "id"), "resp_") {
				t.Errorf("response envelope = %v", v)
			}
			item := get(v, "output", 0)
			if tc.wantArgs != "" {
				if str(item, "type") != "function_call" || str(item, "arguments") != tc.wantArgs || str(item, "name") != "get_weather" {
					t.Errorf("output item = %v, want function_call get_weather %s", item, tc.wantArgs)
				}
				return
			}
			if got := str(item, "content", 0, "text"); got != tc.wantText {
				t.Errorf("text = %q, want %q", got, tc.wantText)
			}
		})
		t.Run(tc.name+"/stream", func(t *testing.T) {
			body := strings.Replace(tc.body, "{", `{"stream":true,`, 1)
			msgs := readSSE(t, do(t, ts, call{path: "/v1/responses", header: openAIAuth, body: body}))
			if len(msgs) == 0 || msgs[len(msgs)-1].event != "response.completed" {
				t.Fatalf("stream does not end with response.completed: %v", msgs)
			}
			var text, args string
			for i, m := range msgs {
				v := m.json(t)
				if str(v, "type") != m.event {
					t.Errorf("event %q has type %q", m.event, str(v, "type"))
				}
				if seq, _ := get(v, "sequence_number").(float64); int(seq) != i {
					t.Errorf("event %d sequence_number = %v", i, seq)
				}
				switch m.event {
				case "response.output_text.delta":
					text += str(v, "delta")
				case "response.function_call_arguments.delta":
					args += str(v, "delta")
				}
			}
			if tc.wantArgs != "" {
				if args != tc.wantArgs {
					t.Errorf("arguments = %s, want %s", args, tc.wantArgs)
				}
			} else if text != tc.wantText {
				t.Errorf("text = %q, want %q", text, tc.wantText)
			}
			if n, _ := get(msgs[len(msgs)-1].json(t), "response", "usage", "input_tokens").(float64); n < 1 {
				t.Errorf("completed usage.input_tokens = %v", n)
			}
		})
	}
}

func TestOpenAIModels(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	v := readJSON(t, do(t, ts, call{method: "GET", path: "/v1/models", header: openAIAuth}))
	if str(v, "object") != "list" || str(v, "data", 0, "object") != "model" || str(v, "data", 0, "id") == "" {
		b, _ := json.Marshal(v)
		t.Errorf("models = %s, want an OpenAI list", b)
	}
}
