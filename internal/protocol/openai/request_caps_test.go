package openai

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

// geminiCLILike is a canonical request as Gemini CLI's always-sent settings
// decode: temperature, topP and thinkingConfig.includeThoughts.
func geminiCLILike() *llm.Request {
	return &llm.Request{
		System:      []llm.Part{text("You are Gemini CLI.")},
		Messages:    []llm.Message{{Role: llm.RoleUser, Parts: []llm.Part{text("list the files")}}},
		Temperature: ptr(1.0),
		TopP:        ptr(0.95),
		Thinking:    &llm.Thinking{Enabled: true},
		MaxTokens:   65536,
	}
}

// claudeCodeUserID is metadata.user_id as Claude Code 2.1.78+ sends it.
const claudeCodeUserID = `{"device_id":"3fa9c1d23fa9c1d23fa9c1d23fa9c1d23fa9c1d23fa9c1d23fa9c1d23fa9c1d2",` +
	`"account_uuid":"","session_id":"9b1c2d3e-4f50-4a6b-8c7d-0e1f2a3b4c5d"}`

// TestEncodeCapabilitiesGolden: a reasoning model gets reasoning_effort and
// no sampling parameters; a non-reasoning model gets the sampling parameters
// and no reasoning_effort (OpenAI refuses the other combinations).
func TestEncodeCapabilitiesGolden(t *testing.T) {
	for _, model := range []string{"gpt-5", "gpt-4o"} {
		out, err := EncodeRequest(geminiCLILike(), model)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "encode_caps_"+model+".golden", indent(t, out))
	}
}

func TestEncodeCapabilitiesOverride(t *testing.T) {
	out, err := EncodeRequestFor(geminiCLILike(), "gpt-5", map[string]bool{"sampling": true, "reasoning": false})
	if err != nil {
		t.Fatal(err)
	}
	if gjson.GetBytes(out, "reasoning_effort").Exists() || gjson.GetBytes(out, "top_p").Num != 0.95 {
		t.Fatalf("override not applied: %s", out)
	}
	out, err = EncodeRequestFor(geminiCLILike(), "my-local-model", nil)
	if err != nil {
		t.Fatal(err)
	}
	if gjson.GetBytes(out, "reasoning_effort").Str != "medium" || !gjson.GetBytes(out, "temperature").Exists() {
		t.Fatalf("an unknown model family should keep every parameter: %s", out)
	}
}

// TestEncodeClaudeCodeUserGolden: Claude Code's ~150-character user id
// becomes a stable id within OpenAI's 64 characters.
func TestEncodeClaudeCodeUserGolden(t *testing.T) {
	r := geminiCLILike()
	r.User = claudeCodeUserID
	out, err := EncodeRequest(r, "gpt-4.1")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "encode_claude_code_user.golden", indent(t, out))
	u := gjson.GetBytes(out, "user").Str
	if len(u) == 0 || len(u) > maxUser {
		t.Fatalf("user %q: want 1..64 characters", u)
	}
	// Another session of the same person keeps the id.
	r.User = strings.Replace(claudeCodeUserID, "9b1c2d3e", "00000000", 1)
	again, _ := EncodeRequest(r, "gpt-4.1")
	if gjson.GetBytes(again, "user").Str != u {
		t.Fatal("the id changed with the session")
	}
	legacy := "user_" + strings.Repeat("ab", 32) + "_account__session_9b1c2d3e-4f50-4a6b-8c7d-0e1f2a3b4c5d"
	if got := endUser(legacy); len(got) != 64 || got == legacy {
		t.Fatalf("legacy id %q", got)
	}
	if got := endUser("user_abc"); got != "user_abc" {
		t.Fatalf("a short id must pass unchanged, got %q", got)
	}
}

// TestEncodeRefusesInexpressibleToolName: a tool OpenAI cannot take is a
// clear error, never dropped.
func TestEncodeRefusesInexpressibleToolName(t *testing.T) {
	r := geminiCLILike()
	r.Tools = []llm.Tool{{Name: "ok_tool"}, {Name: "mcp__" + strings.Repeat("x", 70)}}
	if _, err := EncodeRequest(r, "gpt-4o"); err == nil || !strings.Contains(err.Error(), "cannot be offered") {
		t.Fatalf("want a tool-name error, got %v", err)
	}
}
