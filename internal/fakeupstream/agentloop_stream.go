package fakeupstream

import (
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// The agent loop's answers, streamed in the endpoint's dialect: signed
// thinking when asked for, then either parallel tool calls or the final text.

func (lr loopRequest) stream(ex *exchange, a answer, calls []toolCall) *stream {
	switch {
	case ex.provider == ProviderAnthropic:
		return lr.anthropicStream(a, calls)
	case ex.provider == ProviderGemini:
		return lr.geminiStream(a, calls, ex.r.URL.Query().Get("alt") == "sse")
	case ex.r.URL.Path == "/v1/responses":
		return lr.responsesStream(a, calls)
	default:
		return lr.chatStream(a, calls)
	}
}

func (lr loopRequest) anthropicStream(a answer, calls []toolCall) *stream {
	msg := anthropicMessage{
		ID: randomID("msg_01", 22), Type: "message", Role: "assistant", Model: lr.model,
		Content: []any{}, Usage: anthropicUsage{InputTokens: a.input, OutputTokens: 1},
	}
	st := &stream{framing: framingNamed, heartbeat: []byte("event: ping\ndata: {\"type\": \"ping\"}\n\n")}
	st.add("message_start", object{{"type", "message_start"}, {"message", msg}})
	index := 0
	block := func(start object, deltas ...object) {
		st.add("content_block_start", object{{"type", "content_block_start"}, {"index", index}, {"content_block", start}})
		for _, d := range deltas {
			st.add("content_block_delta", object{{"type", "content_block_delta"}, {"index", index}, {"delta", d}})
		}
		st.add("content_block_stop", object{{"type", "content_block_stop"}, {"index", index}})
		index++
	}
	if a.thinking != "" {
		block(object{{"type", "thinking"}, {"thinking", ""}},
			object{{"type", "thinking_delta"}, {"thinking", a.thinking}},
			object{{"type", "signature_delta"}, {"signature", signature(ProviderAnthropic, lr.model, a.thinking)}})
	}
	for _, c := range calls {
		block(object{{"type", "tool_use"}, {"id", randomID("toolu_01", 22)}, {"name", c.name}, {"input", object{}}},
			object{{"type", "input_json_delta"}, {"partial_json", c.args}})
	}
	stop := "tool_use"
	if len(calls) == 0 {
		stop = "end_turn"
		block(object{{"type", "text"}, {"text", ""}}, object{{"type", "text_delta"}, {"text", a.text}})
	}
	st.add("message_delta", object{
		{"type", "message_delta"},
		{"delta", object{{"stop_reason", stop}, {"stop_sequence", nil}}},
		{"usage", anthropicUsage{InputTokens: a.input, OutputTokens: a.outputTokens()}},
	})
	st.add("message_stop", object{{"type", "message_stop"}})
	st.events[len(st.events)-1].terminal = true
	return st
}

func (lr loopRequest) chatStream(a answer, calls []toolCall) *stream {
	c := chatCompletion{
		ID: randomID("chatcmpl-", 29), Object: "chat.completion.chunk", Created: time.Now().Unix(),
		Model: lr.model, SystemFingerprint: "fp_fakeupstream",
	}
	st := &stream{framing: framingData, heartbeat: []byte(": keep-alive\n\n")}
	chunk := func(delta any, finish *string) {
		c.Choices = []chatChoice{{Delta: delta, FinishReason: finish}}
		st.add("", c)
	}
	chunk(object{{"role", "assistant"}, {"content", ""}}, nil)
	if a.thinking != "" {
		chunk(object{{"reasoning_content", a.thinking}}, nil)
	}
	for i, tc := range calls {
		chunk(object{{"tool_calls", []object{{
			{"index", i}, {"id", randomID("call_", 24)}, {"type", "function"},
			{"function", object{{"name", tc.name}, {"arguments", tc.args}}},
		}}}}, nil)
	}
	finish := "tool_calls"
	if len(calls) == 0 {
		finish = "stop"
		chunk(object{{"content", a.text}}, nil)
	}
	chunk(object{}, &finish)
	c.Choices = []chatChoice{}
	c.Usage = mustJSON(a.chatUsage())
	st.add("", c)
	st.events = append(st.events, sseEvent{data: []byte("[DONE]"), terminal: true})
	return st
}

func (lr loopRequest) responsesStream(a answer, calls []toolCall) *stream {
	resp := responseObject{
		ID: randomID("resp_", 32), Object: "response", CreatedAt: time.Now().Unix(),
		Status: "in_progress", Model: lr.model, Output: []any{}, ParallelToolCalls: true,
	}
	st := &stream{framing: framingNamed, heartbeat: []byte(": keep-alive\n\n")}
	seq := 0
	emit := func(typ string, fields ...field) *sseEvent {
		st.add(typ, append(object{{"type", typ}, {"sequence_number", seq}}, fields...))
		seq++
		return &st.events[len(st.events)-1]
	}
	emit("response.created", field{"response", resp})
	emit("response.in_progress", field{"response", resp})
	var items []any
	for i, c := range calls {
		if ns, ok := lr.freeform[c.name]; ok {
			items = append(items, customCall(emit, i, c, ns))
			continue
		}
		item := object{
			{"id", randomID("fc_", 32)}, {"type", "function_call"}, {"status", "completed"},
			{"arguments", c.args}, {"call_id", randomID("call_", 24)}, {"name", c.name},
		}
		at := []field{{"item_id", item[0].value}, {"output_index", i}}
		emit("response.output_item.added", field{"output_index", i}, field{"item", item.with("status", "in_progress").with("arguments", "")})
		emit("response.function_call_arguments.delta", append(at, field{"delta", c.args})...)
		emit("response.function_call_arguments.done", append(at, field{"arguments", c.args})...)
		emit("response.output_item.done", field{"output_index", i}, field{"item", item})
		items = append(items, item)
	}
	if len(calls) == 0 {
		item := responseItem(a)
		at := []field{{"item_id", item[0].value}, {"output_index", 0}, {"content_index", 0}}
		emit("response.output_item.added", field{"output_index", 0}, field{"item", item.with("status", "in_progress").with("content", []any{})})
		emit("response.content_part.added", append(at, field{"part", outputText("")})...)
		emit("response.output_text.delta", append(at, field{"delta", a.text})...)
		emit("response.output_text.done", append(at, field{"text", a.text})...)
		emit("response.content_part.done", append(at, field{"part", outputText(a.text)})...)
		emit("response.output_item.done", field{"output_index", 0}, field{"item", item})
		items = append(items, item)
	}
	resp.Status, resp.Output, resp.Usage = "completed", items, a.responseUsage()
	emit("response.completed", field{"response", resp}).terminal = true
	return st
}

// customCall streams a call of a custom (freeform) tool as output item i:
// its input is the text of the call's one argument, and the name of a tool
// of namespace ns (ns__name) is split into namespace and name.
func customCall(emit func(string, ...field) *sseEvent, i int, c toolCall, ns string) object {
	input := gjson.Get(c.args, "input").Str
	item := object{{"id", randomID("ctc_", 32)}, {"type", "custom_tool_call"}, {"status", "completed"},
		{"call_id", randomID("call_", 24)}}
	if name, ok := strings.CutPrefix(c.name, ns+"__"); ns != "" && ok {
		item = append(item, field{"namespace", ns}, field{"name", name})
	} else {
		item = append(item, field{"name", c.name})
	}
	item = append(item, field{"input", input})
	at := []field{{"item_id", item[0].value}, {"output_index", i}}
	emit("response.output_item.added", field{"output_index", i}, field{"item", item.with("status", "in_progress").with("input", "")})
	emit("response.custom_tool_call_input.delta", append(at, field{"delta", input})...)
	emit("response.custom_tool_call_input.done", append(at, field{"input", input})...)
	emit("response.output_item.done", field{"output_index", i}, field{"item", item})
	return item
}

func (lr loopRequest) geminiStream(a answer, calls []toolCall, sse bool) *stream {
	st := &stream{framing: framingArray}
	if sse {
		st.framing = framingGoogle
	}
	resp := geminiResponse{ModelVersion: lr.model, ResponseID: randomID("", 22)}
	chunk := func(parts []geminiOutPart, final bool) {
		r := resp
		r.Candidates = []geminiCandidate{{Content: geminiOutContent{Role: "model", Parts: parts}}}
		r.UsageMetadata = a.geminiUsage(final)
		if final {
			r.Candidates[0].FinishReason = "STOP"
		}
		st.add("", r)
	}
	if a.thinking != "" && lr.include {
		chunk([]geminiOutPart{{Text: a.thinking, Thought: true}}, false)
	}
	var parts []geminiOutPart
	for _, c := range calls {
		parts = append(parts, geminiOutPart{FunctionCall: &geminiFunctionCall{Name: c.name, Args: []byte(c.args)}})
	}
	if len(calls) == 0 {
		parts = append(parts, geminiOutPart{Text: a.text})
	}
	if a.thinking != "" {
		parts[0].ThoughtSignature = signature(ProviderGemini, lr.model, a.thinking)
	}
	chunk(parts, true)
	st.events[len(st.events)-1].terminal = true
	return st
}
