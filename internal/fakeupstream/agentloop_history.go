package fakeupstream

import (
	"encoding/json"
	"strings"

	"github.com/tidwall/gjson"
)

// The agent loop's readers: one per request dialect, each noting the offered
// tools, the thinking setting and the tool calls of the history with their
// results.

// resultText reads a tool result given as a string, an array of parts with
// "text", or (Gemini) an object with "output" or "content"; anything else as
// raw JSON.
func resultText(v gjson.Result) string {
	switch {
	case v.Type == gjson.String:
		return v.Str
	case v.IsArray():
		var b strings.Builder
		for _, p := range v.Array() {
			if t := p.Get("text"); t.Type == gjson.String {
				b.WriteString(t.Str)
			} else if p.Type == gjson.String {
				b.WriteString(p.Str)
			}
		}
		return b.String()
	case v.IsObject():
		for _, k := range []string{"output", "content", "result"} {
			if s := v.Get(k); s.Type == gjson.String {
				return s.Str
			}
		}
	}
	return v.Raw
}

func (lr *loopRequest) readAnthropic(root gjson.Result) {
	th := root.Get("thinking")
	if t := th.Get("type").Str; t == "enabled" || t == "adaptive" {
		lr.thinking, lr.step.Reasoning = true, reasoningOf(th)
	}
	for _, t := range root.Get("tools").Array() {
		lr.tools[t.Get("name").Str] = json.RawMessage(t.Get("input_schema").Raw)
	}
	var p pairing
	for _, m := range root.Get("messages").Array() {
		called := false
		for _, b := range m.Get("content").Array() {
			switch b.Get("type").Str {
			case "tool_use":
				p.call(b.Get("id").Str, b.Get("name").Str, b.Get("input").Raw)
				called = true
			case "tool_result":
				p.result(b.Get("tool_use_id").Str, "", resultText(b.Get("content")))
			}
		}
		p.endTurn(called)
	}
	lr.step.Calls = p.calls
}

func (lr *loopRequest) readChat(root gjson.Result) {
	if e := root.Get("reasoning_effort"); e.Str != "" && e.Str != "none" {
		lr.thinking, lr.step.Reasoning = true, reasoningOf(e)
	}
	for _, t := range root.Get("tools").Array() {
		lr.tools[t.Get("function.name").Str] = json.RawMessage(t.Get("function.parameters").Raw)
	}
	var p pairing
	for _, m := range root.Get("messages").Array() {
		calls := m.Get("tool_calls").Array()
		for _, c := range calls {
			p.call(c.Get("id").Str, c.Get("function.name").Str, c.Get("function.arguments").Str)
		}
		p.endTurn(len(calls) > 0)
		if m.Get("role").Str == "tool" {
			p.result(m.Get("tool_call_id").Str, "", resultText(m.Get("content")))
		}
	}
	lr.step.Calls = p.calls
}

func (lr *loopRequest) readResponses(root gjson.Result) {
	// Reasoning is recorded but not answered: the fake has no encrypted
	// reasoning items to hand out.
	if r := root.Get("reasoning"); r.Exists() && r.Get("effort").Str != "" && r.Get("effort").Str != "none" {
		lr.step.Reasoning = reasoningOf(r)
	}
	lr.responsesTools(root.Get("tools"), "")
	var p pairing
	grouping := false
	for _, it := range root.Get("input").Array() {
		switch it.Get("type").Str {
		case "function_call":
			p.call(it.Get("call_id").Str, nsName(it), it.Get("arguments").Str)
			grouping = true
			continue
		case "custom_tool_call":
			p.call(it.Get("call_id").Str, nsName(it), it.Get("input").Str)
			grouping = true
			continue
		case "additional_tools":
			// Newer Codex offers its tools in an input item (repeated in a
			// replayed history); it ends no turn.
			lr.responsesTools(it.Get("tools"), "")
			continue
		case "reasoning":
			continue
		case "function_call_output", "custom_tool_call_output":
			p.result(it.Get("call_id").Str, "", resultText(it.Get("output")))
		}
		p.endTurn(grouping)
		grouping = false
	}
	p.endTurn(grouping)
	lr.step.Calls = p.calls
}

// responsesTools notes the function and custom tools of a Responses tool
// list; a namespace's members are named namespace__name (as the gateway
// names them for other providers). A custom tool's schema is its one string
// argument, "input".
func (lr *loopRequest) responsesTools(list gjson.Result, ns string) {
	for _, t := range list.Array() {
		name := t.Get("name").Str
		if ns != "" {
			name = ns + "__" + name
		}
		switch t.Get("type").Str {
		case "function":
			lr.tools[name] = json.RawMessage(t.Get("parameters").Raw)
		case "custom":
			lr.tools[name] = json.RawMessage(`{"type":"object","properties":{"input":{"type":"string"}},"required":["input"]}`)
			lr.freeform[name] = ns
		case "namespace":
			if ns == "" {
				lr.responsesTools(t.Get("tools"), name)
			}
		}
	}
}

// nsName is the name of a Responses call item, namespace__name when the
// item carries a namespace.
func nsName(it gjson.Result) string {
	if ns := it.Get("namespace").Str; ns != "" {
		return ns + "__" + it.Get("name").Str
	}
	return it.Get("name").Str
}

func (lr *loopRequest) readGemini(root gjson.Result) {
	gc := root.Get("generationConfig")
	if !gc.Exists() {
		gc = root.Get("generation_config")
	}
	tc := gc.Get("thinkingConfig")
	if !tc.Exists() {
		tc = gc.Get("thinking_config")
	}
	if b := tc.Get("thinkingBudget"); tc.Exists() && (!b.Exists() || b.Int() != 0) {
		lr.thinking, lr.step.Reasoning = true, reasoningOf(tc)
		lr.include = tc.Get("includeThoughts").Bool() || tc.Get("include_thoughts").Bool()
	}
	for _, t := range root.Get("tools").Array() {
		decls := t.Get("functionDeclarations")
		if !decls.Exists() {
			decls = t.Get("function_declarations")
		}
		for _, d := range decls.Array() {
			schema := d.Get("parameters")
			if !schema.Exists() {
				schema = d.Get("parametersJsonSchema")
			}
			lr.tools[d.Get("name").Str] = json.RawMessage(schema.Raw)
		}
	}
	var p pairing
	for _, c := range root.Get("contents").Array() {
		called := false
		for _, part := range c.Get("parts").Array() {
			if fc := part.Get("functionCall"); fc.Exists() {
				p.call(fc.Get("id").Str, fc.Get("name").Str, fc.Get("args").Raw)
				called = true
			}
			if fr := part.Get("functionResponse"); fr.Exists() {
				p.result(fr.Get("id").Str, fr.Get("name").Str, resultText(fr.Get("response")))
			}
		}
		p.endTurn(called)
	}
	lr.step.Calls = p.calls
}
