package fakeupstream

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// Strict mode (Options.Strict) refuses, with the real providers' status and
// error bodies, the requests the real APIs refuse and the permissive fake
// would answer: parameters a model family does not take, tool calls and
// results that do not pair up, and thinking that does not round-trip. Each
// check reads the raw body; it runs after faults and before any answer.

// strictRefused answers the request with the provider's refusal and reports
// true when strict mode is on and the request breaks one of the provider's
// rules.
func (ex *exchange) strictRefused() bool {
	if !ex.s.opts.Strict || !gjson.ValidBytes(ex.body) {
		return false
	}
	var status int
	var body []byte
	root := gjson.ParseBytes(ex.body)
	switch {
	case ex.provider == ProviderAnthropic:
		status, body = anthropicStrict(root, ex.reqID)
	case ex.provider == ProviderGemini:
		status, body = ex.s.issued.geminiStrict(root)
	case ex.r.URL.Path == "/v1/responses":
		status, body = responsesStrict(root)
	default:
		status, body = chatStrict(root)
	}
	if status == 0 {
		return false
	}
	ex.fail(status, body)
	return true
}

// --- OpenAI ---------------------------------------------------------------

// openAIMaxUser is the longest "user" OpenAI accepts.
const openAIMaxUser = 64

// openAIReasoningModel reports whether model belongs to a reasoning family
// (o-series, gpt-5 except its chat variants, codex), which refuses
// non-default sampling parameters; ok is false for families the fake does
// not know.
func openAIReasoningModel(model string) (reasoning, ok bool) {
	m := strings.ToLower(model)
	switch {
	case strings.HasPrefix(m, "gpt-5-chat"), strings.HasPrefix(m, "gpt-4"), strings.HasPrefix(m, "gpt-3.5"),
		strings.HasPrefix(m, "chatgpt-"):
		return false, true
	case strings.HasPrefix(m, "gpt-5"), strings.HasPrefix(m, "o1"), strings.HasPrefix(m, "o3"), strings.HasPrefix(m, "o4"),
		strings.Contains(m, "codex"):
		return true, true
	}
	return false, false
}

func badRequest(message, param, code string) (int, []byte) {
	return http.StatusBadRequest, openAIError(message, "invalid_request_error", param, code)
}

// openAIParams checks user, the sampling parameters and the reasoning
// effort (effort is the path of the effort field: reasoning_effort for Chat
// Completions, reasoning.effort for Responses).
func openAIParams(root gjson.Result, effortPath string) (int, []byte) {
	if u := root.Get("user"); u.Type == gjson.String && len(u.Str) > openAIMaxUser {
		return badRequest(fmt.Sprintf("Invalid 'user': string too long. Expected a string with maximum length %d, "+
			"but got a string with length %d instead.", openAIMaxUser, len(u.Str)), "user", "string_above_max_length")
	}
	reasoning, known := openAIReasoningModel(root.Get("model").Str)
	effort := root.Get(effortPath)
	hasEffort := effort.Type == gjson.String && effort.Str != ""
	if known && !reasoning && hasEffort {
		return badRequest("Unsupported parameter: '"+effortPath+"' is not supported with this model.", effortPath, "unsupported_parameter")
	}
	if reasoning || hasEffort {
		if t := root.Get("temperature"); t.Type == gjson.Number && t.Num != 1 {
			return badRequest("Unsupported value: 'temperature' does not support "+t.Raw+
				" with this model. Only the default (1) value is supported.", "temperature", "unsupported_value")
		}
		if p := root.Get("top_p"); p.Type == gjson.Number && p.Num != 1 {
			return badRequest("Unsupported parameter: 'top_p' is not supported with this model.", "top_p", "unsupported_parameter")
		}
	}
	return 0, nil
}

// chatStrict checks a Chat Completions request: parameters, then that every
// tool message answers a call of the assistant message right before its run
// of tool messages, and that every call is answered before the next other
// message.
func chatStrict(root gjson.Result) (int, []byte) {
	if status, body := openAIParams(root, "reasoning_effort"); status != 0 {
		return status, body
	}
	var pending []string // unanswered call ids of the last assistant message
	caller := -1         // its index
	unanswered := func() (int, []byte) {
		return badRequest("An assistant message with 'tool_calls' must be followed by tool messages responding to each "+
			"'tool_call_id'. The following tool_call_ids did not have response messages: "+strings.Join(pending, ", "),
			"messages.["+strconv.Itoa(caller)+"].role", "")
	}
	for i, m := range root.Get("messages").Array() {
		if m.Get("role").Str == "tool" {
			k := indexOf(pending, m.Get("tool_call_id").Str)
			if k < 0 {
				return badRequest("Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
					"messages.["+strconv.Itoa(i)+"].role", "")
			}
			pending = append(pending[:k], pending[k+1:]...)
			continue
		}
		if len(pending) > 0 {
			return unanswered()
		}
		pending, caller = nil, i
		if m.Get("role").Str == "assistant" {
			for _, c := range m.Get("tool_calls").Array() {
				pending = append(pending, c.Get("id").Str)
			}
		}
	}
	if len(pending) > 0 {
		return unanswered()
	}
	return 0, nil
}

