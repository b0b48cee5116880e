package responses

import (
	"encoding/json"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

// tools keeps the function tools and the custom (freeform) ones; built-in
// tools (web_search, file_search, local_shell, mcp ...) have no canonical form
// and are skipped.
func (d *decoder) tools(root gjson.Result) *llm.Error {
	v := root.Get("tools")
	if isNull(v) {
		return nil
	}
	if !v.IsArray() {
		return invalid("tools must be an array")
	}
	var err *llm.Error
	i := 0
	v.ForEach(func(_, t gjson.Result) bool {
		defer func() { i++ }()
		if !t.IsObject() {
			err = invalid("tools[%d] must be an object", i)
			return false
		}
		switch t.Get("type").Str {
		case "function":
		case "custom":
			err = d.customTool(i, t)
			return err == nil
		default:
			return true
		}
		f := t
		if fn := t.Get("function"); fn.IsObject() && !t.Get("name").Exists() {
			f = fn // tolerate the Chat Completions shape
		}
		name := f.Get("name").Str
		if name == "" {
			err = invalid("tools[%d].name is required", i)
			return false
		}
		tool := llm.Tool{Name: name, Description: f.Get("description").Str}
		if p := f.Get("parameters"); p.IsObject() {
			tool.Schema = json.RawMessage(p.Raw)
		}
		d.req.Tools = append(d.req.Tools, tool)
		return true
	})
	return err
}

// customTool keeps a freeform tool (Codex's apply_patch): providers of other
// protocols get a function with one string argument, and its grammar, when it
// has one, in the description so the model knows the syntax.
func (d *decoder) customTool(i int, t gjson.Result) *llm.Error {
	name := t.Get("name").Str
	if name == "" {
		return invalid("tools[%d].name is required", i)
	}
	desc := t.Get("description").Str
	if f := t.Get("format"); f.Get("type").Str == "grammar" && f.Get("definition").Str != "" {
		desc += "\n\nThe input must follow this " + f.Get("syntax").Str + " grammar:\n" + f.Get("definition").Str
	}
	schema, _ := json.Marshal(map[string]any{
		"type":       "object",
		"properties": map[string]any{llm.FreeformArg: map[string]any{"type": "string", "description": "The raw input text of the tool."}},
		"required":   []string{llm.FreeformArg},
	})
	d.req.Tools = append(d.req.Tools, llm.Tool{Name: name, Description: desc, Schema: schema, Freeform: true})
	return nil
}

func (d *decoder) toolChoice(root gjson.Result) *llm.Error {
	v := root.Get("tool_choice")
	if isNull(v) {
		return nil
	}
	var tc *llm.ToolChoice
	switch {
	case v.Type == gjson.String:
		mode, ok := choiceModes[v.Str]
		if !ok {
			return invalid("tool_choice must be one of none, auto, required or an object")
		}
		tc = &llm.ToolChoice{Mode: mode}
	case v.IsObject():
		switch v.Get("type").Str {
		case "function", "custom":
			name := v.Get("name").Str
			if name == "" {
				name = v.Get("function.name").Str
			}
			if name == "" {
				return invalid("tool_choice.name is required")
			}
			tc = &llm.ToolChoice{Mode: llm.ToolName, Name: name}
		case "allowed_tools":
			if mode, ok := choiceModes[v.Get("mode").Str]; ok {
				tc = &llm.ToolChoice{Mode: mode}
			}
		}
		// Forcing a built-in tool: those are skipped, leave the choice open.
	default:
		return invalid("tool_choice must be a string or an object")
	}
	if tc != nil && tc.Mode != llm.ToolNone && len(d.req.Tools) == 0 {
		tc = nil // no function tool left to call
	}
	d.req.ToolChoice = tc
	return nil
}

var choiceModes = map[string]llm.ToolChoiceMode{"auto": llm.ToolAuto, "none": llm.ToolNone, "required": llm.ToolAny}

func (d *decoder) sampling(root gjson.Result) *llm.Error {
	if v := root.Get("max_output_tokens"); !isNull(v) {
		if v.Type != gjson.Number || v.Num < 1 {
			return invalid("max_output_tokens must be a positive integer")
		}
		d.req.MaxTokens = 1<<31 - 1
		if v.Num < 1<<31-1 {
			d.req.MaxTokens = int(v.Num)
		}
	}
	for _, f := range []struct {
		name string
		dst  **float64
	}{{"temperature", &d.req.Temperature}, {"top_p", &d.req.TopP}} {
		v := root.Get(f.name)
		if isNull(v) {
			continue
		}
		if v.Type != gjson.Number {
			return invalid("%s must be a number", f.name)
		}
		x := v.Num
		*f.dst = &x
	}
	return nil
}

func (d *decoder) reasoning(root gjson.Result) *llm.Error {
	v := root.Get("reasoning")
	if isNull(v) {
		return nil
	}
	if !v.IsObject() {
		return invalid("reasoning must be an object")
	}
	e := v.Get("effort")
	if isNull(e) {
		return nil
	}
	switch e.Str {
	case "none":
		d.req.Thinking = &llm.Thinking{Enabled: false}
	case "minimal", "low", "medium", "high", "xhigh":
		effort := e.Str
		if effort == "xhigh" {
			effort = "high"
		}
		d.req.Thinking = &llm.Thinking{Enabled: true, Effort: effort, Budget: llm.BudgetFor(effort)}
	default:
		return invalid("reasoning.effort must be one of none, minimal, low, medium, high, xhigh")
	}
	return nil
}

func (d *decoder) format(root gjson.Result) *llm.Error {
	f := root.Get("text.format")
	if isNull(f) {
		return nil
	}
	if !f.IsObject() {
		return invalid("text.format must be an object")
	}
	switch f.Get("type").Str {
	case "text":
	case "json_object":
		d.req.Format = &llm.ResponseFormat{Type: "json_object"}
	case "json_schema":
		s := f.Get("schema")
		if !s.IsObject() {
			return invalid("text.format.schema must be a JSON Schema object")
		}
		d.req.Format = &llm.ResponseFormat{Type: "json_schema", Name: f.Get("name").Str, Schema: json.RawMessage(s.Raw)}
	default:
		return invalid("text.format.type must be one of text, json_object, json_schema")
	}
	return nil
}

// flags reads stream, parallel_tool_calls and the end-user id; store,
// include, prompt_cache_key and metadata are ignored.
func (d *decoder) flags(root gjson.Result) *llm.Error {
	if v := root.Get("stream"); !isNull(v) {
		if v.Type != gjson.True && v.Type != gjson.False {
			return invalid("stream must be a boolean")
		}
		d.req.Stream = v.Type == gjson.True
	}
	if v := root.Get("parallel_tool_calls"); !isNull(v) {
		if v.Type != gjson.True && v.Type != gjson.False {
			return invalid("parallel_tool_calls must be a boolean")
		}
		b := v.Type == gjson.True
		d.req.ParallelToolCalls = &b
	}
	for _, k := range []string{"user", "safety_identifier"} {
		if v := root.Get(k); !isNull(v) {
			if v.Type != gjson.String {
				return invalid("%s must be a string", k)
			}
			if d.req.User == "" {
				d.req.User = v.Str
			}
		}
	}
	return nil
}
