package anthropic

import (
	"bytes"
	"fmt"
	"regexp"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

func ev(t llm.EventType, index int, text string) llm.Event {
	return llm.Event{Type: t, Index: index, Text: text}
}

func blockStart(index int, typ llm.PartType, id, name, sig string) llm.Event {
	return llm.Event{Type: llm.EvBlockStart, Index: index, Block: &llm.BlockInfo{Type: typ, ID: id, Name: name, Signature: sig}}
}

type encodeCase struct {
	opts   llm.EncodeOptions
	events []llm.Event
}

func streamEncodeCases() map[string]encodeCase {
	return map[string]encodeCase{
		"text_cached": {
			opts: llm.EncodeOptions{Model: "gpt-5-mini", ID: "msg_gw1"},
			events: []llm.Event{
				{Type: llm.EvStart, ID: "chatcmpl-1", Model: "gpt-5-mini-2025", Usage: &llm.Usage{InputTokens: 100, CacheRead: 900}},
				blockStart(0, llm.PartText, "", "", ""),
				ev(llm.EvTextDelta, 0, "Hello <b>"),
				ev(llm.EvTextDelta, 0, "world\n\"ok\""),
				ev(llm.EvBlockStop, 0, ""),
				{Type: llm.EvFinish, StopReason: llm.StopEnd, Usage: &llm.Usage{InputTokens: 120, CacheRead: 880, CacheWrite: 5, OutputTokens: 42}},
			},
		},
		"thinking_tools": {
			opts: llm.EncodeOptions{Model: "claude-sonnet-4-5"},
			events: []llm.Event{
				{Type: llm.EvStart, ID: "resp_abc", Usage: &llm.Usage{InputTokens: 37}},
				blockStart(0, llm.PartThinking, "", "", ""),
				ev(llm.EvThinkingDelta, 0, "Two cities."),
				ev(llm.EvSignature, 0, "EpUBsig"),
				ev(llm.EvBlockStop, 0, ""),
				blockStart(1, llm.PartText, "", "", ""),
				ev(llm.EvTextDelta, 1, "Checking."),
				ev(llm.EvBlockStop, 1, ""),
				blockStart(2, llm.PartToolCall, "functions.get_weather:0", "get_weather", ""),
				ev(llm.EvToolArgsDelta, 2, `{"city":`),
				ev(llm.EvToolArgsDelta, 2, ` "Paris"}`),
				ev(llm.EvBlockStop, 2, ""),
				blockStart(3, llm.PartToolCall, "call_ok-2", "get_weather", ""),
				ev(llm.EvToolArgsDelta, 3, `{"city":"London"}`),
				ev(llm.EvBlockStop, 3, ""),
				{Type: llm.EvFinish, StopReason: llm.StopEnd, Usage: &llm.Usage{OutputTokens: 95}},
			},
		},
		// An OpenAI-style upstream reports usage only at the end: the
		// request's estimate shows in message_start, the real numbers in
		// message_delta.
		"usage_at_end": {
			opts: llm.EncodeOptions{Model: "gpt-4.1", ID: "msg_gw4", InputTokens: 1234},
			events: []llm.Event{
				{Type: llm.EvStart, ID: "chatcmpl-2", Model: "gpt-4.1"},
				blockStart(0, llm.PartText, "", "", ""),
				ev(llm.EvTextDelta, 0, "Hi."),
				ev(llm.EvBlockStop, 0, ""),
				{Type: llm.EvFinish, StopReason: llm.StopEnd, Usage: &llm.Usage{InputTokens: 1200, CacheRead: 30, OutputTokens: 3}},
			},
		},
		// No Start, no BlockStops, a Gemini-style thinking signature known
		// at start, a redacted block, a call without id, max tokens.
		"robust_max_tokens": {
			opts: llm.EncodeOptions{Model: "gemini-2.5-pro", ID: "msg_gw3"},
			events: []llm.Event{
				blockStart(0, llm.PartThinking, "", "", "CiQBgemini"),
				ev(llm.EvThinkingDelta, 0, "hmm"),
				blockStart(1, llm.PartRedacted, "", "", "EmwKdata"),
				blockStart(2, llm.PartToolCall, "", "lookup", ""),
				ev(llm.EvToolArgsDelta, 2, `{"q":1}`),
				ev(llm.EvTextDelta, 2, "ignored: wrong block type"),
				ev(llm.EvTextDelta, 3, "text without BlockStart"),
				{Type: llm.EvFinish, StopReason: llm.StopMaxTok, Usage: &llm.Usage{InputTokens: 10, OutputTokens: 64}},
				ev(llm.EvTextDelta, 3, "after finish"),
			},
		},
	}
}

func encodeStream(c encodeCase) (sse []byte, collected []byte, err error) {
	e := NewStreamEncoder(c.opts)
	var col Collector
	var out bytes.Buffer
	for _, x := range c.events {
		e.Encode(x, func(name string, data []byte) {
			fmt.Fprintf(&out, "event: %s\ndata: %s\n\n", name, data)
			col.Add(data)
		})
	}
	collected, err = col.JSON()
	return out.Bytes(), collected, err
}

func TestStreamEncodeGolden(t *testing.T) {
	for name, c := range streamEncodeCases() {
		t.Run(name, func(t *testing.T) {
			sse, collected, err := encodeStream(c)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range parseSSE(t, string(sse)) {
				if !gjson.ValidBytes(e.data) || gjson.GetBytes(e.data, "type").Str != e.name {
					t.Fatalf("event %s: bad data %s", e.name, e.data)
				}
			}
			golden(t, "stream_encode/"+name+".sse", sse)
			golden(t, "stream_encode/"+name+".json", indent(t, collected))
		})
	}
}

var toolIDPattern = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// The order the SDKs insist on: message_start, then blocks with dense
// indexes that never overlap, message_delta, message_stop.
func TestStreamEncodeOrder(t *testing.T) {
	for name, c := range streamEncodeCases() {
		sse, _, _ := encodeStream(c)
		events := parseSSE(t, string(sse))
		if events[0].name != "message_start" || events[len(events)-2].name != "message_delta" || events[len(events)-1].name != "message_stop" {
			t.Fatalf("%s: framing %s", name, sse)
		}
		open, next := -1, 0
		for _, e := range events[1 : len(events)-2] {
			idx := int(gjson.GetBytes(e.data, "index").Int())
			switch e.name {
			case "content_block_start":
				if open != -1 || idx != next {
					t.Fatalf("%s: start %d while %d open, want %d", name, idx, open, next)
				}
				open, next = idx, next+1
				if b := gjson.GetBytes(e.data, "content_block"); b.Get("type").Str == "tool_use" && !toolIDPattern.MatchString(b.Get("id").Str) {
					t.Fatalf("%s: tool id %q", name, b.Get("id").Str)
				}
			case "content_block_delta":
				if idx != open {
					t.Fatalf("%s: delta for %d while %d open", name, idx, open)
				}
			case "content_block_stop":
				if idx != open {
					t.Fatalf("%s: stop %d while %d open", name, idx, open)
				}
				open = -1
			default:
				t.Fatalf("%s: unexpected %s", name, e.name)
			}
		}
		if open != -1 {
			t.Fatalf("%s: block %d never closed", name, open)
		}
	}
}

func TestStreamEncodeCollected(t *testing.T) {
	cases := streamEncodeCases()
	checks := map[string]map[string]string{
		"text_cached": {
			"id": "msg_gw1", "model": "gpt-5-mini", "content.0.text": "Hello <b>world\n\"ok\"", "stop_reason": "end_turn",
			"usage.input_tokens": "120", "usage.cache_read_input_tokens": "880", "usage.cache_creation_input_tokens": "5", "usage.output_tokens": "42",
		},
		"thinking_tools": {
			"id": "msg_resp_abc", "content.0.thinking": "Two cities.", "content.0.signature": "EpUBsig", "content.1.text": "Checking.",
			"content.2.id": "functions_get_weather_0", "content.2.input.city": "Paris", "content.3.id": "call_ok-2", "content.3.input.city": "London",
			"stop_reason": "tool_use", "usage.input_tokens": "37", "usage.output_tokens": "95", "content.#": "4",
		},
		"robust_max_tokens": {
			"id": "msg_gw3", "content.0.signature": "CiQBgemini", "content.1.type": "redacted_thinking", "content.1.data": "EmwKdata",
			"content.2.id": "toolu_gw3_2", "content.2.input.q": "1", "content.3.text": "text without BlockStart",
			"stop_reason": "max_tokens", "usage.output_tokens": "64", "usage.input_tokens": "10", "content.#": "4",
		},
	}
	for name, want := range checks {
		_, collected, err := encodeStream(cases[name])
		if err != nil {
			t.Fatal(err)
		}
		for path, w := range want {
			if got := gjson.GetBytes(collected, path).String(); got != w {
				t.Errorf("%s %s = %q; want %q\n%s", name, path, got, w, collected)
			}
		}
	}
}

func TestSanitizeToolID(t *testing.T) {
	for in, want := range map[string]string{
		"toolu_01Xy":       "toolu_01Xy",
		"functions.read:0": "functions_read_0",
		"call é/1":         "call___1",
		"":                 "",
		"abc-DEF_123":      "abc-DEF_123",
		"\xff":             "_",
	} {
		if got := SanitizeToolID(in); got != want {
			t.Errorf("SanitizeToolID(%q) = %q; want %q", in, got, want)
		}
	}
	if got := mintToolID("msg_a.b", 3); got != "toolu_a_b_3" || !toolIDPattern.MatchString(got) {
		t.Errorf("mint: %q", got)
	}
	if id := messageID("", func() string { return "0123456789abcdef01234567" }); id != "msg_0123456789abcdef01234567" {
		t.Errorf("fresh id %q", id)
	}
}

func TestAppendStringMatchesJSON(t *testing.T) {
	for _, s := range []string{"plain", "q\"b\\s", "ctl\x00\x1f\t\r\n", "<&>", "é中\u2028x", "bad\xffutf8"} {
		got := appendString(nil, s)
		if !gjson.ValidBytes(got) {
			t.Fatalf("%q -> invalid %s", s, got)
		}
		want := s
		if s == "bad\xffutf8" {
			want = "bad\ufffdutf8"
		}
		if back := gjson.ParseBytes(got).Str; back != want {
			t.Fatalf("%q -> %s -> %q", s, got, back)
		}
	}
}
