package fakeupstream

import (
	"encoding/json"
	"io"
	"strings"
	"testing"
)

const (
	geminiHello  = `"contents":[{"role":"user","parts":[{"text":"Say hi"}]}]`
	geminiTools  = `"tools":[{"functionDeclarations":[{"name":"get_weather","parameters":{"type":"OBJECT","properties":{"city":{"type":"STRING"},"days":{"type":"INTEGER"},"metric":{"type":"BOOLEAN"}},"required":["city","days","metric"]}}]}]`
	geminiResult = `"contents":[{"role":"user","parts":[{"text":"weather?"}]},{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{}}}]},` +
		`{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"output":"18C and sunny"}}}]}]`
	geminiThinking = `"generationConfig":{"thinkingConfig":{"includeThoughts":true,"thinkingBudget":1024}}`
)

var geminiCases = []struct {
	name     string
	model    string
	body     string
	wantText string
	wantArgs string
	thoughts bool // a thought part and a signature are expected
}{
	{name: "text", model: "gemini-2.5-pro", body: `{` + geminiHello + `}`, wantText: "Hello from fake gemini model gemini-2.5-pro. You said: Say hi"},
	{name: "tool call", model: "gemini-2.5-flash", body: `{` + geminiHello + `,` + geminiTools + `}`, wantArgs: wantWeatherArgs},
	{name: "tool result", model: "gemini-2.5-flash", body: `{` + geminiResult + `,` + geminiTools + `}`, wantText: "Tool result received: 18C and sunny"},
	{name: "thinking", model: "gemini-3-pro-preview", body: `{` + geminiHello + `,` + geminiThinking + `}`,
		wantText: "Hello from fake gemini model gemini-3-pro-preview. You said: Say hi", thoughts: true},
	{name: "thinking tool call", model: "gemini-3-pro-preview", body: `{` + geminiHello + `,` + geminiTools + `,` + geminiThinking + `}`, wantArgs: wantWeatherArgs, thoughts: true},
	{name: "snake_case", model: "gemini-2.5-pro",
		body: `{"system_instruction":{"parts":[{"text":"be brief"}]},"contents":[{"role":"user","parts":[{"text":"weather?"}]}],` +
			`"tools":[{"function_declarations":[{"name":"get_weather","parameters_json_schema":` + weatherTool + `}]}],` +
			`"generation_config":{"thinking_config":{"include_thoughts":true}}}`,
		wantArgs: wantWeatherArgs, thoughts: true},
	{name: "tool mode NONE", model: "gemini-2.5-pro", body: `{` + geminiHello + `,` + geminiTools + `,"toolConfig":{"functionCallingConfig":{"mode":"NONE"}}}`,
		wantText: "Hello from fake gemini model gemini-2.5-pro. You said: Say hi"},
}

// geminiResult sums up the chunks of a Gemini answer.
type geminiSummary struct {
	text, thought, args, signature, finish string
	chunks                                 int
	usage                                  any
}

func summarizeGemini(t *testing.T, chunks []map[string]any) geminiSummary {
	t.Helper()
	var s geminiSummary
	for _, c := range chunks {
		s.chunks++
		if c["usageMetadata"] != nil {
			s.usage = c["usageMetadata"]
		}
		if f := str(c, "candidates", 0, "finishReason"); f != "" {
			s.finish = f
		}
		parts, _ := get(c, "candidates", 0, "content", "parts").([]any)
		for _, p := range parts {
			if sig := str(p, "thoughtSignature"); sig != "" {
				s.signature = sig
			}
			switch {
			case get(p, "thought") == true:
				s.thought += str(p, "text")
			case get(p, "functionCall") != nil:
				b, _ := json.Marshal(get(p, "functionCall", "args"))
				s.args = string(b)
			default:
				s.text += str(p, "text")
			}
		}
	}
	return s
}

func (s geminiSummary) check(t *testing.T, wantText, wantArgs string, thoughts bool) {
	t.Helper()
	if s.finish != "STOP" {
		t.Errorf("finishReason = %q, want STOP", s.finish)
	}
	if wantArgs != "" && s.args != wantArgs {
		t.Errorf("functionCall args = %s, want %s", s.args, wantArgs)
	}
	if wantArgs == "" && s.text != wantText {
		t.Errorf("text = %q, want %q", s.text, wantText)
	}
	if thoughts && (s.thought == "" || len(s.signature) < 80) {
		t.Errorf("thought %q signature %q: want both", s.thought, s.signature)
	}
	if !thoughts && (s.thought != "" || s.signature != "") {
		t.Errorf("thought %q signature %q: want neither", s.thought, s.signature)
	}
	if n, _ := get(s.usage, "promptTokenCount").(float64); n < 1 {
		t.Errorf("usageMetadata = %v", s.usage)
	}
}

