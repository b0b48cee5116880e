package anthropic

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol"
)

// DefaultMaxTokens is sent when the canonical request has no output limit
// (the Messages API requires one).
const DefaultMaxTokens = 8192

// minThinkingBudget is the smallest budget_tokens the API accepts.
const minThinkingBudget = 1024

// missingResult is the synthetic answer to a call the history left unanswered.
const missingResult = "No result was returned for this tool call."

type outRequest struct {
	Model         string         `json:"model"`
	MaxTokens     int            `json:"max_tokens,omitempty"`
	System        []outBlock     `json:"system,omitempty"`
	Messages      []outMessage   `json:"messages"`
	Tools         []outTool      `json:"tools,omitempty"`
	ToolChoice    *outToolChoice `json:"tool_choice,omitempty"`
	Temperature   *float64       `json:"temperature,omitempty"`
	TopP          *float64       `json:"top_p,omitempty"`
	TopK          *int           `json:"top_k,omitempty"`
	StopSequences []string       `json:"stop_sequences,omitempty"`
	Thinking      *outThinking   `json:"thinking,omitempty"`
	Metadata      *outMetadata   `json:"metadata,omitempty"`
	Stream        bool           `json:"stream,omitempty"`
}

type outMessage struct {
	Role    llm.Role   `json:"role"`
	Content []outBlock `json:"content"`
}

type outBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text,omitempty"`
	Source    *outSource      `json:"source,omitempty"`
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name,omitempty"`
	Input     json.RawMessage `json:"input,omitempty"`
	ToolUseID string          `json:"tool_use_id,omitempty"`
	Content   []outBlock      `json:"content,omitempty"`
	IsError   bool            `json:"is_error,omitempty"`
	Thinking  *string         `json:"thinking,omitempty"`
	Signature string          `json:"signature,omitempty"`
	Data      string          `json:"data,omitempty"`
}

type outSource struct {
	Type      string `json:"type"`
	MediaType string `json:"media_type,omitempty"`
	Data      string `json:"data,omitempty"`
	URL       string `json:"url,omitempty"`
}

type outTool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
}

type outToolChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name,omitempty"`
	DisableParallelToolUse bool   `json:"disable_parallel_tool_use,omitempty"`
}

type outThinking struct {
	Type         string `json:"type"`
	BudgetTokens int    `json:"budget_tokens,omitempty"`
}

type outMetadata struct {
	UserID string `json:"user_id"`
}

// EncodeRequest renders r as a streaming Messages request body for model.
// It sanitizes tool ids, pairs every tool call with a result (synthesizing
// missing ones, dropping orphans), merges same-role turns with tool results
// first, supplies max_tokens and fits the sampling parameters and tool
// choice to extended thinking.
func EncodeRequest(r *llm.Request, model string) ([]byte, error) {
	return EncodeRequestFor(r, model, nil)
}

// EncodeRequestFor is EncodeRequest with the model family's capabilities
// (protocol.CapabilitiesFor, with override applied): no thinking for models
// without extended thinking, no sampling parameters for models that refuse
// them.
func EncodeRequestFor(r *llm.Request, model string, override map[string]bool) ([]byte, error) {
	if err := protocol.CheckToolNames(r.Tools, protocol.PlainToolName, "Anthropic accepts 1 to 64 letters, digits, _ and -"); err != nil {
		return nil, err
	}
	caps := protocol.CapabilitiesFor(llm.Anthropic, model, override)
	msgs := prepareMessages(r.Messages)
	thinking := r.Thinking != nil && r.Thinking.Enabled && caps.Reasoning
	if thinking && !loopTurnStartsWithThinking(msgs) {
		// The final tool-loop turn would need a signed thinking block we do
		// not have: ask without thinking rather than with a forged one.
		thinking = false
	}
	if !thinking {
		dropFinalThinking(msgs)
	}
	out := outRequest{Model: model, Stream: true, Messages: renderMessages(msgs)}
	out.System = renderSystem(r.System)
	out.Tools = renderTools(r.Tools, msgs)

	out.MaxTokens = r.MaxTokens
	if out.MaxTokens <= 0 {
		out.MaxTokens = DefaultMaxTokens
	}
	if thinking {
		budget := r.Thinking.Budget
		if budget <= 0 {
			budget = llm.BudgetFor(r.Thinking.Effort)
		}
		budget = max(budget, minThinkingBudget)
		if out.MaxTokens <= budget {
			out.MaxTokens += budget
		}
		out.Thinking = &outThinking{Type: "enabled", BudgetTokens: budget}
	} else if caps.Sampling {
		if t := r.Temperature; t != nil {
			v := min(max(*t, 0), 1)
			out.Temperature = &v
		}
		out.TopP, out.TopK = r.TopP, r.TopK
		if out.Temperature != nil {
			// Newer models refuse temperature and top_p together.
			out.TopP = nil
		}
	}
	out.ToolChoice = renderToolChoice(r, len(out.Tools) > 0, len(r.Tools) == 0, thinking)
	for _, s := range r.Stop {
		if strings.TrimSpace(s) != "" {
			out.StopSequences = append(out.StopSequences, s)
		}
	}
	if r.User != "" {
		out.Metadata = &outMetadata{UserID: r.User}
	}
	return json.Marshal(out)
}

