package anthropic

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

func text(s string) llm.Part { return llm.Part{Type: llm.PartText, Text: s} }

func call(id, name, args string) llm.Part {
	return llm.Part{Type: llm.PartToolCall, ToolCall: &llm.ToolCall{ID: id, Name: name, Args: json.RawMessage(args)}}
}

func result(id, name string, isErr bool, content ...llm.Part) llm.Part {
	return llm.Part{Type: llm.PartToolResult, ToolResult: &llm.ToolResult{CallID: id, Name: name, Content: content, IsError: isErr}}
}

func encodeCases() map[string]*llm.Request {
	return map[string]*llm.Request{
		// Defaults: max_tokens 8192, temperature clamped to 1, stop list
		// filtered, system parts as text blocks, consecutive users merged.
		"text": {
			System:      []llm.Part{text("Be brief."), text(""), text("Answer in French.")},
			Messages:    []llm.Message{{Role: llm.RoleUser, Parts: []llm.Part{text("Hello")}}, {Role: llm.RoleUser, Parts: []llm.Part{text("  "), text("there")}}},
			Temperature: ptr(1.6), TopP: ptr(0.9), TopK: ptr(20),
			Stop: []string{"END", " "},
			User: "user-42",
		},
		// OpenAI-style ids, parallel calls, results in separate canonical
		// messages after text, one call never answered, one orphan result.
		"tool_loop": {
			MaxTokens: 1000,
			Tools: []llm.Tool{
				{Name: "get_weather", Description: "Weather", Schema: json.RawMessage(`{"properties":{"city":{"type":"string"}}}`)},
				{Name: "noop"},
			},
			ToolChoice:        &llm.ToolChoice{Mode: llm.ToolName, Name: "get_weather"},
			ParallelToolCalls: ptr(false),
			Messages: []llm.Message{
				{Role: llm.RoleUser, Parts: []llm.Part{text("Weather in Paris and London?")}},
				{Role: llm.RoleAssistant, Parts: []llm.Part{
					text("Checking."),
					call("functions.get_weather:0", "get_weather", `{"city":"Paris"}`),
					call("call 1/é", "get_weather", `{"city":"London"}`),
					call("", "noop", ``),
				}},
				{Role: llm.RoleUser, Parts: []llm.Part{text("Also tell me a joke.")}},
				{Role: llm.RoleUser, Parts: []llm.Part{
					result("functions.get_weather:0", "get_weather", false, text("18C")),
					result("call 1/é", "get_weather", true, text("timeout"), llm.Part{Type: llm.PartImage, Image: &llm.Image{MediaType: "image/png", Data: "iVBOR"}}),
					result("call_unknown", "get_weather", false, text("stray")),
				}},
			},
		},
		// Thinking: budget from effort, max_tokens raised above it, sampling
		// dropped, forced choice downgraded, signed thinking kept, unsigned
		// thinking dropped, trailing thinking dropped.
		"thinking": {
			MaxTokens:   4000,
			Temperature: ptr(0.3), TopP: ptr(0.5), TopK: ptr(5),
			Thinking:   &llm.Thinking{Enabled: true, Effort: "high"},
			Tools:      []llm.Tool{{Name: "search", Schema: json.RawMessage(`{"type":"object"}`)}},
			ToolChoice: &llm.ToolChoice{Mode: llm.ToolAny},
			Messages: []llm.Message{
				{Role: llm.RoleUser, Parts: []llm.Part{text("Find it")}},
				{Role: llm.RoleAssistant, Parts: []llm.Part{
					{Type: llm.PartThinking, Text: "Plan: search.", Signature: "EpUBsig"},
					{Type: llm.PartRedacted, Signature: "EmwKredacted"},
					{Type: llm.PartThinking, Text: "unsigned musing"},
					call("toolu_01", "search", `{"q":"it"}`),
				}},
				{Role: llm.RoleUser, Parts: []llm.Part{result("toolu_01", "search", false, text("found"))}},
				{Role: llm.RoleAssistant, Parts: []llm.Part{text("Here."), {Type: llm.PartThinking, Text: "after", Signature: "EpUBlate"}}},
				{Role: llm.RoleUser, Parts: []llm.Part{text("Thanks")}},
			},
		},
		// A tool loop whose last assistant turn has no signed thinking:
		// thinking is turned off for the request, temperature kept.
		"thinking_off_unsigned_loop": {
			Temperature: ptr(0.2),
			Thinking:    &llm.Thinking{Enabled: true, Budget: 2000},
			Tools:       []llm.Tool{{Name: "search"}},
			Messages: []llm.Message{
				{Role: llm.RoleUser, Parts: []llm.Part{text("Find it")}},
				{Role: llm.RoleAssistant, Parts: []llm.Part{{Type: llm.PartThinking, Text: "from another provider"}, call("c1", "search", `{}`)}},
				{Role: llm.RoleUser, Parts: []llm.Part{result("c1", "search", false, text("found"))}},
			},
		},
		// Images: base64, URL, data: URL, PDF; history tools without
		// definitions get declared with tool_choice none.
		"images": {
			Messages: []llm.Message{
				{Role: llm.RoleUser, Parts: []llm.Part{
					{Type: llm.PartImage, Image: &llm.Image{MediaType: "image/jpeg", Data: "/9j/4AAQ"}},
					{Type: llm.PartImage, Image: &llm.Image{URL: "https://example.com/cat.png"}},
					{Type: llm.PartImage, Image: &llm.Image{URL: "data:image/webp;base64,UklGR"}},
					{Type: llm.PartImage, Image: &llm.Image{MediaType: "application/pdf", Data: "JVBERi0x"}},
					text("Describe"),
				}},
				{Role: llm.RoleAssistant, Parts: []llm.Part{call("toolu_x", "lookup", `not json`)}},
				{Role: llm.RoleUser, Parts: []llm.Part{result("toolu_x", "lookup", false, text("ok"))}},
			},
		},
	}
}

