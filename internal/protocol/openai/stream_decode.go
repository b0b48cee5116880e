package openai

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/jsonguard"
	"github.com/switchyard-gw/switchyard/internal/llm"
)

// StreamDecoder turns an upstream Chat Completions stream into canonical
// events. Chat Completions has no blocks: the decoder opens one whenever the
// kind of delta changes (reasoning, text, a tool call with a new index).
type StreamDecoder struct {
	started  bool
	finished bool
	open     bool // a block is open
	openKind llm.PartType
	openTool int64 // tool call index of the open block
	next     int   // next canonical block index
	tools    map[int64]*decTool
	sawTool  bool
	refusal  bool
	finish   string // upstream finish_reason
	usage    llm.Usage
}

type decTool struct {
	block int // canonical block index
	id    string
}

// NewStreamDecoder returns a decoder for one upstream stream.
func NewStreamDecoder() *StreamDecoder {
	return &StreamDecoder{tools: map[int64]*decTool{}}
}

// Decode appends the canonical events of one upstream SSE event to out.
func (d *StreamDecoder) Decode(name string, data []byte, out []llm.Event) ([]llm.Event, error) {
	if d.finished {
		return out, nil
	}
	data = bytes.TrimSpace(data)
	if name == "error" {
		return out, errors.New("openai: upstream stream error event")
	}
	if len(data) == 0 {
		return out, nil
	}
	if string(data) == "[DONE]" {
		return d.done(out), nil
	}
	if !jsonguard.Valid(data) {
		return out, errors.New("openai: upstream chunk is not valid JSON")
	}
	root := gjson.ParseBytes(data)
	if !root.IsObject() {
		return out, errors.New("openai: upstream chunk is not a JSON object")
	}
	if e := root.Get("error"); e.Exists() && e.Type != gjson.Null {
		msg := e.Get("message").Str
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return out, fmt.Errorf("openai: upstream stream error: %s", msg)
	}
	if !d.started {
		d.started = true
		out = append(out, llm.Event{Type: llm.EvStart, ID: root.Get("id").Str, Model: root.Get("model").Str})
	}
	if u := root.Get("usage"); u.IsObject() {
		d.readUsage(u)
	}
	root.Get("choices").ForEach(func(_, ch gjson.Result) bool {
		if ch.Get("index").Int() != 0 {
			return true // only the first choice is translated
		}
		out = d.delta(ch.Get("delta"), out)
		if f := ch.Get("finish_reason"); f.Type == gjson.String && f.Str != "" {
			d.finish = f.Str
			out = d.closeBlock(out)
		}
		return true
	})
	return out, nil
}

func (d *StreamDecoder) readUsage(u gjson.Result) {
	cached := u.Get("prompt_tokens_details.cached_tokens").Int()
	d.usage = llm.Usage{
		InputTokens:     max(u.Get("prompt_tokens").Int()-cached, 0),
		OutputTokens:    u.Get("completion_tokens").Int(),
		CacheRead:       cached,
		ReasoningTokens: u.Get("completion_tokens_details.reasoning_tokens").Int(),
	}
}

func (d *StreamDecoder) delta(delta gjson.Result, out []llm.Event) []llm.Event {
	if !delta.IsObject() {
		return out
	}
	reasoning := delta.Get("reasoning_content").Str
	if reasoning == "" {
		reasoning = delta.Get("reasoning").Str
	}
	if reasoning != "" {
		out = d.ensure(llm.PartThinking, out)
		out = append(out, llm.Event{Type: llm.EvThinkingDelta, Index: d.next - 1, Text: reasoning})
	}
	if s := delta.Get("content").Str; s != "" {
		out = d.ensure(llm.PartText, out)
		out = append(out, llm.Event{Type: llm.EvTextDelta, Index: d.next - 1, Text: s})
	}
	if s := delta.Get("refusal").Str; s != "" {
		d.refusal = true
		out = d.ensure(llm.PartText, out)
		out = append(out, llm.Event{Type: llm.EvTextDelta, Index: d.next - 1, Text: s})
	}
	delta.Get("tool_calls").ForEach(func(_, tc gjson.Result) bool {
		out = d.toolDelta(tc, out)
		return true
	})
	return out
}

// ensure opens a block of kind unless one is already open.
func (d *StreamDecoder) ensure(kind llm.PartType, out []llm.Event) []llm.Event {
	if d.open && d.openKind == kind {
		return out
	}
	out = d.closeBlock(out)
	d.open, d.openKind = true, kind
	d.next++
	return append(out, llm.Event{Type: llm.EvBlockStart, Index: d.next - 1, Block: &llm.BlockInfo{Type: kind}})
}

func (d *StreamDecoder) closeBlock(out []llm.Event) []llm.Event {
	if !d.open {
		return out
	}
	d.open = false
	return append(out, llm.Event{Type: llm.EvBlockStop, Index: d.next - 1})
}

func (d *StreamDecoder) toolDelta(tc gjson.Result, out []llm.Event) []llm.Event {
	idx := tc.Get("index").Int()
	id := tc.Get("id").Str
	args := tc.Get("function.arguments").Str
	t := d.tools[idx]
	// A new id at a known index means a provider that does not number its
	// parallel calls: treat it as a new call, which later fragments at that
	// index continue.
	if t == nil || (id != "" && t.id != "" && id != t.id) {
		out = d.closeBlock(out)
		t = &decTool{block: d.next, id: id}
		d.tools[idx] = t
		d.sawTool = true
		d.open, d.openKind, d.openTool = true, llm.PartToolCall, idx
		d.next++
		out = append(out, llm.Event{Type: llm.EvBlockStart, Index: t.block,
			Block: &llm.BlockInfo{Type: llm.PartToolCall, ID: id, Name: tc.Get("function.name").Str,
				Signature: tc.Get("extra_content.google.thought_signature").Str}})
	} else if !(d.open && d.openKind == llm.PartToolCall && d.openTool == idx) {
		// A fragment for a call whose block is already closed (another
		// block came in between): canonical blocks cannot interleave, and
		// real streams do not do this, so it is dropped.
		return out
	}
	if args != "" {
		out = append(out, llm.Event{Type: llm.EvToolArgsDelta, Index: t.block, Text: args})
	}
	return out
}

// done handles [DONE]: close the open block and finish.
func (d *StreamDecoder) done(out []llm.Event) []llm.Event {
	d.finished = true
	if !d.started {
		d.started = true
		out = append(out, llm.Event{Type: llm.EvStart})
	}
	out = d.closeBlock(out)
	u := d.usage
	return append(out, llm.Event{Type: llm.EvFinish, StopReason: d.stopReason(), Usage: &u})
}

func (d *StreamDecoder) stopReason() string {
	if d.sawTool {
		return llm.StopToolUse
	}
	switch d.finish {
	case "length":
		return llm.StopMaxTok
	case "tool_calls", "function_call":
		return llm.StopToolUse
	case "content_filter":
		return llm.StopRefusal
	}
	if d.refusal {
		return llm.StopRefusal
	}
	return llm.StopEnd
}
