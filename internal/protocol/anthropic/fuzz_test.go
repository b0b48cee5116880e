package anthropic

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

// FuzzDecodeRequest: any body either fails with an invalid-request error or
// decodes into a request that encodes back into valid JSON.
func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeRequest(body)
		if err != nil {
			if err.Kind != llm.KindInvalidRequest || err.Message == "" {
				t.Fatalf("bad error %+v", err)
			}
			return
		}
		out, eerr := EncodeRequest(r, "claude-x")
		if eerr != nil || !json.Valid(out) {
			t.Fatalf("encode: %v %s", eerr, out)
		}
		cnt, cerr := EncodeCountRequest(r, "claude-x")
		if cerr != nil || !json.Valid(cnt) {
			t.Fatalf("count: %v %s", cerr, cnt)
		}
	})
}

// FuzzStreamDecode feeds a whole SSE text, event by event, and checks the
// canonical framing: Start first and once, dense block indexes, at most one
// Finish, last.
func FuzzStreamDecode(f *testing.F) {
	f.Add([]byte("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\"}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"))
	f.Fuzz(func(t *testing.T, stream []byte) {
		d := NewStreamDecoder()
		var evs []llm.Event
		for _, chunk := range bytes.Split(stream, []byte("\n\n")) {
			var name string
			var data []byte
			for _, line := range bytes.Split(chunk, []byte("\n")) {
				if v, ok := bytes.CutPrefix(line, []byte("event: ")); ok {
					name = string(v)
				} else if v, ok := bytes.CutPrefix(line, []byte("data: ")); ok {
					data = append(data, v...)
				}
			}
			evs, _ = d.Decode(name, data, evs)
		}
		next, finished := 0, false
		for i, ev := range evs {
			if (ev.Type == llm.EvStart) != (i == 0) {
				t.Fatalf("Start at %d", i)
			}
			if finished {
				t.Fatalf("event after Finish")
			}
			switch ev.Type {
			case llm.EvBlockStart:
				if ev.Index != next || ev.Block == nil {
					t.Fatalf("block index %d, want %d", ev.Index, next)
				}
				next++
			case llm.EvFinish:
				finished = true
				if ev.Usage == nil || ev.StopReason == "" {
					t.Fatalf("finish without usage or reason")
				}
			}
		}
		// Whatever came out must encode for an Anthropic client.
		e := NewStreamEncoder(llm.EncodeOptions{ID: "msg_f"})
		var col Collector
		for _, ev := range evs {
			e.Encode(ev, func(_ string, data []byte) {
				if !json.Valid(data) {
					t.Fatalf("encoder produced %s", data)
				}
				col.Add(data)
			})
		}
		if _, err := col.JSON(); err != nil {
			t.Fatalf("collect: %v", err)
		}
	})
}