func renderSystem(parts []llm.Part) []outBlock {
	var out []outBlock
	for _, p := range parts {
		if p.Type == llm.PartText && strings.TrimSpace(p.Text) != "" {
			out = append(out, outBlock{Type: "text", Text: p.Text})
		}
	}
	return out
}

// renderTools lists the client tools; when there are none but the history
// holds tool blocks (which the API accepts only with tools defined), it
// declares the tools the history used.
func renderTools(tools []llm.Tool, msgs []llm.Message) []outTool {
	var out []outTool
	for _, t := range tools {
		if t.Name == "" {
			continue
		}
		out = append(out, outTool{Name: t.Name, Description: t.Description, InputSchema: inputSchema(t.Schema)})
	}
	if len(out) > 0 {
		return out
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		for _, p := range m.Parts {
			if p.Type == llm.PartToolCall && p.ToolCall.Name != "" && !seen[p.ToolCall.Name] {
				seen[p.ToolCall.Name] = true
				out = append(out, outTool{Name: p.ToolCall.Name, InputSchema: json.RawMessage(`{"type":"object"}`)})
			}
		}
	}
	return out
}

// inputSchema is s as an object schema with "type" set.
func inputSchema(s json.RawMessage) json.RawMessage {
	s = bytes.TrimSpace(s)
	if len(s) == 0 || s[0] != '{' || !json.Valid(s) {
		return json.RawMessage(`{"type":"object","properties":{}}`)
	}
	if !gjson.GetBytes(s, "type").Exists() {
		if withType, err := sjson.SetBytes(bytes.Clone(s), "type", "object"); err == nil {
			return withType
		}
	}
	return s
}

// renderToolChoice: historyOnly means the tools were synthesized from the
// history, so the model must not call them.
func renderToolChoice(r *llm.Request, haveTools, historyOnly, thinking bool) *outToolChoice {
	if !haveTools {
		return nil
	}
	if historyOnly {
		return &outToolChoice{Type: "none"}
	}
	noParallel := r.ParallelToolCalls != nil && !*r.ParallelToolCalls
	tc := &outToolChoice{Type: "auto", DisableParallelToolUse: noParallel}
	if r.ToolChoice == nil {
		if !noParallel {
			return nil
		}
		return tc
	}
	switch r.ToolChoice.Mode {
	case llm.ToolNone:
		return &outToolChoice{Type: "none"}
	case llm.ToolAny:
		if !thinking {
			tc.Type = "any"
		}
	case llm.ToolName:
		if !thinking && r.ToolChoice.Name != "" {
			tc.Type, tc.Name = "tool", r.ToolChoice.Name
		}
	}
	return tc
}

// prepareMessages copies the history into a shape the API accepts: only
// parts it can take, alternating roles, sanitized and paired tool ids, tool
// results first in their user turn, no trailing thinking.
func prepareMessages(in []llm.Message) []llm.Message {
	var msgs []llm.Message
	for _, m := range in {
		role := m.Role
		if role != llm.RoleAssistant {
			role = llm.RoleUser
		}
		var parts []llm.Part
		for _, p := range m.Parts {
			if keepPart(p, role) {
				parts = append(parts, p)
			}
		}
		msgs = appendMerged(msgs, role, parts)
	}
	pairTools(msgs)
	var out []llm.Message
	for _, m := range msgs {
		parts := m.Parts
		if m.Role == llm.RoleAssistant {
			for len(parts) > 0 && isThinking(parts[len(parts)-1]) {
				parts = parts[:len(parts)-1]
			}
		}
		out = appendMerged(out, m.Role, parts)
	}
	for i := range out {
		if out[i].Role == llm.RoleUser {
			resultsFirst(out[i].Parts)
		}
	}
	return out
}

