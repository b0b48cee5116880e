package gemini

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/jsonguard"
	"github.com/switchyard-gw/switchyard/internal/llm"
)

// DecodeRequest reads a Gemini generateContent request body into the
// canonical request. The model lives in the URL path, so Model stays empty,
// and Stream is left to the caller (the method tells). Both camelCase and
// snake_case field names are accepted, as Google's own parser does. Function
// calls without an id get a deterministic one ("call_<n>_<name>") and
// function responses are paired with their calls by id, else by name in
// order.
func DecodeRequest(body []byte) (*llm.Request, *llm.Error) {
	if !jsonguard.Valid(body) {
		return nil, invalid("Invalid JSON payload received.")
	}
	root := gjson.ParseBytes(body)
	if !root.IsObject() {
		return nil, invalid("Invalid JSON payload received: the body must be a JSON object.")
	}
	if g := field(root, "generateContentRequest", "generate_content_request"); g.IsObject() && !field(root, "contents", "contents").Exists() {
		root = g // countTokens form
	}
	d := &decoder{}
	r := &llm.Request{}
	if e := d.system(root, r); e != nil {
		return nil, e
	}
	if e := d.contents(root, r); e != nil {
		return nil, e
	}
	if e := d.tools(root, r); e != nil {
		return nil, e
	}
	if e := d.toolConfig(root, r); e != nil {
		return nil, e
	}
	if e := d.generationConfig(root, r); e != nil {
		return nil, e
	}
	return r, nil
}

type decodedCall struct {
	id, name string
	answered bool
}

type decoder struct {
	calls []decodedCall
	n     int // calls seen, for minted ids
}

func invalid(format string, args ...any) *llm.Error {
	return llm.Errorf(llm.KindInvalidRequest, format, args...)
}

// field reads key in camelCase or, failing that, in snake_case.
func field(r gjson.Result, camel, snake string) gjson.Result {
	if v := r.Get(camel); v.Exists() {
		return v
	}
	return r.Get(snake)
}

func present(v gjson.Result) bool { return v.Exists() && v.Type != gjson.Null }

func (d *decoder) system(root gjson.Result, r *llm.Request) *llm.Error {
	si := field(root, "systemInstruction", "system_instruction")
	switch {
	case !present(si):
		return nil
	case si.Type == gjson.String:
		if si.Str != "" {
			r.System = append(r.System, llm.Part{Type: llm.PartText, Text: si.Str})
		}
		return nil
	case !si.IsObject():
		return invalid("systemInstruction must be a Content object")
	}
	parts := si.Get("parts")
	if present(parts) && !parts.IsArray() {
		return invalid("systemInstruction.parts must be an array")
	}
	var err *llm.Error
	parts.ForEach(func(k, p gjson.Result) bool {
		t := p.Get("text")
		if present(t) && t.Type != gjson.String {
			err = invalid("systemInstruction.parts[%d].text must be a string", k.Int())
			return false
		}
		if t.Str != "" {
			r.System = append(r.System, llm.Part{Type: llm.PartText, Text: t.Str})
		}
		return true
	})
	return err
}

func (d *decoder) contents(root gjson.Result, r *llm.Request) *llm.Error {
	cs := root.Get("contents")
	if !present(cs) {
		return invalid("contents is not specified")
	}
	if cs.IsObject() { // a single Content is tolerated
		cs = gjson.Parse("[" + cs.Raw + "]")
	}
	if !cs.IsArray() {
		return invalid("contents must be an array")
	}
	var err *llm.Error
	cs.ForEach(func(k, c gjson.Result) bool {
		i := int(k.Int())
		if !c.IsObject() {
			err = invalid("contents[%d] must be an object", i)
			return false
		}
		role := llm.RoleUser
		switch rv := c.Get("role"); {
		case !present(rv) || rv.Str == "" || rv.Str == "user" || rv.Str == "function" || rv.Str == "tool":
		case rv.Str == "model":
			role = llm.RoleAssistant
		default:
			err = invalid("contents[%d].role: Please use a valid role: user, model.", i)
			return false
		}
		parts := c.Get("parts")
		if present(parts) && !parts.IsArray() {
			err = invalid("contents[%d].parts must be an array", i)
			return false
		}
		m := llm.Message{Role: role}
		parts.ForEach(func(pk, p gjson.Result) bool {
			var ps []llm.Part
			ps, err = d.part(p, role, fmt.Sprintf("contents[%d].parts[%d]", i, pk.Int()))
			m.Parts = append(m.Parts, ps...)
			return err == nil
		})
		if err != nil {
			return false
		}
		if len(m.Parts) > 0 {
			r.Messages = append(r.Messages, m)
		}
		return true
	})
	if err == nil && len(r.Messages) == 0 {
		err = invalid("contents must hold at least one part")
	}
	return err
}

