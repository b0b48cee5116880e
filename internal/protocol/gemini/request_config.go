package gemini

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

// The request's settings beside the contents: tools, tool choice and the
// generation config.

func (d *decoder) tools(root gjson.Result, r *llm.Request) *llm.Error {
	ts := root.Get("tools")
	if !present(ts) {
		return nil
	}
	if !ts.IsArray() {
		return invalid("tools must be an array")
	}
	var err *llm.Error
	ts.ForEach(func(k, t gjson.Result) bool {
		decls := field(t, "functionDeclarations", "function_declarations")
		if !present(decls) {
			return true // googleSearch, codeExecution, urlContext: no canonical equivalent
		}
		if !decls.IsArray() {
			err = invalid("tools[%d].functionDeclarations must be an array", k.Int())
			return false
		}
		decls.ForEach(func(j, f gjson.Result) bool {
			path := fmt.Sprintf("tools[%d].functionDeclarations[%d]", k.Int(), j.Int())
			name := f.Get("name")
			if name.Type != gjson.String || name.Str == "" {
				err = invalid("%s.name must be a non-empty string", path)
				return false
			}
			tool := llm.Tool{Name: name.Str, Description: f.Get("description").String()}
			if s := field(f, "parametersJsonSchema", "parameters_json_schema"); present(s) {
				tool.Schema = compactRaw(s.Raw)
			} else if s := f.Get("parameters"); present(s) {
				tool.Schema = openAPISchema(s)
			}
			if tool.Schema != nil && !bytes.HasPrefix(tool.Schema, []byte("{")) {
				err = invalid("%s.parameters must be an object", path)
				return false
			}
			r.Tools = append(r.Tools, tool)
			return true
		})
		return err == nil
	})
	return err
}

func (d *decoder) toolConfig(root gjson.Result, r *llm.Request) *llm.Error {
	fc := field(field(root, "toolConfig", "tool_config"), "functionCallingConfig", "function_calling_config")
	if !present(fc) {
		return nil
	}
	allowed := field(fc, "allowedFunctionNames", "allowed_function_names").Array()
	switch mode := strings.ToUpper(fc.Get("mode").String()); mode {
	case "", "MODE_UNSPECIFIED":
	case "AUTO", "VALIDATED":
		r.ToolChoice = &llm.ToolChoice{Mode: llm.ToolAuto}
	case "NONE":
		r.ToolChoice = &llm.ToolChoice{Mode: llm.ToolNone}
	case "ANY":
		r.ToolChoice = &llm.ToolChoice{Mode: llm.ToolAny}
		if len(allowed) == 1 && allowed[0].Str != "" {
			r.ToolChoice = &llm.ToolChoice{Mode: llm.ToolName, Name: allowed[0].Str}
		}
	default:
		return invalid("toolConfig.functionCallingConfig.mode must be AUTO, ANY, NONE or VALIDATED")
	}
	return nil
}

func (d *decoder) generationConfig(root gjson.Result, r *llm.Request) *llm.Error {
	gc := field(root, "generationConfig", "generation_config")
	if !present(gc) {
		return nil
	}
	if !gc.IsObject() {
		return invalid("generationConfig must be an object")
	}
	if v := field(gc, "maxOutputTokens", "max_output_tokens"); present(v) {
		n, ok := wholeNumber(v)
		if !ok || n < 0 {
			return invalid("generationConfig.maxOutputTokens must be a non-negative integer")
		}
		r.MaxTokens = n
	}
	var e *llm.Error
	if r.Temperature, e = number(gc.Get("temperature"), "generationConfig.temperature"); e != nil {
		return e
	}
	if r.TopP, e = number(field(gc, "topP", "top_p"), "generationConfig.topP"); e != nil {
		return e
	}
	if v := field(gc, "topK", "top_k"); present(v) {
		n, ok := wholeNumber(v)
		if !ok {
			return invalid("generationConfig.topK must be an integer")
		}
		r.TopK = &n
	}
	switch v := field(gc, "stopSequences", "stop_sequences"); {
	case v.Type == gjson.String:
		r.Stop = []string{v.Str}
	case v.IsArray():
		for _, s := range v.Array() {
			if s.Type != gjson.String {
				return invalid("generationConfig.stopSequences must be an array of strings")
			}
			r.Stop = append(r.Stop, s.Str)
		}
	case present(v):
		return invalid("generationConfig.stopSequences must be an array of strings")
	}
	if strings.EqualFold(field(gc, "responseMimeType", "response_mime_type").String(), "application/json") {
		r.Format = &llm.ResponseFormat{Type: "json_object"}
		if s := field(gc, "responseJsonSchema", "response_json_schema"); s.IsObject() {
			r.Format = &llm.ResponseFormat{Type: "json_schema", Name: "response", Schema: compactRaw(s.Raw)}
		} else if s := field(gc, "responseSchema", "response_schema"); s.IsObject() {
			r.Format = &llm.ResponseFormat{Type: "json_schema", Name: "response", Schema: openAPISchema(s)}
		}
	}
	return thinkingConfig(field(gc, "thinkingConfig", "thinking_config"), r)
}

