package dispatch

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/sse"
	"github.com/switchyard-gw/switchyard/internal/upstream"
)

var benchProtocols = []llm.Protocol{llm.OpenAI, llm.Anthropic, llm.Gemini}

// benchConversation is a Claude Code-like turn: a long system prompt, three
// tools and ten turns of history with tool calls and results (~30 KB).
func benchConversation() *llm.Request {
	schema := json.RawMessage(`{"type":"object","properties":{"command":{"type":"string"},"timeout":{"type":"integer"}},"required":["command"]}`)
	r := &llm.Request{Model: "m", MaxTokens: 4096,
		System: []llm.Part{{Type: llm.PartText, Text: strings.Repeat("You are a careful coding assistant. ", 150)}}}
	for _, n := range []string{"Bash", "Read", "Edit"} {
		r.Tools = append(r.Tools, llm.Tool{Name: n, Description: "Run " + n + " " + strings.Repeat("with care ", 20), Schema: schema})
	}
	for i := 0; i < 10; i++ {
		id := fmt.Sprintf("call_%02d", i)
		r.Messages = append(r.Messages,
			llm.Message{Role: llm.RoleUser, Parts: []llm.Part{{Type: llm.PartText, Text: strings.Repeat("please look at the build output ", 30)}}},
			llm.Message{Role: llm.RoleAssistant, Parts: []llm.Part{
				{Type: llm.PartText, Text: "Let me check."},
				{Type: llm.PartToolCall, ToolCall: &llm.ToolCall{ID: id, Name: "Bash", Args: json.RawMessage(`{"command":"go build ./..."}`)}}}},
			llm.Message{Role: llm.RoleUser, Parts: []llm.Part{{Type: llm.PartToolResult, ToolResult: &llm.ToolResult{CallID: id, Name: "Bash",
				Content: []llm.Part{{Type: llm.PartText, Text: strings.Repeat("ok  \tgithub.com/example/pkg\t0.01s\n", 40)}}}}}})
	}
	r.Messages = append(r.Messages, llm.Message{Role: llm.RoleUser, Parts: []llm.Part{{Type: llm.PartText, Text: "now run the tests"}}})
	return r
}

// BenchmarkTranslateRequest: one op decodes a client request and encodes it
// for a provider of another protocol. Baselines of the same body:
// "json_roundtrip" (encoding/json decode and encode into generic values) and
// "fast_path" (the same-protocol model rewrite).
func BenchmarkTranslateRequest(b *testing.B) {
	conv := benchConversation()
	for _, client := range benchProtocols {
		body, err := mustProvider(client).EncodeRequest(conv, "client-model", nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%s/json_roundtrip", client), func(b *testing.B) {
			// The generic baseline: decode the whole body and encode it
			// again with encoding/json, no protocol knowledge.
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				var v any
				if err := json.Unmarshal(body, &v); err != nil {
					b.Fatal(err)
				}
				if _, err := json.Marshal(v); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("%s/fast_path", client), func(b *testing.B) {
			cl := mustClient(client, upstream.OpGenerate)
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := cl.RewriteModel(body, "provider-model"); err != nil {
					b.Fatal(err)
				}
			}
		})
		for _, provider := range benchProtocols {
			if provider == client {
				continue
			}
			b.Run(fmt.Sprintf("%s->%s", client, provider), func(b *testing.B) {
				cc, pc := mustClient(client, upstream.OpGenerate), mustProvider(provider)
				b.SetBytes(int64(len(body)))
				for b.Loop() {
					r, e := cc.DecodeRequest(body)
					if e != nil {
						b.Fatal(e)
					}
					if _, err := pc.EncodeRequest(r, "provider-model", nil); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// benchAnswer is a streamed answer in canonical events: thinking, 200 text
// deltas, one tool call with streamed arguments.
func benchAnswer() []llm.Event {
	evs := []llm.Event{{Type: llm.EvStart, ID: "msg_1", Model: "m", Usage: &llm.Usage{InputTokens: 9000}},
		{Type: llm.EvBlockStart, Index: 0, Block: &llm.BlockInfo{Type: llm.PartThinking}},
		{Type: llm.EvThinkingDelta, Index: 0, Text: "Considering the build output."},
		{Type: llm.EvSignature, Index: 0, Text: strings.Repeat("s", 120)},
		{Type: llm.EvBlockStop, Index: 0},
		{Type: llm.EvBlockStart, Index: 1, Block: &llm.BlockInfo{Type: llm.PartText}}}
	for i := 0; i < 200; i++ {
		evs = append(evs, llm.Event{Type: llm.EvTextDelta, Index: 1, Text: "The tests pass on every package "})
	}
	evs = append(evs, llm.Event{Type: llm.EvBlockStop, Index: 1},
		llm.Event{Type: llm.EvBlockStart, Index: 2, Block: &llm.BlockInfo{Type: llm.PartToolCall, ID: "call_1", Name: "Bash"}},
		llm.Event{Type: llm.EvToolArgsDelta, Index: 2, Text: `{"command":`},
		llm.Event{Type: llm.EvToolArgsDelta, Index: 2, Text: `"go test ./..."}`},
		llm.Event{Type: llm.EvBlockStop, Index: 2},
		llm.Event{Type: llm.EvFinish, StopReason: llm.StopToolUse, Usage: &llm.Usage{InputTokens: 9000, OutputTokens: 1400}})
	return evs
}

// upstreamEvents renders the answer as a provider of protocol p streams it.
func upstreamEvents(p llm.Protocol) []sse.Event {
	enc := mustClient(p, upstream.OpGenerate).NewStreamEncoder(llm.EncodeOptions{Model: "m", IncludeUsage: true, ID: "x1"})
	var out []sse.Event
	for _, ev := range benchAnswer() {
		enc.Encode(ev, func(name string, data []byte) {
			out = append(out, sse.Event{Name: name, Data: append([]byte(nil), data...)})
		})
	}
	return out
}

// BenchmarkTranslateStream: one op carries one upstream event to the client,
// decoded into canonical events and encoded in the client's protocol;
// "fast_path" is the same-protocol baseline (the event as it is).
func BenchmarkTranslateStream(b *testing.B) {
	for _, provider := range benchProtocols {
		evs := upstreamEvents(provider)
		for _, client := range benchProtocols {
			name := fmt.Sprintf("%s->%s", provider, client)
			if client == provider {
				name = fmt.Sprintf("%s/fast_path", provider)
			}
			b.Run(name, func(b *testing.B) {
				var c *conveyor
				fresh := func() {
					c = &conveyor{}
					if client != provider {
						c.dec = mustProvider(provider).NewStreamDecoder(nil)
						c.enc = mustClient(client, upstream.OpGenerate).NewStreamEncoder(llm.EncodeOptions{Model: "m", IncludeUsage: true})
					}
				}
				fresh()
				buf := make([]byte, 0, 4096)
				emit := func(name string, data []byte) { buf = sse.AppendEvent(buf, name, data) }
				i := 0
				for b.Loop() {
					if i == len(evs) {
						i = 0
						fresh()
					}
					buf = buf[:0]
					if err := c.convey(evs[i], emit); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
	}
}