func TestGeminiGenerate(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	for _, tc := range geminiCases {
		t.Run(tc.name, func(t *testing.T) {
			resp := do(t, ts, call{path: "/v1beta/models/" + tc.model + ":generateContent", header: geminiAuth, body: tc.body})
			if resp.StatusCode != 200 {
				t.Fatalf("status = %d, want 200", resp.StatusCode)
			}
			v := readJSON(t, resp)
			if str(v, "modelVersion") != tc.model || str(v, "responseId") == "" {
				t.Errorf("modelVersion %q responseId %q", str(v, "modelVersion"), str(v, "responseId"))
			}
			summarizeGemini(t, []map[string]any{v}).check(t, tc.wantText, tc.wantArgs, tc.thoughts)
		})
	}
}

func TestGeminiStreamSSE(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	for _, tc := range geminiCases {
		t.Run(tc.name, func(t *testing.T) {
			// The method separator is URL-encoded, as some clients send it.
			resp := do(t, ts, call{path: "/v1beta/models/" + tc.model + "%3AstreamGenerateContent?alt=sse", header: geminiAuth, body: tc.body})
			raw, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Header.Get("Content-Type") != "text/event-stream" {
				t.Errorf("Content-Type = %q", resp.Header.Get("Content-Type"))
			}
			events := strings.Split(strings.TrimSuffix(string(raw), "\r\n\r\n"), "\r\n\r\n")
			var chunks []map[string]any
			for _, e := range events {
				if !strings.HasPrefix(e, "data: ") || strings.Contains(e, "\n") {
					t.Fatalf("event %q is not one `data: ` line ended by \\r\\n\\r\\n", e)
				}
				chunks = append(chunks, sseMsg{data: strings.TrimPrefix(e, "data: ")}.json(t))
			}
			s := summarizeGemini(t, chunks)
			s.check(t, tc.wantText, tc.wantArgs, tc.thoughts)
			if tc.wantArgs == "" && s.chunks < 3 {
				t.Errorf("%d chunks, want >= 3", s.chunks)
			}
			if last := chunks[len(chunks)-1]; str(last, "candidates", 0, "finishReason") != "STOP" {
				t.Errorf("last chunk has no finishReason: %v", last)
			}
		})
	}
}

func TestGeminiStreamArray(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	resp := do(t, ts, call{path: "/v1beta/models/gemini-2.5-pro:streamGenerateContent", header: geminiAuth, body: `{` + geminiHello + `}`})
	var chunks []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&chunks); err != nil {
		t.Fatalf("body is not a JSON array: %v", err)
	}
	summarizeGemini(t, chunks).check(t, "Hello from fake gemini model gemini-2.5-pro. You said: Say hi", "", false)
}

func TestGeminiEndpoints(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	cases := []struct {
		name       string
		c          call
		wantStatus int
		check      func(t *testing.T, v map[string]any)
	}{
		{
			name:       "count tokens",
			c:          call{path: "/v1beta/models/gemini-2.5-pro:countTokens", header: geminiAuth, body: `{` + geminiHello + `}`},
			wantStatus: 200,
			check: func(t *testing.T, v map[string]any) {
				if n, _ := v["totalTokens"].(float64); n < 1 {
					t.Errorf("body = %v", v)
				}
			},
		},
		{
			name:       "list models",
			c:          call{method: "GET", path: "/v1beta/models?key=AIza-q"},
			wantStatus: 200,
			check: func(t *testing.T, v map[string]any) {
				if !strings.HasPrefix(str(v, "models", 0, "name"), "models/gemini-") || get(v, "models", 0, "supportedGenerationMethods") == nil {
					t.Errorf("body = %v", v)
				}
			},
		},
		{
			name:       "bearer and dotted model",
			c:          call{path: "/v1beta/models/gemini-2.0-flash-001.x:generateContent", header: map[string]string{"Authorization": "Bearer ya29.token"}, body: `{` + geminiHello + `}`},
			wantStatus: 200,
			check: func(t *testing.T, v map[string]any) {
				if str(v, "modelVersion") != "gemini-2.0-flash-001.x" {
					t.Errorf("modelVersion = %q", str(v, "modelVersion"))
				}
			},
		},
		{
			name:       "unknown method",
			c:          call{path: "/v1beta/models/gemini-2.5-pro:embedStuff", header: geminiAuth, body: `{}`},
			wantStatus: 404,
			check: func(t *testing.T, v map[string]any) {
				if str(v, "error", "status") != "NOT_FOUND" {
					t.Errorf("body = %v", v)
				}
			},
		},
		{
			name:       "malformed json",
			c:          call{path: "/v1beta/models/gemini-2.5-pro:generateContent", header: geminiAuth, body: `{"contents":[`},
			wantStatus: 400,
			check: func(t *testing.T, v map[string]any) {
				if str(v, "error", "status") != "INVALID_ARGUMENT" || get(v, "error", "code") != float64(400) {
					t.Errorf("body = %v", v)
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
