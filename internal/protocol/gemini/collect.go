package gemini

import (
	"encoding/json"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// Collector rebuilds one GenerateContentResponse from its stream chunks, so a
// non-streaming client can be served from a streamed upstream call. Adjacent
// text parts of the same kind (thought or not) are joined; function calls and
// thought signatures are kept where they came.
type Collector struct {
	last   []byte // the latest chunk: carries usage, modelVersion, responseId
	parts  []map[string]json.RawMessage
	finish json.RawMessage
	extra  map[string]json.RawMessage // candidate fields other than content (safetyRatings, …)
	role   string
}

// Add feeds one chunk's data.
func (c *Collector) Add(data []byte) {
	root := gjson.ParseBytes(data)
	if !root.IsObject() {
		return
	}
	c.last = append(c.last[:0], data...)
	cand := root.Get("candidates.0")
	if !cand.Exists() {
		return
	}
	cand.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "content":
			if r := v.Get("role"); r.Type == gjson.String {
				c.role = r.Str
			}
		case "finishReason":
			c.finish = json.RawMessage(v.Raw)
		default:
			if c.extra == nil {
				c.extra = map[string]json.RawMessage{}
			}
			c.extra[k.Str] = json.RawMessage(v.Raw)
		}
		return true
	})
	cand.Get("content.parts").ForEach(func(_, p gjson.Result) bool {
		var part map[string]json.RawMessage
		if json.Unmarshal([]byte(p.Raw), &part) != nil {
			return true
		}
		c.appendPart(part)
		return true
	})
}

func (c *Collector) appendPart(p map[string]json.RawMessage) {
	if n := len(c.parts); n > 0 {
		prev := c.parts[n-1]
		_, pText := prev["text"]
		_, nText := p["text"]
		_, pSig := prev["thoughtSignature"]
		if pText && nText && !pSig && len(p) <= 3 && string(prev["thought"]) == string(p["thought"]) {
			var a, b string
			_ = json.Unmarshal(prev["text"], &a)
			_ = json.Unmarshal(p["text"], &b)
			joined, _ := json.Marshal(a + b)
			prev["text"] = joined
			if sig, ok := p["thoughtSignature"]; ok {
				prev["thoughtSignature"] = sig
			}
			return
		}
	}
	c.parts = append(c.parts, p)
}

// JSON is the collected response.
func (c *Collector) JSON() ([]byte, error) {
	out := c.last
	if len(out) == 0 {
		out = []byte(`{}`)
	}
	role := c.role
	if role == "" {
		role = "model"
	}
	parts := c.parts
	if parts == nil {
		parts = []map[string]json.RawMessage{}
	}
	cand := map[string]any{"content": map[string]any{"role": role, "parts": parts}, "index": 0}
	for k, v := range c.extra {
		if k != "index" {
			cand[k] = v
		}
	}
	if c.finish != nil {
		cand["finishReason"] = c.finish
	}
	return sjson.SetBytes(out, "candidates", []any{cand})
}
