package anthropic

import (
	"errors"
	"slices"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/jsonguard"
	"github.com/switchyard-gw/switchyard/internal/llm"
)

// StreamDecoder turns an Anthropic Messages stream, one SSE event at a time,
// into canonical events. Blocks no other protocol can show (server tool use
// and its results) are skipped, and the canonical indexes stay dense.
type StreamDecoder struct {
	started  bool
	finished bool
	next     int         // next canonical index
	index    map[int]int // upstream index -> canonical index (-1: skipped)
	open     map[int]*openBlock
	toolUsed bool
	stop     string
	usage    llm.Usage
}

type openBlock struct {
	canon int
	tool  bool
	args  bool // a non-blank argument fragment went out
}

// NewStreamDecoder makes a decoder for one stream.
func NewStreamDecoder() *StreamDecoder {
	return &StreamDecoder{index: map[int]int{}, open: map[int]*openBlock{}}
}

// Decode reads one SSE event (name: its event field, possibly empty; data:
// its JSON) and appends the canonical events to out. ping produces nothing;
// an error event is returned as an error.
func (d *StreamDecoder) Decode(name string, data []byte, out []llm.Event) ([]llm.Event, error) {
	if d.finished {
		return out, nil
	}
	if !jsonguard.Valid(data) {
		if name == "ping" || len(strings.TrimSpace(string(data))) == 0 {
			return out, nil
		}
		return out, errors.New("anthropic stream: event data is not valid JSON")
	}
	root := gjson.ParseBytes(data)
	typ := root.Get("type").Str
	if typ == "" {
		typ = name
	}
	switch typ {
	case "message_start":
		m := root.Get("message")
		d.mergeUsage(m.Get("usage"))
		if !d.started {
			d.started = true
			u := d.usage
			out = append(out, llm.Event{Type: llm.EvStart, ID: m.Get("id").Str, Model: m.Get("model").Str, Usage: &u})
		}
	case "content_block_start":
		out = d.ensureStart(out)
		out = d.blockStart(root, out)
	case "content_block_delta":
		out = d.ensureStart(out)
		out = d.blockDelta(root, out)
	case "content_block_stop":
		out = d.ensureStart(out)
		out = d.blockStop(int(root.Get("index").Int()), out)
	case "message_delta":
		out = d.ensureStart(out)
		if r := root.Get("delta.stop_reason"); r.Type == gjson.String {
			d.stop = r.Str
		}
		d.mergeUsage(root.Get("usage"))
	case "message_stop":
		out = d.ensureStart(out)
		ups := make([]int, 0, len(d.open))
		for up := range d.open {
			ups = append(ups, up)
		}
		slices.Sort(ups)
		for _, up := range ups {
			out = d.blockStop(up, out)
		}
		d.finished = true
		u := d.usage
		out = append(out, llm.Event{Type: llm.EvFinish, StopReason: canonicalStop(d.stop, d.toolUsed), Usage: &u})
	case "error":
		msg := root.Get("error.type").Str
		if msg == "" {
			msg = "error"
		}
		return out, errors.New("anthropic stream: upstream " + msg)
	}
	return out, nil
}

func (d *StreamDecoder) ensureStart(out []llm.Event) []llm.Event {
	if d.started {
		return out
	}
	d.started = true
	return append(out, llm.Event{Type: llm.EvStart})
}

func (d *StreamDecoder) mergeUsage(u gjson.Result) {
	if !u.IsObject() {
		return
	}
	set := func(dst *int64, key string) {
		if v := u.Get(key); v.Type == gjson.Number {
			*dst = v.Int()
		}
	}
	set(&d.usage.InputTokens, "input_tokens")
	set(&d.usage.OutputTokens, "output_tokens")
	set(&d.usage.CacheRead, "cache_read_input_tokens")
	set(&d.usage.CacheWrite, "cache_creation_input_tokens")
}