// part decodes one Part; it may yield nothing (unsupported kinds are dropped).
func (d *decoder) part(p gjson.Result, role llm.Role, path string) ([]llm.Part, *llm.Error) {
	if !p.IsObject() {
		return nil, invalid("%s must be an object", path)
	}
	sig := field(p, "thoughtSignature", "thought_signature").String()
	if role != llm.RoleAssistant {
		sig = ""
	}
	if t := p.Get("text"); present(t) {
		if t.Type != gjson.String {
			return nil, invalid("%s.text must be a string", path)
		}
		if p.Get("thought").Bool() {
			if role != llm.RoleAssistant || (t.Str == "" && sig == "") {
				return nil, nil
			}
			return []llm.Part{{Type: llm.PartThinking, Text: t.Str, Signature: sig}}, nil
		}
		if t.Str == "" && sig == "" {
			return nil, nil
		}
		// A signature stays on the part it came with, even an empty trailer.
		return []llm.Part{{Type: llm.PartText, Text: t.Str, Signature: sig}}, nil
	}
	if v := field(p, "inlineData", "inline_data"); present(v) {
		img, e := inlineImage(v, path+".inlineData")
		if e != nil {
			return nil, e
		}
		return []llm.Part{{Type: llm.PartImage, Image: img}}, nil
	}
	if v := field(p, "fileData", "file_data"); present(v) {
		uri := field(v, "fileUri", "file_uri")
		if uri.Type != gjson.String || uri.Str == "" {
			return nil, invalid("%s.fileData.fileUri must be a non-empty string", path)
		}
		mt := field(v, "mimeType", "mime_type").String()
		return []llm.Part{{Type: llm.PartImage, Image: &llm.Image{MediaType: mt, URL: uri.Str}}}, nil
	}
	if v := field(p, "functionCall", "function_call"); present(v) {
		if role != llm.RoleAssistant {
			return nil, invalid("%s.functionCall is only allowed in model turns", path)
		}
		return d.functionCall(v, sig, path+".functionCall")
	}
	if v := field(p, "functionResponse", "function_response"); present(v) {
		if role == llm.RoleAssistant {
			return nil, invalid("%s.functionResponse is only allowed in user turns", path)
		}
		return d.functionResponse(v, path+".functionResponse")
	}
	if p.Get("thought").Bool() && sig != "" {
		return []llm.Part{{Type: llm.PartThinking, Signature: sig}}, nil
	}
	return nil, nil // executableCode, codeExecutionResult, videoMetadata, …
}

func inlineImage(v gjson.Result, path string) (*llm.Image, *llm.Error) {
	if !v.IsObject() {
		return nil, invalid("%s must be an object", path)
	}
	data := v.Get("data")
	if data.Type != gjson.String || data.Str == "" {
		return nil, invalid("%s.data must be a non-empty base64 string", path)
	}
	mt := field(v, "mimeType", "mime_type")
	if mt.Type != gjson.String || mt.Str == "" {
		return nil, invalid("%s.mimeType must be a non-empty string", path)
	}
	return &llm.Image{MediaType: mt.Str, Data: data.Str}, nil
}

func (d *decoder) functionCall(v gjson.Result, sig, path string) ([]llm.Part, *llm.Error) {
	if !v.IsObject() {
		return nil, invalid("%s must be an object", path)
	}
	name := v.Get("name")
	if name.Type != gjson.String || name.Str == "" {
		return nil, invalid("%s.name must be a non-empty string", path)
	}
	args := v.Get("args")
	if present(args) && !args.IsObject() {
		return nil, invalid("%s.args must be an object", path)
	}
	d.n++
	id := v.Get("id").String()
	if id == "" {
		id = fmt.Sprintf("call_%d_%s", d.n, name.Str)
	}
	d.calls = append(d.calls, decodedCall{id: id, name: name.Str})
	tc := &llm.ToolCall{ID: id, Name: name.Str, Args: objectOrEmpty([]byte(args.Raw))}
	return []llm.Part{{Type: llm.PartToolCall, ToolCall: tc, Signature: sig}}, nil
}

func (d *decoder) functionResponse(v gjson.Result, path string) ([]llm.Part, *llm.Error) {
	if !v.IsObject() {
		return nil, invalid("%s must be an object", path)
	}
	name := v.Get("name")
	if present(name) && name.Type != gjson.String {
		return nil, invalid("%s.name must be a string", path)
	}
	resp := v.Get("response")
	if present(resp) && !resp.IsObject() {
		return nil, invalid("%s.response must be an object", path)
	}
	res := &llm.ToolResult{Name: name.Str, CallID: d.pair(v.Get("id").String(), name.Str)}
	text := "{}"
	if present(resp) {
		var b bytes.Buffer
		if json.Compact(&b, []byte(resp.Raw)) == nil {
			text = b.String()
		}
		res.IsError = present(resp.Get("error"))
	}
	res.Content = append(res.Content, llm.Part{Type: llm.PartText, Text: text})
	var err *llm.Error
	v.Get("parts").ForEach(func(k, p gjson.Result) bool { // newer multimodal responses
		if in := field(p, "inlineData", "inline_data"); present(in) {
			var img *llm.Image
			img, err = inlineImage(in, fmt.Sprintf("%s.parts[%d].inlineData", path, k.Int()))
			if err != nil {
				return false
			}
			res.Content = append(res.Content, llm.Part{Type: llm.PartImage, Image: img})
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	if res.Name == "" {
		for _, c := range d.calls {
			if c.id == res.CallID {
				res.Name = c.name
			}
		}
	}
	return []llm.Part{{Type: llm.PartToolResult, ToolResult: res}}, nil
}

// pair finds the call a response answers: by id, else the first unanswered
// call of that name. An unmatched response keeps its id or gets a minted one.
func (d *decoder) pair(id, name string) string {
	if id != "" {
		for i := range d.calls {
			if d.calls[i].id == id {
				d.calls[i].answered = true
				return id
			}
		}
	}
	for i := range d.calls {
		if !d.calls[i].answered && d.calls[i].name == name {
			d.calls[i].answered = true
			return d.calls[i].id
		}
	}
	if id != "" {
		return id
	}
	d.n++
	return fmt.Sprintf("call_%d_%s", d.n, name)
}
