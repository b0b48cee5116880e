package gemini

import (
	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/sse"
)

// Classify classifies a Gemini (or Code Assist, whose chunks wrap the
// response in {"response": …}) stream chunk: an "error" without candidates
// is Error; a chunk with candidates, usageMetadata or promptFeedback is
// Data, including the last one with a finishReason, because Gemini has no
// terminal event; anything else is Skip. finished reports a candidate with a
// finishReason: Gemini streams end at EOF, and EOF after such a chunk is a
// clean end while EOF before it is a truncated stream (see CleanEOF).
func Classify(ev sse.Event) (kind sse.Kind, finished bool) {
	data, skip := sse.Payload(ev)
	if skip {
		return sse.KindSkip, false
	}
	resp := chunkResponse(data)
	candidates := resp.Get("candidates")
	switch {
	case candidates.Exists():
		candidates.ForEach(func(_, c gjson.Result) bool {
			finished = c.Get("finishReason").String() != ""
			return !finished
		})
		return sse.KindData, finished
	case sse.HasError(data) || sse.Truthy(resp.Get("error")):
		return sse.KindError, false
	case resp.Get("usageMetadata").Exists(), resp.Get("promptFeedback").Exists():
		return sse.KindData, false
	}
	return sse.KindSkip, false
}

// CleanEOF reports whether the end of a stream is proper: Gemini has no
// terminal event, so only after a chunk that carried a finishReason.
func CleanEOF(finished bool) bool { return finished }

// chunkResponse returns the GenerateContentResponse of a chunk, unwrapping the
// Code Assist envelope {"response": {…}, "traceId": …}.
func chunkResponse(data []byte) gjson.Result {
	root := gjson.Parse(sse.View(data))
	if resp := root.Get("response"); resp.IsObject() {
		return resp
	}
	return root
}
