package dispatch

import (
	"encoding/json"
	"fmt"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

// canRepair reports whether the protocol carries thinking signatures.
func canRepair(p llm.Protocol) bool { return p == llm.Anthropic || p == llm.Gemini }

// repairBody removes what a thinking-signature error complains about, once per
// request: Anthropic thinking blocks become plain text, redacted thinking is
// dropped and thinking is turned off for the retry (a history without signed
// blocks cannot be replayed with thinking on); Gemini parts lose their
// thoughtSignature. Every other field survives.
func repairBody(p llm.Protocol, body []byte) ([]byte, bool) {
	switch p {
	case llm.Anthropic:
		return repairAnthropic(body)
	case llm.Gemini:
		return repairGemini(body)
	}
	return body, false
}

func repairAnthropic(body []byte) ([]byte, bool) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return body, false
	}
	var msgs []map[string]json.RawMessage
	if err := json.Unmarshal(top["messages"], &msgs); err != nil {
		return body, false
	}
	changed := false
	for _, m := range msgs {
		var blocks []map[string]json.RawMessage
		if err := json.Unmarshal(m["content"], &blocks); err != nil {
			continue // string content has no thinking
		}
		out := blocks[:0]
		for _, b := range blocks {
			var typ string
			_ = json.Unmarshal(b["type"], &typ)
			switch typ {
			case "thinking":
				var text string
				_ = json.Unmarshal(b["thinking"], &text)
				changed = true
				if text == "" {
					continue
				}
				t, _ := json.Marshal(text)
				out = append(out, map[string]json.RawMessage{"type": json.RawMessage(`"text"`), "text": t})
			case "redacted_thinking":
				changed = true
			default:
				out = append(out, b)
			}
		}
		if len(out) == 0 {
			out = append(out, map[string]json.RawMessage{"type": json.RawMessage(`"text"`), "text": json.RawMessage(`"(thinking omitted)"`)})
		}
		c, err := json.Marshal(out)
		if err != nil {
			return body, false
		}
		m["content"] = c
	}
	if _, on := top["thinking"]; on {
		delete(top, "thinking")
		changed = true
	}
	if !changed {
		return body, false
	}
	mb, err := json.Marshal(msgs)
	if err != nil {
		return body, false
	}
	top["messages"] = mb
	out, err := json.Marshal(top)
	if err != nil {
		return body, false
	}
	return out, true
}

func repairGemini(body []byte) ([]byte, bool) {
	var paths []string
	gjson.GetBytes(body, "contents").ForEach(func(ci, c gjson.Result) bool {
		c.Get("parts").ForEach(func(pi, p gjson.Result) bool {
			for _, k := range []string{"thoughtSignature", "thought_signature"} {
				if p.Get(k).Exists() {
					paths = append(paths, fmt.Sprintf("contents.%d.parts.%d.%s", ci.Int(), pi.Int(), k))
				}
			}
			return true
		})
		return true
	})
	if len(paths) == 0 {
		return body, false
	}
	out := body
	for _, p := range paths {
		var err error
		if out, err = sjson.DeleteBytes(out, p); err != nil {
			return body, false
		}
	}
	return out, true
}
