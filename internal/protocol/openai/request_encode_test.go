package openai

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

func ptr[T any](v T) *T { return &v }

func text(s string) llm.Part { return llm.Part{Type: llm.PartText, Text: s} }

func call(id, name, args string) llm.Part {
	return llm.Part{Type: llm.PartToolCall, ToolCall: &llm.ToolCall{ID: id, Name: name, Args: json.RawMessage(args)}}
}

func result(id string, isErr bool, parts ...llm.Part) llm.Part {
	return llm.Part{Type: llm.PartToolResult, ToolResult: &llm.ToolResult{CallID: id, Content: parts, IsError: isErr}}
}

// anthropicLike is a canonical request as an Anthropic client would produce
// it: system blocks, thinking with signatures, parallel tool calls, a
// tool-result turn with an image and an error, images in a user turn.
func anthropicLike() *llm.Request {
	longID := "toolu_" + strings.Repeat("x", 50)
	return &llm.Request{
		Model:  "claude-sonnet-4-5",
		System: []llm.Part{text("You are Claude Code."), text("Be concise.")},
		Messages: []llm.Message{
			{Role: llm.RoleUser, Parts: []llm.Part{text("Look at this"),
				{Type: llm.PartImage, Image: &llm.Image{MediaType: "image/jpeg", Data: "/9j/4AAQ"}},
				{Type: llm.PartImage, Image: &llm.Image{URL: "https://example.com/a.png"}}}},
			{Role: llm.RoleAssistant, Parts: []llm.Part{
				{Type: llm.PartThinking, Text: "I should read both files.", Signature: "EqQBCkYIBxgCKkA="},
				{Type: llm.PartRedacted, Signature: "opaque"},
				text("Reading."),
				call("toolu_01A", "read_file", `{"path":"/a.go"}`),
				call(longID, "screenshot", ``),
				call("toolu_01C", "never_answered", `{}`)}},
			{Role: llm.RoleUser, Parts: []llm.Part{
				result("toolu_01A", false, text("package a"), text("func A() {}")),
				result(longID, true, text("partial"), llm.Part{Type: llm.PartImage, Image: &llm.Image{MediaType: "image/png", Data: "iVBOR"}}),
				result("toolu_orphan", false, text("dropped")),
				text("Continue.")}},
			{Role: llm.RoleAssistant, Parts: []llm.Part{{Type: llm.PartThinking, Text: "only thinking", Signature: "sig"}}},
			{Role: llm.RoleUser, Parts: []llm.Part{text("Done?")}},
		},
		Tools: []llm.Tool{
			{Name: "read_file", Description: "Read a file", Schema: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"}}}`)},
			{Name: "screenshot"},
		},
		ToolChoice:        &llm.ToolChoice{Mode: llm.ToolName, Name: "read_file"},
		ParallelToolCalls: ptr(true),
		MaxTokens:         32000,
		Temperature:       ptr(1.0),
		TopK:              ptr(5),
		Stop:              []string{"a", "", "b", "c", "d", "e"},
		Thinking:          &llm.Thinking{Enabled: true, Budget: 10000},
		Format:            &llm.ResponseFormat{Type: "json_schema", Schema: json.RawMessage(`{"type":"object"}`)},
		User:              "user_abc",
	}
}

func indent(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	return append(out.Bytes(), '\n')
}

func TestEncodeRequestGolden(t *testing.T) {
	out, err := EncodeRequest(anthropicLike(), "gpt-5")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "encode_anthropic_like.golden", indent(t, out))

	plain := &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Parts: []llm.Part{text("hi")}}},
		ToolChoice: &llm.ToolChoice{Mode: llm.ToolAny}, ParallelToolCalls: ptr(false),
		Thinking: &llm.Thinking{Enabled: false, Budget: 0}, Format: &llm.ResponseFormat{Type: "json_object"}}
	out, err = EncodeRequest(plain, "gpt-4o")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "encode_plain.golden", indent(t, out))
}

