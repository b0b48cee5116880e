package responses

import "github.com/switchyard-gw/switchyard/internal/sse"

// Classify classifies a Responses API stream event by its name (or its JSON
// "type" when the name is missing): "response.completed" and
// "response.incomplete" are Done, "response.failed" and "error" are Error,
// "response.created", "response.in_progress" and "response.queued" are the
// Preamble, comments and empty events are Skip, and everything else is Data.
// Responses streams end with a terminal event, so finished is always false.
func Classify(ev sse.Event) (kind sse.Kind, finished bool) {
	data, skip := sse.Payload(ev)
	if ev.Comment || (skip && ev.Name == "") {
		return sse.KindSkip, false
	}
	switch sse.Name(ev, data) {
	case "response.completed", "response.incomplete":
		return sse.KindDone, false
	case "response.failed", "error":
		return sse.KindError, false
	case "response.created", "response.in_progress", "response.queued":
		return sse.KindPreamble, false
	case "":
		if sse.HasError(data) {
			return sse.KindError, false
		}
	}
	return sse.KindData, false
}
