package gemini

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/jsonguard"
	"github.com/switchyard-gw/switchyard/internal/llm"
)

// StreamDecoder turns the chunks of a Gemini streamGenerateContent?alt=sse
// answer into canonical events. Gemini has no blocks: consecutive text parts
// form a text block, consecutive thought parts a thinking block, and every
// functionCall (which arrives whole) is a block of its own. The chunk
// carrying finishReason closes the stream with EvFinish.
type StreamDecoder struct {
	started  bool
	finished bool
	next     int          // index of the next block
	open     llm.PartType // "" when no block is open
	sawTool  bool
	sawAny   bool
	usage    *llm.Usage
	newID    func() string
}

// NewStreamDecoder returns a decoder for one upstream answer.
// Gemini sends no tool call ids: newID supplies a fresh random one (24 hex
// digits) per call, so ids stay unique across a conversation; nil numbers
// them (tests).
func NewStreamDecoder(newID func() string) *StreamDecoder {
	d := &StreamDecoder{}
	if newID == nil {
		n := 0
		newID = func() string { n++; return fmt.Sprintf("%024d", n) }
	}
	d.newID = func() string { return "call_" + newID() }
	return d
}

// Decode reads one SSE event's data (Gemini sends no event names) and
// appends the canonical events it implies to out. An in-band error chunk
// returns an error; chunks after the finish are ignored.
func (d *StreamDecoder) Decode(name string, data []byte, out []llm.Event) ([]llm.Event, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || d.finished || string(data) == "[DONE]" {
		return out, nil
	}
	if !jsonguard.Valid(data) {
		return out, errors.New("gemini: stream chunk is not valid JSON")
	}
	root := gjson.ParseBytes(data)
	if root.IsArray() { // a bare error array, or a chunk of the non-SSE array mode
		var err error
		root.ForEach(func(_, v gjson.Result) bool {
			out, err = d.chunk(v, out)
			return err == nil && !d.finished
		})
		return out, err
	}
	return d.chunk(root, out)
}

func (d *StreamDecoder) chunk(root gjson.Result, out []llm.Event) ([]llm.Event, error) {
	if !root.IsObject() {
		return out, errors.New("gemini: stream chunk is not a JSON object")
	}
	if r := root.Get("response"); r.IsObject() {
		root = r // Code Assist envelope
	}
	cands := root.Get("candidates")
	if e := root.Get("error"); e.Exists() && !cands.Exists() {
		return out, streamError(e)
	}
	if u := root.Get("usageMetadata"); u.IsObject() {
		d.usage = usageFrom(u)
	}
	if !d.started {
		d.started = true
		ev := llm.Event{Type: llm.EvStart, ID: root.Get("responseId").String(), Model: root.Get("modelVersion").String()}
		if d.usage != nil {
			u := *d.usage
			ev.Usage = &u
		}
		out = append(out, ev)
	}
	cand := cands.Get("0")
	var err error
	cand.Get("content.parts").ForEach(func(_, p gjson.Result) bool {
		out, err = d.part(p, out)
		return err == nil
	})
	if err != nil {
		return out, err
	}
	if fr := cand.Get("finishReason").String(); fr != "" && fr != "FINISH_REASON_UNSPECIFIED" {
		return d.finish(fr, out)
	}
	if br := root.Get("promptFeedback.blockReason").String(); br != "" && !cands.Exists() {
		return d.finish("SAFETY", out) // a blocked prompt gets no candidates
	}
	return out, nil
}

