package protocol

import (
	"encoding/json"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

func TestCapabilitiesFor(t *testing.T) {
	cases := []struct {
		p     llm.Protocol
		model string
		want  Capabilities
	}{
		{llm.OpenAI, "gpt-5", Capabilities{Reasoning: true}},
		{llm.OpenAI, "gpt-5-codex", Capabilities{Reasoning: true}},
		{llm.OpenAI, "o3-mini", Capabilities{Reasoning: true}},
		{llm.OpenAI, "o4-mini", Capabilities{Reasoning: true}},
		{llm.OpenAI, "codex-mini-latest", Capabilities{Reasoning: true}},
		{llm.OpenAI, "gpt-5-chat-latest", Capabilities{Sampling: true}},
		{llm.OpenAI, "gpt-4o", Capabilities{Sampling: true}},
		{llm.OpenAI, "GPT-4.1-mini", Capabilities{Sampling: true}},
		{llm.OpenAI, "openai/gpt-4o", Capabilities{Sampling: true}},
		{llm.OpenAI, "llama-3-70b", Capabilities{Reasoning: true, Sampling: true}},
		{llm.Anthropic, "claude-3-5-sonnet-20241022", Capabilities{Sampling: true}},
		{llm.Anthropic, "claude-3-7-sonnet-latest", Capabilities{Reasoning: true, Sampling: true}},
		{llm.Anthropic, "claude-sonnet-4-5", Capabilities{Reasoning: true, Sampling: true}},
		{llm.Gemini, "gemini-2.0-flash", Capabilities{Sampling: true}},
		{llm.Gemini, "models/gemini-2.5-pro", Capabilities{Reasoning: true, Sampling: true}},
	}
	for _, c := range cases {
		if got := CapabilitiesFor(c.p, c.model, nil); got != c.want {
			t.Errorf("%s %s: got %+v, want %+v", c.p, c.model, got, c.want)
		}
	}
	got := CapabilitiesFor(llm.OpenAI, "gpt-5", map[string]bool{CapSampling: true, CapReasoning: false, "unknown": true})
	if got != (Capabilities{Sampling: true}) {
		t.Errorf("override: got %+v", got)
	}
}

func TestCheckToolNames(t *testing.T) {
	ok := []llm.Tool{{Name: "read_file"}, {Name: "multi_agent_v1__spawn_agent"}}
	if err := CheckToolNames(ok, PlainToolName, "rule"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "a.b", "has space", string(make([]byte, 65))} {
		if CheckToolNames([]llm.Tool{{Name: bad}}, PlainToolName, "rule") == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestEstimateInputTokens(t *testing.T) {
	r := &llm.Request{
		System: []llm.Part{{Type: llm.PartText, Text: "12345678"}},
		Messages: []llm.Message{{Role: llm.RoleUser, Parts: []llm.Part{
			{Type: llm.PartText, Text: "abcd"},
			{Type: llm.PartImage, Image: &llm.Image{Data: "x"}},
			{Type: llm.PartToolResult, ToolResult: &llm.ToolResult{Content: []llm.Part{{Type: llm.PartText, Text: "abcd"}}}},
		}}},
		Tools: []llm.Tool{{Name: "ab", Schema: json.RawMessage(`{}`)}},
	}
	// 8 + 4 + 4 + 2 + 2 = 20 bytes = 5 tokens, plus one image.
	if got := EstimateInputTokens(r); got != 5+imageTokens {
		t.Fatalf("got %d", got)
	}
	if EstimateInputTokens(nil) != 0 {
		t.Fatal("nil request")
	}
}
