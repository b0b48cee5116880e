package fakeupstream

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// loopDialect builds the requests of a three-step loop in one dialect.
type loopDialect struct {
	name, path string
	header     map[string]string
	// body renders a request whose history holds the given turns, each a
	// list of (call id, path read, result text).
	body func(marker string, turns [][]loopTurnCall) string
}

type loopTurnCall struct{ id, path, result string }

func loopDialects() []loopDialect {
	return []loopDialect{
		{name: "anthropic", path: "/v1/messages", header: anthropicAuth, body: func(marker string, turns [][]loopTurnCall) string {
			msgs := []string{`{"role":"user","content":[{"type":"text","text":"` + marker + `"}]}`}
			for _, turn := range turns {
				var calls, results []string
				for _, c := range turn {
					calls = append(calls, fmt.Sprintf(`{"type":"tool_use","id":%q,"name":"Read","input":{"file_path":%q}}`, c.id, c.path))
					results = append(results, fmt.Sprintf(`{"type":"tool_result","tool_use_id":%q,"content":[{"type":"text","text":%q}]}`, c.id, c.result))
				}
				msgs = append(msgs, `{"role":"assistant","content":[`+strings.Join(calls, ",")+`]}`,
					`{"role":"user","content":[`+strings.Join(results, ",")+`]}`)
			}
			return `{"model":"claude-x","max_tokens":100,"stream":true,"thinking":{"type":"enabled","budget_tokens":1024},"tools":[{"name":"Bash","input_schema":{"type":"object","properties":{"command":{"type":"string"}},"required":["command"]}},` +
				`{"name":"Read","input_schema":{"type":"object","properties":{"file_path":{"type":"string"},"limit":{"type":"integer"}},"required":["file_path"]}}],` +
				`"messages":[` + strings.Join(msgs, ",") + `]}`
		}},
		{name: "chat", path: "/v1/chat/completions", header: openAIAuth, body: func(marker string, turns [][]loopTurnCall) string {
			msgs := []string{`{"role":"user","content":"` + marker + `"}`}
			for _, turn := range turns {
				var calls, results []string
				for _, c := range turn {
					args := fmt.Sprintf(`{"cmd":"cat %s"}`, c.path)
					calls = append(calls, fmt.Sprintf(`{"id":%q,"type":"function","function":{"name":"exec_command","arguments":%q}}`, c.id, args))
					results = append(results, fmt.Sprintf(`{"role":"tool","tool_call_id":%q,"content":%q}`, c.id, c.result))
				}
				msgs = append(msgs, `{"role":"assistant","content":null,"tool_calls":[`+strings.Join(calls, ",")+`]}`)
				msgs = append(msgs, results...)
			}
			return `{"model":"gpt-x","stream":true,"reasoning_effort":"high","tools":[{"type":"function","function":{"name":"exec_command","parameters":{"type":"object","properties":{"cmd":{"type":"string"}},"required":["cmd"]}}}],` +
				`"messages":[` + strings.Join(msgs, ",") + `]}`
		}},
		{name: "responses", path: "/v1/responses", header: openAIAuth, body: func(marker string, turns [][]loopTurnCall) string {
			items := []string{`{"type":"message","role":"user","content":[{"type":"input_text","text":"` + marker + `"}]}`}
			for _, turn := range turns {
				var results []string
				for _, c := range turn {
					args := fmt.Sprintf(`{"command":["cat",%q]}`, c.path)
					items = append(items, fmt.Sprintf(`{"type":"function_call","call_id":%q,"name":"shell","arguments":%q}`, c.id, args))
					results = append(results, fmt.Sprintf(`{"type":"function_call_output","call_id":%q,"output":%q}`, c.id, c.result))
				}
				items = append(items, results...)
			}
			return `{"model":"gpt-x","stream":true,"reasoning":{"effort":"low"},"tools":[{"type":"function","name":"shell","parameters":{"type":"object","properties":{"command":{"type":"array","items":{"type":"string"}}},"required":["command"]}}],` +
				`"input":[` + strings.Join(items, ",") + `]}`
		}},
		{name: "responses-code-mode", path: "/v1/responses", header: openAIAuth, body: func(marker string, turns [][]loopTurnCall) string {
			// Newer Codex: tools in an additional_tools item, the shell a
			// freeform exec tool of namespace functions, calls replayed as
			// custom_tool_call items.
			items := []string{codeModeToolsItem, `{"type":"message","role":"user","content":[{"type":"input_text","text":"` + marker + `"}]}`}
			for _, turn := range turns {
				var results []string
				for _, c := range turn {
					items = append(items, fmt.Sprintf(`{"type":"custom_tool_call","call_id":%q,"namespace":"functions","name":"exec","input":%q}`, c.id, codeModeScript(c.path)))
					results = append(results, fmt.Sprintf(`{"type":"custom_tool_call_output","call_id":%q,"output":[{"type":"input_text","text":%q}]}`, c.id, c.result))
				}
				items = append(items, codeModeToolsItem)
				items = append(items, results...)
			}
			return `{"model":"gpt-6-x","stream":true,"reasoning":{"effort":"medium"},"input":[` + strings.Join(items, ",") + `]}`
		}},
		{name: "anthropic-code-mode", path: "/v1/messages", header: anthropicAuth, body: func(marker string, turns [][]loopTurnCall) string {
			// The same tool after the gateway's translation: the function
			// functions__exec with one string argument.
			msgs := []string{`{"role":"user","content":[{"type":"text","text":"` + marker + `"}]}`}
			for _, turn := range turns {
				var calls, results []string
				for _, c := range turn {
					args := string(mustJSON(map[string]string{"input": codeModeScript(c.path)}))
					calls = append(calls, fmt.Sprintf(`{"type":"tool_use","id":%q,"name":"functions__exec","input":%s}`, c.id, args))
					results = append(results, fmt.Sprintf(`{"type":"tool_result","tool_use_id":%q,"content":%q}`, c.id, c.result))
				}
				msgs = append(msgs, `{"role":"assistant","content":[`+strings.Join(calls, ",")+`]}`,
					`{"role":"user","content":[`+strings.Join(results, ",")+`]}`)
			}
			return `{"model":"claude-x","max_tokens":100,"stream":true,"thinking":{"type":"enabled","budget_tokens":1024},` +
				`"tools":[{"name":"functions__wait","input_schema":{"type":"object","properties":{"cell_id":{"type":"string"}}}},` +
				`{"name":"functions__exec","input_schema":{"type":"object","properties":{"input":{"type":"string"}},"required":["input"]}}],` +
				`"messages":[` + strings.Join(msgs, ",") + `]}`
		}},
		{name: "gemini", path: "/v1beta/models/gemini-x:streamGenerateContent?alt=sse", header: geminiAuth, body: func(marker string, turns [][]loopTurnCall) string {
			contents := []string{`{"role":"user","parts":[{"text":"` + marker + `"}]}`}
			for _, turn := range turns {
				var calls, results []string
				for _, c := range turn { // no ids: paired by name and order
					calls = append(calls, fmt.Sprintf(`{"functionCall":{"name":"read_file","args":{"file_path":%q}}}`, c.path))
					results = append(results, fmt.Sprintf(`{"functionResponse":{"name":"read_file","response":{"output":%q}}}`, c.result))
				}
				contents = append(contents, `{"role":"model","parts":[`+strings.Join(calls, ",")+`]}`,
					`{"role":"user","parts":[`+strings.Join(results, ",")+`]}`)
			}
			return `{"generationConfig":{"thinkingConfig":{"includeThoughts":true,"thinkingBudget":1024}},"tools":[{"functionDeclarations":[{"name":"read_file","parametersJsonSchema":{"type":"object","properties":{"file_path":{"type":"string"}},"required":["file_path"]}}]}],` +
				`"contents":[` + strings.Join(contents, ",") + `]}`
		}},
	}
}

