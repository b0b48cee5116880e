package gemini

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol/protocoltest"
)

func bs(i int, t llm.PartType) llm.Event {
	return llm.Event{Type: llm.EvBlockStart, Index: i, Block: &llm.BlockInfo{Type: t}}
}
func toolStart(i int, id, name string) llm.Event {
	return llm.Event{Type: llm.EvBlockStart, Index: i, Block: &llm.BlockInfo{Type: llm.PartToolCall, ID: id, Name: name}}
}
func ev(t llm.EventType, i int, s string) llm.Event { return llm.Event{Type: t, Index: i, Text: s} }
func stop(i int) llm.Event                          { return llm.Event{Type: llm.EvBlockStop, Index: i} }
func finish(reason string, u llm.Usage) llm.Event {
	return llm.Event{Type: llm.EvFinish, StopReason: reason, Usage: &u}
}

var start = llm.Event{Type: llm.EvStart, ID: "msg_01", Model: "claude-sonnet-4-5", Usage: &llm.Usage{InputTokens: 12}}

var encodeCases = map[string][]llm.Event{
	// Anthropic-style thinking with its signature, then text; cached input.
	"encode_thinking": {start,
		bs(0, llm.PartThinking), ev(llm.EvThinkingDelta, 0, "Let me"), ev(llm.EvThinkingDelta, 0, " think."),
		ev(llm.EvSignature, 0, "RXFBQ1NJRw=="), stop(0),
		bs(1, llm.PartText), ev(llm.EvTextDelta, 1, "Hello"), ev(llm.EvTextDelta, 1, ", <world> & co."), stop(1),
		finish(llm.StopEnd, llm.Usage{InputTokens: 12, CacheRead: 2000, CacheWrite: 100, OutputTokens: 90, ReasoningTokens: 40})},
	// Parallel calls with streamed arguments; two BlockStops are missing.
	"encode_tools": {start,
		bs(0, llm.PartThinking), ev(llm.EvThinkingDelta, 0, "Two lookups."), ev(llm.EvSignature, 0, "U0lHX1RPT0w="), stop(0),
		bs(1, llm.PartText), ev(llm.EvTextDelta, 1, "Checking."), // no BlockStop
		toolStart(2, "toolu_01", "get_weather"), ev(llm.EvToolArgsDelta, 2, `{"ci`), ev(llm.EvToolArgsDelta, 2, `ty": "Paris"}`), stop(2),
		toolStart(3, "toolu_02", "get_weather"), ev(llm.EvToolArgsDelta, 3, ""), ev(llm.EvToolArgsDelta, 3, `{"city":"Rome"}`),
		finish(llm.StopToolUse, llm.Usage{InputTokens: 30, OutputTokens: 25})},
	// Cut by the token limit, BlockStop missing; a signature left pending.
	"encode_maxtok": {{Type: llm.EvStart, ID: "chatcmpl-9", Model: "gpt-5"},
		bs(0, llm.PartThinking), ev(llm.EvSignature, 0, "UEVORElORw=="), stop(0),
		bs(1, llm.PartText), ev(llm.EvTextDelta, 1, "Once upon"),
		finish(llm.StopMaxTok, llm.Usage{InputTokens: 5, OutputTokens: 3})},
}

func encodeEvents(opts llm.EncodeOptions, evs []llm.Event) (sse []byte, chunks [][]byte) {
	e := NewStreamEncoder(opts)
	var b bytes.Buffer
	for _, ev := range evs {
		e.Encode(ev, func(name string, data []byte) {
			if name != "" {
				panic("gemini SSE has no event names")
			}
			b.WriteString("data: ")
			b.Write(data)
			b.WriteString("\r\n\r\n")
			chunks = append(chunks, append([]byte(nil), data...))
		})
	}
	return b.Bytes(), chunks
}

