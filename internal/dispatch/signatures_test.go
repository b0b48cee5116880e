package dispatch

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/signature"
)

var (
	rawGemini    = strings.Repeat("R2VtaW5p", 11)        // 88 base64 characters
	rawAnthropic = strings.Repeat("QW50aHJv", 15)        // 120
	fromGemini   = llm.TagSignature("gemini", rawGemini) // as an earlier translated turn showed it
	fromAnthr    = llm.TagSignature("anthropic", rawAnthropic)
)

type memSignatures map[signature.Key]signature.Entry

func (m memSignatures) Put(_ context.Context, e map[signature.Key]signature.Entry) error {
	for k, v := range e {
		m[k] = v
	}
	return nil
}

func (m memSignatures) Lookup(_ context.Context, keys []signature.Key) (map[signature.Key]signature.Entry, error) {
	out := map[signature.Key]signature.Entry{}
	for _, k := range keys {
		if e, ok := m[k]; ok {
			out[k] = e
		}
	}
	return out, nil
}

func toolTurn(id string, sigParts ...llm.Part) llm.Message {
	return llm.Message{Role: llm.RoleAssistant, Parts: append(sigParts,
		llm.Part{Type: llm.PartToolCall, ToolCall: &llm.ToolCall{ID: id, Name: "f", Args: json.RawMessage(`{}`)}})}
}

func TestHistoryForKeepsOnlyTheProvidersSignatures(t *testing.T) {
	store := memSignatures{
		{ToolCall: "call_cached"}: {Family: "gemini", Signature: rawGemini},
		{ToolCall: "call_anth"}:   {Family: "anthropic", Signature: rawAnthropic, Thinking: "signed thoughts"},
	}
	d := &Dispatcher{Signatures: store, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	think := func(sig string) llm.Part { return llm.Part{Type: llm.PartThinking, Text: "t", Signature: sig} }
	r := &llm.Request{Thinking: &llm.Thinking{Enabled: true, Budget: 2048}, Messages: []llm.Message{
		{Role: llm.RoleUser, Parts: []llm.Part{{Type: llm.PartText, Text: "q"}}},
		toolTurn("call_tagged", think(fromGemini)), // tagged gemini: kept for gemini
		toolTurn("call_own", think(rawAnthropic)),  // untagged from an Anthropic client: anthropic's
		toolTurn("call_cached"),                    // dropped by the client: from the cache
		toolTurn("call_anth"),
	}}
	before, _ := json.Marshal(r)

	g := d.historyFor(context.Background(), r, llm.Anthropic, llm.Gemini, llm.SigningParts, "", "")
	if s := g.Messages[1].Parts[0].Signature; s != rawGemini {
		t.Errorf("gemini-tagged signature for gemini = %q; want it untagged", s)
	}
	if s := g.Messages[2].Parts[0].Signature; s != "" {
		t.Errorf("an Anthropic client's own signature reached gemini: %q", s)
	}
	if p := g.Messages[3].Parts[0]; p.Type != llm.PartThinking || p.Signature != rawGemini {
		t.Errorf("cached gemini signature not restored: %+v", p)
	}
	if p := g.Messages[4].Parts[0]; p.Type == llm.PartThinking {
		t.Errorf("an anthropic cache entry was given to gemini: %+v", p)
	}

	a := d.historyFor(context.Background(), r, llm.Anthropic, llm.Anthropic, llm.SigningThinking, "", "")
	if s := a.Messages[1].Parts[0].Signature; s != "" {
		t.Errorf("gemini signature reached anthropic: %q", s)
	}
	if s := a.Messages[2].Parts[0].Signature; s != rawAnthropic {
		t.Errorf("own signature lost: %q", s)
	}
	if p := a.Messages[4].Parts[0]; p.Signature != rawAnthropic || p.Text != "signed thoughts" {
		t.Errorf("cached anthropic thinking not restored: %+v", p)
	}
	if a.Thinking == nil || !a.Thinking.Enabled {
		t.Error("thinking turned off although the last tool turn is signed")
	}
	after, _ := json.Marshal(r)
	if string(before) != string(after) {
		t.Error("historyFor modified the client's request")
	}

	// The last tool turn cannot be signed: thinking off rather than a forged block.
	r.Messages = append(r.Messages, toolTurn("call_unknown"))
	if a := d.historyFor(context.Background(), r, llm.Anthropic, llm.Anthropic, llm.SigningThinking, "", ""); a.Thinking != nil {
		t.Error("thinking stayed on with an unsigned final tool turn")
	}
}

// Gemini CLI replays an Anthropic signature on the functionCall part and drops
// the thought text: the cached thinking block must come back so that thinking
// stays on for the next step of the loop.
func TestHistoryForRestoresThinkingOfASignedFunctionCall(t *testing.T) {
	store := memSignatures{
		{ToolCall: "toolu_1"}: {Family: "anthropic", Signature: rawAnthropic, Thinking: "plan the reads"},
	}
	d := &Dispatcher{Signatures: store, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	turn := toolTurn("toolu_1")
	turn.Parts[0].Signature = fromAnthr // as the gateway's Gemini encoder handed it out
	turn.Parts = append(turn.Parts, llm.Part{Type: llm.PartToolCall, ToolCall: &llm.ToolCall{ID: "toolu_2", Name: "g", Args: json.RawMessage(`{}`)}})
	r := &llm.Request{Thinking: &llm.Thinking{Enabled: true, Budget: 4096}, Messages: []llm.Message{
		{Role: llm.RoleUser, Parts: []llm.Part{{Type: llm.PartText, Text: "q"}}},
		turn,
		{Role: llm.RoleUser, Parts: []llm.Part{
			{Type: llm.PartToolResult, ToolResult: &llm.ToolResult{CallID: "toolu_1"}},
			{Type: llm.PartToolResult, ToolResult: &llm.ToolResult{CallID: "toolu_2"}},
		}},
	}}
	a := d.historyFor(context.Background(), r, llm.Gemini, llm.Anthropic, llm.SigningThinking, "", "")
	if a.Thinking == nil || !a.Thinking.Enabled || a.Thinking.Budget != 4096 {
		t.Fatalf("thinking = %+v; want the client's setting kept", a.Thinking)
	}
	parts := a.Messages[1].Parts
	if len(parts) != 3 {
		t.Fatalf("tool turn has %d parts; want thinking + 2 calls: %+v", len(parts), parts)
	}
	if p := parts[0]; p.Type != llm.PartThinking || p.Text != "plan the reads" || p.Signature != rawAnthropic {
		t.Errorf("first part = %+v; want the cached thinking with its untagged signature", p)
	}
	if parts[1].Signature != "" || parts[1].ToolCall.ID != "toolu_1" {
		t.Errorf("tool call part = %+v; want it unsigned after the thinking", parts[1])
	}
	if turn.Parts[0].Signature != fromAnthr {
		t.Error("historyFor modified the client's request")
	}

	// Without a cache entry there is no thinking text to send: thinking goes off.
	d.Signatures = memSignatures{}
	if a := d.historyFor(context.Background(), r, llm.Gemini, llm.Anthropic, llm.SigningThinking, "", ""); a.Thinking != nil {
		t.Errorf("thinking = %+v with nothing to restore; want off", a.Thinking)
	}
}
