package anthropic

import (
	"strconv"
	"unicode/utf8"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

// StreamEncoder turns canonical events into Messages stream events
// (message_start, content_block_start/delta/stop, message_delta,
// message_stop), as the official SDKs expect them: block indexes 0, 1, 2...
// in order, never overlapping, tool ids matching ^[a-zA-Z0-9_-]+$.
type StreamEncoder struct {
	opts     llm.EncodeOptions
	id       string
	started  bool
	finished bool
	open     int          // our index of the open block, -1 when none
	openType llm.PartType // its type
	openSig  string       // signature known at its start, sent before its stop
	sigSent  bool         // a signature_delta went out for the open block
	next     int          // our next block index
	blocks   map[int]int  // canonical index -> our index
	toolUsed bool         // a tool_use block went out
	usage    llm.Usage    // input side from Start
	buf      []byte       // reused for every event
	seenIDs  map[string]bool
}

// NewStreamEncoder makes an encoder presenting o.Model and o.ID.
func NewStreamEncoder(o llm.EncodeOptions) *StreamEncoder {
	return &StreamEncoder{opts: o, open: -1, blocks: map[int]int{}}
}

// Encode emits the Messages events for ev. Events after Finish are ignored.
func (e *StreamEncoder) Encode(ev llm.Event, emit func(name string, data []byte)) {
	if e.finished {
		return
	}
	if ev.Type != llm.EvStart && !e.started {
		e.start(llm.Event{}, emit)
	}
	switch ev.Type {
	case llm.EvStart:
		if !e.started {
			e.start(ev, emit)
		}
	case llm.EvBlockStart:
		info := llm.BlockInfo{Type: llm.PartText}
		if ev.Block != nil {
			info = *ev.Block
		}
		e.startBlock(ev.Index, info, emit)
	case llm.EvTextDelta:
		if ev.Text != "" && e.ensure(ev.Index, llm.PartText, emit) {
			e.delta("text_delta", "text", ev.Text, emit)
		}
	case llm.EvThinkingDelta:
		if ev.Text != "" && e.ensure(ev.Index, llm.PartThinking, emit) {
			e.delta("thinking_delta", "thinking", ev.Text, emit)
		}
	case llm.EvSignature:
		if ev.Text != "" && e.isOpen(ev.Index) && e.openType == llm.PartThinking {
			e.delta("signature_delta", "signature", ev.Text, emit)
			e.sigSent = true
		}
	case llm.EvToolArgsDelta:
		if ev.Text != "" && e.isOpen(ev.Index) && e.openType == llm.PartToolCall {
			e.delta("input_json_delta", "partial_json", ev.Text, emit)
		}
	case llm.EvBlockStop:
		if e.isOpen(ev.Index) {
			e.closeBlock(emit)
		}
	case llm.EvFinish:
		e.finish(ev, emit)
	}
}

func (e *StreamEncoder) start(ev llm.Event, emit func(string, []byte)) {
	e.started = true
	e.id = e.opts.ID
	if e.id == "" {
		e.id = messageID(ev.ID, e.opts.FreshID)
	}
	model := e.opts.Model
	if model == "" {
		model = ev.Model
	}
	if ev.Usage != nil {
		e.usage = *ev.Usage
	}
	if u := &e.usage; u.InputTokens == 0 && u.CacheRead == 0 && u.CacheWrite == 0 {
		// The provider reports usage only at the end (OpenAI, Gemini): show
		// the request's estimate until then (Claude Code reads it here).
		u.InputTokens = e.opts.InputTokens
	}
	b := append(e.buf[:0], `{"type":"message_start","message":{"id":`...)
	b = appendString(b, e.id)
	b = append(b, `,"type":"message","role":"assistant","model":`...)
	b = appendString(b, model)
	b = append(b, `,"content":[],"stop_reason":null,"stop_sequence":null,"usage":`...)
	u := e.usage
	u.OutputTokens = 0
	b = appendUsage(b, u)
	b = append(b, "}}"...)
	e.buf = b
	emit("message_start", b)
}

func appendUsage(b []byte, u llm.Usage) []byte {
	b = append(b, `{"input_tokens":`...)
	b = strconv.AppendInt(b, u.InputTokens, 10)
	b = append(b, `,"cache_creation_input_tokens":`...)
	b = strconv.AppendInt(b, u.CacheWrite, 10)
	b = append(b, `,"cache_read_input_tokens":`...)
	b = strconv.AppendInt(b, u.CacheRead, 10)
	b = append(b, `,"output_tokens":`...)
	b = strconv.AppendInt(b, u.OutputTokens, 10)
	return append(b, '}')
}

func (e *StreamEncoder) isOpen(canon int) bool {
	i, ok := e.blocks[canon]
	return ok && e.open >= 0 && i == e.open
}

// ensure makes sure the block canon is open with type typ, opening one when
// a delta arrived without its BlockStart; false drops the delta.
func (e *StreamEncoder) ensure(canon int, typ llm.PartType, emit func(string, []byte)) bool {
	if e.isOpen(canon) {
		return e.openType == typ
	}
	if _, seen := e.blocks[canon]; seen {
		return false // a delta for a block already closed
	}
	e.startBlock(canon, llm.BlockInfo{Type: typ}, emit)
	return true
}

func (e *StreamEncoder) startBlock(canon int, info llm.BlockInfo, emit func(string, []byte)) {
	if e.open >= 0 {
		e.closeBlock(emit)
	}
	idx := e.next
	e.next++
	e.blocks[canon] = idx
	e.open, e.openType, e.openSig, e.sigSent = idx, info.Type, "", false
	b := append(e.buf[:0], `{"type":"content_block_start","index":`...)
	b = strconv.AppendInt(b, int64(idx), 10)
	b = append(b, `,"content_block":`...)
	switch info.Type {
	case llm.PartThinking:
		b = append(b, `{"type":"thinking","thinking":"","signature":""}`...)
		e.openSig = info.Signature
	case llm.PartRedacted:
		b = append(b, `{"type":"redacted_thinking","data":`...)
		b = appendString(b, info.Signature)
		b = append(b, '}')
	case llm.PartToolCall:
		e.toolUsed = true
		b = append(b, `{"type":"tool_use","id":`...)
		b = appendString(b, e.toolID(info.ID, idx))
		b = append(b, `,"name":`...)
		b = appendString(b, info.Name)
		b = append(b, `,"input":{}}`...)
	default:
		e.openType = llm.PartText
		b = append(b, `{"type":"text","text":""}`...)
	}
	b = append(b, '}')
	e.buf = b
	emit("content_block_start", b)
}

// toolID presents id as a valid, unique Anthropic tool id.
func (e *StreamEncoder) toolID(id string, idx int) string {
	id = SanitizeToolID(id)
	if id == "" || e.seenIDs[id] {
		id = mintToolID(e.id, idx)
	}
	if e.seenIDs == nil {
		e.seenIDs = map[string]bool{}
	}
	e.seenIDs[id] = true
	return id
}

func (e *StreamEncoder) delta(typ, field, text string, emit func(string, []byte)) {
	b := append(e.buf[:0], `{"type":"content_block_delta","index":`...)
	b = strconv.AppendInt(b, int64(e.open), 10)
	b = append(b, `,"delta":{"type":"`...)
	b = append(b, typ...)
	b = append(b, `","`...)
	b = append(b, field...)
	b = append(b, `":`...)
	b = appendString(b, text)
	b = append(b, "}}"...)
	e.buf = b
	emit("content_block_delta", b)
}

func (e *StreamEncoder) closeBlock(emit func(string, []byte)) {
	if e.openType == llm.PartThinking && e.openSig != "" && !e.sigSent {
		e.delta("signature_delta", "signature", e.openSig, emit)
	}
	b := append(e.buf[:0], `{"type":"content_block_stop","index":`...)
	b = strconv.AppendInt(b, int64(e.open), 10)
	b = append(b, '}')
	e.buf = b
	e.open = -1
	emit("content_block_stop", b)
}

func (e *StreamEncoder) finish(ev llm.Event, emit func(string, []byte)) {
	if e.open >= 0 {
		e.closeBlock(emit)
	}
	e.finished = true
	u := e.usage
	if f := ev.Usage; f != nil {
		u.OutputTokens = f.OutputTokens
		if f.InputTokens != 0 || f.CacheRead != 0 || f.CacheWrite != 0 {
			u.InputTokens, u.CacheRead, u.CacheWrite = f.InputTokens, f.CacheRead, f.CacheWrite
		}
	}
	b := append(e.buf[:0], `{"type":"message_delta","delta":{"stop_reason":`...)
	b = appendString(b, clientStopReason(ev.StopReason, e.toolUsed))
	b = append(b, `,"stop_sequence":null},"usage":`...)
	b = appendUsage(b, u)
	b = append(b, '}')
	e.buf = b
	emit("message_delta", b)
	emit("message_stop", append(e.buf[:0], `{"type":"message_stop"}`...))
}

// clientStopReason is a canonical stop reason in the Messages vocabulary; a
// tool call in the answer makes a natural end tool_use.
func clientStopReason(r string, toolUsed bool) string {
	switch r {
	case llm.StopMaxTok, llm.StopSequence, llm.StopRefusal, "pause_turn", "model_context_window_exceeded":
		return r
	}
	if toolUsed || r == llm.StopToolUse {
		return llm.StopToolUse
	}
	return llm.StopEnd
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, without HTML escaping; invalid
// UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += n
			start = i
			continue
		}
		i += n
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