// responsesStrict checks a Responses request: parameters, then that every
// call output follows its call and every call has an output.
func responsesStrict(root gjson.Result) (int, []byte) {
	if status, body := openAIParams(root, "reasoning.effort"); status != 0 {
		return status, body
	}
	calls := map[string]bool{} // call_id -> answered
	var order []string
	for _, it := range root.Get("input").Array() {
		id := it.Get("call_id").Str
		switch it.Get("type").Str {
		case "function_call", "custom_tool_call":
			if _, seen := calls[id]; !seen {
				order = append(order, id)
			}
			calls[id] = false
		case "function_call_output", "custom_tool_call_output":
			if _, ok := calls[id]; !ok {
				return badRequest("No tool call found for function call output with call_id "+id+".", "input", "")
			}
			calls[id] = true
		}
	}
	for _, id := range order {
		if !calls[id] {
			return badRequest("No tool output found for function call "+id+".", "input", "")
		}
	}
	return 0, nil
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// --- Anthropic ------------------------------------------------------------

const thinkingDocs = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"

// anthropicStrict checks a Messages request (thinking signatures are checked
// in every mode): temperature with thinking, the thinking block that must
// open the final tool-loop turn, and the pairing of tool_use and tool_result
// blocks between neighbouring messages.
func anthropicStrict(root gjson.Result, reqID string) (int, []byte) {
	refuse := func(msg string) (int, []byte) {
		return http.StatusBadRequest, anthropicError("invalid_request_error", msg, reqID)
	}
	typ := root.Get("thinking.type").Str
	thinking := typ == "enabled" || typ == "adaptive"
	if t := root.Get("temperature"); thinking && t.Type == gjson.Number && t.Num != 1 {
		return refuse("`temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at " +
			thinkingDocs + "#important-considerations-when-using-extended-thinking")
	}
	msgs := root.Get("messages").Array()
	blocksOf := func(m gjson.Result) []gjson.Result {
		if c := m.Get("content"); c.IsArray() {
			return c.Array()
		}
		return nil
	}
	for i, m := range msgs {
		if m.Get("role").Str != "user" {
			continue
		}
		var uses []string
		if i > 0 && msgs[i-1].Get("role").Str == "assistant" {
			for _, b := range blocksOf(msgs[i-1]) {
				if b.Get("type").Str == "tool_use" {
					uses = append(uses, b.Get("id").Str)
				}
			}
		}
		answered := map[string]bool{}
		for j, b := range blocksOf(m) {
			if b.Get("type").Str != "tool_result" {
				continue
			}
			id := b.Get("tool_use_id").Str
			if indexOf(uses, id) < 0 {
				return refuse(fmt.Sprintf("messages.%d.content.%d: unexpected `tool_use_id` found in `tool_result` blocks: %s. "+
					"Each `tool_result` block must have a corresponding `tool_use` block in the previous message.", i, j, id))
			}
			answered[id] = true
		}
		var missing []string
		for _, id := range uses {
			if !answered[id] {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			return refuse(fmt.Sprintf("messages.%d: `tool_use` ids were found without `tool_result` blocks immediately after: %s. "+
				"Each `tool_use` block must have a corresponding `tool_result` block in the next message.", i-1, strings.Join(missing, ", ")))
		}
	}
	for i, m := range msgs {
		// An assistant turn with tool calls must be answered by the next message.
		if m.Get("role").Str == "assistant" && i+1 < len(msgs) && msgs[i+1].Get("role").Str != "user" {
			for _, b := range blocksOf(m) {
				if b.Get("type").Str == "tool_use" {
					return refuse(fmt.Sprintf("messages.%d: `tool_use` ids were found without `tool_result` blocks immediately after: %s. "+
						"Each `tool_use` block must have a corresponding `tool_result` block in the next message.", i, b.Get("id").Str))
				}
			}
		}
	}
	if n := len(msgs); thinking && n >= 2 && msgs[n-1].Get("role").Str == "user" && msgs[n-2].Get("role").Str == "assistant" {
		last := blocksOf(msgs[n-1])
		prev := blocksOf(msgs[n-2])
		if len(last) > 0 && last[0].Get("type").Str == "tool_result" && len(prev) > 0 {
			if first := prev[0].Get("type").Str; first != "thinking" && first != "redacted_thinking" {
				return refuse(fmt.Sprintf("messages.%d.content.0.type: Expected `thinking` or `redacted_thinking`, but found `%s`. "+
					"When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost "+
					"set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous turns. "+
					"To avoid this requirement, disable `thinking`. Please consult our documentation at %s", n-2, first, thinkingDocs))
			}
		}
	}
	return 0, nil
}
