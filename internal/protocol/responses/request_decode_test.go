package responses

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol/protocoltest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	protocoltest.Golden(t, name, got, *update)
}

func dump(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func mustDecode(t *testing.T, body string) *llm.Request {
	t.Helper()
	r, err := DecodeRequest([]byte(body))
	if err != nil {
		t.Fatalf("DecodeRequest: %v", err)
	}
	return r
}

func TestDecodeCodexRequestGolden(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "request_codex.json"))
	if err != nil {
		t.Fatal(err)
	}
	r := mustDecode(t, string(body))
	golden(t, "request_codex.golden.json", dump(t, r))

	// The values that matter, asserted directly as well.
	if len(r.System) != 2 || r.System[0].Text != "You are Codex, a coding agent." ||
		!strings.HasPrefix(r.System[1].Text, "<permissions") {
		t.Fatalf("system: %+v", r.System)
	}
	roles := ""
	for _, m := range r.Messages {
		roles += string(m.Role)[:1]
	}
	if roles != "uau" {
		t.Fatalf("roles %q; want user, assistant, user", roles)
	}
	u0 := r.Messages[0].Parts
	if len(u0) != 4 || u0[2].Image.MediaType != "image/png" || u0[2].Image.Data != "iVBORw0KGgo=" ||
		u0[3].Image.URL != "https://example.com/shot.jpg" {
		t.Fatalf("first user turn: %+v", u0)
	}
	a := r.Messages[1].Parts
	if len(a) != 4 || a[0].Type != llm.PartThinking || a[0].Signature != "EpUBCkYIBxgCKkA=" ||
		a[0].Text != "The user wants a file listing." || a[1].Type != llm.PartText ||
		a[2].ToolCall.ID != "toolu_01A" || a[3].ToolCall.Name != "read_file" ||
		string(a[3].ToolCall.Args) != `{"path":"README.md"}` {
		t.Fatalf("assistant turn: %+v", a)
	}
	u1 := r.Messages[2].Parts
	if len(u1) != 4 || u1[0].ToolResult.CallID != "toolu_01A" || u1[0].ToolResult.Name != "shell" ||
		u1[1].ToolResult.Name != "read_file" || len(u1[1].ToolResult.Content) != 2 ||
		u1[1].ToolResult.Content[1].Image.MediaType != "image/jpeg" ||
		u1[2].Text != "Model switched mid-session." || u1[3].Text != "Now summarise README.md." {
		t.Fatalf("tool-result turn: %+v", u1)
	}
	if len(r.Tools) != 3 || r.Tools[0].Name != "shell" || r.Tools[1].Name != "read_file" ||
		r.Tools[2].Name != "apply_patch" || !r.Tools[2].Freeform {
		t.Fatalf("tools: %+v", r.Tools)
	}
	if r.ToolChoice == nil || r.ToolChoice.Mode != llm.ToolAuto || r.ParallelToolCalls == nil || !*r.ParallelToolCalls {
		t.Fatalf("tool choice %+v parallel %v", r.ToolChoice, r.ParallelToolCalls)
	}
	if r.Thinking == nil || !r.Thinking.Enabled || r.Thinking.Effort != "high" || r.Thinking.Budget != llm.BudgetFor("high") {
		t.Fatalf("thinking: %+v", r.Thinking)
	}
	if r.MaxTokens != 32000 || *r.Temperature != 0.2 || *r.TopP != 0.9 || !r.Stream || r.User != "user-42" {
		t.Fatalf("params: %+v", r)
	}
	if r.Format == nil || r.Format.Type != "json_schema" || r.Format.Name != "answer" || !strings.Contains(string(r.Format.Schema), "summary") {
		t.Fatalf("format: %+v", r.Format)
	}
}

