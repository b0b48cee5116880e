package openai

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	oai "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/packages/ssestream"
	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

type encCase struct {
	name string
	opts llm.EncodeOptions
	evs  []llm.Event
}

func blockStart(i int, typ llm.PartType, id, name, sig string) llm.Event {
	return llm.Event{Type: llm.EvBlockStart, Index: i, Block: &llm.BlockInfo{Type: typ, ID: id, Name: name, Signature: sig}}
}

func ev(typ llm.EventType, i int, text string) llm.Event {
	return llm.Event{Type: typ, Index: i, Text: text}
}

func encCases() []encCase {
	opts := llm.EncodeOptions{Model: "gpt-4o", IncludeUsage: true, ID: "chatcmpl-abc", Created: 1767225600}
	return []encCase{
		{"text_cached", opts, []llm.Event{
			{Type: llm.EvStart, ID: "msg_1", Model: "claude-sonnet-4-5", Usage: &llm.Usage{InputTokens: 7}},
			blockStart(0, llm.PartText, "", "", ""),
			ev(llm.EvTextDelta, 0, "Hello, "),
			ev(llm.EvTextDelta, 0, "wörld \"<quoted>\"\n"),
			ev(llm.EvBlockStop, 0, ""),
			{Type: llm.EvFinish, StopReason: llm.StopEnd,
				Usage: &llm.Usage{InputTokens: 200, OutputTokens: 45, CacheRead: 512, CacheWrite: 100}},
		}},
		{"thinking_max_tokens", opts, []llm.Event{
			{Type: llm.EvStart, ID: "msg_2"},
			blockStart(0, llm.PartThinking, "", "", ""),
			ev(llm.EvThinkingDelta, 0, "Let me think."),
			ev(llm.EvSignature, 0, "EqQBCkYIBxgCKkA="),
			ev(llm.EvBlockStop, 0, ""),
			blockStart(1, llm.PartText, "", "", ""),
			ev(llm.EvTextDelta, 1, "The answer is"),
			// no BlockStop before Finish
			{Type: llm.EvFinish, StopReason: llm.StopMaxTok,
				Usage: &llm.Usage{InputTokens: 30, OutputTokens: 100, ReasoningTokens: 90}},
		}},
		{"parallel_tools", llm.EncodeOptions{Model: "gpt-4o", Created: 1}, []llm.Event{
			{Type: llm.EvStart, ID: "msg_01XYZ", Model: "claude-sonnet-4-5"},
			blockStart(0, llm.PartText, "", "", ""),
			ev(llm.EvTextDelta, 0, "Checking both."),
			ev(llm.EvBlockStop, 0, ""),
			blockStart(1, llm.PartToolCall, "toolu_A", "get_weather", ""),
			ev(llm.EvToolArgsDelta, 1, `{"city":`),
			ev(llm.EvToolArgsDelta, 1, `"Paris"}`),
			// no BlockStop before the next BlockStart
			blockStart(2, llm.PartToolCall, "toolu_B", "get_time", ""),
			ev(llm.EvToolArgsDelta, 2, `{}`),
			ev(llm.EvBlockStop, 2, ""),
			{Type: llm.EvFinish, StopReason: llm.StopToolUse, Usage: &llm.Usage{InputTokens: 10, OutputTokens: 20}},
		}},
		{"gemini_signed_tool", llm.EncodeOptions{Model: "gemini-2.5-pro", IncludeUsage: true, ID: "chatcmpl-g", Created: 2}, []llm.Event{
			{Type: llm.EvStart, Usage: &llm.Usage{InputTokens: 11, CacheRead: 4}},
			blockStart(0, llm.PartToolCall, "", "lookup", "c2lnbmF0dXJl"),
			ev(llm.EvToolArgsDelta, 0, `{"q":"cats"}`),
			ev(llm.EvBlockStop, 0, ""),
			// Gemini says STOP; the tool call decides.
			{Type: llm.EvFinish, StopReason: llm.StopEnd},
		}},
		{"refusal", opts, []llm.Event{
			{Type: llm.EvStart},
			{Type: llm.EvFinish, StopReason: llm.StopRefusal, Usage: &llm.Usage{InputTokens: 3}},
		}},
		// Anthropic thinking: the provider does not count reasoning tokens,
		// so they are estimated from the thinking streamed, within the output.
		{"thinking_reasoning_estimate", opts, []llm.Event{
			{Type: llm.EvStart, Usage: &llm.Usage{InputTokens: 20}},
			blockStart(0, llm.PartThinking, "", "", ""),
			ev(llm.EvThinkingDelta, 0, "Let me think about the cats and the dogs here."),
			ev(llm.EvBlockStop, 0, ""),
			blockStart(1, llm.PartText, "", "", ""),
			ev(llm.EvTextDelta, 1, "Cats."),
			ev(llm.EvBlockStop, 1, ""),
			{Type: llm.EvFinish, StopReason: llm.StopEnd, Usage: &llm.Usage{InputTokens: 20, OutputTokens: 40}},
		}},
	}
}