func (d *StreamDecoder) part(p gjson.Result, out []llm.Event) ([]llm.Event, error) {
	if !p.IsObject() {
		return out, nil
	}
	sig := field(p, "thoughtSignature", "thought_signature").String()
	if fc := field(p, "functionCall", "function_call"); fc.IsObject() {
		out = d.closeBlock(out)
		id := fc.Get("id").String()
		if id == "" {
			id = d.newID()
		}
		idx := d.next
		d.next++
		d.sawTool, d.sawAny = true, true
		info := &llm.BlockInfo{Type: llm.PartToolCall, ID: id, Name: fc.Get("name").String(), Signature: sig}
		out = append(out,
			llm.Event{Type: llm.EvBlockStart, Index: idx, Block: info},
			llm.Event{Type: llm.EvToolArgsDelta, Index: idx, Text: string(objectOrEmpty([]byte(fc.Get("args").Raw)))},
			llm.Event{Type: llm.EvBlockStop, Index: idx})
		return out, nil
	}
	t := p.Get("text")
	if t.Type != gjson.String && sig == "" {
		return out, nil // inlineData, executableCode, …: no canonical block
	}
	if p.Get("thought").Bool() {
		if t.Str != "" {
			out = d.ensure(llm.PartThinking, out)
			out = append(out, llm.Event{Type: llm.EvThinkingDelta, Index: d.next - 1, Text: t.Str})
		}
		if sig != "" {
			out = d.ensure(llm.PartThinking, out)
			out = append(out, llm.Event{Type: llm.EvSignature, Index: d.next - 1, Text: sig})
		}
		return out, nil
	}
	if sig != "" {
		// A signature on a plain part signs the reasoning before it: hand it
		// to the open thinking block, or to an empty one of its own, since
		// canonical signatures belong to thinking (or tool) blocks.
		out = d.ensure(llm.PartThinking, out)
		out = append(out, llm.Event{Type: llm.EvSignature, Index: d.next - 1, Text: sig})
	}
	if t.Str != "" {
		out = d.ensure(llm.PartText, out)
		out = append(out, llm.Event{Type: llm.EvTextDelta, Index: d.next - 1, Text: t.Str})
	}
	return out, nil
}

// ensure opens a block of type t unless one is already open.
func (d *StreamDecoder) ensure(t llm.PartType, out []llm.Event) []llm.Event {
	if d.open == t {
		return out
	}
	out = d.closeBlock(out)
	d.open, d.sawAny = t, true
	out = append(out, llm.Event{Type: llm.EvBlockStart, Index: d.next, Block: &llm.BlockInfo{Type: t}})
	d.next++
	return out
}

func (d *StreamDecoder) closeBlock(out []llm.Event) []llm.Event {
	if d.open == "" {
		return out
	}
	d.open = ""
	return append(out, llm.Event{Type: llm.EvBlockStop, Index: d.next - 1})
}

func (d *StreamDecoder) finish(reason string, out []llm.Event) ([]llm.Event, error) {
	out = d.closeBlock(out)
	d.finished = true
	var stop string
	switch reason {
	case "MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL", "TOO_MANY_TOOL_CALLS":
		if !d.sawAny {
			return out, llm.Errorf(llm.KindServer, "upstream model failed to produce a valid function call (%s)", reason)
		}
		stop = llm.StopEnd
	case "MAX_TOKENS":
		stop = llm.StopMaxTok
	case "SAFETY", "RECITATION", "LANGUAGE", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY",
		"IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION":
		stop = llm.StopRefusal
	default:
		stop = llm.StopEnd
	}
	if d.sawTool {
		stop = llm.StopToolUse
	}
	u := llm.Usage{}
	if d.usage != nil {
		u = *d.usage
	}
	return append(out, llm.Event{Type: llm.EvFinish, StopReason: stop, Usage: &u}), nil
}

// usageFrom normalises usageMetadata: promptTokenCount includes cached
// tokens, candidatesTokenCount excludes thoughts (§4.6).
func usageFrom(u gjson.Result) *llm.Usage {
	cached := u.Get("cachedContentTokenCount").Int()
	thoughts := u.Get("thoughtsTokenCount").Int()
	in := u.Get("promptTokenCount").Int() - cached + u.Get("toolUsePromptTokenCount").Int()
	if in < 0 {
		in = 0
	}
	return &llm.Usage{
		InputTokens:     in,
		OutputTokens:    u.Get("candidatesTokenCount").Int() + thoughts,
		CacheRead:       cached,
		ReasoningTokens: thoughts,
	}
}

// streamError turns an in-band {"error":{code,message,status}} into an
// llm.Error of the matching kind.
func streamError(e gjson.Result) error {
	code := int(e.Get("code").Int())
	msg := e.Get("message").String()
	if msg == "" {
		msg = "upstream stream error"
	}
	if s := e.Get("status").String(); s != "" {
		msg += " (" + s + ")"
	}
	return llm.Errorf(llm.KindOf(code), "%s", msg)
}
