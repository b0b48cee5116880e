package responses

import (
	"fmt"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol"
)

// DropForeignSignatures keeps reasoning another provider signed away from
// OpenAI, which cannot read it: a reasoning input item whose
// encrypted_content the gateway minted from elsewhere is left out. Bodies
// without a tag (see llm.TagSignature) come back untouched after one scan.
func DropForeignSignatures(body []byte) []byte {
	if !llm.HasSignatureTag(body) {
		return body
	}
	var edits []protocol.Edit
	gjson.GetBytes(body, "input").ForEach(func(i, item gjson.Result) bool {
		if item.Get("type").Str == "reasoning" && llm.HasSignatureTag([]byte(item.Get("encrypted_content").Str)) {
			edits = append(edits, protocol.Edit{Path: fmt.Sprintf("input.%d", i.Int())})
		}
		return true
	})
	return protocol.ApplyEdits(body, edits)
}