type emitted struct {
	names []string
	datas []string
}

func encodeAll(c encCase) emitted {
	e := NewStreamEncoder(c.opts)
	var out emitted
	for _, ev := range c.evs {
		e.Encode(ev, func(name string, data []byte) {
			out.names = append(out.names, name)
			out.datas = append(out.datas, string(data)) // copies: data may be reused
		})
	}
	return out
}

func (o emitted) sse() string {
	var b strings.Builder
	for _, d := range o.datas {
		b.WriteString("data: ")
		b.WriteString(d)
		b.WriteString("\n\n")
	}
	return b.String()
}

func TestStreamEncodeGolden(t *testing.T) {
	for _, c := range encCases() {
		t.Run(c.name, func(t *testing.T) {
			out := encodeAll(c)
			for _, n := range out.names {
				if n != "" {
					t.Fatalf("event name %q", n)
				}
			}
			if out.datas[len(out.datas)-1] != "[DONE]" {
				t.Fatal("stream does not end with [DONE]")
			}
			golden(t, "stream_encode_"+c.name+".sse", []byte(out.sse()))
			var col Collector
			for _, d := range out.datas {
				col.Add([]byte(d))
			}
			js, err := col.JSON()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "stream_encode_"+c.name+".collected.json", indent(t, js))
		})
	}
}

func TestStreamEncodeValues(t *testing.T) {
	cs := encCases()
	collect := func(c encCase) []byte {
		var col Collector
		for _, d := range encodeAll(c).datas {
			col.Add([]byte(d))
		}
		js, _ := col.JSON()
		return js
	}
	checks := []struct {
		c    encCase
		want map[string]string
	}{
		{cs[0], map[string]string{"id": "chatcmpl-abc", "model": "gpt-4o", "created": "1767225600",
			"choices.0.message.content": "Hello, wörld \"<quoted>\"\n", "choices.0.finish_reason": "stop",
			"usage.prompt_tokens": "812", "usage.completion_tokens": "45", "usage.total_tokens": "857",
			"usage.prompt_tokens_details.cached_tokens": "512"}},
		{cs[1], map[string]string{"id": "chatcmpl-abc", "choices.0.message.reasoning_content": "Let me think.",
			"choices.0.message.content": "The answer is", "choices.0.finish_reason": "length",
			"usage.completion_tokens_details.reasoning_tokens": "90"}},
		{cs[2], map[string]string{"id": "chatcmpl-msg_01XYZ", "choices.0.finish_reason": "tool_calls",
			"choices.0.message.tool_calls.0.id": "toolu_A", "choices.0.message.tool_calls.0.function.arguments": `{"city":"Paris"}`,
			"choices.0.message.tool_calls.1.id": "toolu_B", "choices.0.message.tool_calls.1.function.name": "get_time",
			"usage": ""}},
		{cs[3], map[string]string{"choices.0.finish_reason": "tool_calls", "choices.0.message.tool_calls.0.id": "call_g_0",
			"usage.prompt_tokens": "15", "usage.prompt_tokens_details.cached_tokens": "4", "usage.total_tokens": "15"}},
		{cs[4], map[string]string{"choices.0.finish_reason": "content_filter", "usage.prompt_tokens": "3"}},
	}
	for _, ck := range checks {
		js := collect(ck.c)
		for p, want := range ck.want {
			if got := gjson.GetBytes(js, p).String(); got != want {
				t.Errorf("%s: %s = %q; want %q", ck.c.name, p, got, want)
			}
		}
	}
	// the signature rides on the first tool chunk
	out := encodeAll(cs[3])
	if gjson.Get(out.datas[1], "choices.0.delta.tool_calls.0.extra_content.google.thought_signature").Str != "c2lnbmF0dXJl" {
		t.Errorf("signature missing: %s", out.datas[1])
	}
	// without IncludeUsage: no usage member anywhere
	for _, d := range encodeAll(cs[2]).datas {
		if strings.Contains(d, `"usage"`) {
			t.Errorf("usage without include_usage: %s", d)
		}
	}
}

