package responses

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

// StreamEncoder turns canonical answer events into Responses streaming
// events: response.created and response.in_progress, then one output item per
// block (message, reasoning or function_call) with its part and delta events,
// then response.completed (or response.incomplete) carrying the full response
// object. It keeps the output it has sent, bounded by the answer's size,
// because the terminal event repeats it.
type StreamEncoder struct {
	opts    llm.EncodeOptions
	id      string // resp_...
	base    string // id without the resp_ prefix, for item ids
	model   string
	created int64
	seq     int64

	started, finished bool
	output            []any // final items, in output_index order
	open              *openItem
	startUsage        *llm.Usage
	buf               []byte
}

// openItem is the output item of the block being streamed.
type openItem struct {
	kind      llm.PartType
	index     int // output_index
	id        string
	callID    string
	name      string          // the client's tool name
	namespace string          // the client's namespace of the tool, "" none
	text      strings.Builder // text, thinking text or arguments
	summary   bool            // a reasoning summary part was opened
	signature string
	freeform  bool // a call of a custom tool: shown as its text once complete
}

// NewStreamEncoder returns an encoder presenting o's model, id and time.
func NewStreamEncoder(o llm.EncodeOptions) *StreamEncoder {
	return &StreamEncoder{opts: o}
}

// Encode emits the Responses events for ev; the SSE event name equals the
// event's type. Events after the terminal one are ignored.
func (e *StreamEncoder) Encode(ev llm.Event, emit func(name string, data []byte)) {
	if e.finished {
		return
	}
	if ev.Type == llm.EvStart {
		e.start(ev, emit)
		return
	}
	e.start(llm.Event{}, emit)
	switch ev.Type {
	case llm.EvBlockStart:
		e.closeItem(emit)
		if ev.Block != nil {
			e.openItem(*ev.Block, emit)
		}
	case llm.EvTextDelta:
		e.ensure(llm.PartText, emit)
		e.open.text.WriteString(ev.Text)
		e.send(emit, textEvent{Type: "response.output_text.delta", ItemID: e.open.id, OutputIndex: e.open.index,
			Delta: &ev.Text, Logprobs: []any{}, Seq: e.next()})
	case llm.EvThinkingDelta:
		e.ensure(llm.PartThinking, emit)
		if !e.open.summary {
			e.open.summary = true
			e.send(emit, summaryEvent{Type: "response.reasoning_summary_part.added", ItemID: e.open.id,
				OutputIndex: e.open.index, Part: &summaryText{Type: "summary_text"}, Seq: e.next()})
		}
		e.open.text.WriteString(ev.Text)
		e.send(emit, summaryEvent{Type: "response.reasoning_summary_text.delta", ItemID: e.open.id,
			OutputIndex: e.open.index, Delta: &ev.Text, Seq: e.next()})
	case llm.EvSignature:
		if e.open != nil && (e.open.kind == llm.PartThinking || e.open.kind == llm.PartRedacted) {
			e.open.signature += ev.Text
		}
	case llm.EvToolArgsDelta:
		if e.open == nil || e.open.kind != llm.PartToolCall {
			return // arguments without a call: nothing to attach them to
		}
		e.open.text.WriteString(ev.Text)
		if e.open.freeform {
			return // JSON fragments of {"input": ...}: the text goes out whole at the end
		}
		e.send(emit, argsEvent{Type: "response.function_call_arguments.delta", ItemID: e.open.id,
			OutputIndex: e.open.index, Delta: &ev.Text, Seq: e.next()})
	case llm.EvBlockStop:
		e.closeItem(emit)
	case llm.EvFinish:
		e.finish(ev, emit)
	}
}

func (e *StreamEncoder) next() int64 { e.seq++; return e.seq - 1 }

func (e *StreamEncoder) send(emit func(string, []byte), v interface{ name() string }) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	e.buf = append(e.buf[:0], b...)
	emit(v.name(), e.buf)
}

func (e *StreamEncoder) start(ev llm.Event, emit func(string, []byte)) {
	if e.started {
		return
	}
	e.started = true
	e.id = e.opts.ID
	if e.id == "" {
		e.id = responseID(ev.ID, e.opts.FreshID)
	}
	e.base = strings.TrimPrefix(e.id, "resp_")
	e.model = e.opts.Model
	if e.model == "" {
		e.model = ev.Model
	}
	e.created = e.opts.Created
	e.startUsage = ev.Usage
	r := e.response("in_progress", nil, nil)
	e.send(emit, lifecycleEvent{Type: "response.created", Response: r, Seq: e.next()})
	e.send(emit, lifecycleEvent{Type: "response.in_progress", Response: r, Seq: e.next()})
}

