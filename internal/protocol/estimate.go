package protocol

import "github.com/switchyard-gw/switchyard/internal/llm"

// imageTokens is what one image is counted as by EstimateInputTokens.
const imageTokens = 1000

// EstimateInputTokens approximates the input tokens of r (a quarter of the
// bytes of its text, arguments and tool definitions, plus a flat amount per
// image), for client protocols that show an input count before a provider
// that reports usage only at the end has answered. 0 for a nil request.
func EstimateInputTokens(r *llm.Request) int64 {
	if r == nil {
		return 0
	}
	var bytes, images int
	var parts func(ps []llm.Part)
	parts = func(ps []llm.Part) {
		for _, p := range ps {
			bytes += len(p.Text)
			switch {
			case p.Image != nil:
				images++
			case p.ToolCall != nil:
				bytes += len(p.ToolCall.Name) + len(p.ToolCall.Args)
			case p.ToolResult != nil:
				parts(p.ToolResult.Content)
			}
		}
	}
	parts(r.System)
	for _, m := range r.Messages {
		parts(m.Parts)
	}
	for _, t := range r.Tools {
		bytes += len(t.Name) + len(t.Description) + len(t.Schema)
	}
	return int64((bytes+3)/4 + images*imageTokens)
}