func TestDecodeRequestShapes(t *testing.T) {
	r := mustDecode(t, `{"model":"m","input":"hello"}`)
	if len(r.Messages) != 1 || r.Messages[0].Role != llm.RoleUser || r.Messages[0].Parts[0].Text != "hello" ||
		r.Stream || r.Thinking != nil || r.ToolChoice != nil || r.Format != nil {
		t.Fatalf("string input: %+v", r)
	}

	r = mustDecode(t, `{"model":"m","input":[{"role":"user","content":"hi"}],
		"tools":[{"type":"function","name":"f","parameters":{"type":"object"}}],
		"tool_choice":{"type":"function","name":"f"},"reasoning":{"effort":"none"},
		"text":{"format":{"type":"json_object"}},"parallel_tool_calls":false,"safety_identifier":"sid"}`)
	if r.ToolChoice.Mode != llm.ToolName || r.ToolChoice.Name != "f" || r.Thinking.Enabled ||
		r.Format.Type != "json_object" || *r.ParallelToolCalls || r.User != "sid" {
		t.Fatalf("object forms: %+v", r)
	}

	r = mustDecode(t, `{"model":"m","input":[{"role":"user","content":"hi"}],"tools":[{"type":"function","name":"f"}],
		"tool_choice":"required","reasoning":{"effort":"xhigh"}}`)
	if r.ToolChoice.Mode != llm.ToolAny || r.Thinking.Effort != "high" || r.Tools[0].Schema != nil {
		t.Fatalf("required/xhigh: %+v %+v", r.ToolChoice, r.Thinking)
	}

	// Only built-in tools and an open choice: the tools are left out, and
	// named in Omitted (TestDecodeOmittedBuiltinTools has the rest).
	r = mustDecode(t, `{"model":"m","input":"x","tools":[{"type":"web_search"}],"tool_choice":"auto"}`)
	if len(r.Tools) != 0 || r.ToolChoice != nil || strings.Join(r.Omitted, ",") != "web_search" {
		t.Fatalf("built-in only: %+v %+v %v", r.Tools, r.ToolChoice, r.Omitted)
	}

	// Bad or empty arguments become {}; a result for an unknown call keeps an
	// empty name; a tool result lands before user text in the same turn.
	r = mustDecode(t, `{"model":"m","input":[
		{"type":"function_call","call_id":"c1","name":"f","arguments":"not json"},
		{"type":"function_call","call_id":"c2","name":"g","arguments":""},
		{"role":"user","content":"and also"},
		{"type":"function_call_output","call_id":"c1","output":"ok"},
		{"type":"function_call_output","call_id":"zz","output":{"exit":0}}]}`)
	a, u := r.Messages[0].Parts, r.Messages[1].Parts
	if string(a[0].ToolCall.Args) != "{}" || string(a[1].ToolCall.Args) != "{}" {
		t.Fatalf("args: %s %s", a[0].ToolCall.Args, a[1].ToolCall.Args)
	}
	if u[0].ToolResult.Name != "f" || u[1].ToolResult.Name != "" || u[1].ToolResult.Content[0].Text != `{"exit":0}` ||
		u[2].Text != "and also" {
		t.Fatalf("results: %+v", u)
	}

	// A redacted reasoning item minted by the gateway comes back as such.
	r = mustDecode(t, `{"model":"m","input":[{"role":"user","content":"q"},
		{"type":"reasoning","summary":[],"encrypted_content":"swy1.redacted.DATA"},{"role":"assistant","content":"a"}]}`)
	if p := r.Messages[1].Parts[0]; p.Type != llm.PartRedacted || p.Signature != "DATA" {
		t.Fatalf("redacted: %+v", p)
	}
}

