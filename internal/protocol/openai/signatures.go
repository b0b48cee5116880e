package openai

import (
	"fmt"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol"
)

// DropForeignSignatures keeps reasoning another provider signed away from
// OpenAI, which cannot read it: a Gemini thought signature the gateway put
// in a chat tool call's extra_content is left out. Bodies without a tag (see
// llm.TagSignature) come back untouched after one scan.
func DropForeignSignatures(body []byte) []byte {
	if !llm.HasSignatureTag(body) {
		return body
	}
	var edits []protocol.Edit
	gjson.GetBytes(body, "messages").ForEach(func(mi, m gjson.Result) bool {
		m.Get("tool_calls").ForEach(func(ti, tc gjson.Result) bool {
			if x := tc.Get("extra_content"); x.Exists() && llm.HasSignatureTag([]byte(x.Raw)) {
				edits = append(edits, protocol.Edit{Path: fmt.Sprintf("messages.%d.tool_calls.%d.extra_content", mi.Int(), ti.Int())})
			}
			return true
		})
		return true
	})
	return protocol.ApplyEdits(body, edits)
}
