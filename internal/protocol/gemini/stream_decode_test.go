package gemini

import (
	"errors"
	"fmt"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol/protocoltest"
)

func newTestDecoder() *StreamDecoder {
	d := NewStreamDecoder(nil)
	n := 0
	d.newID = func() string { n++; return fmt.Sprintf("call_test%d", n) }
	return d
}

func decodeStream(t *testing.T, name string) ([]llm.Event, error) {
	t.Helper()
	d := newTestDecoder()
	var evs []llm.Event
	for _, data := range sseData(t, name) {
		var err error
		if evs, err = d.Decode("", data, evs); err != nil {
			return evs, err
		}
	}
	return evs, nil
}

func TestStreamDecodeGolden(t *testing.T) {
	for _, name := range []string{"stream_text", "stream_tools", "stream_maxtok"} {
		t.Run(name, func(t *testing.T) {
			evs, err := decodeStream(t, name+".sse")
			if err != nil {
				t.Fatal(err)
			}
			protocoltest.Golden(t, name+".events.golden", dumpEvents(evs), *update)
		})
	}
}

func lastFinish(t *testing.T, evs []llm.Event) llm.Event {
	t.Helper()
	n := 0
	var fin llm.Event
	for _, ev := range evs {
		if ev.Type == llm.EvFinish {
			n++
			fin = ev
		}
	}
	if n != 1 || evs[len(evs)-1].Type != llm.EvFinish || evs[0].Type != llm.EvStart {
		t.Fatalf("%d finish events; sequence %s", n, dumpEvents(evs))
	}
	return fin
}

func TestStreamDecodeStopAndUsage(t *testing.T) {
	evs, _ := decodeStream(t, "stream_text.sse")
	fin := lastFinish(t, evs)
	want := llm.Usage{InputTokens: 456, OutputTokens: 332, CacheRead: 1024, ReasoningTokens: 310}
	if fin.StopReason != llm.StopEnd || *fin.Usage != want {
		t.Fatalf("finish %s %+v", fin.StopReason, *fin.Usage)
	}
	if evs[0].ID != "resp-text-1" || evs[0].Model != "gemini-2.5-pro" {
		t.Fatalf("start %+v", evs[0])
	}

	evs, _ = decodeStream(t, "stream_tools.sse")
	fin = lastFinish(t, evs)
	if fin.StopReason != llm.StopToolUse || fin.Usage.OutputTokens != 52 {
		t.Fatalf("finish %+v", fin)
	}
	var tools []llm.BlockInfo
	for _, ev := range evs {
		if ev.Type == llm.EvBlockStart && ev.Block.Type == llm.PartToolCall {
			tools = append(tools, *ev.Block)
		}
	}
	if len(tools) != 3 || tools[0].Signature != "Q2lRQmNzamFmRA==" || tools[1].Signature != "" ||
		tools[0].ID == tools[1].ID || tools[2].ID != "fc-own-id" {
		t.Fatalf("tool blocks %+v", tools)
	}

	evs, _ = decodeStream(t, "stream_maxtok.sse")
	if fin = lastFinish(t, evs); fin.StopReason != llm.StopMaxTok {
		t.Fatalf("finish %+v", fin)
	}
}

func TestStreamDecodeErrors(t *testing.T) {
	evs, err := decodeStream(t, "stream_error.sse")
	var le *llm.Error
	if !errors.As(err, &le) || le.Kind != llm.KindUnavailable || le.Status != 503 {
		t.Fatalf("error %v", err)
	}
	if evs[len(evs)-1].Type == llm.EvFinish {
		t.Fatal("finished after an error")
	}

	d := newTestDecoder()
	if _, err := d.Decode("", []byte(`{"candidates":[{"finishReason":"MALFORMED_FUNCTION_CALL","index":0}]}`), nil); err == nil {
		t.Fatal("an empty malformed call reported success")
	}
	if _, err := newTestDecoder().Decode("", []byte(`{"candidates":[`), nil); err == nil {
		t.Fatal("no error for truncated JSON")
	}
}

