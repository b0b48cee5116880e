package anthropic

import (
	"bytes"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

// decodeTools reads tools (client tools only; server tools are dropped) and
// tool_choice.
func decodeTools(w *reqWire, r *llm.Request) *llm.Error {
	for i, t := range w.Tools {
		if t.Type != "" && t.Type != "custom" {
			continue // server tools (web_search_*, bash_*...) have no equivalent elsewhere
		}
		if t.Name == "" {
			return invalid("tools.%d.name: Field required", i)
		}
		tool := llm.Tool{Name: t.Name, Description: t.Description}
		if s := bytes.TrimSpace(t.InputSchema); len(s) > 0 && string(s) != "null" {
			if s[0] != '{' {
				return invalid("tools.%d.input_schema: must be an object", i)
			}
			tool.Schema = compact(s)
		}
		r.Tools = append(r.Tools, tool)
	}
	if tc := w.ToolChoice; tc != nil {
		switch tc.Type {
		case "auto":
			r.ToolChoice = &llm.ToolChoice{Mode: llm.ToolAuto}
		case "any":
			r.ToolChoice = &llm.ToolChoice{Mode: llm.ToolAny}
		case "none":
			r.ToolChoice = &llm.ToolChoice{Mode: llm.ToolNone}
		case "tool":
			if tc.Name == "" {
				return invalid("tool_choice.name: Field required")
			}
			r.ToolChoice = &llm.ToolChoice{Mode: llm.ToolName, Name: tc.Name}
		default:
			return invalid("tool_choice.type: must be one of auto, any, tool, none")
		}
		if tc.DisableParallelToolUse != nil && *tc.DisableParallelToolUse {
			f := false
			r.ParallelToolCalls = &f
		}
	}
	return nil
}

// decodeThinking reads thinking, output_config (effort, format) and
// output_format.
func decodeThinking(w *reqWire, r *llm.Request) *llm.Error {
	effort := ""
	if oc := w.OutputConfig; oc != nil {
		switch oc.Effort {
		case "low", "medium", "high":
			effort = oc.Effort
		case "max", "xhigh":
			effort = "high"
		case "minimal":
			effort = "minimal"
		}
		if f := oc.Format; f != nil && f.Type == "json_schema" {
			r.Format = &llm.ResponseFormat{Type: "json_schema", Schema: compact(f.Schema)}
		}
	}
	if f := w.OutputFormat; f != nil && f.Type == "json_schema" && r.Format == nil {
		r.Format = &llm.ResponseFormat{Type: "json_schema", Schema: compact(f.Schema)}
	}
	t := w.Thinking
	if t == nil {
		return nil
	}
	switch t.Type {
	case "enabled":
		th := &llm.Thinking{Enabled: true, Effort: effort}
		if t.BudgetTokens != nil {
			if *t.BudgetTokens < 0 {
				return invalid("thinking.budget_tokens: must be non-negative")
			}
			th.Budget = *t.BudgetTokens
		}
		r.Thinking = th
	case "adaptive":
		r.Thinking = &llm.Thinking{Enabled: true, Effort: effort}
	case "disabled":
		r.Thinking = &llm.Thinking{}
	default:
		return invalid("thinking.type: must be one of enabled, adaptive, disabled")
	}
	return nil
}