// responseID makes a resp_ id from an upstream id (or a fresh one).
func responseID(upstream string, fresh func() string) string {
	if strings.HasPrefix(upstream, "resp_") {
		return upstream
	}
	var b strings.Builder
	for _, c := range upstream {
		if c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			b.WriteRune(c)
		}
	}
	if b.Len() == 0 {
		b.WriteString(fresh())
	}
	return "resp_" + b.String()
}

func (e *StreamEncoder) itemID(prefix string, index int) string {
	return prefix + e.base + "_" + strconv.Itoa(index)
}

// splitName turns a provider-side tool name back into the client's
// namespace and name; a tool outside any namespace keeps its name.
func (e *StreamEncoder) splitName(name string) (ns, short string) {
	ns, ok := e.opts.Namespaced[name]
	if !ok || !strings.HasPrefix(name, ns+llm.NamespaceSep) {
		return "", name
	}
	return ns, name[len(ns)+len(llm.NamespaceSep):]
}

// ensure opens an item of kind when a delta arrives without its BlockStart.
func (e *StreamEncoder) ensure(kind llm.PartType, emit func(string, []byte)) {
	if e.open != nil && e.open.kind == kind {
		return
	}
	e.closeItem(emit)
	e.openItem(llm.BlockInfo{Type: kind}, emit)
}

func (e *StreamEncoder) openItem(b llm.BlockInfo, emit func(string, []byte)) {
	it := &openItem{kind: b.Type, index: len(e.output), signature: b.Signature}
	var item any
	switch b.Type {
	case llm.PartText:
		it.id = e.itemID("msg_", it.index)
		item = messageItem{ID: it.id, Type: "message", Status: "in_progress", Role: "assistant", Content: []outputText{}}
	case llm.PartThinking, llm.PartRedacted:
		it.id = e.itemID("rs_", it.index)
		item = reasoningItem{ID: it.id, Type: "reasoning", Summary: []summaryText{}}
	case llm.PartToolCall:
		it.callID = b.ID
		it.namespace, it.name = e.splitName(b.Name)
		if it.callID == "" {
			it.callID = e.itemID("call_", it.index)
		}
		if it.freeform = slices.Contains(e.opts.Freeform, b.Name); it.freeform {
			it.id = e.itemID("ctc_", it.index)
			item = customCallItem{ID: it.id, Type: "custom_tool_call", Status: "in_progress", CallID: it.callID,
				Name: it.name, Namespace: it.namespace}
			break
		}
		it.id = e.itemID("fc_", it.index)
		item = functionCallItem{ID: it.id, Type: "function_call", Status: "in_progress", CallID: it.callID,
			Name: it.name, Namespace: it.namespace}
	default:
		return // unknown block kinds are not shown
	}
	e.open = it
	e.output = append(e.output, nil) // reserved; set when the item is done
	e.send(emit, itemEvent{Type: "response.output_item.added", OutputIndex: it.index, Item: item, Seq: e.next()})
	if b.Type == llm.PartText {
		e.send(emit, partEvent{Type: "response.content_part.added", ItemID: it.id, OutputIndex: it.index,
			Part: outputText{Type: "output_text", Annotations: []any{}, Logprobs: []any{}}, Seq: e.next()})
	}
}

