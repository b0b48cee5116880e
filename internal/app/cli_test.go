package app_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
)

// cliCell is one client × provider combination: the model the CLI asks for
// and the route that sends it to the provider.
type cliCell struct {
	client, provider string
	model            string // what the CLI sends
	target           string // upstream model the route maps it to
	tool             string // the tool the loop must call as the provider sees it; "" for any
}

func cliCells() []cliCell {
	return []cliCell{
		{cliClaude, "anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5", ""},
		{cliClaude, "openai", "claude-haiku-4-5", "gpt-5", ""},
		{cliClaude, "gemini", "claude-opus-4-5", "gemini-2.5-pro", ""},
		{cliGemini, "gemini", "gemini-2.5-pro", "gemini-2.5-pro", ""},
		{cliGemini, "anthropic", "gemini-2.5-flash", "claude-sonnet-4-5", ""},
		{cliGemini, "openai", "gemini-2.5-flash-lite", "gpt-5", ""},
		{cliCodex, "openai", "gpt-5", "gpt-5", "exec_command"},
		{cliCodex, "anthropic", "gpt-5-codex", "claude-sonnet-4-5", "exec_command"},
		{cliCodex, "gemini", "gpt-5-mini", "gemini-2.5-pro", "exec_command"},
		// Codex's newer bundled models (gpt-5.6, gpt-6) offer their tools in
		// additional_tools input items, the shell only through the code-mode
		// tool exec of namespace functions (a freeform JavaScript tool).
		{cliCodex, "openai", "gpt-6-luna", "gpt-6-luna", codeModeTool},
		{cliCodex, "anthropic", "gpt-6-sol", "claude-sonnet-4-5", codeModeTool},
		{cliCodex, "gemini", "gpt-5.6-sol", "gemini-2.5-pro", codeModeTool},
	}
}

// codeModeTool is newer Codex's exec tool as a provider sees it: the
// gateway names a namespaced tool namespace__name (the fake's Responses
// dialect reads it the same way).
const codeModeTool = "functions__exec"

// cliRoutes pins every cell's model to its provider.
func cliRoutes(cells []cliCell) string {
	var b strings.Builder
	for _, c := range cells {
		fmt.Fprintf(&b, "%s: %s/%s\n", c.model, c.provider, c.target)
	}
	return b.String()
}

// TestCLIAgentLoops drives Claude Code, Gemini CLI and Codex, unmodified and
// headless, through the gateway onto each provider kind. The fake upstream
// scripts a tool loop (two reads in parallel, a follow-up read, a final
// answer) and every step is checked as the provider saw it.
func TestCLIAgentLoops(t *testing.T) {
	bins := cliPaths(t)
	cells := cliCells()
	h := newHarness(t, harnessOpts{routes: cliRoutes(cells)})
	for _, c := range cells {
		t.Run(c.client+"_"+c.model+"_on_"+c.provider, func(t *testing.T) {
			t.Parallel()
			runCLILoop(t, h, bins[c.client], c)
		})
	}
}

func runCLILoop(t *testing.T, h *harness, bin string, c cliCell) {
	token := c.client + "-" + c.provider + "-" + randomToken(t)
	work, home := t.TempDir(), t.TempDir()
	contents := map[string]string{}
	for _, f := range fakeupstream.AgentLoopFiles() {
		contents[f] = strings.TrimSuffix(f, ".txt") + "-content-" + token
		writeFile(t, filepath.Join(work, f), contents[f]+"\n")
	}
	prompt := "Follow the agent loop script: " + fakeupstream.AgentLoopMarker(work, token)
	var run cliRun
	switch c.client {
	case cliClaude:
		run = claudeRun(bin, h.base, c.model, home, work, prompt)
	case cliGemini:
		run = geminiRun(t, bin, h.base, c.model, home, work, prompt)
	default:
		run = codexRun(t, bin, h.base, c.model, home, work, prompt)
	}
	run.tmpDir = filepath.Join(home, "tmp")
	res := run.run(context.Background())
	steps := loopRecords(h, token)
	for _, r := range h.fake.Requests() {
		if strings.Contains(string(r.Body), token) && r.Status != 200 {
			t.Errorf("a request of this loop got %d: %s %s (model %q)", r.Status, r.Provider, r.Path, r.Model)
		}
	}
	t.Logf("%s %s on %s: %s, %s", c.client, c.model, c.provider, res.took.Round(time.Millisecond), describeSteps(steps))
	report := func() string {
		return fmt.Sprintf("\nsteps seen: %s\nstdout:\n%s\nstderr (tail):\n%s", describeSteps(steps), res.stdout, tail(res.stderr, 3000))
	}
	if res.err != nil {
		t.Fatalf("%s exited with %v%s", c.client, res.err, report())
	}
	if !strings.Contains(res.stdout, token+"-done") {
		t.Errorf("the CLI did not print the loop's final answer (%q)%s", token+"-done", report())
	}
	checkLoopSteps(t, c, steps, contents, report)
}

// loopStep is a recorded provider request of one loop.
type loopStep struct {
	rec  fakeupstream.Record
	step fakeupstream.AgentLoopStep
}

