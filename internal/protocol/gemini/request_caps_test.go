package gemini

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol/protocoltest"
)

// TestEncodeCapabilitiesGolden: a Gemini model without thinking gets no
// thinkingConfig (Gemini 2.0 refuses it); sampling parameters stay.
func TestEncodeCapabilitiesGolden(t *testing.T) {
	temp, topP := 0.7, 0.95
	r := &llm.Request{
		Messages:    []llm.Message{{Role: llm.RoleUser, Parts: []llm.Part{text("hi")}}},
		Temperature: &temp, TopP: &topP,
		Thinking: &llm.Thinking{Enabled: true, Effort: "low"},
	}
	b, err := EncodeRequest(r, "gemini-2.0-flash")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatal(err)
	}
	out.WriteByte('\n')
	protocoltest.Golden(t, "encode_caps_gemini-2.0-flash.golden", out.Bytes(), *update)

	b, err = EncodeRequestFor(r, "gemini-2.5-pro", map[string]bool{"sampling": false})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "temperature") || !strings.Contains(string(b), "thinkingConfig") {
		t.Fatalf("override: %s", b)
	}
}

func TestEncodeRefusesInexpressibleToolName(t *testing.T) {
	r := &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Parts: []llm.Part{text("hi")}}},
		Tools: []llm.Tool{{Name: "ns.tool:v1"}, {Name: "9lives"}}}
	if _, err := EncodeRequest(r, "gemini-2.5-pro"); err == nil || !strings.Contains(err.Error(), "9lives") {
		t.Fatalf("want an error naming 9lives, got %v", err)
	}
}
