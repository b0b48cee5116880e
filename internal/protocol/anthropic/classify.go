package anthropic

import "github.com/switchyard-gw/switchyard/internal/sse"

// Classify classifies a Messages stream event by its event name: "ping" is
// Skip, "error" is Error, "message_stop" is Done, "message_start" is the
// Preamble, any other named event is Data. An event without a name, which
// the SDK ignores, is classified by its JSON "type" instead, and is Skip if
// it has none. Messages streams end with message_stop, so finished is always
// false.
func Classify(ev sse.Event) (kind sse.Kind, finished bool) {
	data, skip := sse.Payload(ev)
	if ev.Comment || (skip && ev.Name == "") {
		return sse.KindSkip, false
	}
	switch sse.Name(ev, data) {
	case "":
		if sse.HasError(data) {
			return sse.KindError, false
		}
		return sse.KindSkip, false
	case "ping":
		return sse.KindSkip, false
	case "error":
		return sse.KindError, false
	case "message_stop":
		return sse.KindDone, false
	case "message_start":
		return sse.KindPreamble, false
	}
	return sse.KindData, false
}
