package fakeupstream

import (
	"fmt"
	"io"
	"strings"
	"testing"
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
