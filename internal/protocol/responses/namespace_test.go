package responses

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

// TestDecodeNamespacedToolsGolden: tools sent in additional_tools input items
// and grouped in namespaces become ordinary tools named namespace__name, a
// replayed namespaced call keeps that name, repeats are kept once.
func TestDecodeNamespacedToolsGolden(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "request_namespaced.json"))
	if err != nil {
		t.Fatal(err)
	}
	r := mustDecode(t, string(body))
	golden(t, "request_namespaced.golden.json", dump(t, r))

	var names []string
	for _, tl := range r.Tools {
		names = append(names, tl.Name+"@"+tl.Namespace)
	}
	want := "exec_command@ apply_patch@ multi_agent_v1__spawn_agent@multi_agent_v1 multi_agent_v1__wait_agent@multi_agent_v1 mcp__docs__search@mcp__docs"
	if strings.Join(names, " ") != want {
		t.Fatalf("tools %v", names)
	}
	call := r.Messages[1].Parts[0].ToolCall
	if call.Name != "multi_agent_v1__spawn_agent" || r.Messages[2].Parts[0].ToolResult.Name != call.Name {
		t.Fatalf("replayed call %+v", r.Messages)
	}
	r = mustDecode(t, `{"model":"m","input":"x","tools":[{"type":"namespace","name":"ns","tools":[{"type":"function","name":"f"}]}],
		"tool_choice":{"type":"function","namespace":"ns","name":"f"}}`)
	if r.ToolChoice == nil || r.ToolChoice.Name != "ns__f" || r.Tools[0].Name != "ns__f" {
		t.Fatalf("namespaced tool choice %+v %+v", r.ToolChoice, r.Tools)
	}
}

// TestDecodeRefusesUnknownTools: a tool no provider of another protocol can
// take is a clear 400, never dropped silently.
func TestDecodeRefusesUnknownTools(t *testing.T) {
	for body, want := range map[string]string{
		`{"model":"m","input":[{"type":"additional_tools","tools":[{"type":"namespace","name":"ns","tools":[{"type":"web_search"}]}]},{"role":"user","content":"x"}]}`: `input[0].tools[0].tools[0]: a "web_search" tool inside namespace "ns"`,
		`{"model":"m","input":"x","tools":[{"type":"hologram"}]}`:                                      `tools[0]: tools of type "hologram"`,
		`{"model":"m","input":"x","tools":[{"type":"namespace","tools":[]}]}`:                          "tools[0].name is required",
		`{"model":"m","input":[{"type":"additional_tools","tools":{}},{"role":"user","content":"x"}]}`: "input[0].tools must be an array",
	} {
		_, err := DecodeRequest([]byte(body))
		if err == nil || err.Status != 400 || !strings.Contains(err.Message, want) {
			t.Errorf("%s: got %v, want a 400 containing %q", body, err, want)
		}
	}
}

// TestStreamEncodeNamespacedCallGolden: a call of ns__name reaches the client
// as name in namespace ns, in the stream and in the collected response.
func TestStreamEncodeNamespacedCallGolden(t *testing.T) {
	o := testOpts
	// mcp__docs__plain is a flat tool whose name only looks namespaced.
	o.Namespaced = map[string]string{"multi_agent_v1__spawn_agent": "multi_agent_v1", "mcp__docs__search": "mcp__docs",
		"mcp__docs__patch": "mcp__docs"}
	o.Freeform = []string{"mcp__docs__patch"}
	evs := []llm.Event{
		{Type: llm.EvStart, ID: "msg_ns"},
		{Type: llm.EvBlockStart, Index: 0, Block: &llm.BlockInfo{Type: llm.PartToolCall, ID: "call_A", Name: "multi_agent_v1__spawn_agent"}},
		{Type: llm.EvToolArgsDelta, Index: 0, Text: `{"message":"audit"}`},
		{Type: llm.EvBlockStop, Index: 0},
		{Type: llm.EvBlockStart, Index: 1, Block: &llm.BlockInfo{Type: llm.PartToolCall, ID: "call_B", Name: "mcp__docs__search"}},
		{Type: llm.EvBlockStop, Index: 1},
		{Type: llm.EvBlockStart, Index: 2, Block: &llm.BlockInfo{Type: llm.PartToolCall, ID: "call_C", Name: "mcp__docs__patch"}},
		{Type: llm.EvToolArgsDelta, Index: 2, Text: `{"input":"*** Begin Patch"}`},
		{Type: llm.EvBlockStop, Index: 2},
		{Type: llm.EvBlockStart, Index: 3, Block: &llm.BlockInfo{Type: llm.PartToolCall, ID: "call_D", Name: "mcp__docs__plain"}},
		{Type: llm.EvBlockStop, Index: 3},
		{Type: llm.EvFinish, StopReason: llm.StopToolUse},
	}
	sse, js, _ := encodeAll(t, o, evs)
	golden(t, "stream_namespaced.sse", []byte(sse))
	golden(t, "stream_namespaced.collected.json", append(js, '\n'))
	for i, want := range []string{"multi_agent_v1 spawn_agent", "mcp__docs search", "mcp__docs patch", " mcp__docs__plain"} {
		it := gjson.GetBytes(js, "output."+itoa(i))
		if got := it.Get("namespace").Str + " " + it.Get("name").Str; got != want {
			t.Errorf("output %d: %q, want %q", i, got, want)
		}
	}
	if gjson.GetBytes(js, "output.2.type").Str != "custom_tool_call" {
		t.Errorf("a namespaced freeform tool stays a custom_tool_call: %s", js)
	}
}
