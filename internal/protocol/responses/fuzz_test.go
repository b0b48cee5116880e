package responses

import (
	"encoding/json"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

// FuzzDecodeRequest: never panics; an accepted request is usable, a rejected
// one is a 400. Seeds live in testdata/fuzz/FuzzDecodeRequest.
func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"model":"m","input":"hi"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeRequest(body)
		if err != nil {
			if r != nil || err.Status != 400 || err.Kind != llm.KindInvalidRequest || err.Message == "" {
				t.Fatalf("bad rejection: %v %+v", err, r)
			}
			return
		}
		if r == nil || r.Model == "" || len(r.Messages) == 0 {
			t.Fatalf("accepted request unusable: %+v", r)
		}
		for _, m := range r.Messages {
			if m.Role != llm.RoleUser && m.Role != llm.RoleAssistant || len(m.Parts) == 0 {
				t.Fatalf("bad message %+v", m)
			}
			for _, p := range m.Parts {
				if p.Type == llm.PartToolCall && (!json.Valid(p.ToolCall.Args) || !gjson.ParseBytes(p.ToolCall.Args).IsObject()) {
					t.Fatalf("tool call args not an object: %q", p.ToolCall.Args)
				}
			}
		}
		if r.ToolChoice != nil && r.ToolChoice.Mode != llm.ToolNone && len(r.Tools) == 0 {
			t.Fatalf("forced tool choice without tools: %+v", r.ToolChoice)
		}
	})
}

// FuzzStreamEncoder drives the encoder with arbitrary event sequences (one
// event per 2 bytes: kind and block type): every emitted event is valid JSON
// whose type is its name with increasing sequence numbers, and a finished
// stream collects into a response.
func FuzzStreamEncoder(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0, 2, 0, 6, 0, 1, 3, 5, 0, 6, 0, 7, 0})
	f.Add([]byte{2, 0, 3, 1, 4, 2, 5, 3, 1, 2, 7, 1})
	kinds := []llm.PartType{llm.PartText, llm.PartThinking, llm.PartRedacted, llm.PartToolCall, "bogus"}
	stops := []string{llm.StopEnd, llm.StopMaxTok, llm.StopToolUse, llm.StopRefusal}
	f.Fuzz(func(t *testing.T, prog []byte) {
		enc := NewStreamEncoder(llm.EncodeOptions{Created: 1})
		var col Collector
		seq, finished := int64(0), false
		emit := func(name string, data []byte) {
			v := gjson.ParseBytes(data)
			if !gjson.ValidBytes(data) || v.Get("type").Str != name || v.Get("sequence_number").Int() != seq {
				t.Fatalf("bad event %s: %s", name, data)
			}
			seq++
			col.Add(data)
		}
		for i := 0; i+1 < len(prog); i += 2 {
			arg := int(prog[i+1])
			ev := llm.Event{Type: llm.EventType(prog[i]%8 + 1), Index: arg, Text: `{"a":"\u00e9` + string(rune(arg))}
			switch ev.Type {
			case llm.EvBlockStart:
				ev.Block = &llm.BlockInfo{Type: kinds[arg%len(kinds)], ID: "id", Name: "n"}
			case llm.EvFinish:
				ev.StopReason = stops[arg%len(stops)]
				ev.Usage = &llm.Usage{InputTokens: int64(arg)}
				finished = true
			}
			enc.Encode(ev, emit)
		}
		if js, err := col.JSON(); finished && (err != nil || !json.Valid(js)) {
			t.Fatalf("finished stream did not collect: %v %s", err, js)
		}
	})
}
