package responses

import (
	"encoding/json"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/jsonguard"
	"github.com/switchyard-gw/switchyard/internal/llm"
)

// DecodeRequest turns a Responses API request body into the canonical
// request. Errors name the offending field and never quote prompt text.
func DecodeRequest(body []byte) (*llm.Request, *llm.Error) {
	if !jsonguard.Valid(body) {
		return nil, invalid("request body is not valid JSON")
	}
	root := gjson.ParseBytes(body)
	if !root.IsObject() {
		return nil, invalid("request body must be a JSON object")
	}
	if p := root.Get("previous_response_id"); p.Exists() && p.Type != gjson.Null && p.String() != "" {
		return nil, invalid("previous_response_id is not supported: this gateway does not store responses; send the whole conversation in input")
	}
	if c := root.Get("conversation"); c.Exists() && c.Type != gjson.Null {
		return nil, invalid("conversation is not supported: this gateway does not store conversations; send the whole conversation in input")
	}
	m := root.Get("model")
	if m.Type != gjson.String || m.Str == "" {
		return nil, invalid("you must provide a model parameter")
	}
	d := &decoder{req: &llm.Request{Model: m.Str}, names: map[string]string{}, leading: true}
	steps := []func(gjson.Result) *llm.Error{
		d.instructions, d.input, d.tools, d.toolChoice, d.sampling, d.reasoning, d.format, d.flags,
	}
	for _, step := range steps {
		if err := step(root); err != nil {
			return nil, err
		}
	}
	return d.req, nil
}

func invalid(format string, args ...any) *llm.Error {
	return llm.Errorf(llm.KindInvalidRequest, format, args...)
}

type decoder struct {
	req *llm.Request
	// names maps a function_call's call_id to its tool name, for results.
	names map[string]string
	// leading is true until the first user or assistant content: system and
	// developer messages before it become the system prompt.
	leading bool
}

func isNull(v gjson.Result) bool { return !v.Exists() || v.Type == gjson.Null }

func (d *decoder) instructions(root gjson.Result) *llm.Error {
	v := root.Get("instructions")
	if isNull(v) {
		return nil
	}
	if v.Type != gjson.String {
		return invalid("instructions must be a string")
	}
	if v.Str != "" {
		d.req.System = append(d.req.System, llm.Part{Type: llm.PartText, Text: v.Str})
	}
	return nil
}

func (d *decoder) input(root gjson.Result) *llm.Error {
	v := root.Get("input")
	switch {
	case isNull(v):
		return invalid("input is required")
	case v.Type == gjson.String:
		d.add(llm.RoleUser, llm.Part{Type: llm.PartText, Text: v.Str})
		return nil
	case !v.IsArray():
		return invalid("input must be a string or an array of items")
	}
	var err *llm.Error
	i := 0
	v.ForEach(func(_, item gjson.Result) bool {
		err = d.item(i, item)
		i++
		return err == nil
	})
	if err != nil {
		return err
	}
	if len(d.req.Messages) == 0 {
		return invalid("input must contain at least one message")
	}
	return nil
}

func (d *decoder) item(i int, item gjson.Result) *llm.Error {
	if !item.IsObject() {
		return invalid("input[%d] must be an object", i)
	}
	typ := item.Get("type").Str
	if typ == "" && item.Get("role").Exists() {
		typ = "message"
	}
	switch typ {
	case "message":
		return d.message(i, item)
	case "function_call":
		callID := item.Get("call_id").Str
		if callID == "" {
			return invalid("input[%d].call_id is required", i)
		}
		name := item.Get("name").Str
		if name == "" {
			return invalid("input[%d].name is required", i)
		}
		name = qualified(item.Get("namespace").Str, name)
		d.names[callID] = name
		d.add(llm.RoleAssistant, llm.Part{Type: llm.PartToolCall,
			ToolCall: &llm.ToolCall{ID: callID, Name: name, Args: argsObject(item.Get("arguments"))}})
	case "function_call_output", "custom_tool_call_output":
		return d.toolOutput(i, item)
	case "custom_tool_call":
		callID, name := item.Get("call_id").Str, item.Get("name").Str
		if callID == "" || name == "" {
			return invalid("input[%d]: call_id and name are required", i)
		}
		name = qualified(item.Get("namespace").Str, name)
		d.names[callID] = name
		args, _ := json.Marshal(map[string]string{llm.FreeformArg: item.Get("input").Str})
		d.add(llm.RoleAssistant, llm.Part{Type: llm.PartToolCall, ToolCall: &llm.ToolCall{ID: callID, Name: name, Args: args}})
	case "additional_tools":
		return d.additionalTools(i, item)
	case "reasoning":
		d.reasoningItem(item)
	case "item_reference":
		return invalid("input[%d]: item_reference is not supported: this gateway does not store items", i)
	}
	// Other items (built-in tool calls and their outputs, compaction) have no
	// canonical form; they are skipped.
	return nil
}

