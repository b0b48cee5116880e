package anthropic

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

func decodeStream(t *testing.T, text string) []llm.Event {
	t.Helper()
	d := NewStreamDecoder()
	var out []llm.Event
	for _, ev := range parseSSE(t, text) {
		var err error
		if out, err = d.Decode(ev.name, ev.data, out); err != nil {
			t.Fatalf("decode %s: %v", ev.name, err)
		}
	}
	return out
}

func TestStreamDecodeGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/stream/*.sse")
	if len(files) < 3 {
		t.Fatalf("recordings missing: %v", files)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".sse")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "stream/"+name+".events", dumpEvents(decodeStream(t, string(raw))))
		})
	}
}

func TestStreamDecodeValues(t *testing.T) {
	raw, _ := os.ReadFile("testdata/stream/thinking_tools.sse")
	evs := decodeStream(t, string(raw))
	if evs[0].Type != llm.EvStart || evs[0].ID != "msg_01Tools" || evs[0].Usage.InputTokens != 37 {
		t.Fatalf("start: %+v", evs[0])
	}
	last := evs[len(evs)-1]
	if last.Type != llm.EvFinish || last.StopReason != llm.StopToolUse || last.Usage.OutputTokens != 95 || last.Usage.InputTokens != 37 {
		t.Fatalf("finish: %+v %+v", last, last.Usage)
	}
	var args [6]string
	var sig string
	starts := 0
	for _, ev := range evs {
		switch ev.Type {
		case llm.EvBlockStart:
			if ev.Index != starts {
				t.Fatalf("block index %d, want %d", ev.Index, starts)
			}
			starts++
		case llm.EvToolArgsDelta:
			args[ev.Index] += ev.Text
		case llm.EvSignature:
			sig += ev.Text
		}
	}
	if args[3] != `{"city": "Paris"}` || args[4] != `{"city": "London"}` || args[5] != "{}" {
		t.Fatalf("args: %q", args)
	}
	if sig != "EpUBCkYIBxgCKkA" || starts != 6 {
		t.Fatalf("sig %q starts %d", sig, starts)
	}

	raw, _ = os.ReadFile("testdata/stream/max_tokens_server_tool.sse")
	evs = decodeStream(t, string(raw))
	last = evs[len(evs)-1]
	if last.StopReason != llm.StopMaxTok || evs[1].Type != llm.EvBlockStart || evs[1].Index != 0 || evs[1].Block.Type != llm.PartText {
		t.Fatalf("server tool blocks not skipped or stop wrong: %s", dumpEvents(evs))
	}
	if evs[len(evs)-2].Type != llm.EvBlockStop {
		t.Fatalf("open block not closed before finish: %s", dumpEvents(evs))
	}

	raw, _ = os.ReadFile("testdata/stream/text_cached.sse")
	evs = decodeStream(t, string(raw))
	u := evs[len(evs)-1].Usage
	if u.InputTokens != 12 || u.CacheRead != 4800 || u.CacheWrite != 300 || u.OutputTokens != 7 {
		t.Fatalf("usage: %+v", u)
	}
}

func TestStreamDecodeEdges(t *testing.T) {
	d := NewStreamDecoder()
	out, err := d.Decode("ping", []byte(`{"type":"ping"}`), nil)
	if err != nil || len(out) != 0 {
		t.Fatalf("ping: %v %v", out, err)
	}
	// Content before message_start still gets a Start first.
	out, err = d.Decode("", []byte(`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":"hi"}}`), nil)
	if err != nil || len(out) != 3 || out[0].Type != llm.EvStart || out[2].Text != "hi" {
		t.Fatalf("synthesized start: %s %v", dumpEvents(out), err)
	}
	out, _ = d.Decode("message_start", []byte(`{"type":"message_start","message":{"id":"m"}}`), nil)
	if len(out) != 0 {
		t.Fatalf("second start: %s", dumpEvents(out))
	}
	if _, err = d.Decode("error", []byte(`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`), nil); err == nil || !strings.Contains(err.Error(), "overloaded_error") {
		t.Fatalf("error event: %v", err)
	}
	if _, err = d.Decode("content_block_delta", []byte(`{"type":`), nil); err == nil {
		t.Fatal("bad JSON accepted")
	}
	out, _ = d.Decode("message_stop", []byte(`{"type":"message_stop"}`), nil)
	if len(out) != 2 || out[0].Type != llm.EvBlockStop || out[1].Type != llm.EvFinish || out[1].StopReason != llm.StopEnd {
		t.Fatalf("stop: %s", dumpEvents(out))
	}
	out, _ = d.Decode("message_stop", []byte(`{"type":"message_stop"}`), nil)
	if len(out) != 0 {
		t.Fatalf("second finish: %s", dumpEvents(out))
	}
}
