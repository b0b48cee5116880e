package anthropic

import (
	"encoding/json"
	"fmt"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol"
)

// family is this protocol's signature family (see llm.TagSignature).
const family = string(llm.Anthropic)

// RepairSignatures removes what a thinking-signature error complains about:
// thinking blocks become plain text, redacted thinking is dropped and
// thinking is turned off (a history without signed blocks cannot be
// replayed with thinking on). Every other field survives; ok is false when
// there was nothing to remove.
func RepairSignatures(body []byte) ([]byte, bool) {
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

// DropForeignSignatures keeps signatures that an earlier translated turn
// handed to this client (tagged with their origin, see llm.TagSignature) away
// from Anthropic when another provider made them: such a thinking block
// becomes plain text, a redacted one is dropped. A tagged Anthropic
// signature gets its tag removed. Bodies without a tag, nearly all, come
// back untouched after one scan.
func DropForeignSignatures(body []byte) []byte {
	if !llm.HasSignatureTag(body) {
		return body
	}
	var edits []protocol.Edit
	gjson.GetBytes(body, "messages").ForEach(func(mi, m gjson.Result) bool {
		m.Get("content").ForEach(func(bi, b gjson.Result) bool {
			path := fmt.Sprintf("messages.%d.content.%d", mi.Int(), bi.Int())
			field := "signature"
			if b.Get("type").Str == "redacted_thinking" {
				field = "data"
			}
			origin, raw, ok := llm.UntagSignature(b.Get(field).Str)
			switch {
			case !ok:
			case origin == family && raw != "":
				q, _ := json.Marshal(raw)
				edits = append(edits, protocol.Edit{Path: path + "." + field, Raw: string(q)})
			case field == "signature" && b.Get("thinking").Str != "":
				q, _ := json.Marshal(map[string]string{"type": "text", "text": b.Get("thinking").Str})
				edits = append(edits, protocol.Edit{Path: path, Raw: string(q)})
			default:
				edits = append(edits, protocol.Edit{Path: path})
			}
			return true
		})
		return true
	})
	return protocol.ApplyEdits(body, edits)
}
