package fakeupstream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/tidwall/gjson"
)

// The agent loop is a scripted multi-step tool conversation for tests that
// drive real agent CLIs. It starts when a streaming generation request offers
// a file-reading or shell tool and its body carries the marker
//
//	SY-AGENT-LOOP[dir=/abs/dir token=TOKEN]
//
// The answers then follow the history, whatever the protocol:
//
//  1. no loop call yet: two tool calls in parallel, reading dir/alpha.txt and
//     dir/bravo.txt;
//  2. one loop turn answered: one call reading dir/charlie.txt;
//  3. two loop turns answered: the final text "Loop finished: TOKEN-done".
//
// Each step starts with signed thinking when the request asks for thinking.
// The fake keeps no state: AgentLoopOf reads the same facts back from a
// recorded request, so a test can check every step (pairing of calls and
// results, the tool output they carry, the reasoning setting).

// AgentLoopFiles returns the names of the files the loop reads, in order.
func AgentLoopFiles() []string { return []string{"alpha.txt", "bravo.txt", "charlie.txt"} }

const loopMarkerStart = "SY-AGENT-LOOP[dir="

// AgentLoopMarker returns the marker that starts a loop reading files in dir
// (an absolute path without spaces; token: letters, digits, '-' and '_').
func AgentLoopMarker(dir, token string) string {
	return loopMarkerStart + dir + " token=" + token + "]"
}

// AgentLoopFinal is the loop's final answer text for token.
func AgentLoopFinal(token string) string { return "Loop finished: " + token + "-done" }

// findLoopMarker returns the dir and token of the first well-formed marker in
// body.
func findLoopMarker(body []byte) (dir, token string, ok bool) {
	s := string(body)
	for {
		i := strings.Index(s, loopMarkerStart)
		if i < 0 {
			return "", "", false
		}
		s = s[i+len(loopMarkerStart):]
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", "", false
		}
		dir, token, ok = strings.Cut(s[:end], " token=")
		if ok && strings.HasPrefix(dir, "/") && !strings.ContainsAny(dir, " \\\"") && validToken(token) {
			return dir, token, true
		}
	}
}

func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// loopTools returns the tool names the loop calls, in order of preference:
// file readers, then shells, then Codex's code-mode tool.
func loopTools() []string {
	return []string{"Read", "read_file", "exec_command", "shell_command", "shell", "run_shell_command", "Bash", codeModeTool}
}

// codeModeTool is the shell of Codex's newer models (gpt-5.6, gpt-6) as a
// provider sees it: they offer no shell tool of their own, only "exec", a
// freeform tool in the namespace "functions" that runs JavaScript whose
// tools.exec_command runs a command. Translated by the gateway it is the
// function functions__exec with one string argument, "input"; in the
// Responses dialect it is the custom tool exec of namespace functions, which
// the fake names the same way.
const codeModeTool = "functions__exec"

// codeModeScript is the JavaScript the loop sends to codeModeTool to read
// path: run cat through exec_command and hand its output back as text.
func codeModeScript(path string) string {
	cmd := mustJSON("cat " + shellQuote(path))
	return "const r = await tools.exec_command({cmd: " + string(cmd) + "});\ntext(r.output);\n"
}

// AgentLoopStep is what one generation request of a loop showed the fake.
type AgentLoopStep struct {
	Token     string
	Dir       string
	Step      int        // 1, 2 or 3: the answer this request gets
	Reasoning string     // the request's thinking/reasoning setting (compact JSON), "" when off
	Tool      string     // the read or shell tool the loop calls; "" when none is offered
	Calls     []LoopCall // every tool call of the history, in order, with its result
}

// LoopCall is one tool call of the history and the result paired with it.
type LoopCall struct {
	ID     string // "" when the protocol carried none (Gemini)
	Name   string
	Args   string // JSON
	Turn   int    // index of the assistant turn among the history's tool-calling turns
	Result string // text of the paired result
	Paired bool   // a result answered this call
}

// LoopCalls returns the calls of the history that read one of the loop's
// files (args mention dir).
func (s AgentLoopStep) LoopCalls() []LoopCall {
	var out []LoopCall
	for _, c := range s.Calls {
		if strings.Contains(c.Args, s.Dir) {
			out = append(out, c)
		}
	}
	return out
}

// loopTurns counts the assistant turns that called loop tools.
func (s AgentLoopStep) loopTurns() int {
	turns := map[int]bool{}
	for _, c := range s.LoopCalls() {
		turns[c.Turn] = true
	}
	return len(turns)
}

// AgentLoopOf reads a recorded generation request as a loop step; ok is false
// when the request carries no loop marker.
func AgentLoopOf(rec Record) (AgentLoopStep, bool) {
	h, ok := parseLoop(rec.Provider, rec.Path, rec.Body)
	if !ok {
		return AgentLoopStep{}, false
	}
	return h.step, true
}

// loopRequest is a parsed request of a loop.
type loopRequest struct {
	step     AgentLoopStep
	model    string
	tools    map[string]json.RawMessage // offered tools: name → JSON schema
	freeform map[string]string          // Responses: the custom (freeform) tools offered → their namespace
	thinking bool                       // the answer starts with (signed) thinking
	include  bool                       // Gemini: thought text is shown, not only signed
}

