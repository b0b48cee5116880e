package openai

import (
	"encoding/json"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol"
)

func decodeParams(cr *chatRequest, r *llm.Request) *llm.Error {
	switch {
	case cr.MaxCompletionTokens != nil:
		if *cr.MaxCompletionTokens < 0 {
			return invalid("max_completion_tokens must be a positive integer")
		}
		r.MaxTokens = *cr.MaxCompletionTokens
	case cr.MaxTokens != nil:
		if *cr.MaxTokens < 0 {
			return invalid("max_tokens must be a positive integer")
		}
		r.MaxTokens = *cr.MaxTokens
	}
	r.Temperature, r.TopP, r.TopK = cr.Temperature, cr.TopP, cr.TopK
	stop, err := decodeStop(cr.Stop)
	if err != nil {
		return err
	}
	r.Stop = stop
	if cr.ReasoningEffort != nil {
		th, err := decodeEffort(*cr.ReasoningEffort)
		if err != nil {
			return err
		}
		r.Thinking = th
	}
	f, err := decodeFormat(cr.ResponseFormat)
	if err != nil {
		return err
	}
	r.Format = f
	if cr.User != nil {
		r.User = *cr.User
	} else if cr.SafetyIdentifier != nil {
		r.User = *cr.SafetyIdentifier
	}
	return nil
}

func decodeStop(raw json.RawMessage) ([]string, *llm.Error) {
	if isNull(raw) {
		return nil, nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		if one == "" {
			return nil, nil
		}
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, invalid("stop must be a string or an array of strings")
	}
	out := many[:0]
	for _, s := range many {
		if s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func decodeEffort(e string) (*llm.Thinking, *llm.Error) {
	switch e {
	case "none":
		return &llm.Thinking{Enabled: false}, nil
	case "minimal", "low", "medium", "high":
	case "xhigh":
		e = "high"
	default:
		return nil, invalid("reasoning_effort must be one of none, minimal, low, medium, high")
	}
	return &llm.Thinking{Enabled: true, Effort: e, Budget: llm.BudgetFor(e)}, nil
}

func decodeFormat(raw json.RawMessage) (*llm.ResponseFormat, *llm.Error) {
	if isNull(raw) {
		return nil, nil
	}
	var f struct {
		Type       string `json:"type"`
		JSONSchema *struct {
			Name   string          `json:"name"`
			Schema json.RawMessage `json:"schema"`
		} `json:"json_schema"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, invalid("response_format must be an object with a type")
	}
	switch f.Type {
	case "text":
		return nil, nil
	case "json_object":
		return &llm.ResponseFormat{Type: "json_object"}, nil
	case "json_schema":
		if f.JSONSchema == nil {
			return nil, invalid("response_format.json_schema is required when type is json_schema")
		}
		rf := &llm.ResponseFormat{Type: "json_schema", Name: f.JSONSchema.Name}
		if !isNull(f.JSONSchema.Schema) {
			rf.Schema = f.JSONSchema.Schema
		}
		return rf, nil
	}
	return nil, invalid("response_format.type must be text, json_object or json_schema")
}

func decodeTool(i int, raw json.RawMessage) (llm.Tool, *llm.Error) {
	var t struct {
		Type     string `json:"type"`
		Function *struct {
			Name        string          `json:"name"`
			Description string          `json:"description"`
			Parameters  json.RawMessage `json:"parameters"`
		} `json:"function"`
	}
	if err := json.Unmarshal(raw, &t); err != nil {
		return llm.Tool{}, invalid("tools[%d] must be an object with type and function", i)
	}
	if t.Type != "function" {
		return llm.Tool{}, invalid("tools[%d].type: only function tools are supported for this model", i)
	}
	if t.Function == nil || t.Function.Name == "" {
		return llm.Tool{}, invalid("tools[%d].function.name is required", i)
	}
	out := llm.Tool{Name: t.Function.Name, Description: t.Function.Description}
	if !isNull(t.Function.Parameters) {
		out.Schema = t.Function.Parameters
	}
	return out, nil
}

func decodeToolChoice(raw json.RawMessage) (*llm.ToolChoice, *llm.Error) {
	if isNull(raw) {
		return nil, nil
	}
	var s string
	if protocol.IsString(raw) && json.Unmarshal(raw, &s) == nil {
		switch s {
		case "auto":
			return &llm.ToolChoice{Mode: llm.ToolAuto}, nil
		case "none":
			return &llm.ToolChoice{Mode: llm.ToolNone}, nil
		case "required":
			return &llm.ToolChoice{Mode: llm.ToolAny}, nil
		}
		return nil, invalid("tool_choice must be none, auto, required or a function object")
	}
	var o struct {
		Type     string `json:"type"`
		Function *struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if json.Unmarshal(raw, &o) != nil || o.Type != "function" || o.Function == nil || o.Function.Name == "" {
		return nil, invalid(`tool_choice object must be {"type":"function","function":{"name":...}}`)
	}
	return &llm.ToolChoice{Mode: llm.ToolName, Name: o.Function.Name}, nil
}
