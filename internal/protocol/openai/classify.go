package openai

import "github.com/switchyard-gw/switchyard/internal/sse"

// Classify classifies a Chat Completions stream event: "[DONE]" is Done, a
// JSON object with a truthy top-level "error" is Error (the SDKs raise on
// it), comments and empty events are Skip, and every other chunk is Data.
// The first chunk, which usually carries only delta.role "assistant" and
// empty content, counts as Data: it is the upstream's real start of an
// answer, so a stream that got that far is committed to the client. Chat
// streams end with "[DONE]", so finished is always false.
func Classify(ev sse.Event) (kind sse.Kind, finished bool) {
	data, skip := sse.Payload(ev)
	switch {
	case skip:
		return sse.KindSkip, false
	case string(data) == "[DONE]":
		return sse.KindDone, false
	case sse.HasError(data):
		return sse.KindError, false
	}
	return sse.KindData, false
}
