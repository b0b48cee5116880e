package openai

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

// StreamEncoder turns canonical events into chat.completion.chunk events for
// an OpenAI Chat Completions client. Feeding its output to a Collector gives
// the non-streaming answer.
type StreamEncoder struct {
	opts     llm.EncodeOptions
	id       string
	model    string
	created  int64
	started  bool
	finished bool
	tools    map[int]int // canonical block index -> tool call index
	nextTool int
	usage    *llm.Usage // from Start, until Finish brings the final numbers
	buf      []byte
	// thinkingBytes and textBytes measure what was streamed: reasoning
	// tokens are estimated from the thinking when the provider does not
	// count them (Anthropic), and a refusal without text gets an explanation.
	thinkingBytes, textBytes int
}

// NewStreamEncoder returns an encoder presenting o.Model, o.ID and o.Created
// (derived from the events when empty) and a usage chunk when o.IncludeUsage.
func NewStreamEncoder(o llm.EncodeOptions) *StreamEncoder {
	return &StreamEncoder{opts: o, tools: map[int]int{}}
}

// Encode emits the chunks for ev (the SSE event name is always "").
func (e *StreamEncoder) Encode(ev llm.Event, emit func(name string, data []byte)) {
	if e.finished {
		return
	}
	if !e.started {
		e.start(ev, emit)
		if ev.Type == llm.EvStart {
			return
		}
	}
	switch ev.Type {
	case llm.EvStart:
		// a second Start carries nothing new for this protocol
	case llm.EvBlockStart:
		if ev.Block == nil || ev.Block.Type != llm.PartToolCall {
			return
		}
		n := e.nextTool
		e.nextTool++
		e.tools[ev.Index] = n
		id := ev.Block.ID
		if id == "" {
			id = "call_" + strings.TrimPrefix(e.id, "chatcmpl-") + "_" + strconv.Itoa(n)
		}
		b := e.head()
		b = append(b, `{"tool_calls":[{"index":`...)
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, `,"id":`...)
		b = appendString(b, id)
		b = append(b, `,"type":"function","function":{"name":`...)
		b = appendString(b, ev.Block.Name)
		b = append(b, `,"arguments":""}`...)
		b = appendSignature(b, ev.Block.Signature)
		b = append(b, `}]}`...)
		e.emitChunk(b, emit)
	case llm.EvTextDelta:
		e.textBytes += len(ev.Text)
		e.delta("content", ev.Text, emit)
	case llm.EvThinkingDelta:
		e.thinkingBytes += len(ev.Text)
		e.delta("reasoning_content", ev.Text, emit)
	case llm.EvToolArgsDelta:
		n, ok := e.tools[ev.Index]
		if !ok || ev.Text == "" {
			return
		}
		b := e.head()
		b = append(b, `{"tool_calls":[{"index":`...)
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, `,"function":{"arguments":`...)
		b = appendString(b, ev.Text)
		b = append(b, `}}]}`...)
		e.emitChunk(b, emit)
	case llm.EvSignature:
		// Thinking signatures have no place in Chat Completions; a tool
		// call's (Gemini) rides in extra_content like Gemini's own endpoint.
		n, ok := e.tools[ev.Index]
		if !ok || ev.Text == "" {
			return
		}
		b := e.head()
		b = append(b, `{"tool_calls":[{"index":`...)
		b = strconv.AppendInt(b, int64(n), 10)
		b = appendSignature(b, ev.Text)
		b = append(b, `}]}`...)
		e.emitChunk(b, emit)
	case llm.EvFinish:
		e.finish(ev, emit)
	}
}

func (e *StreamEncoder) start(ev llm.Event, emit func(string, []byte)) {
	e.started = true
	e.id = e.opts.ID
	if e.id == "" {
		switch {
		case strings.HasPrefix(ev.ID, "chatcmpl-"):
			e.id = ev.ID
		case ev.ID != "":
			e.id = "chatcmpl-" + ev.ID
		default:
			e.id = "chatcmpl-" + e.opts.FreshID()
		}
	}
	e.model = e.opts.Model
	if e.model == "" {
		e.model = ev.Model
	}
	e.created = e.opts.Created
	if ev.Type == llm.EvStart {
		e.usage = ev.Usage
	}
	b := e.head()
	b = append(b, `{"role":"assistant","content":""}`...)
	e.emitChunk(b, emit)
}

