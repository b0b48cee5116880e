package sse

import (
	"bytes"
	"unsafe"

	"github.com/tidwall/gjson"
)

// Kind is what an upstream event means to the gateway's peek: whether the
// stream has really started, failed, or ended.
type Kind int

const (
	// KindSkip is a heartbeat: a comment, a ping, or an empty event.
	KindSkip Kind = iota
	// KindData is meaningful content, or the real start of an answer.
	KindData
	// KindError is an in-band error event.
	KindError
	// KindDone is the protocol's terminal event.
	KindDone
	// KindPreamble opens an answer without content (Anthropic message_start,
	// Responses response.created and response.in_progress). The peek keeps
	// it for the client but reads on: an error event that follows is still
	// an attempt that may go to another account.
	KindPreamble
)

// String returns the kind's name, for logs and test failures.
func (k Kind) String() string {
	switch k {
	case KindSkip:
		return "skip"
	case KindData:
		return "data"
	case KindError:
		return "error"
	case KindDone:
		return "done"
	case KindPreamble:
		return "preamble"
	}
	return "unknown"
}

// ClassifyOpenAI classifies an OpenAI Chat Completions stream event:
// "[DONE]" is Done, a JSON object with a truthy top-level "error" is Error
// (the SDKs raise on it), comments and empty events are Skip, and every other
// chunk is Data. The first chunk, which usually carries only
// delta.role "assistant" and empty content, counts as Data: it is the
// upstream's real start of an answer, so a stream that got that far is
// committed to the client.
func ClassifyOpenAI(ev Event) Kind {
	data, skip := payload(ev)
	switch {
	case skip:
		return KindSkip
	case string(data) == "[DONE]":
		return KindDone
	case hasError(data):
		return KindError
	}
	return KindData
}

// ClassifyAnthropic classifies an Anthropic Messages stream event by its
// event name: "ping" is Skip, "error" is Error, "message_stop" is Done, any
// other named event is Data. An event without a name, which the SDK ignores,
// is classified by its JSON "type" instead, and is Skip if it has none.
func ClassifyAnthropic(ev Event) Kind {
	data, skip := payload(ev)
	if ev.Comment || (skip && ev.Name == "") {
		return KindSkip
	}
	name := ev.Name
	if name == "" {
		name = gjson.Get(view(data), "type").String()
	}
	switch name {
	case "":
		if hasError(data) {
			return KindError
		}
		return KindSkip
	case "ping":
		return KindSkip
	case "error":
		return KindError
	case "message_stop":
		return KindDone
	case "message_start":
		return KindPreamble
	}
	return KindData
}

// ClassifyGemini classifies a Gemini (or Code Assist, whose chunks wrap the
// response in {"response": …}) stream chunk: an "error" without candidates is
// Error; a chunk with candidates, usageMetadata or promptFeedback is Data,
// including the last one with a finishReason, because Gemini has no terminal
// event (see GeminiFinished); anything else is Skip.
func ClassifyGemini(ev Event) Kind {
	data, skip := payload(ev)
	if skip {
		return KindSkip
	}
	resp := geminiResponse(data)
	candidates := resp.Get("candidates")
	switch {
	case candidates.Exists():
		return KindData
	case hasError(data) || truthy(resp.Get("error")):
		return KindError
	case resp.Get("usageMetadata").Exists(), resp.Get("promptFeedback").Exists():
		return KindData
	}
	return KindSkip
}

// GeminiFinished reports whether a Gemini chunk carries a candidate with a
// finishReason. Gemini streams end at EOF; the gateway treats EOF after such
// a chunk as a clean end and EOF before it as a truncated stream.
func GeminiFinished(ev Event) bool {
	data, skip := payload(ev)
	if skip {
		return false
	}
	finished := false
	geminiResponse(data).Get("candidates").ForEach(func(_, c gjson.Result) bool {
		finished = c.Get("finishReason").String() != ""
		return !finished
	})
	return finished
}

// ClassifyResponses classifies an OpenAI Responses API stream event by its
// name (or its JSON "type" when the name is missing): "response.completed"
// and "response.incomplete" are Done, "response.failed" and "error" are
// Error, comments and empty events are Skip, and everything else, including
// "response.created", is Data.
func ClassifyResponses(ev Event) Kind {
	data, skip := payload(ev)
	if ev.Comment || (skip && ev.Name == "") {
		return KindSkip
	}
	name := ev.Name
	if name == "" {
		name = gjson.Get(view(data), "type").String()
	}
	switch name {
	case "response.completed", "response.incomplete":
		return KindDone
	case "response.failed", "error":
		return KindError
	case "response.created", "response.in_progress", "response.queued":
		return KindPreamble
	case "":
		if hasError(data) {
			return KindError
		}
	}
	return KindData
}

// payload returns the event's data with surrounding white space removed, and
// whether the event is a heartbeat on its face: a comment, empty data, or
// data that is itself a comment (": ping" sent as "data: : ping").
func payload(ev Event) (data []byte, skip bool) {
	if ev.Comment {
		return nil, true
	}
	data = bytes.TrimSpace(ev.Data)
	return data, len(data) == 0 || data[0] == ':'
}

// geminiResponse returns the GenerateContentResponse of a chunk, unwrapping
// the Code Assist envelope {"response": {…}, "traceId": …}.
func geminiResponse(data []byte) gjson.Result {
	root := gjson.Parse(view(data))
	if resp := root.Get("response"); resp.IsObject() {
		return resp
	}
	return root
}

// hasError reports whether a JSON object has a truthy top-level "error".
func hasError(data []byte) bool {
	return len(data) > 0 && data[0] == '{' && truthy(gjson.Get(view(data), "error"))
}

// truthy mirrors JavaScript truthiness, which the SDKs apply to "error".
func truthy(v gjson.Result) bool {
	switch v.Type {
	case gjson.Null, gjson.False:
		return false
	case gjson.String:
		return v.Str != ""
	case gjson.Number:
		return v.Num != 0
	}
	return v.Exists()
}

// view returns b as a string without copying, so that gjson can read an event
// without allocating. The string and the gjson results taken from it alias b:
// they are only used within the call that made them and never retained.
func view(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}