// loopRecords returns the generation requests of token's loop: those that
// carried the marker and offered the tool the loop calls.
func loopRecords(h *harness, token string) []loopStep {
	var out []loopStep
	for _, r := range h.fake.Requests() {
		if s, ok := fakeupstream.AgentLoopOf(r); ok && s.Token == token && s.Tool != "" && r.Stream {
			out = append(out, loopStep{rec: r, step: s})
		}
	}
	return out
}

func describeSteps(steps []loopStep) string {
	var parts []string
	for _, s := range steps {
		parts = append(parts, fmt.Sprintf("[step %d %s %s status %d account %s reasoning %s tool %s calls %d]",
			s.step.Step, s.rec.Provider, s.rec.Model, s.rec.Status, strings.TrimPrefix(s.rec.Credential, "upkey-secret-"),
			s.step.Reasoning, s.step.Tool, len(s.step.Calls)))
	}
	return strings.Join(parts, " ")
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// checkLoopSteps asserts what the provider saw: every step exactly once, all
// answered 200 by one account of the cell's provider with the mapped model,
// the same reasoning setting throughout, and at the last step a history whose
// three loop calls (two in one turn, one after) are each paired with a result
// carrying the planted file content.
func checkLoopSteps(t *testing.T, c cliCell, steps []loopStep, contents map[string]string, report func() string) {
	t.Helper()
	seen := map[int]int{}
	accounts := map[string]bool{}
	reasoning := map[string]bool{}
	for _, s := range steps {
		seen[s.step.Step]++
		accounts[s.rec.Credential] = true
		reasoning[s.step.Reasoning] = true
		if s.rec.Status != 200 || s.rec.Provider != c.provider || s.rec.Model != c.target {
			t.Errorf("step %d: status %d on %s model %q; want 200 on %s model %q",
				s.step.Step, s.rec.Status, s.rec.Provider, s.rec.Model, c.provider, c.target)
		}
		if c.tool != "" && s.step.Tool != c.tool {
			t.Errorf("step %d: the loop called %q; want %q", s.step.Step, s.step.Tool, c.tool)
		}
	}
	for _, n := range []int{1, 2, 3} {
		if seen[n] != 1 {
			t.Errorf("the provider saw step %d of the loop %d times; want once%s", n, seen[n], report())
			return
		}
	}
	if len(accounts) != 1 {
		t.Errorf("the loop was served by %d accounts; want one for the whole loop%s", len(accounts), report())
	}
	if len(reasoning) != 1 || reasoning[""] {
		t.Errorf("reasoning settings across the steps: %v; want one, the same on every step%s", keys(reasoning), report())
	}
	var calls []fakeupstream.LoopCall
	for _, s := range steps {
		if s.step.Step == 3 {
			calls = s.step.LoopCalls()
			checkSignedToolTurns(t, s.rec)
		}
	}
	if len(calls) != 3 {
		t.Fatalf("the final step's history holds %d loop calls; want 3: %+v%s", len(calls), calls, report())
	}
	if calls[0].Turn != calls[1].Turn || calls[2].Turn <= calls[1].Turn {
		t.Errorf("call turns %d, %d, %d; want the first two in parallel, the third after", calls[0].Turn, calls[1].Turn, calls[2].Turn)
	}
	for i, call := range calls {
		file := fakeupstream.AgentLoopFiles()[i]
		switch {
		case !strings.Contains(call.Args, file):
			t.Errorf("call %d (%s) reads %s; want %s", i, call.Name, call.Args, file)
		case !call.Paired:
			t.Errorf("call %d (%s %s) has no result in the history", i, call.Name, call.ID)
		case !strings.Contains(call.Result, contents[file]):
			t.Errorf("result of call %d (%s) = %q; want the content of %s (%q)", i, call.Name, tail(call.Result, 300), file, contents[file])
		}
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkSignedToolTurns asserts that every tool-calling turn of the history
// went back to the provider with the provider's own signature: Anthropic
// turns start with a signed thinking block (the fake refuses a signature it
// did not issue for that text), Gemini turns carry a real thoughtSignature on
// their first function call (not the skip placeholder).
func checkSignedToolTurns(t *testing.T, rec fakeupstream.Record) {
	t.Helper()
	switch rec.Provider {
	case "anthropic":
		for i, m := range gjson.GetBytes(rec.Body, "messages").Array() {
			content := m.Get("content")
			if m.Get("role").Str != "assistant" || !content.Get(`#(type=="tool_use")`).Exists() {
				continue
			}
			if b := content.Get("0"); b.Get("type").Str != "thinking" || b.Get("signature").Str == "" {
				t.Errorf("messages.%d calls tools without signed thinking first: %s", i, tail(content.Raw, 400))
			}
		}
	case "gemini":
		for i, c := range gjson.GetBytes(rec.Body, "contents").Array() {
			fc := c.Get(`parts.#(functionCall)`)
			if !fc.Exists() {
				continue
			}
			if s := fc.Get("thoughtSignature").Str; s == "" || s == "skip_thought_signature_validator" {
				t.Errorf("contents.%d calls functions without the model's thoughtSignature: %s", i, tail(c.Raw, 400))
			}
		}
	}
}