func keepPart(p llm.Part, role llm.Role) bool {
	switch p.Type {
	case llm.PartText:
		return strings.TrimSpace(p.Text) != ""
	case llm.PartImage:
		return p.Image != nil && (p.Image.Data != "" || p.Image.URL != "")
	case llm.PartThinking, llm.PartRedacted:
		// An unsigned thinking block would be rejected; its text is dropped.
		return role == llm.RoleAssistant && p.Signature != ""
	case llm.PartToolCall:
		return role == llm.RoleAssistant && p.ToolCall != nil
	case llm.PartToolResult:
		return role == llm.RoleUser && p.ToolResult != nil
	}
	return false
}

func isThinking(p llm.Part) bool { return p.Type == llm.PartThinking || p.Type == llm.PartRedacted }

// appendMerged appends parts as a role turn, joining the previous turn of
// the same role; empty turns vanish.
func appendMerged(msgs []llm.Message, role llm.Role, parts []llm.Part) []llm.Message {
	if len(parts) == 0 {
		return msgs
	}
	if n := len(msgs); n > 0 && msgs[n-1].Role == role {
		msgs[n-1].Parts = append(msgs[n-1].Parts, parts...)
		return msgs
	}
	return append(msgs, llm.Message{Role: role, Parts: parts})
}

// resultsFirst moves tool results before the other parts, keeping order.
func resultsFirst(parts []llm.Part) {
	var results, rest []llm.Part
	for _, p := range parts {
		if p.Type == llm.PartToolResult {
			results = append(results, p)
		} else {
			rest = append(rest, p)
		}
	}
	copy(parts, results)
	copy(parts[len(results):], rest)
}

type pendingCall struct {
	id, name string
	answered bool
}

// pairTools sanitizes tool ids (minting missing ones) and makes every call
// answered in the next user turn: unanswered calls get an error result,
// results with no call in the previous turn are dropped. Parts are copied
// before they change, so the caller's request stays as it was.
func pairTools(msgs []llm.Message) {
	used := map[string]bool{}
	var pending []pendingCall
	for i := range msgs {
		m := &msgs[i]
		if m.Role == llm.RoleAssistant {
			pending = pending[:0]
			for j, p := range m.Parts {
				if p.Type != llm.PartToolCall {
					continue
				}
				tc := *p.ToolCall
				id := SanitizeToolID(tc.ID)
				if id == "" || used[id] {
					id = mintToolID("m"+itoa(i), j)
				}
				used[id] = true
				tc.ID = id
				if a := bytes.TrimSpace(tc.Args); len(a) == 0 || a[0] != '{' || !json.Valid(a) {
					tc.Args = json.RawMessage("{}")
				}
				m.Parts[j].ToolCall = &tc
				pending = append(pending, pendingCall{id: id, name: tc.Name})
			}
			continue
		}
		kept := m.Parts[:0:0]
		for _, p := range m.Parts {
			if p.Type != llm.PartToolResult {
				kept = append(kept, p)
				continue
			}
			k := matchCall(pending, p.ToolResult)
			if k < 0 {
				continue // orphan
			}
			pending[k].answered = true
			tr := *p.ToolResult
			tr.CallID = pending[k].id
			p.ToolResult = &tr
			kept = append(kept, p)
		}
		for _, c := range pending {
			if !c.answered {
				kept = append(kept, llm.Part{Type: llm.PartToolResult, ToolResult: &llm.ToolResult{
					CallID: c.id, Name: c.name, IsError: true,
					Content: []llm.Part{{Type: llm.PartText, Text: missingResult}},
				}})
			}
		}
		m.Parts = kept
		pending = pending[:0]
	}
}

