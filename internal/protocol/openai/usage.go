package openai

import (
	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

// ScanAnswer reads usage, model and finish reasons from a Chat Completions
// response or stream chunk (or a Responses API object/event) into a.
// prompt_tokens includes cached tokens; they are split out here.
func ScanAnswer(data []byte, a *llm.Answer) {
	root := gjson.ParseBytes(data)
	if m := root.Get("model"); m.Type == gjson.String {
		a.Model = m.Str
	}
	root.Get("choices.#.finish_reason").ForEach(func(_, v gjson.Result) bool {
		if v.Type == gjson.String {
			a.AddFinish(v.Str)
		}
		return true
	})
	u := root.Get("usage")
	if !u.IsObject() {
		u = root.Get("response.usage") // Responses API completion event
		if m := root.Get("response.model"); m.Type == gjson.String {
			a.Model = m.Str
		}
		if s := root.Get("response.status"); s.Type == gjson.String && s.Str != "in_progress" {
			a.AddFinish(s.Str)
		}
	}
	if !u.IsObject() {
		return
	}
	in := u.Get("prompt_tokens")
	if !in.Exists() {
		in = u.Get("input_tokens")
	}
	out := u.Get("completion_tokens")
	if !out.Exists() {
		out = u.Get("output_tokens")
	}
	cached := u.Get("prompt_tokens_details.cached_tokens")
	if !cached.Exists() {
		cached = u.Get("input_tokens_details.cached_tokens")
	}
	reason := u.Get("completion_tokens_details.reasoning_tokens")
	if !reason.Exists() {
		reason = u.Get("output_tokens_details.reasoning_tokens")
	}
	a.Usage = llm.Usage{
		InputTokens:     in.Int() - cached.Int(),
		OutputTokens:    out.Int(),
		CacheRead:       cached.Int(),
		ReasoningTokens: reason.Int(),
	}
}