func thinkingConfig(tc gjson.Result, r *llm.Request) *llm.Error {
	if !present(tc) {
		return nil
	}
	if !tc.IsObject() {
		return invalid("generationConfig.thinkingConfig must be an object")
	}
	include := field(tc, "includeThoughts", "include_thoughts")
	budget := field(tc, "thinkingBudget", "thinking_budget")
	level := field(tc, "thinkingLevel", "thinking_level")
	th := &llm.Thinking{Enabled: include.Bool()}
	if present(budget) {
		n, ok := wholeNumber(budget)
		if !ok || n < -1 {
			return invalid("generationConfig.thinkingConfig.thinkingBudget must be an integer >= -1")
		}
		switch {
		case n == 0:
			th.Enabled = false
		case n > 0:
			th.Enabled, th.Budget = true, n
		default: // -1: dynamic
			th.Enabled = true
		}
	}
	if present(level) {
		switch l := strings.ToLower(level.String()); l {
		case "minimal", "low", "medium", "high":
			th.Enabled, th.Effort = true, l
		case "thinking_level_unspecified", "":
		default:
			return invalid("generationConfig.thinkingConfig.thinkingLevel must be MINIMAL, LOW, MEDIUM or HIGH")
		}
	}
	if !present(include) && !present(budget) && !present(level) {
		return nil
	}
	r.Thinking = th
	return nil
}

func number(v gjson.Result, name string) (*float64, *llm.Error) {
	if !present(v) {
		return nil, nil
	}
	if v.Type != gjson.Number {
		return nil, invalid("%s must be a number", name)
	}
	f := v.Num
	return &f, nil
}

func wholeNumber(v gjson.Result) (int, bool) {
	if v.Type != gjson.Number || v.Num != math.Trunc(v.Num) || math.Abs(v.Num) > 1<<31 {
		return 0, false
	}
	return int(v.Num), true
}

func compactRaw(raw string) json.RawMessage {
	var b bytes.Buffer
	if json.Compact(&b, []byte(raw)) != nil {
		return json.RawMessage(raw)
	}
	return b.Bytes()
}

// openAPISchema converts a Gemini OpenAPI-subset schema to JSON Schema where
// it differs in spelling: upper-case type names become lower case. Key order
// is kept.
func openAPISchema(s gjson.Result) json.RawMessage {
	var b bytes.Buffer
	writeSchema(&b, s, 0)
	return b.Bytes()
}

func writeSchema(b *bytes.Buffer, v gjson.Result, depth int) {
	switch {
	case depth > 64:
		b.Write(compactRaw(v.Raw))
	case v.IsObject():
		b.WriteByte('{')
		first := true
		v.ForEach(func(k, x gjson.Result) bool {
			if !first {
				b.WriteByte(',')
			}
			first = false
			kb, _ := json.Marshal(k.String())
			b.Write(kb)
			b.WriteByte(':')
			if k.String() == "type" && x.Type == gjson.String && isOpenAPIType(x.Str) {
				tb, _ := json.Marshal(strings.ToLower(x.Str))
				b.Write(tb)
				return true
			}
			writeSchema(b, x, depth+1)
			return true
		})
		b.WriteByte('}')
	case v.IsArray():
		b.WriteByte('[')
		for i, x := range v.Array() {
			if i > 0 {
				b.WriteByte(',')
			}
			writeSchema(b, x, depth+1)
		}
		b.WriteByte(']')
	default:
		b.Write(compactRaw(v.Raw))
	}
}

func isOpenAPIType(s string) bool {
	switch s {
	case "STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL":
		return true
	}
	return false
}