// parseLoop finds the marker in body and reads the history in the dialect of
// the endpoint.
func parseLoop(provider, path string, body []byte) (loopRequest, bool) {
	dir, token, ok := findLoopMarker(body)
	if !ok || !gjson.ValidBytes(body) {
		return loopRequest{}, false
	}
	lr := loopRequest{step: AgentLoopStep{Dir: dir, Token: token}, tools: map[string]json.RawMessage{}, freeform: map[string]string{}}
	root := gjson.ParseBytes(body)
	switch {
	case provider == ProviderAnthropic:
		lr.readAnthropic(root)
	case provider == ProviderOpenAI && strings.HasSuffix(path, "/responses"):
		lr.readResponses(root)
	case provider == ProviderOpenAI:
		lr.readChat(root)
	case provider == ProviderGemini:
		lr.readGemini(root)
	default:
		return loopRequest{}, false
	}
	lr.step.Step = min(lr.step.loopTurns()+1, 3)
	if c, err := lr.pick(""); err == nil {
		lr.step.Tool = c.name
	}
	return lr, true
}

// pairing collects the calls of a history and matches each result to a call:
// by id, or where either side has none (Gemini), to the first unanswered call
// of the same name.
type pairing struct {
	calls []LoopCall
	turn  int
}

func (p *pairing) call(id, name, args string) {
	p.calls = append(p.calls, LoopCall{ID: id, Name: name, Args: compactJSON(args), Turn: p.turn})
}

func (p *pairing) endTurn(called bool) {
	if called {
		p.turn++
	}
}

func (p *pairing) result(id, name, text string) {
	for i := range p.calls {
		c := &p.calls[i]
		if c.Paired || (id != "" && c.ID != "" && c.ID != id) || (id == "" || c.ID == "") && c.Name != name {
			continue
		}
		c.Result, c.Paired = text, true
		return
	}
}

func compactJSON(s string) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		return s
	}
	return b.String()
}

// reasoningOf renders a setting as compact JSON ("" when absent or off).
func reasoningOf(v gjson.Result) string {
	if !v.Exists() || v.Type == gjson.Null {
		return ""
	}
	return compactJSON(v.Raw)
}

// pick chooses the tool the loop calls and builds its arguments for path.
func (lr loopRequest) pick(path string) (toolCall, error) {
	for _, name := range loopTools() {
		schema, ok := lr.tools[name]
		switch {
		case !ok:
			continue
		case name == codeModeTool:
			return toolCall{name: name, args: string(mustJSON(map[string]string{"input": codeModeScript(path)}))}, nil
		}
		return toolCall{name: name, args: loopArgs(schema, path)}, nil
	}
	return toolCall{}, fmt.Errorf("no read or shell tool offered")
}

// loopArgs fills a tool's schema: the path property of a read tool, the
// command of a shell tool (a string, or an argv array), and the defaults of
// argsFromSchema for any other required property.
func loopArgs(schema json.RawMessage, path string) string {
	props := gjson.GetBytes(schema, "properties")
	args := map[string]any{}
	if err := json.Unmarshal([]byte(argsFromSchema(schema)), &args); err != nil {
		args = map[string]any{}
	}
	for _, k := range []string{"file_path", "absolute_path", "path", "filePath"} {
		if props.Get(gjson.Escape(k)).Exists() {
			args[k] = path
			return string(mustJSON(args))
		}
	}
	for _, k := range []string{"cmd", "command"} {
		p := props.Get(k)
		if !p.Exists() {
			continue
		}
		if schemaType(json.RawMessage(p.Get("type").Raw)) == "array" {
			args[k] = []string{"cat", path}
		} else {
			args[k] = "cat " + shellQuote(path)
		}
		return string(mustJSON(args))
	}
	return string(mustJSON(args))
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// answer is what the loop says at its step.
func (lr loopRequest) answer(thinking bool) (answer, []toolCall, error) {
	st := lr.step
	a := answer{input: 1}
	if thinking {
		a.thinking = fmt.Sprintf("Agent loop %s, step %d: read the files in order.", st.Token, st.Step)
	}
	var files []string
	switch st.Step {
	case 1:
		files = AgentLoopFiles()[:2]
	case 2:
		files = AgentLoopFiles()[2:]
	default:
		a.text = AgentLoopFinal(st.Token)
		return a, nil, nil
	}
	var calls []toolCall
	for _, f := range files {
		c, err := lr.pick(filepath.Join(st.Dir, f))
		if err != nil {
			return answer{}, nil, err
		}
		calls = append(calls, c)
	}
	return a, calls, nil
}

// agentLoop answers a streaming loop request; it returns false, having sent
// nothing, when the request is not one (no marker, not streaming, or no
// read or shell tool offered).
func (ex *exchange) agentLoop(stream bool) bool {
	if !stream {
		return false
	}
	lr, ok := parseLoop(ex.provider, ex.r.URL.Path, ex.body)
	if !ok || lr.step.Tool == "" {
		return false
	}
	lr.model = ex.model
	a, calls, err := lr.answer(lr.thinking)
	if err != nil {
		return false
	}
	ex.sendStream(lr.stream(ex, a, calls))
	return true
}