func TestStreamDecodeEdgeCases(t *testing.T) {
	cases := map[string][]string{
		"usage-only chunk first": {
			`{"usageMetadata":{"promptTokenCount":7},"modelVersion":"m"}`,
			`{"candidates":[{"content":{"parts":[{"text":"hi"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":7,"candidatesTokenCount":1}}`,
		},
		"blocked prompt": {
			`{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":3}}`,
		},
		"signature on a text part": {
			`{"candidates":[{"content":{"parts":[{"text":"Answer","thoughtSignature":"U0lH"}]}}]}`,
			`{"candidates":[{"content":{"parts":[{"text":"."}]},"finishReason":"SAFETY"}]}`,
		},
		"array mode": {
			`[{"candidates":[{"content":{"parts":[{"text":"a"}]}}]},{"candidates":[{"content":{"parts":[{"text":"b"}]},"finishReason":"STOP"}]}]`,
		},
	}
	want := map[string]string{
		"usage-only chunk first": "start id=\"\" model=\"m\" usage={InputTokens:7 OutputTokens:0 CacheRead:0 CacheWrite:0 ReasoningTokens:0}\n" +
			"block_start #0 text\ntext #0 \"hi\"\nblock_stop #0\n" +
			"finish end_turn usage={InputTokens:7 OutputTokens:1 CacheRead:0 CacheWrite:0 ReasoningTokens:0}\n",
		"blocked prompt": "start id=\"\" model=\"\" usage={InputTokens:3 OutputTokens:0 CacheRead:0 CacheWrite:0 ReasoningTokens:0}\n" +
			"finish refusal usage={InputTokens:3 OutputTokens:0 CacheRead:0 CacheWrite:0 ReasoningTokens:0}\n",
		"signature on a text part": "start id=\"\" model=\"\"\nblock_start #0 thinking\nsignature #0 \"U0lH\"\nblock_stop #0\n" +
			"block_start #1 text\ntext #1 \"Answer\"\ntext #1 \".\"\nblock_stop #1\n" +
			"finish refusal usage={InputTokens:0 OutputTokens:0 CacheRead:0 CacheWrite:0 ReasoningTokens:0}\n",
		"array mode": "start id=\"\" model=\"\"\nblock_start #0 text\ntext #0 \"a\"\ntext #0 \"b\"\nblock_stop #0\n" +
			"finish end_turn usage={InputTokens:0 OutputTokens:0 CacheRead:0 CacheWrite:0 ReasoningTokens:0}\n",
	}
	for name, chunks := range cases {
		d := newTestDecoder()
		var evs []llm.Event
		for _, c := range chunks {
			var err error
			if evs, err = d.Decode("", []byte(c), evs); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if got := string(dumpEvents(evs)); got != want[name] {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want[name])
		}
	}
}

func FuzzStreamDecode(f *testing.F) {
	// Seeds: testdata/fuzz/FuzzStreamDecode (chunk pairs from the recordings).
	f.Fuzz(func(t *testing.T, a, b []byte) {
		d := NewStreamDecoder(nil)
		evs, err := d.Decode("", a, nil)
		if err == nil {
			evs, _ = d.Decode("", b, evs)
		}
		open := map[int]bool{}
		for i, ev := range evs {
			switch ev.Type {
			case llm.EvStart:
				if i != 0 {
					t.Fatalf("start at %d", i)
				}
			case llm.EvBlockStart:
				if ev.Block == nil || open[ev.Index] {
					t.Fatalf("bad block start %+v", ev)
				}
				open[ev.Index] = true
			case llm.EvBlockStop:
				if !open[ev.Index] {
					t.Fatalf("stop of a block not open: %d", ev.Index)
				}
				delete(open, ev.Index)
			case llm.EvFinish:
				if len(open) != 0 || i != len(evs)-1 || ev.Usage == nil {
					t.Fatalf("finish with open blocks %v", open)
				}
			}
		}
	})
}
