package sse

import (
	"bytes"
	"unsafe"

	"github.com/tidwall/gjson"
)

// Kind is what an upstream event means to the gateway's peek: whether the
// stream has really started, failed, or ended. Each protocol package
// classifies its own events; the helpers below are what they share.
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

// Payload returns the event's data with surrounding white space removed, and
// whether the event is a heartbeat on its face: a comment, empty data, or
// data that is itself a comment (": ping" sent as "data: : ping").
func Payload(ev Event) (data []byte, skip bool) {
	if ev.Comment {
		return nil, true
	}
	data = bytes.TrimSpace(ev.Data)
	return data, len(data) == 0 || data[0] == ':'
}

// Name is an event's name, or, for an event sent without one, the JSON
// "type" of its data (which the SDKs read instead).
func Name(ev Event, data []byte) string {
	if ev.Name != "" {
		return ev.Name
	}
	return gjson.Get(View(data), "type").String()
}

// HasError reports whether a JSON object has a truthy top-level "error".
func HasError(data []byte) bool {
	return len(data) > 0 && data[0] == '{' && Truthy(gjson.Get(View(data), "error"))
}

// Truthy mirrors JavaScript truthiness, which the SDKs apply to "error".
func Truthy(v gjson.Result) bool {
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

// View returns b as a string without copying, so that gjson can read an event
// without allocating. The string and the gjson results taken from it alias b:
// they are only used within the call that made them and never retained.
func View(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}
