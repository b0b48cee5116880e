package responses

import (
	"encoding/json"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

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
		switch typ := v.Get("type").Str; {
		case typ == "function", typ == "custom":
			name := v.Get("name").Str
			if name == "" {
				name = v.Get("function.name").Str
			}
			if name == "" {
				return invalid("tool_choice.name is required")
			}
			tc = &llm.ToolChoice{Mode: llm.ToolName, Name: qualified(v.Get("namespace").Str, name)}
		case typ == "allowed_tools":
			mode, ok := choiceModes[v.Get("mode").Str]
			if ok && mode == llm.ToolAny && onlyBuiltins(v.Get("tools")) {
				return requiresOmitted("tool_choice.tools")
			}
			if ok {
				tc = &llm.ToolChoice{Mode: mode}
			}
		case builtinTool(typ):
			// Forcing a built-in tool: the provider cannot run it.
			return invalid("tool_choice requires the built-in tool %q, which cannot be offered to this model's provider "+
				"(only OpenAI accounts run it)", typ)
		}
	default:
		return invalid("tool_choice must be a string or an object")
	}
	if tc != nil && tc.Mode == llm.ToolAny && len(d.req.Tools) == 0 && len(d.req.Omitted) > 0 {
		return requiresOmitted("tools")
	}
	if tc != nil && tc.Mode != llm.ToolNone && len(d.req.Tools) == 0 {
		tc = nil // no function tool left to call
	}
	d.req.ToolChoice = tc
	return nil
}

// requiresOmitted refuses a tool choice of "required" whose only tools (in
// where) are built-in tools the provider cannot run.
func requiresOmitted(where string) *llm.Error {
	return invalid("tool_choice is required but %s holds only built-in tools, which cannot be offered to this model's provider "+
		"(only OpenAI accounts run them)", where)
}

// onlyBuiltins reports whether a tool list is non-empty and holds only
// built-in tools.
func onlyBuiltins(list gjson.Result) bool {
	n := 0
	all := true
	list.ForEach(func(_, t gjson.Result) bool {
		n++
		all = builtinTool(t.Get("type").Str)
		return all
	})
	return n > 0 && all
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