func TestStreamEncodeDerivesID(t *testing.T) {
	// The caller's id and clock sources: the encoder mints nothing itself.
	e := NewStreamEncoder(llm.EncodeOptions{Created: 1767225600, NewID: func() string { return "0123456789abcdef01234567" }})
	var first string
	e.Encode(llm.Event{Type: llm.EvStart}, func(_ string, d []byte) { first = string(d) })
	if id := gjson.Get(first, "id").Str; id != "chatcmpl-0123456789abcdef01234567" || gjson.Get(first, "created").Int() != 1767225600 {
		t.Fatalf("first chunk %s", first)
	}
	// a delta before Start still gets the role chunk first
	e = NewStreamEncoder(llm.EncodeOptions{ID: "chatcmpl-x", Created: 1})
	var got []string
	e.Encode(ev(llm.EvTextDelta, 0, "hi"), func(_ string, d []byte) { got = append(got, string(d)) })
	if len(got) != 2 || gjson.Get(got[0], "choices.0.delta.role").Str != "assistant" || gjson.Get(got[1], "choices.0.delta.content").Str != "hi" {
		t.Fatalf("got %v", got)
	}
}

// TestStreamEncodeOfficialSDK reads the encoder's output with the official
// openai-go stream decoder and accumulator.
func TestStreamEncodeOfficialSDK(t *testing.T) {
	for _, c := range encCases() {
		out := encodeAll(c)
		res := &http.Response{Header: http.Header{"Content-Type": {"text/event-stream"}},
			Body: io.NopCloser(bytes.NewBufferString(": keep-alive\n\n" + out.sse()))}
		stream := ssestream.NewStream[oai.ChatCompletionChunk](ssestream.NewDecoder(res), nil)
		var acc oai.ChatCompletionAccumulator
		n := 0
		for stream.Next() {
			if !acc.AddChunk(stream.Current()) {
				t.Fatalf("%s: accumulator refused chunk %d", c.name, n)
			}
			n++
		}
		if err := stream.Err(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if n != len(out.datas)-1 {
			t.Fatalf("%s: SDK read %d chunks of %d", c.name, n, len(out.datas)-1)
		}
		// compare with our Collector
		var col Collector
		for _, d := range out.datas {
			col.Add([]byte(d))
		}
		js, _ := col.JSON()
		ch := acc.Choices[0]
		if acc.ID != gjson.GetBytes(js, "id").Str || ch.Message.Content != gjson.GetBytes(js, "choices.0.message.content").Str ||
			ch.FinishReason != gjson.GetBytes(js, "choices.0.finish_reason").Str ||
			acc.Usage.TotalTokens != gjson.GetBytes(js, "usage.total_tokens").Int() {
			t.Fatalf("%s: SDK %+v vs collector %s", c.name, acc.ChatCompletion, js)
		}
		for i, tc := range ch.Message.ToolCalls {
			p := "choices.0.message.tool_calls." + string(rune('0'+i))
			if tc.ID != gjson.GetBytes(js, p+".id").Str || tc.Function.Arguments != gjson.GetBytes(js, p+".function.arguments").Str {
				t.Fatalf("%s: tool %d: %+v vs %s", c.name, i, tc, js)
			}
		}
	}
}

// TestStreamRoundTrip: an upstream OpenAI stream decoded and re-encoded for
// an OpenAI client collects to the same message.
func TestStreamRoundTrip(t *testing.T) {
	d := NewStreamDecoder()
	e := NewStreamEncoder(llm.EncodeOptions{Model: "gpt-4o", IncludeUsage: true, ID: "chatcmpl-T2", Created: 1})
	var col Collector
	for _, s := range parseSSE(mustRead(t, "testdata/streams/parallel_tools.sse")) {
		evs, err := d.Decode(s.name, []byte(s.data), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			e.Encode(ev, func(_ string, b []byte) { col.Add(b) })
		}
	}
	js, _ := col.JSON()
	for p, want := range map[string]string{
		"choices.0.message.tool_calls.0.function.arguments": `{"city": "Paris"}`,
		"choices.0.message.tool_calls.1.function.name":      "get_time",
		"choices.0.finish_reason":                           "tool_calls",
		"usage.prompt_tokens":                               "120",
	} {
		if got := gjson.GetBytes(js, p).String(); got != want {
			t.Errorf("%s = %q; want %q", p, got, want)
		}
	}
}
