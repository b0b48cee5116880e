package openai

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

// fmtEvent is a one-line rendering of a canonical event for goldens.
func fmtEvent(ev llm.Event) string {
	switch ev.Type {
	case llm.EvStart:
		return fmt.Sprintf("start id=%q model=%q", ev.ID, ev.Model)
	case llm.EvBlockStart:
		s := fmt.Sprintf("block_start %d %s", ev.Index, ev.Block.Type)
		if ev.Block.ID != "" || ev.Block.Name != "" {
			s += fmt.Sprintf(" id=%q name=%q", ev.Block.ID, ev.Block.Name)
		}
		if ev.Block.Signature != "" {
			s += fmt.Sprintf(" signature=%q", ev.Block.Signature)
		}
		return s
	case llm.EvTextDelta:
		return fmt.Sprintf("text %d %s", ev.Index, strconv.Quote(ev.Text))
	case llm.EvThinkingDelta:
		return fmt.Sprintf("thinking %d %s", ev.Index, strconv.Quote(ev.Text))
	case llm.EvSignature:
		return fmt.Sprintf("signature %d %s", ev.Index, strconv.Quote(ev.Text))
	case llm.EvToolArgsDelta:
		return fmt.Sprintf("tool_args %d %s", ev.Index, strconv.Quote(ev.Text))
	case llm.EvBlockStop:
		return fmt.Sprintf("block_stop %d", ev.Index)
	case llm.EvFinish:
		return fmt.Sprintf("finish %s usage=%+v", ev.StopReason, *ev.Usage)
	}
	return fmt.Sprintf("unknown %d", ev.Type)
}

func decodeStream(t *testing.T, text string) []llm.Event {
	t.Helper()
	d := NewStreamDecoder()
	var evs []llm.Event
	for _, e := range parseSSE(text) {
		var err error
		evs, err = d.Decode(e.name, []byte(e.data), evs)
		if err != nil {
			t.Fatalf("decode %q: %v", e.data, err)
		}
	}
	return evs
}

func TestStreamDecodeGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/streams/*.sse")
	if err != nil || len(files) == 0 {
		t.Fatalf("no stream fixtures: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".sse")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			evs := decodeStream(t, string(b))
			checkSequence(t, evs)
			var out strings.Builder
			for _, ev := range evs {
				out.WriteString(fmtEvent(ev))
				out.WriteByte('\n')
			}
			golden(t, "stream_decode_"+name+".golden", []byte(out.String()))
		})
	}
}

// checkSequence asserts the canonical grammar: Start (BlockStart delta*
// BlockStop)* Finish, indexes from 0 in order.
func checkSequence(t *testing.T, evs []llm.Event) {
	t.Helper()
	if len(evs) < 2 || evs[0].Type != llm.EvStart || evs[len(evs)-1].Type != llm.EvFinish {
		t.Fatalf("sequence must run Start..Finish: %d events", len(evs))
	}
	open, next := -1, 0
	for _, ev := range evs[1 : len(evs)-1] {
		switch ev.Type {
		case llm.EvStart, llm.EvFinish:
			t.Fatalf("second %s", fmtEvent(ev))
		case llm.EvBlockStart:
			if open >= 0 || ev.Index != next {
				t.Fatalf("block start %d with %d open, next %d", ev.Index, open, next)
			}
			open, next = ev.Index, next+1
		case llm.EvBlockStop:
			if ev.Index != open {
				t.Fatalf("stop %d, open %d", ev.Index, open)
			}
			open = -1
		default:
			if ev.Index != open {
				t.Fatalf("delta outside its block: %s (open %d)", fmtEvent(ev), open)
			}
		}
	}
	if open >= 0 {
		t.Fatalf("block %d never closed", open)
	}
}

func TestStreamDecodeValues(t *testing.T) {
	b, _ := os.ReadFile("testdata/streams/text_cached.sse")
	evs := decodeStream(t, string(b))
	fin := evs[len(evs)-1]
	want := llm.Usage{InputTokens: 300, OutputTokens: 45, CacheRead: 512}
	if fin.StopReason != llm.StopEnd || *fin.Usage != want {
		t.Fatalf("finish %s", fmtEvent(fin))
	}
	if evs[0].ID != "chatcmpl-Bx1" || evs[0].Model != "gpt-4o-2024-08-06" {
		t.Fatalf("start %s", fmtEvent(evs[0]))
	}

	b, _ = os.ReadFile("testdata/streams/parallel_tools.sse")
	evs = decodeStream(t, string(b))
	var args [2]string
	for _, ev := range evs {
		if ev.Type == llm.EvToolArgsDelta {
			args[ev.Index] += ev.Text
		}
	}
	if args[0] != `{"city": "Paris"}` || args[1] != `{"tz":"Asia/Tokyo"}` || evs[len(evs)-1].StopReason != llm.StopToolUse {
		t.Fatalf("args %q, %s", args, fmtEvent(evs[len(evs)-1]))
	}

	b, _ = os.ReadFile("testdata/streams/reasoning_length.sse")
	evs = decodeStream(t, string(b))
	fin = evs[len(evs)-1]
	want = llm.Usage{InputTokens: 14, OutputTokens: 100, CacheRead: 16, ReasoningTokens: 90}
	if fin.StopReason != llm.StopMaxTok || *fin.Usage != want {
		t.Fatalf("finish %s", fmtEvent(fin))
	}

	// Gemini's compatible endpoint: calls without index, finish "stop".
	b, _ = os.ReadFile("testdata/streams/unnumbered_tools.sse")
	evs = decodeStream(t, string(b))
	var names []string
	for _, ev := range evs {
		if ev.Type == llm.EvBlockStart && ev.Block.Type == llm.PartToolCall {
			names = append(names, ev.Block.Name)
		}
	}
	if strings.Join(names, ",") != "a,b" || evs[len(evs)-1].StopReason != llm.StopToolUse {
		t.Fatalf("calls %v %s", names, fmtEvent(evs[len(evs)-1]))
	}
}

func TestStreamDecodeEdges(t *testing.T) {
	d := NewStreamDecoder()
	evs, err := d.Decode("", []byte("[DONE]"), nil)
	if err != nil || len(evs) != 2 || evs[0].Type != llm.EvStart || evs[1].StopReason != llm.StopEnd {
		t.Fatalf("empty stream: %v %v", evs, err)
	}
	if evs, _ = d.Decode("", []byte(`{"choices":[{"delta":{"content":"late"}}]}`), nil); len(evs) != 0 {
		t.Fatalf("events after finish: %v", evs)
	}

	d = NewStreamDecoder()
	if _, err := d.Decode("", []byte(`{"error":{"message":"overloaded","type":"server_error"}}`), nil); err == nil {
		t.Fatal("error chunk accepted")
	}
	if _, err := d.Decode("", []byte(`{"choices":[`), nil); err == nil {
		t.Fatal("truncated JSON accepted")
	}
	if evs, err := d.Decode("", nil, nil); err != nil || len(evs) != 0 {
		t.Fatal("empty data should produce nothing")
	}

	// refusal without content_filter is a refusal
	d = NewStreamDecoder()
	evs, _ = d.Decode("", []byte(`{"id":"x","choices":[{"index":0,"delta":{"refusal":"I can't"},"finish_reason":"stop"}]}`), nil)
	evs, _ = d.Decode("", []byte(`[DONE]`), evs)
	checkSequence(t, evs)
	if evs[len(evs)-1].StopReason != llm.StopRefusal || evs[2].Text != "I can't" {
		t.Fatalf("refusal: %v", evs)
	}
}

func FuzzStreamDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/streams/*.sse")
	for _, p := range files {
		b, _ := os.ReadFile(p)
		for _, e := range parseSSE(string(b)) {
			f.Add(e.data, "")
		}
	}
	f.Fuzz(func(t *testing.T, data, data2 string) {
		d := NewStreamDecoder()
		evs, _ := d.Decode("", []byte(data), nil)
		evs, _ = d.Decode("", []byte(data2), evs)
		evs, _ = d.Decode("", []byte("[DONE]"), evs)
		checkSequence(t, evs)
	})
}