// closeItem ends the open item with its done events and records it.
func (e *StreamEncoder) closeItem(emit func(string, []byte)) {
	it := e.open
	if it == nil {
		return
	}
	e.open = nil
	text := it.text.String()
	var item any
	switch it.kind {
	case llm.PartText:
		part := outputText{Type: "output_text", Text: text, Annotations: []any{}, Logprobs: []any{}}
		e.send(emit, textEvent{Type: "response.output_text.done", ItemID: it.id, OutputIndex: it.index,
			Text: &text, Logprobs: []any{}, Seq: e.next()})
		e.send(emit, partEvent{Type: "response.content_part.done", ItemID: it.id, OutputIndex: it.index, Part: part, Seq: e.next()})
		item = messageItem{ID: it.id, Type: "message", Status: "completed", Role: "assistant", Content: []outputText{part}}
	case llm.PartThinking, llm.PartRedacted:
		r := reasoningItem{ID: it.id, Type: "reasoning", Summary: []summaryText{}}
		if it.summary {
			e.send(emit, summaryEvent{Type: "response.reasoning_summary_text.done", ItemID: it.id,
				OutputIndex: it.index, Text: &text, Seq: e.next()})
			part := summaryText{Type: "summary_text", Text: text}
			e.send(emit, summaryEvent{Type: "response.reasoning_summary_part.done", ItemID: it.id,
				OutputIndex: it.index, Part: &part, Seq: e.next()})
			r.Summary = append(r.Summary, part)
		}
		switch {
		case it.kind == llm.PartRedacted && it.signature != "":
			r.EncryptedContent = redactedPrefix + it.signature
		case it.signature != "":
			r.EncryptedContent = sigPrefix + it.signature
		}
		item = r
	case llm.PartToolCall:
		if it.freeform {
			// The provider streamed {"input": text}; the client sees the text.
			input := gjson.Get(text, llm.FreeformArg).String()
			e.send(emit, customInputEvent{Type: "response.custom_tool_call_input.delta", ItemID: it.id, OutputIndex: it.index,
				Delta: &input, Seq: e.next()})
			e.send(emit, customInputEvent{Type: "response.custom_tool_call_input.done", ItemID: it.id, OutputIndex: it.index,
				Input: &input, Seq: e.next()})
			item = customCallItem{ID: it.id, Type: "custom_tool_call", Status: "completed", CallID: it.callID,
				Name: it.name, Namespace: it.namespace, Input: input}
			break
		}
		if text == "" {
			// No arguments streamed (a call without parameters): stream {} so
			// the deltas add up to the final arguments.
			text = "{}"
			e.send(emit, argsEvent{Type: "response.function_call_arguments.delta", ItemID: it.id, OutputIndex: it.index,
				Delta: &text, Seq: e.next()})
		}
		e.send(emit, argsEvent{Type: "response.function_call_arguments.done", ItemID: it.id, OutputIndex: it.index,
			Arguments: &text, Seq: e.next()})
		item = functionCallItem{ID: it.id, Type: "function_call", Status: "completed", CallID: it.callID,
			Name: it.name, Namespace: it.namespace, Arguments: text}
	}
	e.output[it.index] = item
	e.send(emit, itemEvent{Type: "response.output_item.done", OutputIndex: it.index, Item: item, Seq: e.next()})
}

func (e *StreamEncoder) finish(ev llm.Event, emit func(string, []byte)) {
	e.closeItem(emit)
	e.finished = true
	u := ev.Usage
	if u == nil {
		u = e.startUsage
	}
	var usage *usageObject
	if u != nil {
		in := u.InputTokens + u.CacheRead + u.CacheWrite
		usage = &usageObject{InputTokens: in, OutputTokens: u.OutputTokens, TotalTokens: in + u.OutputTokens}
		usage.InputDetails.CachedTokens = u.CacheRead
		usage.OutputDetails.ReasoningTokens = u.ReasoningTokens
	}
	typ, status := "response.completed", "completed"
	var details *incompleteDetails
	switch ev.StopReason {
	case llm.StopMaxTok:
		details = &incompleteDetails{Reason: "max_output_tokens"}
	case llm.StopRefusal:
		details = &incompleteDetails{Reason: "content_filter"}
	}
	if details != nil {
		typ, status = "response.incomplete", "incomplete"
	}
	e.send(emit, lifecycleEvent{Type: typ, Response: e.response(status, details, usage), Seq: e.next()})
}

func (e *StreamEncoder) response(status string, details *incompleteDetails, usage *usageObject) *responseObject {
	out := make([]any, 0, len(e.output))
	for _, it := range e.output {
		if it != nil {
			out = append(out, it)
		}
	}
	return &responseObject{ID: e.id, Object: "response", CreatedAt: e.created, Status: status,
		IncompleteDetails: details, Model: e.model, Output: out, ParallelToolCalls: true,
		ToolChoice: "auto", Tools: []any{}, Truncation: "disabled", Usage: usage, Metadata: map[string]string{}}
}