func TestDecodeRequestErrors(t *testing.T) {
	cases := []struct{ body, want string }{
		{`nope`, "not valid JSON"},
		{`[1]`, "JSON object"},
		{`{"input":"x"}`, "model"},
		{`{"model":"m"}`, "input is required"},
		{`{"model":"m","input":5}`, "input must be"},
		{`{"model":"m","input":[]}`, "at least one message"},
		{`{"model":"m","input":"x","previous_response_id":"resp_1"}`, "previous_response_id is not supported"},
		{`{"model":"m","input":"x","instructions":3}`, "instructions"},
		{`{"model":"m","input":[1]}`, "input[0] must be an object"},
		{`{"model":"m","input":[{"role":"tool","content":"x"}]}`, "input[0].role"},
		{`{"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_id":"f"}]}]}`, "input[0].content[0]: input_file"},
		{`{"model":"m","input":[{"role":"user","content":[{"type":"input_image","file_id":"f"}]}]}`, "input[0].content[0].file_id"},
		{`{"model":"m","input":[{"role":"user","content":[{"type":"input_image","image_url":"ftp://x"}]}]}`, "input[0].content[0].image_url"},
		{`{"model":"m","input":[{"role":"user","content":[{"type":"bogus"}]}]}`, "input[0].content[0].type"},
		{`{"model":"m","input":[{"type":"function_call","name":"f"}]}`, "input[0].call_id"},
		{`{"model":"m","input":[{"type":"function_call","call_id":"c"}]}`, "input[0].name"},
		{`{"model":"m","input":[{"type":"function_call_output","output":"x"}]}`, "input[0].call_id"},
		{`{"model":"m","input":[{"type":"item_reference","id":"msg_1"}]}`, "item_reference"},
		{`{"model":"m","input":"x","tools":{}}`, "tools must be an array"},
		{`{"model":"m","input":"x","tools":[{"type":"function"}]}`, "tools[0].name"},
		{`{"model":"m","input":"x","tool_choice":"always"}`, "tool_choice"},
		{`{"model":"m","input":"x","tool_choice":{"type":"function"}}`, "tool_choice.name"},
		{`{"model":"m","input":"x","max_output_tokens":0}`, "max_output_tokens"},
		{`{"model":"m","input":"x","temperature":"hot"}`, "temperature"},
		{`{"model":"m","input":"x","reasoning":{"effort":"max"}}`, "reasoning.effort"},
		{`{"model":"m","input":"x","text":{"format":{"type":"json_schema"}}}`, "text.format.schema"},
		{`{"model":"m","input":"x","text":{"format":{"type":"xml"}}}`, "text.format.type"},
		{`{"model":"m","input":"x","stream":"yes"}`, "stream"},
		{`{"model":"m","input":"x","parallel_tool_calls":1}`, "parallel_tool_calls"},
		{`{"model":"m","input":"x","user":7}`, "user"},
	}
	for _, c := range cases {
		r, err := DecodeRequest([]byte(c.body))
		if err == nil {
			t.Errorf("%s: no error (%+v)", c.body, r)
			continue
		}
		if err.Status != 400 || err.Kind != llm.KindInvalidRequest || !strings.Contains(err.Message, c.want) {
			t.Errorf("%s: %v; want 400 mentioning %q", c.body, err, c.want)
		}
	}
	// Error messages never quote prompt text.
	_, err := DecodeRequest([]byte(`{"model":"m","input":[{"role":"secret-role-text","content":"secret prompt"}]}`))
	if err == nil || strings.Contains(err.Message, "secret") {
		t.Fatalf("leaky error: %v", err)
	}
}

// Codex's freeform tool and its call and output items.
func TestDecodeFreeformTool(t *testing.T) {
	r := mustDecode(t, `{"model":"m","tools":[{"type":"custom","name":"apply_patch","description":"Patch files",
"format":{"type":"grammar","syntax":"lark","definition":"start: patch"}}],"tool_choice":{"type":"custom","name":"apply_patch"},
"input":[{"role":"user","content":"add notes"},
{"type":"custom_tool_call","call_id":"c1","name":"apply_patch","input":"*** Begin Patch\n+hi \"x\"\n*** End Patch"},
{"type":"custom_tool_call_output","call_id":"c1","output":"Done!"}]}`)
	if len(r.Tools) != 1 || !r.Tools[0].Freeform || !strings.Contains(r.Tools[0].Description, "start: patch") ||
		gjson.GetBytes(r.Tools[0].Schema, "properties.input.type").Str != "string" {
		t.Fatalf("tool %+v", r.Tools)
	}
	if r.ToolChoice == nil || r.ToolChoice.Mode != llm.ToolName || r.ToolChoice.Name != "apply_patch" {
		t.Fatalf("tool choice %+v", r.ToolChoice)
	}
	if len(r.Messages) != 3 {
		t.Fatalf("messages %+v", r.Messages)
	}
	call := r.Messages[1].Parts[0].ToolCall
	if call == nil || call.ID != "c1" || gjson.GetBytes(call.Args, llm.FreeformArg).Str != "*** Begin Patch\n+hi \"x\"\n*** End Patch" {
		t.Fatalf("call %+v", call)
	}
	res := r.Messages[2].Parts[0].ToolResult
	if res == nil || res.CallID != "c1" || res.Name != "apply_patch" || res.Content[0].Text != "Done!" {
		t.Fatalf("result %+v", res)
	}
}
