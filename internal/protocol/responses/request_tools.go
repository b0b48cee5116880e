package responses

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

// Tools come from the top-level "tools" and from "additional_tools" input
// items (newer Codex sends its tools there). Function and custom (freeform)
// tools are kept; a namespace tool's members become ordinary tools named
// namespace + llm.NamespaceSep + name, which the stream encoder splits back
// into name and namespace for the client. Built-in tools (web search, file
// search, shell ...) are hosted by OpenAI and have no canonical form: they are
// not offered to providers of another protocol, and never silently: their
// types are listed in llm.Request.Omitted (the client is told in a response
// header), and a tool choice that requires one of them is refused (see
// toolChoice). Codex offers web_search on every request, so refusing the
// request instead would refuse Codex on every other provider. Any other tool
// type, and a built-in tool inside a namespace, is refused.

// builtinTool reports whether typ is one of OpenAI's hosted tools (or a
// dated variant of one, such as web_search_preview_2025_03_11).
func builtinTool(typ string) bool {
	for _, b := range []string{
		"web_search", "file_search", "code_interpreter", "image_generation", "local_shell", "shell",
		"computer", "mcp", "tool_search", "apply_patch",
	} {
		if typ == b || strings.HasPrefix(typ, b+"_") {
			return true
		}
	}
	return false
}

func (d *decoder) tools(root gjson.Result) *llm.Error {
	v := root.Get("tools")
	if isNull(v) {
		return nil
	}
	if !v.IsArray() {
		return invalid("tools must be an array")
	}
	return d.toolList(v, "tools")
}

// additionalTools reads an additional_tools input item.
func (d *decoder) additionalTools(i int, item gjson.Result) *llm.Error {
	v := item.Get("tools")
	if isNull(v) {
		return nil
	}
	if !v.IsArray() {
		return invalid("input[%d].tools must be an array", i)
	}
	return d.toolList(v, "input["+itoa(i)+"].tools")
}

// toolList reads an array of tool definitions; where is its path in errors.
func (d *decoder) toolList(v gjson.Result, where string) *llm.Error {
	var err *llm.Error
	i := 0
	v.ForEach(func(_, t gjson.Result) bool {
		err = d.tool(t, where+"["+itoa(i)+"]", "")
		i++
		return err == nil
	})
	return err
}

// tool reads one definition; ns is the namespace it belongs to, "" at the
// top level.
func (d *decoder) tool(t gjson.Result, where, ns string) *llm.Error {
	if !t.IsObject() {
		return invalid("%s must be an object", where)
	}
	typ := t.Get("type").Str
	switch {
	case typ == "function":
		return d.functionTool(t, where, ns)
	case typ == "custom":
		return d.customTool(t, where, ns)
	case typ == "namespace" && ns == "":
		return d.namespaceTool(t, where)
	case builtinTool(typ) && ns == "":
		d.omit(typ)
		return nil
	}
	if ns != "" {
		return invalid("%s: a %q tool inside namespace %q cannot be offered to this model's provider", where, typ, ns)
	}
	return invalid("%s: tools of type %q cannot be offered to this model's provider", where, typ)
}

func (d *decoder) namespaceTool(t gjson.Result, where string) *llm.Error {
	ns := t.Get("name").Str
	if ns == "" {
		return invalid("%s.name is required", where)
	}
	members := t.Get("tools")
	if !members.IsArray() {
		return invalid("%s.tools must be an array", where)
	}
	var err *llm.Error
	i := 0
	members.ForEach(func(_, m gjson.Result) bool {
		err = d.tool(m, where+".tools["+itoa(i)+"]", ns)
		i++
		return err == nil
	})
	return err
}

// omit records a built-in tool type left out, once.
func (d *decoder) omit(typ string) {
	if !slices.Contains(d.req.Omitted, typ) {
		d.req.Omitted = append(d.req.Omitted, typ)
	}
}

// qualified is the provider-side name of tool name in namespace ns.
func qualified(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + llm.NamespaceSep + name
}

// addTool keeps t unless a tool of the same name is already there (Codex
// repeats additional_tools items in a replayed history).
func (d *decoder) addTool(t llm.Tool) {
	for _, x := range d.req.Tools {
		if x.Name == t.Name {
			return
		}
	}
	d.req.Tools = append(d.req.Tools, t)
}

func (d *decoder) functionTool(t gjson.Result, where, ns string) *llm.Error {
	f := t
	if fn := t.Get("function"); fn.IsObject() && !t.Get("name").Exists() {
		f = fn // tolerate the Chat Completions shape
	}
	name := f.Get("name").Str
	if name == "" {
		return invalid("%s.name is required", where)
	}
	tool := llm.Tool{Name: qualified(ns, name), Description: f.Get("description").Str, Namespace: ns}
	if p := f.Get("parameters"); p.IsObject() {
		tool.Schema = json.RawMessage(p.Raw)
	}
	d.addTool(tool)
	return nil
}

// customTool keeps a freeform tool (Codex's apply_patch): providers of other
// protocols get a function with one string argument, and its grammar, when it
// has one, in the description so the model knows the syntax.
func (d *decoder) customTool(t gjson.Result, where, ns string) *llm.Error {
	name := t.Get("name").Str
	if name == "" {
		return invalid("%s.name is required", where)
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
	d.addTool(llm.Tool{Name: qualified(ns, name), Description: desc, Schema: schema, Freeform: true, Namespace: ns})
	return nil
}

func itoa(i int) string { return strconv.Itoa(i) }