// toolOutput reads a function_call_output or custom_tool_call_output item.
func (d *decoder) toolOutput(i int, item gjson.Result) *llm.Error {
	callID := item.Get("call_id").Str
	if callID == "" {
		return invalid("input[%d].call_id is required", i)
	}
	content, err := d.output(i, item.Get("output"))
	if err != nil {
		return err
	}
	d.addResult(llm.Part{Type: llm.PartToolResult,
		ToolResult: &llm.ToolResult{CallID: callID, Name: d.names[callID], Content: content}})
	return nil
}

func (d *decoder) message(i int, item gjson.Result) *llm.Error {
	parts, err := contentParts(item.Get("content"), "input[%d].content", i)
	if err != nil {
		return err
	}
	switch role := item.Get("role").Str; role {
	case "user":
		d.add(llm.RoleUser, parts...)
	case "assistant":
		d.add(llm.RoleAssistant, parts...)
	case "system", "developer":
		if !d.leading {
			// Mid-conversation instructions stay in place as user text, so
			// the system prompt (and the providers' prompt caches) stay stable.
			d.add(llm.RoleUser, parts...)
			return nil
		}
		for _, p := range parts {
			if p.Type == llm.PartText && p.Text != "" {
				d.req.System = append(d.req.System, p)
			}
		}
	default:
		return invalid("input[%d].role must be one of user, assistant, system, developer", i)
	}
	return nil
}

// contentParts reads a message's content: a string or an array of parts.
func contentParts(v gjson.Result, where string, i int) ([]llm.Part, *llm.Error) {
	if isNull(v) {
		return nil, nil
	}
	if v.Type == gjson.String {
		if v.Str == "" {
			return nil, nil
		}
		return []llm.Part{{Type: llm.PartText, Text: v.Str}}, nil
	}
	if !v.IsArray() {
		return nil, invalid(where+" must be a string or an array of parts", i)
	}
	var parts []llm.Part
	var err *llm.Error
	j := 0
	v.ForEach(func(_, p gjson.Result) bool {
		switch t := p.Get("type").Str; t {
		case "input_text", "output_text", "text", "summary_text", "reasoning_text":
			if s := p.Get("text").Str; s != "" {
				parts = append(parts, llm.Part{Type: llm.PartText, Text: s})
			}
		case "refusal":
			if s := p.Get("refusal").Str; s != "" {
				parts = append(parts, llm.Part{Type: llm.PartText, Text: s})
			}
		case "input_image":
			var img *llm.Image
			img, err = imagePart(p, where, i, j)
			if img != nil {
				parts = append(parts, llm.Part{Type: llm.PartImage, Image: img})
			}
		case "input_file", "input_audio":
			err = invalid(where+"[%d]: %s parts are not supported", i, j, t)
		default:
			err = invalid(where+"[%d].type must be input_text, output_text or input_image", i, j)
		}
		j++
		return err == nil
	})
	return parts, err
}