func TestEncodeRequestGolden(t *testing.T) {
	for name, r := range encodeCases() {
		t.Run(name, func(t *testing.T) {
			body, err := EncodeRequest(r, "claude-sonnet-4-5")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "encode/"+name+".golden", indent(t, body))
		})
	}
}

func TestEncodeRequestValues(t *testing.T) {
	cases := encodeCases()
	get := func(name, path string) gjson.Result {
		t.Helper()
		body, err := EncodeRequest(cases[name], "claude-x")
		if err != nil {
			t.Fatal(err)
		}
		return gjson.GetBytes(body, path)
	}
	checks := []struct{ name, path, want string }{
		{"text", "max_tokens", "8192"},
		{"text", "stream", "true"},
		{"text", "model", "claude-x"},
		{"text", "temperature", "1"},
		{"text", "top_p", ""},
		{"text", "top_k", "20"},
		{"text", "stop_sequences.#", "1"},
		{"text", "messages.#", "1"},
		{"text", "messages.0.content.1.text", "there"},
		{"text", "metadata.user_id", "user-42"},
		{"tool_loop", "messages.1.content.1.id", "functions_get_weather_0"},
		{"tool_loop", "messages.1.content.2.id", "call_1__"},
		{"tool_loop", "messages.1.content.3.id", "toolu_m1_3"},
		{"tool_loop", "messages.1.content.3.input", "{}"},
		{"tool_loop", "messages.2.content.0.tool_use_id", "functions_get_weather_0"},
		{"tool_loop", "messages.2.content.1.tool_use_id", "call_1__"},
		{"tool_loop", "messages.2.content.1.is_error", "true"},
		{"tool_loop", "messages.2.content.2.tool_use_id", "toolu_m1_3"},
		{"tool_loop", "messages.2.content.2.is_error", "true"},
		{"tool_loop", "messages.2.content.3.text", "Also tell me a joke."},
		{"tool_loop", "messages.2.content.#", "4"},
		{"tool_loop", "tool_choice.type", "tool"},
		{"tool_loop", "tool_choice.disable_parallel_tool_use", "true"},
		{"tool_loop", "tools.0.input_schema.type", "object"},
		{"tool_loop", "tools.1.input_schema.type", "object"},
		{"thinking", "thinking.type", "enabled"},
		{"thinking", "thinking.budget_tokens", "24576"},
		{"thinking", "max_tokens", "28576"},
		{"thinking", "temperature", ""},
		{"thinking", "top_p", ""},
		{"thinking", "top_k", ""},
		{"thinking", "tool_choice.type", "auto"},
		{"thinking", "messages.1.content.#", "3"},
		{"thinking", "messages.1.content.0.signature", "EpUBsig"},
		{"thinking", "messages.1.content.1.data", "EmwKredacted"},
		{"thinking", "messages.3.content.#", "1"},
		{"thinking_off_unsigned_loop", "thinking", ""},
		{"thinking_off_unsigned_loop", "temperature", "0.2"},
		{"thinking_off_unsigned_loop", "messages.1.content.0.type", "tool_use"},
		{"images", "messages.0.content.0.source.type", "base64"},
		{"images", "messages.0.content.1.source.url", "https://example.com/cat.png"},
		{"images", "messages.0.content.2.source.media_type", "image/webp"},
		{"images", "messages.0.content.3.type", "document"},
		{"images", "messages.1.content.0.input", "{}"},
		{"images", "tools.0.name", "lookup"},
		{"images", "tool_choice.type", "none"},
	}
	for _, c := range checks {
		if got := get(c.name, c.path).String(); got != c.want {
			t.Errorf("%s %s = %q; want %q", c.name, c.path, got, c.want)
		}
	}
}

func TestEncodeRequestLeavesInputAlone(t *testing.T) {
	r := encodeCases()["tool_loop"]
	if _, err := EncodeRequest(r, "m"); err != nil {
		t.Fatal(err)
	}
	if id := r.Messages[1].Parts[1].ToolCall.ID; id != "functions.get_weather:0" {
		t.Fatalf("request mutated: %q", id)
	}
	if n := len(r.Messages[3].Parts); n != 3 {
		t.Fatalf("request mutated: %d parts", n)
	}
}

// A Claude Code request survives decode + encode: signatures, ids, system.
func TestDecodeEncodeRoundTrip(t *testing.T) {
	body, _ := os.ReadFile("testdata/decode/thinking_images.json")
	r, lerr := DecodeRequest(body)
	if lerr != nil {
		t.Fatal(lerr)
	}
	out, err := EncodeRequest(r, "claude-sonnet-4-5")
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"thinking.budget_tokens":          "10000",
		"max_tokens":                      "16000",
		"tool_choice.type":                "auto",
		"messages.0.content.2.type":       "document",
		"messages.1.content.0.signature":  "EpUBCkYIBxgCKkA",
		"messages.1.content.0.thinking":   "Two images and a PDF.",
		"messages.1.content.1.type":       "redacted_thinking",
		"messages.1.content.2.text":       "A cat, a photo, a document.",
		"messages.2.content.0.text":       "Thanks",
		"messages.0.content.1.source.url": "https://example.com/cat.png",
	} {
		if got := gjson.GetBytes(out, path).String(); got != want {
			t.Errorf("%s = %q; want %q", path, got, want)
		}
	}
}
