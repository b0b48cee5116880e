package gemini

import (
	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

// ScanAnswer reads usageMetadata, modelVersion and finish reasons from a
// generateContent response or stream chunk into a. promptTokenCount includes
// cached tokens and candidatesTokenCount excludes thoughts; both are
// normalised here. Later chunks overwrite earlier ones (the last is final).
func ScanAnswer(data []byte, a *llm.Answer) {
	root := gjson.ParseBytes(data)
	if r := root.Get("response"); r.IsObject() {
		root = r // Code Assist envelope
	}
	if m := root.Get("modelVersion"); m.Type == gjson.String {
		a.Model = m.Str
	}
	root.Get("candidates.#.finishReason").ForEach(func(_, v gjson.Result) bool {
		if v.Type == gjson.String {
			a.AddFinish(v.Str)
		}
		return true
	})
	u := root.Get("usageMetadata")
	if !u.IsObject() {
		return
	}
	cached := u.Get("cachedContentTokenCount").Int()
	thoughts := u.Get("thoughtsTokenCount").Int()
	a.Usage = llm.Usage{
		InputTokens:     u.Get("promptTokenCount").Int() - cached,
		OutputTokens:    u.Get("candidatesTokenCount").Int() + thoughts,
		CacheRead:       cached,
		ReasoningTokens: thoughts,
	}
}
