package anthropic

import (
	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

// ScanAnswer reads usage, model and stop reason from a Messages response or
// stream event into a. message_start carries the input side; message_delta
// carries cumulative output (and, in newer versions, the input side again).
func ScanAnswer(data []byte, a *llm.Answer) {
	// Most events of a stream are content blocks, which carry none of it:
	// their type (the first key) says so before anything is parsed.
	switch gjson.GetBytes(data, "type").Str {
	case "content_block_delta", "content_block_start", "content_block_stop", "ping":
		return
	}
	root := gjson.ParseBytes(data)
	msg := root
	if m := root.Get("message"); m.IsObject() {
		msg = m // message_start
	}
	if m := msg.Get("model"); m.Type == gjson.String {
		a.Model = m.Str
	}
	if r := msg.Get("stop_reason"); r.Type == gjson.String {
		a.AddFinish(r.Str)
	}
	if r := root.Get("delta.stop_reason"); r.Type == gjson.String {
		a.AddFinish(r.Str)
	}
	u := msg.Get("usage")
	if !u.IsObject() {
		return
	}
	set := func(dst *int64, key string) {
		if v := u.Get(key); v.Exists() {
			*dst = v.Int()
		}
	}
	set(&a.Usage.InputTokens, "input_tokens")
	set(&a.Usage.OutputTokens, "output_tokens")
	set(&a.Usage.CacheRead, "cache_read_input_tokens")
	set(&a.Usage.CacheWrite, "cache_creation_input_tokens")
}
