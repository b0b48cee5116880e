package anthropic

import (
	"encoding/json"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/switchyard-gw/switchyard/internal/jsonguard"
)

// Collector rebuilds one Messages response from its stream events, so a
// non-streaming client can be served from a streamed upstream call. Thinking
// blocks keep their signatures; tool inputs are parsed from their fragments.
type Collector struct {
	msg     []byte // message_start's message
	blocks  []*block
	stop    json.RawMessage
	stopSeq json.RawMessage
	usage   map[string]json.RawMessage
}

type block struct {
	start   []byte // content_block_start's content_block
	text    strings.Builder
	think   strings.Builder
	sig     strings.Builder
	partial strings.Builder
}

// Add feeds one event's data.
func (c *Collector) Add(data []byte) {
	root := gjson.ParseBytes(data)
	switch root.Get("type").Str {
	case "message_start":
		m := root.Get("message")
		c.msg = []byte(m.Raw)
		c.mergeUsage(m.Get("usage"))
	case "content_block_start":
		c.blocks = append(c.blocks, &block{start: []byte(root.Get("content_block").Raw)})
	case "content_block_delta":
		i := int(root.Get("index").Int())
		if i < 0 || i >= len(c.blocks) {
			return
		}
		b, d := c.blocks[i], root.Get("delta")
		switch d.Get("type").Str {
		case "text_delta":
			b.text.WriteString(d.Get("text").Str)
		case "thinking_delta":
			b.think.WriteString(d.Get("thinking").Str)
		case "signature_delta":
			b.sig.WriteString(d.Get("signature").Str)
		case "input_json_delta":
			b.partial.WriteString(d.Get("partial_json").Str)
		}
	case "message_delta":
		d := root.Get("delta")
		if v := d.Get("stop_reason"); v.Exists() {
			c.stop = json.RawMessage(v.Raw)
		}
		if v := d.Get("stop_sequence"); v.Exists() {
			c.stopSeq = json.RawMessage(v.Raw)
		}
		c.mergeUsage(root.Get("usage"))
	}
}

func (c *Collector) mergeUsage(u gjson.Result) {
	if !u.IsObject() {
		return
	}
	if c.usage == nil {
		c.usage = map[string]json.RawMessage{}
	}
	u.ForEach(func(k, v gjson.Result) bool {
		c.usage[k.Str] = json.RawMessage(v.Raw)
		return true
	})
}

// JSON is the collected response.
func (c *Collector) JSON() ([]byte, error) {
	out := c.msg
	if len(out) == 0 {
		out = []byte(`{"type":"message","role":"assistant"}`)
	}
	content := make([]json.RawMessage, 0, len(c.blocks))
	for _, b := range c.blocks {
		blk, err := b.json()
		if err != nil {
			return nil, err
		}
		content = append(content, blk)
	}
	var err error
	set := func(path string, v any) {
		if err == nil {
			out, err = sjson.SetBytes(out, path, v)
		}
	}
	set("content", content)
	if c.stop != nil {
		set("stop_reason", c.stop)
	}
	if c.stopSeq != nil {
		set("stop_sequence", c.stopSeq)
	}
	if c.usage != nil {
		set("usage", c.usage)
	}
	return out, err
}

func (b *block) json() (json.RawMessage, error) {
	out := b.start
	var err error
	set := func(path string, v any) {
		if err == nil {
			out, err = sjson.SetBytes(out, path, v)
		}
	}
	switch gjson.GetBytes(b.start, "type").Str {
	case "text":
		set("text", gjson.GetBytes(b.start, "text").Str+b.text.String())
	case "thinking":
		set("thinking", gjson.GetBytes(b.start, "thinking").Str+b.think.String())
		if b.sig.Len() > 0 {
			set("signature", b.sig.String())
		}
	case "tool_use", "server_tool_use":
		in := strings.TrimSpace(b.partial.String())
		if in == "" {
			in = "{}"
		}
		if !jsonguard.ValidString(in) {
			in = "{}"
		}
		set("input", json.RawMessage(in))
	}
	return out, err
}