// codeModeToolsItem is newer Codex's additional_tools input item, cut down.
const codeModeToolsItem = `{"type":"additional_tools","role":"developer","tools":[` +
	`{"type":"namespace","name":"functions","description":"","tools":[` +
	`{"type":"custom","name":"exec","description":"Run JavaScript","format":{"type":"grammar","syntax":"lark","definition":"start: /[\\s\\S]+/"}},` +
	`{"type":"function","name":"wait","parameters":{"type":"object","properties":{"cell_id":{"type":"string"}},"required":["cell_id"]}}]},` +
	`{"type":"namespace","name":"clock","tools":[{"type":"function","name":"sleep","parameters":{"type":"object","properties":{}}}]}]}`

// TestAgentLoopCodeModeCalls: the loop calls newer Codex's exec tool with a
// script that cats the file: in the Responses dialect as a custom_tool_call
// of namespace functions, translated as functions__exec with {"input": script}.
func TestAgentLoopCodeModeCalls(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	marker := AgentLoopMarker("/tmp/loop-dir", "tok")
	script := codeModeScript("/tmp/loop-dir/alpha.txt")
	if want := `const r = await tools.exec_command({cmd: "cat '/tmp/loop-dir/alpha.txt'"});`; !strings.HasPrefix(script, want) {
		t.Fatalf("script %q; want it to start with %q", script, want)
	}
	for _, d := range loopDialects() {
		if !strings.HasSuffix(d.name, "-code-mode") {
			continue
		}
		msgs := readSSE(t, do(t, ts, call{path: d.path, header: d.header, body: d.body(marker, nil)}))
		var calls []gjson.Result
		for _, m := range msgs {
			switch ev := gjson.Parse(m.data); {
			case ev.Get("type").Str == "response.output_item.done":
				calls = append(calls, ev.Get("item"))
			case ev.Get("content_block.type").Str == "tool_use":
				calls = append(calls, ev.Get("content_block"))
			case ev.Get("delta.type").Str == "input_json_delta" && len(calls) > 0:
				calls[len(calls)-1] = gjson.Parse(fmt.Sprintf(`{"name":%q,"input":%s}`, calls[len(calls)-1].Get("name").Str, ev.Get("delta.partial_json").Str))
			}
		}
		if len(calls) != 2 {
			t.Fatalf("%s: %d calls; want 2: %+v", d.name, len(calls), msgs)
		}
		c := calls[0]
		switch d.name {
		case "responses-code-mode":
			if c.Get("type").Str != "custom_tool_call" || c.Get("namespace").Str != "functions" || c.Get("name").Str != "exec" ||
				c.Get("input").Str != script || c.Get("call_id").Str == "" {
				t.Errorf("%s: item %s; want a custom_tool_call of functions/exec with the script", d.name, c.Raw)
			}
		default:
			if c.Get("name").Str != "functions__exec" || c.Get("input.input").Str != script {
				t.Errorf("%s: call %s; want functions__exec with {\"input\": script}", d.name, c.Raw)
			}
		}
	}
}

