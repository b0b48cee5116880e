package openai

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/tidwall/gjson"
)

// Collector rebuilds one chat.completion from its stream chunks, so a
// non-streaming client can be served from a streamed upstream call.
type Collector struct {
	id, model, fingerprint string
	created                int64
	choices                map[int64]*choice
	usage                  json.RawMessage
}

type choice struct {
	role      string
	content   strings.Builder
	reasoning strings.Builder
	refusal   strings.Builder
	finish    json.RawMessage
	tools     map[int64]*toolCall
}

type toolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
	args strings.Builder
}

// Add feeds one chunk's data ("[DONE]" is ignored).
func (c *Collector) Add(data []byte) {
	root := gjson.ParseBytes(data)
	if !root.IsObject() {
		return
	}
	if v := root.Get("id"); v.Type == gjson.String {
		c.id = v.Str
	}
	if v := root.Get("model"); v.Type == gjson.String {
		c.model = v.Str
	}
	if v := root.Get("system_fingerprint"); v.Type == gjson.String {
		c.fingerprint = v.Str
	}
	if v := root.Get("created"); v.Exists() {
		c.created = v.Int()
	}
	if u := root.Get("usage"); u.IsObject() {
		c.usage = json.RawMessage(u.Raw)
	}
	root.Get("choices").ForEach(func(_, ch gjson.Result) bool {
		if c.choices == nil {
			c.choices = map[int64]*choice{}
		}
		i := ch.Get("index").Int()
		cc := c.choices[i]
		if cc == nil {
			cc = &choice{role: "assistant", tools: map[int64]*toolCall{}}
			c.choices[i] = cc
		}
		d := ch.Get("delta")
		if r := d.Get("role"); r.Type == gjson.String {
			cc.role = r.Str
		}
		cc.content.WriteString(d.Get("content").Str)
		cc.reasoning.WriteString(d.Get("reasoning_content").Str)
		cc.refusal.WriteString(d.Get("refusal").Str)
		d.Get("tool_calls").ForEach(func(_, tc gjson.Result) bool {
			ti := tc.Get("index").Int()
			t := cc.tools[ti]
			if t == nil {
				t = &toolCall{Type: "function"}
				cc.tools[ti] = t
			}
			// The first non-empty id and name stay: some compatible
			// providers (Qwen) repeat them, or send "" in later deltas.
			if v := tc.Get("id"); v.Type == gjson.String && v.Str != "" && t.ID == "" {
				t.ID = v.Str
			}
			if v := tc.Get("type"); v.Type == gjson.String {
				t.Type = v.Str
			}
			if v := tc.Get("function.name"); v.Type == gjson.String && v.Str != "" && t.Function.Name == "" {
				t.Function.Name = v.Str
			}
			t.args.WriteString(tc.Get("function.arguments").Str)
			return true
		})
		if f := ch.Get("finish_reason"); f.Type == gjson.String {
			cc.finish = json.RawMessage(f.Raw)
		}
		return true
	})
}

type completion struct {
	ID                string          `json:"id"`
	Object            string          `json:"object"`
	Created           int64           `json:"created"`
	Model             string          `json:"model"`
	SystemFingerprint string          `json:"system_fingerprint,omitempty"`
	Choices           []outChoice     `json:"choices"`
	Usage             json.RawMessage `json:"usage,omitempty"`
}

type outChoice struct {
	Index        int64           `json:"index"`
	Message      outMessage      `json:"message"`
	FinishReason json.RawMessage `json:"finish_reason"`
}

type outMessage struct {
	Role             string      `json:"role"`
	Content          *string     `json:"content"`
	ReasoningContent string      `json:"reasoning_content,omitempty"`
	Refusal          *string     `json:"refusal"`
	ToolCalls        []*toolCall `json:"tool_calls,omitempty"`
}

// JSON is the collected response.
func (c *Collector) JSON() ([]byte, error) {
	out := completion{ID: c.id, Object: "chat.completion", Created: c.created, Model: c.model,
		SystemFingerprint: c.fingerprint, Usage: c.usage, Choices: []outChoice{}}
	idx := make([]int64, 0, len(c.choices))
	for i := range c.choices {
		idx = append(idx, i)
	}
	sort.Slice(idx, func(a, b int) bool { return idx[a] < idx[b] })
	for _, i := range idx {
		cc := c.choices[i]
		m := outMessage{Role: cc.role, ReasoningContent: cc.reasoning.String()}
		if s := cc.content.String(); s != "" || (len(cc.tools) == 0 && cc.refusal.Len() == 0) {
			m.Content = &s
		}
		if r := cc.refusal.String(); r != "" {
			m.Refusal = &r
		}
		ti := make([]int64, 0, len(cc.tools))
		for k := range cc.tools {
			ti = append(ti, k)
		}
		sort.Slice(ti, func(a, b int) bool { return ti[a] < ti[b] })
		for _, k := range ti {
			t := cc.tools[k]
			t.Function.Arguments = t.args.String()
			m.ToolCalls = append(m.ToolCalls, t)
		}
		fr := cc.finish
		if fr == nil {
			fr = json.RawMessage("null")
		}
		out.Choices = append(out.Choices, outChoice{Index: i, Message: m, FinishReason: fr})
	}
	return json.Marshal(out)
}