func imagePart(p gjson.Result, where string, i, j int) (*llm.Image, *llm.Error) {
	u := p.Get("image_url")
	if u.IsObject() { // tolerate the Chat Completions shape
		u = u.Get("url")
	}
	if u.Type != gjson.String || u.Str == "" {
		if p.Get("file_id").Exists() {
			return nil, invalid(where+"[%d].file_id is not supported; send image_url", i, j)
		}
		return nil, invalid(where+"[%d].image_url is required", i, j)
	}
	s := u.Str
	if strings.HasPrefix(s, "data:") {
		comma := strings.IndexByte(s, ',')
		if comma < 0 || !strings.HasSuffix(s[:comma], ";base64") {
			return nil, invalid(where+"[%d].image_url must be a base64 data URL or an http(s) URL", i, j)
		}
		return &llm.Image{MediaType: s[len("data:") : comma-len(";base64")], Data: s[comma+1:]}, nil
	}
	if strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") {
		return &llm.Image{URL: s}, nil
	}
	return nil, invalid(where+"[%d].image_url must be a base64 data URL or an http(s) URL", i, j)
}

// output reads a function_call_output's output: a string, an array of
// input parts, or (leniently) any other JSON value, kept as text.
func (d *decoder) output(i int, v gjson.Result) ([]llm.Part, *llm.Error) {
	switch {
	case isNull(v):
		return nil, nil
	case v.Type == gjson.String:
		if v.Str == "" {
			return nil, nil
		}
		return []llm.Part{{Type: llm.PartText, Text: v.Str}}, nil
	case v.IsArray():
		return contentParts(v, "input[%d].output", i)
	}
	return []llm.Part{{Type: llm.PartText, Text: v.Raw}}, nil
}

func (d *decoder) reasoningItem(item gjson.Result) {
	var texts []string
	item.Get("summary").ForEach(func(_, s gjson.Result) bool {
		if t := s.Get("text").Str; t != "" {
			texts = append(texts, t)
		}
		return true
	})
	enc := item.Get("encrypted_content").Str
	switch {
	case strings.HasPrefix(enc, redactedPrefix):
		d.add(llm.RoleAssistant, llm.Part{Type: llm.PartRedacted, Signature: enc[len(redactedPrefix):]})
	case strings.HasPrefix(enc, sigPrefix) || len(texts) > 0:
		var sig string
		if strings.HasPrefix(enc, sigPrefix) {
			sig = enc[len(sigPrefix):]
		}
		d.add(llm.RoleAssistant, llm.Part{Type: llm.PartThinking, Text: strings.Join(texts, "\n\n"), Signature: sig})
	}
}

// argsObject parses a function_call's arguments string; anything but a JSON
// object becomes {}.
func argsObject(v gjson.Result) json.RawMessage {
	s := v.Str
	if v.IsObject() {
		s = v.Raw
	}
	if jsonguard.ValidString(s) && gjson.Parse(s).IsObject() {
		return json.RawMessage(s)
	}
	return json.RawMessage("{}")
}

// add appends parts to the conversation, merging them into the last message
// when it has the same role (an assistant message, its reasoning and its
// function calls are one canonical turn).
func (d *decoder) add(role llm.Role, parts ...llm.Part) {
	if len(parts) == 0 {
		return
	}
	d.leading = false
	if n := len(d.req.Messages); n > 0 && d.req.Messages[n-1].Role == role {
		d.req.Messages[n-1].Parts = append(d.req.Messages[n-1].Parts, parts...)
		return
	}
	d.req.Messages = append(d.req.Messages, llm.Message{Role: role, Parts: parts})
}

// addResult puts a tool result into the current user message, after any
// earlier results and before other content.
func (d *decoder) addResult(p llm.Part) {
	n := len(d.req.Messages)
	if n == 0 || d.req.Messages[n-1].Role != llm.RoleUser {
		d.add(llm.RoleUser, p)
		return
	}
	m := &d.req.Messages[n-1]
	at := 0
	for at < len(m.Parts) && m.Parts[at].Type == llm.PartToolResult {
		at++
	}
	m.Parts = append(m.Parts, llm.Part{})
	copy(m.Parts[at+1:], m.Parts[at:])
	m.Parts[at] = p
}