func TestAgentLoopEveryDialect(t *testing.T) {
	const dir, token = "/tmp/loop-dir", "tok42"
	marker := AgentLoopMarker(dir, token)
	path := func(i int) string { return dir + "/" + AgentLoopFiles()[i] }
	turn1 := []loopTurnCall{{"c1", path(0), "alpha-content"}, {"c2", path(1), "bravo-content"}}
	turn2 := []loopTurnCall{{"c3", path(2), "charlie-content"}}
	for _, d := range loopDialects() {
		t.Run(d.name, func(t *testing.T) {
			fake, ts := newTestServer(t, Options{})
			for step, history := range [][][]loopTurnCall{nil, {turn1}, {turn1, turn2}} {
				resp := do(t, ts, call{path: d.path, header: d.header, body: d.body(marker, history)})
				raw, _ := io.ReadAll(resp.Body)
				out := string(raw)
				if resp.StatusCode != 200 {
					t.Fatalf("step %d: status %d: %s", step+1, resp.StatusCode, out)
				}
				switch step {
				case 0:
					if !strings.Contains(out, "alpha.txt") || !strings.Contains(out, "bravo.txt") || strings.Contains(out, "charlie.txt") {
						t.Errorf("step 1 must call two tools in parallel on alpha and bravo: %s", out)
					}
				case 1:
					if !strings.Contains(out, "charlie.txt") || strings.Contains(out, "alpha.txt") {
						t.Errorf("step 2 must call one tool on charlie: %s", out)
					}
				case 2:
					if !strings.Contains(out, AgentLoopFinal(token)) || strings.Contains(out, ".txt") {
						t.Errorf("step 3 must answer the final text: %s", out)
					}
				}
			}
			recs := fake.Requests()
			if len(recs) != 3 {
				t.Fatalf("recorded %d requests; want 3", len(recs))
			}
			last, ok := AgentLoopOf(recs[2])
			if !ok || last.Step != 3 || last.Token != token || last.Tool == "" || last.Reasoning == "" {
				t.Fatalf("AgentLoopOf(step 3) = %+v, %v", last, ok)
			}
			calls := last.LoopCalls()
			if len(calls) != 3 {
				t.Fatalf("loop calls = %+v; want 3", calls)
			}
			for i, c := range calls {
				want := []string{"alpha-content", "bravo-content", "charlie-content"}[i]
				if !c.Paired || c.Result != want || !strings.Contains(c.Args, AgentLoopFiles()[i]) || c.Turn != i/2 {
					t.Errorf("call %d = %+v; want paired with %q in turn %d", i, c, want, i/2)
				}
			}
		})
	}
}

func TestAgentLoopNeedsMarkerToolAndStream(t *testing.T) {
	fake, ts := newTestServer(t, Options{})
	d := loopDialects()[0]
	noTool := strings.Replace(d.body(AgentLoopMarker("/d", "t"), nil), `"Read"`, `"Look"`, 1)
	noTool = strings.Replace(noTool, `"Bash"`, `"Other"`, 1)
	for name, body := range map[string]string{
		"no marker":    d.body("just a prompt", nil),
		"bad marker":   d.body("SY-AGENT-LOOP[dir=relative token=t]", nil),
		"no tool":      noTool,
		"not a stream": strings.Replace(d.body(AgentLoopMarker("/d", "t"), nil), `"stream":true`, `"stream":false`, 1),
	} {
		resp := do(t, ts, call{path: d.path, header: d.header, body: body})
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || strings.Contains(string(raw), "alpha.txt") {
			t.Errorf("%s: got the loop (or an error): %d %s", name, resp.StatusCode, raw)
		}
	}
	if n := len(fake.Requests()); n != 4 {
		t.Errorf("recorded %d requests; want 4", n)
	}
}
