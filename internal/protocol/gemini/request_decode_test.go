package gemini

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol/protocoltest"
)

func decodeFile(t *testing.T, name string) *llm.Request {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	r, e := DecodeRequest(body)
	if e != nil {
		t.Fatalf("%s: %v", name, e)
	}
	return r
}

func TestDecodeRequestGolden(t *testing.T) {
	for _, name := range []string{"decode_text", "decode_tools", "decode_snake"} {
		t.Run(name, func(t *testing.T) {
			r := decodeFile(t, name+".json")
			protocoltest.Golden(t, name+".golden", indentJSON(t, r), *update)
		})
	}
}

func TestDecodeRequestPairsCallsAndResults(t *testing.T) {
	r := decodeFile(t, "decode_tools.json")
	if r.Model != "" || len(r.Messages) != 3 {
		t.Fatalf("model %q, %d messages", r.Model, len(r.Messages))
	}
	calls := r.Messages[1].Parts
	if calls[0].Type != llm.PartThinking || calls[0].Signature != "VEhPVUdIVF9TSUc=" {
		t.Fatalf("thinking part: %+v", calls[0])
	}
	if calls[1].ToolCall.ID != "call_1_get_weather" || calls[1].Signature != "Q2lRQmNzamFmRA==" ||
		calls[2].ToolCall.ID != "call_2_get_weather" || calls[2].Signature != "" {
		t.Fatalf("calls: %+v %+v", calls[1], calls[2])
	}
	res := r.Messages[2].Parts
	if res[0].ToolResult.CallID != "call_1_get_weather" || res[1].ToolResult.CallID != "call_2_get_weather" {
		t.Fatalf("results paired with %q %q", res[0].ToolResult.CallID, res[1].ToolResult.CallID)
	}
	if res[0].ToolResult.IsError || !res[1].ToolResult.IsError || res[1].ToolResult.Content[0].Text != `{"error":"city not found"}` {
		t.Fatalf("results: %+v %+v", res[0].ToolResult, res[1].ToolResult)
	}
	if string(r.Tools[0].Schema) != `{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer","nullable":true}},"required":["city"]}` {
		t.Fatalf("schema %s", r.Tools[0].Schema)
	}
	if r.ToolChoice == nil || r.ToolChoice.Mode != llm.ToolName || r.ToolChoice.Name != "get_weather" {
		t.Fatalf("tool choice %+v", r.ToolChoice)
	}
	if r.Thinking == nil || !r.Thinking.Enabled || r.Thinking.Budget != 2048 {
		t.Fatalf("thinking %+v", r.Thinking)
	}
}

func TestDecodeRequestPairsByID(t *testing.T) {
	r := decodeFile(t, "decode_snake.json")
	res := r.Messages[2].Parts
	if r.Messages[2].Role != llm.RoleUser || res[0].ToolResult.CallID != "fc-2" || res[1].ToolResult.CallID != "fc-1" {
		t.Fatalf("results: %+v", r.Messages[2])
	}
	if r.Thinking == nil || r.Thinking.Effort != "high" || r.MaxTokens != 1024 || r.Stop[0] != "\n\n" {
		t.Fatalf("config: %+v %+v", r.Thinking, r)
	}
	if r.ToolChoice.Mode != llm.ToolAuto || string(r.Tools[0].Schema) != `{"type":"object"}` {
		t.Fatalf("tools: %+v %+v", r.ToolChoice, r.Tools)
	}
}

func TestDecodeRequestThinkingBudgets(t *testing.T) {
	cases := map[string]llm.Thinking{
		`{"thinkingBudget":0}`:                           {},
		`{"thinkingBudget":-1}`:                          {Enabled: true},
		`{"thinkingBudget":512,"includeThoughts":false}`: {Enabled: true, Budget: 512},
		`{"includeThoughts":true}`:                       {Enabled: true},
		`{"thinkingLevel":"LOW"}`:                        {Enabled: true, Effort: "low"},
	}
	for cfg, want := range cases {
		r, e := DecodeRequest([]byte(`{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"thinkingConfig":` + cfg + `}}`))
		if e != nil {
			t.Fatalf("%s: %v", cfg, e)
		}
		if r.Thinking == nil || *r.Thinking != want {
			t.Errorf("%s: got %+v; want %+v", cfg, r.Thinking, want)
		}
	}
}

func TestDecodeRequestErrors(t *testing.T) {
	cases := map[string]string{
		`not json`:                     "Invalid JSON",
		`[]`:                           "JSON object",
		`{}`:                           "contents is not specified",
		`{"contents":[]}`:              "at least one part",
		`{"contents":"secret prompt"}`: "contents must be an array",
		`{"contents":[{"role":"system","parts":[{"text":"secret prompt"}]}]}`:                                 "valid role",
		`{"contents":[{"parts":[{"text":5}]}]}`:                                                               "contents[0].parts[0].text",
		`{"contents":[{"parts":[{"functionCall":{"name":"f"}}]}]}`:                                            "only allowed in model turns",
		`{"contents":[{"role":"model","parts":[{"functionCall":{"name":"f","args":"x"}}]}]}`:                  "args must be an object",
		`{"contents":[{"parts":[{"inlineData":{"mimeType":"image/png"}}]}]}`:                                  "inlineData.data",
		`{"contents":[{"parts":[{"text":"a"}]}],"generationConfig":{"temperature":"hot"}}`:                    "temperature must be a number",
		`{"contents":[{"parts":[{"text":"a"}]}],"generationConfig":{"maxOutputTokens":1.5}}`:                  "maxOutputTokens",
		`{"contents":[{"parts":[{"text":"a"}]}],"toolConfig":{"functionCallingConfig":{"mode":"SOMETIMES"}}}`: "mode must be",
		`{"contents":[{"parts":[{"text":"a"}]}],"tools":[{"functionDeclarations":[{"description":"x"}]}]}`:    "functionDeclarations[0].name",
	}
	for body, want := range cases {
		_, e := DecodeRequest([]byte(body))
		if e == nil {
			t.Errorf("%s: no error", body)
			continue
		}
		if e.Kind != llm.KindInvalidRequest || e.Status != 400 || !strings.Contains(e.Message, want) {
			t.Errorf("%s: got %v; want %q", body, e, want)
		}
		if strings.Contains(e.Message, "secret prompt") {
			t.Errorf("%s: message echoes prompt text", body)
		}
	}
}

func FuzzDecodeRequest(f *testing.F) {
	for _, name := range []string{"decode_text.json", "decode_tools.json", "decode_snake.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, e := DecodeRequest(body)
		if (r == nil) == (e == nil) {
			t.Fatalf("request %v, error %v", r, e)
		}
		if e != nil && e.Status != 400 {
			t.Fatalf("status %d", e.Status)
		}
		if r != nil {
			for _, m := range r.Messages {
				for _, p := range m.Parts {
					if p.Type == llm.PartToolCall && (p.ToolCall.ID == "" || len(p.ToolCall.Args) == 0 || p.ToolCall.Args[0] != '{') {
						t.Fatalf("bad tool call %+v", p.ToolCall)
					}
				}
			}
			if _, err := EncodeRequest(r, "m"); err != nil && len(r.Messages) > 0 {
				t.Logf("encode: %v", err)
			}
		}
	})
}
