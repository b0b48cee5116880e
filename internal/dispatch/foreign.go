package dispatch

import (
	"encoding/json"
	"fmt"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/signature"
)

// geminiPlaceholder is the signature Google documents for function calls
// whose history came from elsewhere.
const geminiPlaceholder = "skip_thought_signature_validator"

// dropForeignSignatures keeps, on the fast path, signatures that an earlier
// translated turn handed to this client (they carry the gateway's origin tag,
// see signature.Tag) away from a provider that did not produce them: an
// Anthropic thinking block signed by Gemini becomes plain text, a Gemini part
// signed by Anthropic gets Google's placeholder (function calls) or none, and
// OpenAI gets neither reasoning items nor thought signatures minted elsewhere.
// A tagged signature of the provider's own family gets its tag removed. Bodies
// without a tag, that is nearly all, are returned untouched after one scan.
func dropForeignSignatures(p llm.Protocol, body []byte) []byte {
	if !signature.HasTag(body) {
		return body
	}
	type edit struct {
		path string
		raw  string // JSON to set; "" deletes
	}
	var edits []edit
	fam := string(p)
	switch p {
	case llm.Anthropic:
		gjson.GetBytes(body, "messages").ForEach(func(mi, m gjson.Result) bool {
			m.Get("content").ForEach(func(bi, b gjson.Result) bool {
				path := fmt.Sprintf("messages.%d.content.%d", mi.Int(), bi.Int())
				field := "signature"
				if b.Get("type").Str == "redacted_thinking" {
					field = "data"
				}
				origin, raw, ok := signature.Untag(b.Get(field).Str)
				switch {
				case !ok:
				case origin == fam && raw != "":
					q, _ := json.Marshal(raw)
					edits = append(edits, edit{path: path + "." + field, raw: string(q)})
				case field == "signature" && b.Get("thinking").Str != "":
					q, _ := json.Marshal(map[string]string{"type": "text", "text": b.Get("thinking").Str})
					edits = append(edits, edit{path: path, raw: string(q)})
				default:
					edits = append(edits, edit{path: path})
				}
				return true
			})
			return true
		})
	case llm.Gemini:
		gjson.GetBytes(body, "contents").ForEach(func(ci, c gjson.Result) bool {
			c.Get("parts").ForEach(func(pi, part gjson.Result) bool {
				for _, k := range []string{"thoughtSignature", "thought_signature"} {
					origin, raw, ok := signature.Untag(part.Get(k).Str)
					path := fmt.Sprintf("contents.%d.parts.%d.%s", ci.Int(), pi.Int(), k)
					switch {
					case !ok:
					case origin == fam && raw != "":
						q, _ := json.Marshal(raw)
						edits = append(edits, edit{path: path, raw: string(q)})
					case part.Get("functionCall").Exists() || part.Get("function_call").Exists():
						edits = append(edits, edit{path: path, raw: `"` + geminiPlaceholder + `"`})
					default:
						edits = append(edits, edit{path: path})
					}
				}
				return true
			})
			return true
		})
	case llm.OpenAI:
		// OpenAI cannot read another provider's reasoning: a Responses
		// reasoning item the gateway minted, or a Gemini thought signature in
		// a chat tool call's extra_content, is left out.
		gjson.GetBytes(body, "input").ForEach(func(i, item gjson.Result) bool {
			if item.Get("type").Str == "reasoning" && signature.HasTag([]byte(item.Get("encrypted_content").Str)) {
				edits = append(edits, edit{path: fmt.Sprintf("input.%d", i.Int())})
			}
			return true
		})
		gjson.GetBytes(body, "messages").ForEach(func(mi, m gjson.Result) bool {
			m.Get("tool_calls").ForEach(func(ti, tc gjson.Result) bool {
				if x := tc.Get("extra_content"); x.Exists() && signature.HasTag([]byte(x.Raw)) {
					edits = append(edits, edit{path: fmt.Sprintf("messages.%d.tool_calls.%d.extra_content", mi.Int(), ti.Int())})
				}
				return true
			})
			return true
		})
	}
	out := body
	// Later paths first, so deleting an array element never shifts one still
	// to be edited.
	for i := len(edits) - 1; i >= 0; i-- {
		e := edits[i]
		var err error
		if e.raw == "" {
			out, err = sjson.DeleteBytes(out, e.path)
		} else {
			out, err = sjson.SetRawBytes(out, e.path, []byte(e.raw))
		}
		if err != nil {
			return body
		}
	}
	return out
}
