package anthropic

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

// geminiCLILike is what Gemini CLI always sends, decoded: temperature, topP
// and includeThoughts.
func geminiCLILike() *llm.Request {
	return &llm.Request{
		Messages:    []llm.Message{{Role: llm.RoleUser, Parts: []llm.Part{text("list the files")}}},
		Temperature: ptr(0.7), TopP: ptr(0.95), TopK: ptr(64),
		Thinking: &llm.Thinking{Enabled: true},
	}
}

// TestEncodeCapabilitiesGolden: a model without extended thinking gets no
// thinking (and so keeps its sampling parameters, temperature winning over
// top_p); a thinking model gets thinking and no sampling parameters.
func TestEncodeCapabilitiesGolden(t *testing.T) {
	for _, model := range []string{"claude-3-5-haiku-20241022", "claude-sonnet-4-5"} {
		body, err := EncodeRequest(geminiCLILike(), model)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "encode/caps_"+model+".golden", indent(t, body))
	}
	body, err := EncodeRequestFor(geminiCLILike(), "claude-sonnet-4-5", map[string]bool{"reasoning": false, "sampling": false})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"thinking", "temperature", "top_p", "top_k"} {
		if gjson.GetBytes(body, k).Exists() {
			t.Errorf("override: %s still sent: %s", k, body)
		}
	}
}

func TestEncodeRefusesInexpressibleToolName(t *testing.T) {
	r := geminiCLILike()
	r.Tools = []llm.Tool{{Name: "read.file"}}
	if _, err := EncodeRequest(r, "claude-sonnet-4-5"); err == nil || !strings.Contains(err.Error(), "read.file") {
		t.Fatalf("want an error naming the tool, got %v", err)
	}
}