func TestEncodeRequestValues(t *testing.T) {
	out, err := EncodeRequest(anthropicLike(), "gpt-5")
	if err != nil {
		t.Fatal(err)
	}
	g := func(p string) gjson.Result { return gjson.GetBytes(out, p) }
	checks := map[string]string{
		"model":                                      "gpt-5",
		"stream":                                     "true",
		"stream_options.include_usage":               "true",
		"max_completion_tokens":                      "32000",
		"reasoning_effort":                           "medium", // EffortFor(10000)
		"messages.0.role":                            "system",
		"messages.0.content":                         "You are Claude Code.\n\nBe concise.",
		"messages.1.content.1.image_url.url":         "data:image/jpeg;base64,/9j/4AAQ",
		"messages.1.content.2.image_url.url":         "https://example.com/a.png",
		"messages.2.content":                         "Reading.",
		"messages.2.tool_calls.0.function.arguments": `{"path":"/a.go"}`,
		"messages.2.tool_calls.1.function.arguments": `{}`,
		"messages.3.role":                            "tool",
		"messages.3.tool_call_id":                    "toolu_01A",
		"messages.3.content":                         "package a\nfunc A() {}",
		"messages.4.content":                         "Error: partial",
		"messages.5.tool_call_id":                    "toolu_01C",
		"messages.5.content":                         missingResult,
		"messages.6.role":                            "user",
		"messages.6.content.0.image_url.url":         "data:image/png;base64,iVBOR",
		"messages.6.content.1.text":                  "Continue.",
		"messages.7.role":                            "user",
		"messages.7.content":                         "Done?",
		"messages.#":                                 "8",
		"stop.#":                                     "4",
		"tool_choice.function.name":                  "read_file",
		"parallel_tool_calls":                        "true",
		"response_format.json_schema.name":           "response",
		"user":                                       "user_abc",
	}
	for p, want := range checks {
		if got := g(p).String(); got != want {
			t.Errorf("%s = %q; want %q", p, got, want)
		}
	}
	long := g("messages.2.tool_calls.1.id").Str
	if len(long) > maxToolCallID || long != g("messages.4.tool_call_id").Str {
		t.Errorf("long id not mapped consistently: %q vs %q", long, g("messages.4.tool_call_id").Str)
	}
	for _, absent := range []string{"top_k", "thinking"} {
		if g(absent).Exists() {
			t.Errorf("%s should be dropped", absent)
		}
	}
	if bytes.Contains(out, []byte("I should read")) || bytes.Contains(out, []byte("dropped")) {
		t.Errorf("thinking or orphan result leaked: %s", out)
	}
}

func TestEncodeRequestNoToolsDropsChoice(t *testing.T) {
	r := &llm.Request{ToolChoice: &llm.ToolChoice{Mode: llm.ToolAuto}, ParallelToolCalls: ptr(true),
		Thinking: &llm.Thinking{Enabled: true, Effort: "low", Budget: 99999}}
	out, err := EncodeRequest(r, "o4-mini")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"model":"o4-mini","messages":[],"stream":true,"stream_options":{"include_usage":true},"reasoning_effort":"low"}`
	if string(out) != want {
		t.Fatalf("got %s", out)
	}
	if _, err := EncodeRequest(nil, "x"); err == nil {
		t.Fatal("nil request accepted")
	}
}

// TestRoundTrip decodes what EncodeRequest produced: the canonical request
// survives (thinking aside).
func TestRoundTrip(t *testing.T) {
	out, err := EncodeRequest(anthropicLike(), "gpt-5")
	if err != nil {
		t.Fatal(err)
	}
	r, e := DecodeRequest(out)
	if e != nil {
		t.Fatal(e)
	}
	// The thinking-only assistant turn is gone, so the last two user turns
	// merge.
	if len(r.System) != 1 || len(r.Messages) != 3 || r.Thinking.Effort != "medium" || r.MaxTokens != 32000 ||
		r.ToolChoice.Name != "read_file" || !r.Stream {
		t.Fatalf("%+v", r)
	}
	tr := r.Messages[2].Parts
	if len(tr) != 6 || tr[0].ToolResult.Name != "read_file" || tr[2].ToolResult.Content[0].Text != missingResult ||
		tr[3].Type != llm.PartImage || tr[5].Text != "Done?" {
		t.Fatalf("tool turn %+v", tr)
	}
}