func (e *StreamEncoder) finish(ev llm.Event, emit func(string, []byte)) {
	e.finished = true
	reason := "stop"
	switch {
	case e.nextTool > 0 || ev.StopReason == llm.StopToolUse:
		reason = "tool_calls"
	case ev.StopReason == llm.StopMaxTok:
		reason = "length"
	case ev.StopReason == llm.StopRefusal:
		reason = "content_filter"
		// Chat clients read a refusal from message.refusal: when the
		// provider gave no text, say why there is no answer.
		if e.textBytes == 0 {
			e.delta("refusal", RefusalExplanation, emit)
		}
	}
	b := e.prefix()
	b = append(b, `"choices":[{"index":0,"delta":{},"finish_reason":`...)
	b = appendString(b, reason)
	b = append(b, `}]`...)
	if e.opts.IncludeUsage {
		b = append(b, `,"usage":null`...)
	}
	b = append(b, '}')
	emit("", b)
	if e.opts.IncludeUsage {
		u := finalUsage(ev.Usage, e.usage)
		u.ReasoningTokens = e.reasoningEstimate(u)
		b = e.prefix()
		b = append(b, `"choices":[],"usage":`...)
		b = appendUsage(b, &u)
		b = append(b, '}')
		emit("", b)
	}
	emit("", []byte("[DONE]"))
}

// finalUsage is the Finish usage, with the input side taken from Start when
// Finish does not know it.
// RefusalExplanation fills message.refusal when a provider declined to
// answer (a refusal, a content filter) without saying why in its own words.
const RefusalExplanation = "The model declined to answer this request."

// reasoningEstimate is the reasoning tokens of an answer whose provider does
// not count them: about four bytes of thinking per token, within the output.
func (e *StreamEncoder) reasoningEstimate(u llm.Usage) int64 {
	if u.ReasoningTokens > 0 || e.thinkingBytes == 0 {
		return u.ReasoningTokens
	}
	est := int64((e.thinkingBytes + 3) / 4)
	if u.OutputTokens > 0 {
		est = min(est, u.OutputTokens)
	}
	return est
}

func finalUsage(fin, start *llm.Usage) llm.Usage {
	var u llm.Usage
	if fin != nil {
		u = *fin
	}
	if start != nil && u.InputTokens == 0 && u.CacheRead == 0 && u.CacheWrite == 0 {
		u.InputTokens, u.CacheRead, u.CacheWrite = start.InputTokens, start.CacheRead, start.CacheWrite
	}
	return u
}

// prefix starts a chunk object up to and including the comma after model.
func (e *StreamEncoder) prefix() []byte {
	b := e.buf[:0]
	b = append(b, `{"id":`...)
	b = appendString(b, e.id)
	b = append(b, `,"object":"chat.completion.chunk","created":`...)
	b = strconv.AppendInt(b, e.created, 10)
	b = append(b, `,"model":`...)
	b = appendString(b, e.model)
	return append(b, ',')
}

// head starts a chunk whose single choice's delta follows.
func (e *StreamEncoder) head() []byte {
	return append(e.prefix(), `"choices":[{"index":0,"delta":`...)
}

// emitChunk closes a chunk started with head and a delta object.
func (e *StreamEncoder) emitChunk(b []byte, emit func(string, []byte)) {
	b = append(b, `,"finish_reason":null}]`...)
	if e.opts.IncludeUsage {
		b = append(b, `,"usage":null`...)
	}
	b = append(b, '}')
	e.buf = b
	emit("", b)
}

func (e *StreamEncoder) delta(field, text string, emit func(string, []byte)) {
	if text == "" {
		return
	}
	b := e.head()
	b = append(b, `{"`...)
	b = append(b, field...)
	b = append(b, `":`...)
	b = appendString(b, text)
	b = append(b, '}')
	e.emitChunk(b, emit)
}

func appendSignature(b []byte, sig string) []byte {
	if sig == "" {
		return b
	}
	b = append(b, `,"extra_content":{"google":{"thought_signature":`...)
	b = appendString(b, sig)
	return append(b, `}}`...)
}

func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}

func appendUsage(b []byte, u *llm.Usage) []byte {
	prompt := u.InputTokens + u.CacheRead + u.CacheWrite
	b = append(b, `{"prompt_tokens":`...)
	b = strconv.AppendInt(b, prompt, 10)
	b = append(b, `,"completion_tokens":`...)
	b = strconv.AppendInt(b, u.OutputTokens, 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, prompt+u.OutputTokens, 10)
	b = append(b, `,"prompt_tokens_details":{"cached_tokens":`...)
	b = strconv.AppendInt(b, u.CacheRead, 10)
	b = append(b, `},"completion_tokens_details":{"reasoning_tokens":`...)
	b = strconv.AppendInt(b, u.ReasoningTokens, 10)
	return append(b, `}}`...)
}