// matchCall finds the unanswered call a result answers: by id, or, for a
// result without id, the first unanswered call of the same name (or any).
func matchCall(pending []pendingCall, tr *llm.ToolResult) int {
	id := SanitizeToolID(tr.CallID)
	if id != "" {
		for k, c := range pending {
			if c.id == id && !c.answered {
				return k
			}
		}
		return -1
	}
	for k, c := range pending {
		if !c.answered && (tr.Name == "" || c.name == tr.Name) {
			return k
		}
	}
	return -1
}

// loopTurnStartsWithThinking tells whether a request in the middle of a tool
// loop (last turn: tool results answering the assistant turn before it) has
// that assistant turn start with a thinking block, as the API requires when
// thinking is on. Requests outside a tool loop pass.
func loopTurnStartsWithThinking(msgs []llm.Message) bool {
	n := len(msgs)
	if n < 2 || msgs[n-1].Role != llm.RoleUser || msgs[n-2].Role != llm.RoleAssistant {
		return true
	}
	last := msgs[n-1].Parts
	if len(last) == 0 || last[0].Type != llm.PartToolResult {
		return true
	}
	prev := msgs[n-2].Parts
	return len(prev) > 0 && isThinking(prev[0])
}

// dropFinalThinking removes thinking from a final assistant turn (a prefill),
// which the API refuses when thinking is off.
func dropFinalThinking(msgs []llm.Message) {
	n := len(msgs)
	if n == 0 || msgs[n-1].Role != llm.RoleAssistant {
		return
	}
	var kept []llm.Part
	for _, p := range msgs[n-1].Parts {
		if !isThinking(p) {
			kept = append(kept, p)
		}
	}
	msgs[n-1].Parts = kept
}

func renderMessages(msgs []llm.Message) []outMessage {
	out := make([]outMessage, 0, len(msgs))
	for _, m := range msgs {
		blocks := make([]outBlock, 0, len(m.Parts))
		for _, p := range m.Parts {
			if b, ok := renderPart(p); ok {
				blocks = append(blocks, b)
			}
		}
		if len(blocks) > 0 {
			out = append(out, outMessage{Role: m.Role, Content: blocks})
		}
	}
	return out
}

func renderPart(p llm.Part) (outBlock, bool) {
	switch p.Type {
	case llm.PartText:
		return outBlock{Type: "text", Text: p.Text}, strings.TrimSpace(p.Text) != ""
	case llm.PartImage:
		return renderImage(p.Image)
	case llm.PartThinking:
		t := p.Text
		return outBlock{Type: "thinking", Thinking: &t, Signature: p.Signature}, true
	case llm.PartRedacted:
		return outBlock{Type: "redacted_thinking", Data: p.Signature}, true
	case llm.PartToolCall:
		tc := p.ToolCall
		return outBlock{Type: "tool_use", ID: tc.ID, Name: tc.Name, Input: tc.Args}, true
	case llm.PartToolResult:
		tr := p.ToolResult
		b := outBlock{Type: "tool_result", ToolUseID: tr.CallID, IsError: tr.IsError}
		for _, c := range tr.Content {
			if c.Type != llm.PartText && c.Type != llm.PartImage {
				continue
			}
			if cb, ok := renderPart(c); ok {
				b.Content = append(b.Content, cb)
			}
		}
		return b, true
	}
	return outBlock{}, false
}

// renderImage: base64 or URL source; PDFs become document blocks; a data:
// URL is inlined.
func renderImage(img *llm.Image) (outBlock, bool) {
	if img == nil {
		return outBlock{}, false
	}
	mt, data := img.MediaType, img.Data
	if data == "" && strings.HasPrefix(img.URL, "data:") {
		meta, payload, ok := strings.Cut(img.URL[len("data:"):], ",")
		if !ok || !strings.HasSuffix(meta, ";base64") {
			return outBlock{}, false
		}
		mt, data = strings.TrimSuffix(meta, ";base64"), payload
	}
	typ := "image"
	if mt == "application/pdf" {
		typ = "document"
	}
	if data != "" {
		if mt == "" {
			mt = "image/png"
		}
		return outBlock{Type: typ, Source: &outSource{Type: "base64", MediaType: mt, Data: data}}, true
	}
	if img.URL == "" {
		return outBlock{}, false
	}
	return outBlock{Type: typ, Source: &outSource{Type: "url", URL: img.URL}}, true
}