func collect(t *testing.T, chunks [][]byte) []byte {
	t.Helper()
	var c Collector
	for _, ch := range chunks {
		c.Add(ch)
	}
	out, err := c.JSON()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func indented(t *testing.T, b []byte) []byte {
	t.Helper()
	var ind bytes.Buffer
	if err := json.Indent(&ind, b, "", "  "); err != nil {
		t.Fatal(err)
	}
	return append(ind.Bytes(), '\n')
}

func TestStreamEncodeGolden(t *testing.T) {
	for name, evs := range encodeCases {
		t.Run(name, func(t *testing.T) {
			sse, chunks := encodeEvents(llm.EncodeOptions{Model: "gemini-2.5-pro", ID: "resp-1"}, evs)
			for _, c := range chunks {
				if !json.Valid(c) || bytes.ContainsAny(c, "\n\r") {
					t.Fatalf("chunk is not one line of JSON: %q", c)
				}
			}
			protocoltest.Golden(t, name+".sse.golden", sse, *update)
			protocoltest.Golden(t, name+".collected.golden", indented(t, collect(t, chunks)), *update)
		})
	}
}

func TestStreamEncodeCollected(t *testing.T) {
	_, chunks := encodeEvents(llm.EncodeOptions{Model: "gemini-2.5-pro"}, encodeCases["encode_tools"])
	out := collect(t, chunks)
	checks := map[string]string{
		"responseId":                                     "msg_01", // from Start when the caller gave none
		"modelVersion":                                   "gemini-2.5-pro",
		"candidates.0.content.parts.#":                   "4",
		"candidates.0.content.parts.0.thought":           "true",
		"candidates.0.content.parts.1.text":              "Checking.",
		"candidates.0.content.parts.1.thoughtSignature":  "",
		"candidates.0.content.parts.2.functionCall.id":   "toolu_01",
		"candidates.0.content.parts.2.functionCall.args": `{"city":"Paris"}`,
		"candidates.0.content.parts.2.thoughtSignature":  "U0lHX1RPT0w=",
		"candidates.0.content.parts.3.functionCall.args": `{"city":"Rome"}`,
		"candidates.0.content.parts.3.thoughtSignature":  "",
		"candidates.0.finishReason":                      "STOP",
		"usageMetadata.promptTokenCount":                 "30",
		"usageMetadata.candidatesTokenCount":             "25",
		"usageMetadata.totalTokenCount":                  "55",
	}
	for p, want := range checks {
		if got := gjson.GetBytes(out, p); got.String() != want && got.Raw != want {
			t.Errorf("%s = %s; want %s", p, got.Raw, want)
		}
	}

	_, chunks = encodeEvents(llm.EncodeOptions{}, encodeCases["encode_thinking"])
	out = collect(t, chunks)
	checks = map[string]string{
		"candidates.0.content.parts.0.text":             "Let me think.",
		"candidates.0.content.parts.#":                  "2",
		"candidates.0.content.parts.1.text":             "Hello, <world> & co.",
		"candidates.0.content.parts.1.thoughtSignature": "RXFBQ1NJRw==",
		"usageMetadata.promptTokenCount":                "2112",
		"usageMetadata.cachedContentTokenCount":         "2000",
		"usageMetadata.candidatesTokenCount":            "50",
		"usageMetadata.thoughtsTokenCount":              "40",
		"usageMetadata.totalTokenCount":                 "2202",
		"modelVersion":                                  "claude-sonnet-4-5",
	}
	for p, want := range checks {
		if got := gjson.GetBytes(out, p).String(); got != want {
			t.Errorf("%s = %q; want %q", p, got, want)
		}
	}

	_, chunks = encodeEvents(llm.EncodeOptions{}, encodeCases["encode_maxtok"])
	last := chunks[len(chunks)-1]
	if gjson.GetBytes(last, "candidates.0.finishReason").String() != "MAX_TOKENS" ||
		gjson.GetBytes(last, "candidates.0.content.parts.0").Raw != `{"text":"","thoughtSignature":"UEVORElORw=="}` {
		t.Fatalf("final chunk %s", last)
	}
}

// The decoder's events, encoded for a Gemini client, give back the
// recorded stream's content.
func TestDecodeThenEncode(t *testing.T) {
	evs, err := decodeStream(t, "stream_tools.sse")
	if err != nil {
		t.Fatal(err)
	}
	_, chunks := encodeEvents(llm.EncodeOptions{}, evs)
	out := collect(t, chunks)
	if got := gjson.GetBytes(out, "candidates.0.content.parts.1.thoughtSignature").String(); got != "Q2lRQmNzamFmRA==" {
		t.Fatalf("signature %q\n%s", got, out)
	}
	if got := gjson.GetBytes(out, "usageMetadata").Raw; got != `{"promptTokenCount":200,"candidatesTokenCount":40,"thoughtsTokenCount":12,"totalTokenCount":252}` {
		t.Fatalf("usage %s", got)
	}
	if got := gjson.GetBytes(out, "candidates.0.content.parts.#.functionCall.name").Raw; got != `["get_weather","get_weather","now"]` {
		t.Fatalf("calls %s", got)
	}
}