func (d *StreamDecoder) blockStart(root gjson.Result, out []llm.Event) []llm.Event {
	up := int(root.Get("index").Int())
	if _, dup := d.index[up]; dup {
		if _, isOpen := d.open[up]; isOpen {
			out = d.blockStop(up, out)
		}
	}
	cb := root.Get("content_block")
	var info llm.BlockInfo
	var first string // content already in the start block
	switch cb.Get("type").Str {
	case "text":
		info.Type, first = llm.PartText, cb.Get("text").Str
	case "thinking":
		info.Type, first = llm.PartThinking, cb.Get("thinking").Str
	case "redacted_thinking":
		info.Type, info.Signature = llm.PartRedacted, cb.Get("data").Str
	case "tool_use":
		info.Type, info.ID, info.Name = llm.PartToolCall, cb.Get("id").Str, cb.Get("name").Str
		if in := cb.Get("input"); in.IsObject() && strings.TrimSpace(in.Raw) != "{}" && len(in.Map()) > 0 {
			first = in.Raw
		}
	default:
		d.index[up] = -1
		return out
	}
	canon := d.next
	d.next++
	d.index[up] = canon
	ob := &openBlock{canon: canon, tool: info.Type == llm.PartToolCall}
	d.open[up] = ob
	out = append(out, llm.Event{Type: llm.EvBlockStart, Index: canon, Block: &info})
	if first != "" {
		switch info.Type {
		case llm.PartText:
			out = append(out, llm.Event{Type: llm.EvTextDelta, Index: canon, Text: first})
		case llm.PartThinking:
			out = append(out, llm.Event{Type: llm.EvThinkingDelta, Index: canon, Text: first})
		case llm.PartToolCall:
			ob.args = true
			out = append(out, llm.Event{Type: llm.EvToolArgsDelta, Index: canon, Text: first})
		}
	}
	if info.Type == llm.PartToolCall {
		d.toolUsed = true
	}
	if s := cb.Get("signature").Str; s != "" && info.Type == llm.PartThinking {
		out = append(out, llm.Event{Type: llm.EvSignature, Index: canon, Text: s})
	}
	return out
}

func (d *StreamDecoder) blockDelta(root gjson.Result, out []llm.Event) []llm.Event {
	up := int(root.Get("index").Int())
	ob, ok := d.open[up]
	if !ok {
		return out
	}
	delta := root.Get("delta")
	ev := llm.Event{Index: ob.canon}
	switch delta.Get("type").Str {
	case "text_delta":
		ev.Type, ev.Text = llm.EvTextDelta, delta.Get("text").Str
	case "thinking_delta":
		ev.Type, ev.Text = llm.EvThinkingDelta, delta.Get("thinking").Str
	case "signature_delta":
		ev.Type, ev.Text = llm.EvSignature, delta.Get("signature").Str
	case "input_json_delta":
		if !ob.tool {
			return out
		}
		ev.Type, ev.Text = llm.EvToolArgsDelta, delta.Get("partial_json").Str
		if strings.TrimSpace(ev.Text) != "" {
			ob.args = true
		}
	default:
		return out // citations_delta and future kinds
	}
	if ev.Text == "" {
		return out
	}
	return append(out, ev)
}

func (d *StreamDecoder) blockStop(up int, out []llm.Event) []llm.Event {
	ob, ok := d.open[up]
	if !ok {
		return out
	}
	delete(d.open, up)
	if ob.tool && !ob.args {
		// A call without arguments still gets an object.
		out = append(out, llm.Event{Type: llm.EvToolArgsDelta, Index: ob.canon, Text: "{}"})
	}
	return append(out, llm.Event{Type: llm.EvBlockStop, Index: ob.canon})
}

// canonicalStop maps an Anthropic stop_reason onto the canonical words.
func canonicalStop(r string, toolUsed bool) string {
	switch r {
	case llm.StopMaxTok, "model_context_window_exceeded":
		return llm.StopMaxTok
	case llm.StopSequence, llm.StopRefusal:
		return r
	}
	if toolUsed {
		return llm.StopToolUse
	}
	return llm.StopEnd
}
