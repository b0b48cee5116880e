package gemini

import (
	"strconv"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

// StreamEncoder turns canonical events into streamGenerateContent chunks
// for a Gemini client: one GenerateContentResponse per text or thinking
// delta, one complete functionCall part per tool call (arguments are
// buffered until the block ends), and a final chunk with finishReason and
// usageMetadata. Gemini SSE has no event names, so emit always gets "".
//
// A thought signature rides where Gemini itself puts one: on the next
// functionCall part, else on an empty text part in the final chunk (which
// the Collector folds into the last text part). Gemini CLI drops thought
// parts from its history, so a signature on one would be lost.
type StreamEncoder struct {
	opts  llm.EncodeOptions
	id    string
	model string
	usage *llm.Usage // input side from Start, until Finish brings the final numbers

	open     bool
	block    llm.BlockInfo
	index    int
	args     []byte
	calls    int    // tool calls emitted, for minted ids
	pending  string // a thought signature waiting for the next part
	finished bool
}

// NewStreamEncoder returns an encoder presenting o.Model and o.ID.
func NewStreamEncoder(o llm.EncodeOptions) *StreamEncoder {
	return &StreamEncoder{opts: o, id: o.ID, model: o.Model}
}

// Encode renders one canonical event, calling emit once per chunk.
func (e *StreamEncoder) Encode(ev llm.Event, emit func(name string, data []byte)) {
	if e.finished {
		return
	}
	switch ev.Type {
	case llm.EvStart:
		if e.id == "" {
			e.id = ev.ID
		}
		if e.model == "" {
			e.model = ev.Model
		}
		if ev.Usage != nil {
			u := *ev.Usage
			e.usage = &u
		}
	case llm.EvBlockStart:
		e.closeBlock(emit)
		e.open, e.index, e.args = true, ev.Index, e.args[:0]
		e.block = llm.BlockInfo{Type: llm.PartText}
		if ev.Block != nil {
			e.block = *ev.Block
		}
		if e.block.Type == llm.PartThinking && e.block.Signature != "" {
			e.pending = e.block.Signature
		}
	case llm.EvTextDelta:
		if ev.Text == "" {
			return
		}
		e.emitParts(emit, []part{{Text: strPtr(ev.Text)}}, "", nil)
	case llm.EvThinkingDelta:
		if ev.Text != "" {
			e.emitParts(emit, []part{{Text: strPtr(ev.Text), Thought: true}}, "", nil)
		}
	case llm.EvSignature:
		if ev.Text == "" {
			return
		}
		if e.open && e.block.Type == llm.PartToolCall && ev.Index == e.index {
			e.block.Signature = ev.Text
		} else {
			e.pending = ev.Text
		}
	case llm.EvToolArgsDelta:
		if e.open && e.block.Type == llm.PartToolCall {
			e.args = append(e.args, ev.Text...)
		}
	case llm.EvBlockStop:
		e.closeBlock(emit)
	case llm.EvFinish:
		e.closeBlock(emit)
		u := e.usage
		if ev.Usage != nil {
			u = ev.Usage
		}
		var parts []part
		if e.pending != "" {
			parts = []part{{Text: strPtr(""), ThoughtSignature: e.pending}}
			e.pending = ""
		}
		e.emitParts(emit, parts, finishReason(ev.StopReason), usageOf(u))
		e.finished = true
	}
}

// closeBlock ends the open block; a tool call is emitted whole here.
func (e *StreamEncoder) closeBlock(emit func(string, []byte)) {
	if !e.open {
		return
	}
	e.open = false
	if e.block.Type != llm.PartToolCall {
		return
	}
	e.calls++
	id := e.block.ID
	if id == "" { // unique per response, so ids do not repeat across turns
		id = "call_" + strconv.Itoa(e.calls)
		if e.id != "" {
			id = "call_" + e.id + "_" + strconv.Itoa(e.calls)
		}
	}
	sig := e.block.Signature
	if sig == "" {
		sig, e.pending = e.pending, ""
	}
	fc := &functionCall{Name: e.block.Name, Args: objectOrEmpty(e.args), ID: id}
	e.emitParts(emit, []part{{FunctionCall: fc, ThoughtSignature: sig}}, "", nil)
}

func (e *StreamEncoder) emitParts(emit func(string, []byte), parts []part, finish string, u *usageMetadata) {
	if parts == nil {
		parts = []part{}
	}
	r := response{
		Candidates:    []candidate{{Content: content{Role: "model", Parts: parts}, FinishReason: finish}},
		UsageMetadata: u,
		ModelVersion:  e.model,
		ResponseID:    e.id,
	}
	if b, err := marshal(r); err == nil {
		emit("", b)
	}
}

// finishReason maps a canonical stop reason to Gemini's words. A tool call
// ends with STOP on Gemini.
func finishReason(s string) string {
	switch s {
	case llm.StopMaxTok, "model_context_window_exceeded":
		return "MAX_TOKENS"
	case llm.StopRefusal:
		return "SAFETY"
	}
	return "STOP"
}

// usageOf renders canonical usage as usageMetadata: the prompt count
// includes cached input and the candidates count excludes thoughts.
func usageOf(u *llm.Usage) *usageMetadata {
	if u == nil {
		return nil
	}
	m := &usageMetadata{
		PromptTokenCount:        u.InputTokens + u.CacheRead + u.CacheWrite,
		CachedContentTokenCount: u.CacheRead,
		ThoughtsTokenCount:      u.ReasoningTokens,
		CandidatesTokenCount:    u.OutputTokens - u.ReasoningTokens,
	}
	if m.CandidatesTokenCount < 0 {
		m.CandidatesTokenCount = 0
	}
	m.TotalTokenCount = m.PromptTokenCount + m.CandidatesTokenCount + m.ThoughtsTokenCount
	return m
}
