package gemini

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol/protocoltest"
)

func text(s string) llm.Part { return llm.Part{Type: llm.PartText, Text: s} }

func call(id, name, args, sig string) llm.Part {
	return llm.Part{Type: llm.PartToolCall, Signature: sig, ToolCall: &llm.ToolCall{ID: id, Name: name, Args: json.RawMessage(args)}}
}

func result(id, s string, isErr bool, extra ...llm.Part) llm.Part {
	return llm.Part{Type: llm.PartToolResult, ToolResult: &llm.ToolResult{CallID: id, Content: append([]llm.Part{text(s)}, extra...), IsError: isErr}}
}

func f64(f float64) *float64 { return &f }

func toolsRequest() *llm.Request {
	k := 32
	png := llm.Part{Type: llm.PartImage, Image: &llm.Image{MediaType: "image/png", Data: "iVBORw0KGgo="}}
	return &llm.Request{
		Model:  "claude-x",
		System: []llm.Part{text("You are a coding agent."), text("Be careful.")},
		Messages: []llm.Message{
			{Role: llm.RoleUser, Parts: []llm.Part{
				text("What's the weather in Paris and Rome? <b>now</b>"),
				png,
				{Type: llm.PartImage, Image: &llm.Image{URL: "https://example.com/cat.JPG?x=1"}},
				{Type: llm.PartImage, Image: &llm.Image{URL: "data:image/gif;base64,R0lGOD=="}},
			}},
			{Role: llm.RoleAssistant, Parts: []llm.Part{
				{Type: llm.PartThinking, Text: "I will call the tool twice.", Signature: "VEhJTktfU0lH"},
				{Type: llm.PartRedacted, Signature: "opaque"},
				text("Looking it up."),
				call("toolu_01", "get_weather", `{"city": "Paris"}`, ""),
				call("toolu_02", "get_weather", `not json`, ""),
			}},
			{Role: llm.RoleUser, Parts: []llm.Part{
				result("toolu_01", "18C", false, png),
				result("toolu_02", "city not found", true),
			}},
		},
		Tools: []llm.Tool{
			{Name: "get_weather", Description: "Current weather", Schema: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}`)},
			{Name: "now"},
		},
		ToolChoice:  &llm.ToolChoice{Mode: llm.ToolName, Name: "get_weather"},
		MaxTokens:   4096,
		Temperature: f64(0.7),
		TopP:        f64(0.95),
		TopK:        &k,
		Stop:        []string{"a", "b", "c", "d", "e", "f"},
		Thinking:    &llm.Thinking{Enabled: true, Effort: "high"},
		Format:      &llm.ResponseFormat{Type: "json_schema", Name: "answer", Schema: json.RawMessage(`{"type":"object"}`)},
		Stream:      true,
		User:        "u-1",
	}
}

// openAIHistory is a tool loop from a client that keeps no signatures.
func openAIHistory() *llm.Request {
	return &llm.Request{Messages: []llm.Message{
		{Role: llm.RoleUser, Parts: []llm.Part{text("Earlier question")}},
		{Role: llm.RoleAssistant, Parts: []llm.Part{call("call_a", "ls", `{}`, "")}},
		{Role: llm.RoleUser, Parts: []llm.Part{result("call_a", "a.go", false)}},
		{Role: llm.RoleAssistant, Parts: []llm.Part{text("There is a.go.")}},
		{Role: llm.RoleUser, Parts: []llm.Part{text("Read it")}},
		{Role: llm.RoleUser, Parts: []llm.Part{text("and b.go")}},
		{Role: llm.RoleAssistant, Parts: []llm.Part{call("call_b", "read", `{"p":"a.go"}`, ""), call("call_c", "read", `{"p":"b.go"}`, "")}},
		{Role: llm.RoleUser, Parts: []llm.Part{result("call_b", "package a", false), result("call_c", "package b", false), result("call_orphan", "lost", false)}},
		{Role: llm.RoleAssistant, Parts: []llm.Part{call("call_d", "stat", `{}`, "")}},
		{Role: llm.RoleUser, Parts: []llm.Part{text("(interrupted)")}},
		{Role: llm.RoleAssistant, Parts: []llm.Part{call("call_e", "rm", `{}`, "")}},
	}}
}

func TestEncodeRequestGolden(t *testing.T) {
	for name, r := range map[string]*llm.Request{"encode_tools": toolsRequest(), "encode_history": openAIHistory()} {
		t.Run(name, func(t *testing.T) {
			b, err := EncodeRequest(r, "gemini-2.5-pro")
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(b) {
				t.Fatalf("invalid JSON %s", b)
			}
			var out bytes.Buffer
			if err := json.Indent(&out, b, "", "  "); err != nil {
				t.Fatal(err)
			}
			out.WriteByte('\n')
			protocoltest.Golden(t, name+".golden", out.Bytes(), *update)
		})
	}
}

func TestEncodeRequestSignatures(t *testing.T) {
	b, err := EncodeRequest(toolsRequest(), "m")
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]string{
		"contents.1.role":                                       "model",
		"contents.1.parts.#":                                    "3", // thinking and redacted dropped
		"contents.1.parts.0.text":                               "Looking it up.",
		"contents.1.parts.1.thoughtSignature":                   "VEhJTktfU0lH",
		"contents.1.parts.1.functionCall.args.city":             "Paris",
		"contents.1.parts.2.thoughtSignature":                   "",
		"contents.1.parts.2.functionCall.args":                  "{}",
		"contents.2.parts.0.functionResponse.name":              "get_weather",
		"contents.2.parts.0.functionResponse.id":                "toolu_01",
		"contents.2.parts.0.functionResponse.response.result":   "18C",
		"contents.2.parts.1.inlineData.mimeType":                "image/png",
		"contents.2.parts.2.functionResponse.response.error":    "city not found",
		"contents.0.parts.2.fileData.mimeType":                  "image/jpeg",
		"contents.0.parts.3.inlineData.mimeType":                "image/gif",
		"toolConfig.functionCallingConfig.mode":                 "ANY",
		"toolConfig.functionCallingConfig.allowedFunctionNames": `["get_weather"]`,
		"generationConfig.thinkingConfig.thinkingBudget":        "24576",
		"generationConfig.stopSequences.#":                      "5",
		"generationConfig.responseMimeType":                     "application/json",
		"model":                                                 "",
	}
	for p, want := range checks {
		if got := gjson.GetBytes(b, p); got.String() != want && got.Raw != want {
			t.Errorf("%s = %s; want %s", p, got.Raw, want)
		}
	}
}

func TestEncodeRequestCurrentTurnDummySignatures(t *testing.T) {
	b, err := EncodeRequest(openAIHistory(), "m")
	if err != nil {
		t.Fatal(err)
	}
	roles := gjson.GetBytes(b, "contents.#.role").Raw
	if roles != `["user","model","user","model","user","model","user","model","user"]` {
		t.Fatalf("roles %s\n%s", roles, b)
	}
	checks := map[string]string{
		"contents.1.parts.0.thoughtSignature":  "", // an earlier turn is not validated
		"contents.4.parts.#":                   "2",
		"contents.5.parts.0.thoughtSignature":  SkipSignature,
		"contents.5.parts.1.thoughtSignature":  "",
		"contents.6.parts.#":                   "2", // orphan result dropped
		"contents.7.parts.0.functionCall.name": "stat",
		// the next user content mixes a response with text: conservatively
		// not a new turn, so this step gets the dummy too
		"contents.7.parts.0.thoughtSignature":                SkipSignature,
		"contents.8.parts.0.functionResponse.name":           "stat",
		"contents.8.parts.0.functionResponse.response.error": "the tool call was not answered",
		"contents.8.parts.1.text":                            "(interrupted)",
	}
	for p, want := range checks {
		if got := gjson.GetBytes(b, p).String(); got != want {
			t.Errorf("%s = %q; want %q", p, got, want)
		}
	}
	if gjson.GetBytes(b, `contents.#.parts.#(functionCall.name=="rm")`).String() != "[]" {
		t.Errorf("dangling call at the end was sent: %s", b)
	}
}

func TestEncodeRequestRejectsEmpty(t *testing.T) {
	if _, err := EncodeRequest(&llm.Request{Messages: []llm.Message{{Role: llm.RoleUser}}}, "m"); err == nil {
		t.Fatal("no error for a request without content")
	}
	if _, err := EncodeRequest(nil, "m"); err == nil {
		t.Fatal("no error for nil")
	}
}

// A Gemini client's body, decoded and encoded again, keeps every signature
// where it came from.
func TestDecodeEncodeRoundTripKeepsSignatures(t *testing.T) {
	r := decodeFile(t, "decode_tools.json")
	b, err := EncodeRequest(r, "m")
	if err != nil {
		t.Fatal(err)
	}
	if got := gjson.GetBytes(b, "contents.1.parts.0.thoughtSignature").String(); got != "Q2lRQmNzamFmRA==" {
		t.Fatalf("signature %q\n%s", got, b)
	}
	if got := gjson.GetBytes(b, "contents.2.parts.#.functionResponse.id").Raw; got != `["call_1_get_weather","call_2_get_weather"]` {
		t.Fatalf("ids %s", got)
	}
	r2 := decodeFile(t, "decode_text.json")
	b, _ = EncodeRequest(r2, "m")
	if got := gjson.GetBytes(b, "contents.1.parts.1").Raw; got != `{"text":"","thoughtSignature":"U0lHX1RFWFQ="}` {
		t.Fatalf("trailer %s", got)
	}
}
