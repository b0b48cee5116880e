package anthropic

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

func TestDecodeRequestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/decode/*.json")
	if len(files) < 4 {
		t.Fatalf("decode inputs missing: %v", files)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			r, lerr := DecodeRequest(body)
			if lerr != nil {
				t.Fatalf("decode: %v", lerr)
			}
			out, err := json.MarshalIndent(r, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "decode/"+name+".golden", append(out, '\n'))
		})
	}
}

func TestDecodeRequestValues(t *testing.T) {
	body, _ := os.ReadFile("testdata/decode/tools.json")
	r, err := DecodeRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Tools) != 2 || r.Tools[1].Name != "read_file" {
		t.Fatalf("server tool not dropped: %+v", r.Tools)
	}
	if r.ToolChoice == nil || r.ToolChoice.Mode != llm.ToolAny || r.ParallelToolCalls == nil || *r.ParallelToolCalls {
		t.Fatalf("tool choice: %+v %v", r.ToolChoice, r.ParallelToolCalls)
	}
	if len(r.Messages) != 3 {
		t.Fatalf("want the two user turns merged into 3 messages, got %d", len(r.Messages))
	}
	last := r.Messages[2].Parts
	if len(last) != 4 || last[0].Type != llm.PartToolResult || last[1].Type != llm.PartToolResult ||
		last[2].Type != llm.PartToolResult || last[3].Type != llm.PartText {
		t.Fatalf("tool results not first: %+v", last)
	}
	if tr := last[2].ToolResult; tr.CallID != "toolu_01C" || !tr.IsError || tr.Name != "read_file" {
		t.Fatalf("error result: %+v", tr)
	}
	if tr := last[1].ToolResult; len(tr.Content) != 2 || tr.Content[1].Image == nil || tr.Content[1].Image.MediaType != "image/png" {
		t.Fatalf("image result: %+v", tr)
	}
	if args := string(r.Messages[1].Parts[2].ToolCall.Args); args != `{"city":"London"}` {
		t.Fatalf("args not compacted: %s", args)
	}

	body, _ = os.ReadFile("testdata/decode/system_forms.json")
	r, err = DecodeRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	// Claude Code's per-session billing line is left out (it would defeat
	// other providers' prefix caches).
	if len(r.System) != 2 || r.System[0].Text != "You are Claude Code." || r.System[1].Text != "Leading system entry." {
		t.Fatalf("system: %+v", r.System)
	}
	if p := r.Messages[2].Parts; len(p) != 2 || !strings.HasPrefix(p[0].Text, "<system-reminder>") || p[1].Text != "Continue" {
		t.Fatalf("mid-conversation system: %+v", p)
	}
	if r.Thinking == nil || !r.Thinking.Enabled || r.Thinking.Effort != "high" || r.Thinking.Budget != 0 {
		t.Fatalf("adaptive thinking: %+v", r.Thinking)
	}
	if !strings.Contains(r.User, `"session_id":"s1"`) {
		t.Fatalf("user id: %q", r.User)
	}
}

func TestDecodeRequestErrors(t *testing.T) {
	cases := map[string]string{
		`[]`:                          "JSON object",
		`{"model":1}`:                 "model",
		`{"messages":[]}`:             "model: Field required",
		`{"model":"m"}`:               "messages: Field required",
		`{"model":"m","messages":[]}`: "at least one",
		`{"model":"m","max_tokens":"x","messages":[{"role":"user","content":"hi"}]}`:                                      "max_tokens",
		`{"model":"m","max_tokens":0,"messages":[{"role":"user","content":"hi"}]}`:                                        "max_tokens",
		`{"model":"m","messages":[{"role":"tool","content":"SECRET"}]}`:                                                   "messages.0.role",
		`{"model":"m","messages":[{"role":"user","content":5}]}`:                                                          "messages.0.content",
		`{"model":"m","messages":[{"role":"user","content":[{"type":"text"}]}]}`:                                          "messages.0.content.0.text",
		`{"model":"m","messages":[{"role":"user","content":[{"type":"tool_use","id":"a","name":"b","input":{}}]}]}`:       "assistant",
		`{"model":"m","messages":[{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"b","input":[1]}]}]}`: "input",
		`{"model":"m","messages":[{"role":"user","content":[{"type":"tool_result"}]}]}`:                                   "tool_use_id",
		`{"model":"m","messages":[{"role":"user","content":[{"type":"image","source":{"type":"file","file_id":"f"}}]}]}`:  "source.type",
		`{"model":"m","messages":[{"role":"user","content":"hi"}],"thinking":{"type":"on"}}`:                              "thinking.type",
		`{"model":"m","messages":[{"role":"user","content":"hi"}],"tool_choice":{"type":"tool"}}`:                         "tool_choice.name",
		`{"model":"m","messages":[{"role":"user","content":"hi"}],"tool_choice":"auto"}`:                                  "tool_choice: invalid type, expected object",
		`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":1}]}]}`:                                 "messages.0.content.0.text: invalid type, expected string",
		`{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":3}`:                                       "temperature",
		`{"model":"m","messages":[{"role":"user","content":"hi"}],"system":[{"type":"image"}]}`:                           "system.0",
	}
	for body, want := range cases {
		_, err := DecodeRequest([]byte(body))
		if err == nil {
			t.Errorf("%s: no error", body)
			continue
		}
		if err.Kind != llm.KindInvalidRequest || !strings.Contains(err.Message, want) {
			t.Errorf("%s: got %q, want it to mention %q", body, err.Message, want)
		}
		if strings.Contains(err.Message, "SECRET") {
			t.Errorf("error echoes input: %q", err.Message)
		}
	}
}

func TestDecodeThinkingForms(t *testing.T) {
	base := `{"model":"m","messages":[{"role":"user","content":"hi"}],`
	r, err := DecodeRequest([]byte(base + `"thinking":{"type":"enabled","budget_tokens":2048}}`))
	if err != nil || r.Thinking == nil || !r.Thinking.Enabled || r.Thinking.Budget != 2048 {
		t.Fatalf("enabled: %+v %v", r.Thinking, err)
	}
	r, err = DecodeRequest([]byte(base + `"thinking":{"type":"disabled"}}`))
	if err != nil || r.Thinking == nil || r.Thinking.Enabled {
		t.Fatalf("disabled: %+v %v", r.Thinking, err)
	}
	r, err = DecodeRequest([]byte(base + `"thinking":{"type":"adaptive"},"output_config":{"effort":"low"}}`))
	if err != nil || !r.Thinking.Enabled || r.Thinking.Effort != "low" {
		t.Fatalf("adaptive: %+v %v", r.Thinking, err)
	}
	r, err = DecodeRequest([]byte(base + `"output_config":{"format":{"type":"json_schema","schema":{"type":"object"}}}}`))
	if err != nil || r.Format == nil || r.Format.Type != "json_schema" || string(r.Format.Schema) != `{"type":"object"}` || r.Thinking != nil {
		t.Fatalf("format: %+v %v", r.Format, err)
	}
}
