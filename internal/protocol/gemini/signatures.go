package gemini

import (
	"encoding/json"
	"fmt"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol"
)

// family is this protocol's signature family (see llm.TagSignature).
const family = string(llm.Gemini)

// placeholder is the signature Google documents for function calls whose
// history came from elsewhere.
const placeholder = "skip_thought_signature_validator"

var signatureFields = [...]string{"thoughtSignature", "thought_signature"}

// RepairSignatures removes what a thought-signature error complains about:
// every part loses its thoughtSignature; every other field survives. ok is
// false when there was none.
func RepairSignatures(body []byte) ([]byte, bool) {
	var edits []protocol.Edit
	eachPart(body, func(path string, part gjson.Result) {
		for _, k := range signatureFields {
			if part.Get(k).Exists() {
				edits = append(edits, protocol.Edit{Path: path + "." + k})
			}
		}
	})
	if len(edits) == 0 {
		return body, false
	}
	out := protocol.ApplyEdits(body, edits)
	return out, len(out) != len(body)
}

// DropForeignSignatures keeps signatures that an earlier translated turn
// handed to this client (tagged with their origin, see llm.TagSignature) away
// from Gemini when another provider made them: a function call gets Google's
// placeholder, any other part none. A tagged Gemini signature gets its tag
// removed. Bodies without a tag come back untouched after one scan.
func DropForeignSignatures(body []byte) []byte {
	if !llm.HasSignatureTag(body) {
		return body
	}
	var edits []protocol.Edit
	eachPart(body, func(path string, part gjson.Result) {
		for _, k := range signatureFields {
			origin, raw, ok := llm.UntagSignature(part.Get(k).Str)
			switch {
			case !ok:
			case origin == family && raw != "":
				q, _ := json.Marshal(raw)
				edits = append(edits, protocol.Edit{Path: path + "." + k, Raw: string(q)})
			case part.Get("functionCall").Exists() || part.Get("function_call").Exists():
				edits = append(edits, protocol.Edit{Path: path + "." + k, Raw: `"` + placeholder + `"`})
			default:
				edits = append(edits, protocol.Edit{Path: path + "." + k})
			}
		}
	})
	return protocol.ApplyEdits(body, edits)
}

// eachPart calls fn with the path and value of every part of every content.
func eachPart(body []byte, fn func(path string, part gjson.Result)) {
	gjson.GetBytes(body, "contents").ForEach(func(ci, c gjson.Result) bool {
		c.Get("parts").ForEach(func(pi, part gjson.Result) bool {
			fn(fmt.Sprintf("contents.%d.parts.%d", ci.Int(), pi.Int()), part)
			return true
		})
		return true
	})
}
