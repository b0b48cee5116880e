package openai

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol"
)

// maxStop is how many stop sequences OpenAI accepts.
const maxStop = 4

// maxToolCallID is the longest tool call id OpenAI accepts.
const maxToolCallID = 40

// maxUser is the longest end-user id ("user") OpenAI accepts.
const maxUser = 64

// missingResult is the content of the tool message the encoder inserts for a
// tool call that has no result in the history (OpenAI rejects such calls).
const missingResult = "Error: no result was returned for this tool call."

type outRequest struct {
	Model               string          `json:"model"`
	Messages            []outMsg        `json:"messages"`
	Stream              bool            `json:"stream"`
	StreamOptions       streamOptions   `json:"stream_options"`
	MaxCompletionTokens int             `json:"max_completion_tokens,omitempty"`
	Temperature         *float64        `json:"temperature,omitempty"`
	TopP                *float64        `json:"top_p,omitempty"`
	Stop                []string        `json:"stop,omitempty"`
	ReasoningEffort     string          `json:"reasoning_effort,omitempty"`
	ResponseFormat      *outFormat      `json:"response_format,omitempty"`
	Tools               []outTool       `json:"tools,omitempty"`
	ToolChoice          json.RawMessage `json:"tool_choice,omitempty"`
	ParallelToolCalls   *bool           `json:"parallel_tool_calls,omitempty"`
	User                string          `json:"user,omitempty"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

type outMsg struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content"` // string, parts array or null
	ToolCalls  []outToolCall   `json:"tool_calls,omitempty"`
	ToolCallID string          `json:"tool_call_id,omitempty"`
}

type outToolCall struct {
	ID       string      `json:"id"`
	Type     string      `json:"type"`
	Function outFunction `json:"function"`
}

type outFunction struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

type outPart struct {
	Type     string       `json:"type"`
	Text     *string      `json:"text,omitempty"`
	ImageURL *outImageURL `json:"image_url,omitempty"`
}

type outImageURL struct {
	URL string `json:"url"`
}

type outFormat struct {
	Type       string         `json:"type"`
	JSONSchema *outJSONSchema `json:"json_schema,omitempty"`
}

type outJSONSchema struct {
	Name   string          `json:"name"`
	Schema json.RawMessage `json:"schema,omitempty"`
}

type outTool struct {
	Type     string         `json:"type"`
	Function outToolFuncDef `json:"function"`
}

type outToolFuncDef struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
}

// EncodeRequest renders the canonical request as a streaming Chat
// Completions body for model. Thinking parts are dropped (Chat Completions
// cannot take them back); images inside tool results move to a user message
// after the tool messages; tool calls without a result get a synthetic error
// result and results without a call are dropped; ids longer than OpenAI
// accepts are replaced by a deterministic hash. top_k is dropped.
func EncodeRequest(r *llm.Request, model string) ([]byte, error) {
	return EncodeRequestFor(r, model, nil)
}

// EncodeRequestFor is EncodeRequest with the model family's capabilities
// (protocol.CapabilitiesFor, with override applied): reasoning_effort only
// for reasoning models, temperature and top_p only for models that take
// them. The end-user id is kept within OpenAI's 64 characters.
func EncodeRequestFor(r *llm.Request, model string, override map[string]bool) ([]byte, error) {
	if r == nil {
		return nil, errors.New("openai: nil request")
	}
	if err := protocol.CheckToolNames(r.Tools, protocol.PlainToolName, "OpenAI accepts 1 to 64 letters, digits, _ and -"); err != nil {
		return nil, err
	}
	caps := protocol.CapabilitiesFor(llm.OpenAI, model, override)
	out := outRequest{
		Model:               model,
		Stream:              true,
		StreamOptions:       streamOptions{IncludeUsage: true},
		User:                endUser(r.User),
		Messages:            encodeMessages(r),
		MaxCompletionTokens: max(r.MaxTokens, 0),
	}
	if caps.Sampling {
		out.Temperature, out.TopP = r.Temperature, r.TopP
	}
	for _, s := range r.Stop {
		if s != "" && len(out.Stop) < maxStop {
			out.Stop = append(out.Stop, s)
		}
	}
	if t := r.Thinking; t != nil && t.Enabled && caps.Reasoning {
		out.ReasoningEffort = t.Effort
		if out.ReasoningEffort == "" {
			out.ReasoningEffort = llm.EffortFor(t.Budget)
		}
	}
	if f := r.Format; f != nil {
		switch f.Type {
		case "json_object":
			out.ResponseFormat = &outFormat{Type: "json_object"}
		case "json_schema":
			name := f.Name
			if name == "" {
				name = "response"
			}
			out.ResponseFormat = &outFormat{Type: "json_schema", JSONSchema: &outJSONSchema{Name: name, Schema: f.Schema}}
		}
	}
	for _, t := range r.Tools {
		out.Tools = append(out.Tools, outTool{Type: "function",
			Function: outToolFuncDef{Name: t.Name, Description: t.Description, Parameters: t.Schema}})
	}
	// OpenAI refuses tool_choice and parallel_tool_calls without tools.
	if len(out.Tools) > 0 {
		out.ToolChoice = encodeToolChoice(r.ToolChoice)
		out.ParallelToolCalls = r.ParallelToolCalls
	}
	return json.Marshal(out)
}

func encodeToolChoice(tc *llm.ToolChoice) json.RawMessage {
	if tc == nil {
		return nil
	}
	switch tc.Mode {
	case llm.ToolAuto:
		return json.RawMessage(`"auto"`)
	case llm.ToolNone:
		return json.RawMessage(`"none"`)
	case llm.ToolAny:
		return json.RawMessage(`"required"`)
	case llm.ToolName:
		var o struct {
			Type     string `json:"type"`
			Function struct {
				Name string `json:"name"`
			} `json:"function"`
		}
		o.Type, o.Function.Name = "function", tc.Name
		b, _ := json.Marshal(o)
		return b
	}
	return nil
}

func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

// toolCallID returns id when OpenAI accepts it, else a deterministic
// replacement, so that a call and its result still match.
func toolCallID(id string) string {
	if id != "" && len(id) <= maxToolCallID {
		return id
	}
	h := sha256.Sum256([]byte(id))
	return "call_" + hex.EncodeToString(h[:])[:32]
}

func encodeMessages(r *llm.Request) []outMsg {
	var msgs []outMsg
	if len(r.System) > 0 {
		texts := make([]string, 0, len(r.System))
		for _, p := range r.System {
			if p.Text != "" {
				texts = append(texts, p.Text)
			}
		}
		if len(texts) > 0 {
			msgs = append(msgs, outMsg{Role: "system", Content: jsonString(strings.Join(texts, "\n\n"))})
		}
	}
	// pending holds the ids of the last assistant turn's tool calls that have
	// no tool message yet, in call order.
	var pending []string
	flush := func() {
		for _, id := range pending {
			msgs = append(msgs, outMsg{Role: "tool", ToolCallID: id, Content: jsonString(missingResult)})
		}
		pending = nil
	}
	for i := range r.Messages {
		m := &r.Messages[i]
		switch m.Role {
		case llm.RoleAssistant:
			flush()
			am, ids := encodeAssistant(m)
			if am != nil {
				msgs = append(msgs, *am)
				pending = ids
			}
		default:
			var rest, toolImgs []llm.Part
			for _, p := range m.Parts {
				if p.Type != llm.PartToolResult || p.ToolResult == nil {
					rest = append(rest, p)
					continue
				}
				id := toolCallID(p.ToolResult.CallID)
				k := indexOf(pending, id)
				if k < 0 {
					continue // no matching call: OpenAI would reject it
				}
				pending = append(pending[:k], pending[k+1:]...)
				text, imgs := splitToolResult(p.ToolResult)
				msgs = append(msgs, outMsg{Role: "tool", ToolCallID: id, Content: jsonString(text)})
				toolImgs = append(toolImgs, imgs...)
			}
			flush()
			if c := userContentJSON(append(toolImgs, rest...)); c != nil {
				msgs = append(msgs, outMsg{Role: "user", Content: c})
			}
		}
	}
	flush()
	if msgs == nil {
		msgs = []outMsg{}
	}
	return msgs
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// encodeAssistant renders an assistant turn; nil when nothing remains after
// dropping thinking. It also returns the ids of its tool calls.
func encodeAssistant(m *llm.Message) (*outMsg, []string) {
	var text strings.Builder
	var calls []outToolCall
	var ids []string
	for _, p := range m.Parts {
		switch p.Type {
		case llm.PartText:
			text.WriteString(p.Text)
		case llm.PartToolCall:
			if p.ToolCall == nil {
				continue
			}
			args := string(p.ToolCall.Args)
			if strings.TrimSpace(args) == "" {
				args = "{}"
			}
			id := toolCallID(p.ToolCall.ID)
			calls = append(calls, outToolCall{ID: id, Type: "function",
				Function: outFunction{Name: p.ToolCall.Name, Arguments: args}})
			ids = append(ids, id)
		}
	}
	if text.Len() == 0 && len(calls) == 0 {
		return nil, nil
	}
	om := &outMsg{Role: "assistant", ToolCalls: calls, Content: json.RawMessage("null")}
	if text.Len() > 0 {
		om.Content = jsonString(text.String())
	}
	return om, ids
}

// splitToolResult returns the text of a tool result (error results prefixed
// with "Error: ") and its images as user parts.
func splitToolResult(tr *llm.ToolResult) (string, []llm.Part) {
	var texts []string
	var imgs []llm.Part
	for _, p := range tr.Content {
		switch p.Type {
		case llm.PartText:
			texts = append(texts, p.Text)
		case llm.PartImage:
			imgs = append(imgs, p)
		}
	}
	text := strings.Join(texts, "\n")
	if tr.IsError {
		text = "Error: " + text
	}
	return text, imgs
}

// userContentJSON renders user parts as a string when they are one text,
// else as a parts array; nil when nothing can be sent.
func userContentJSON(parts []llm.Part) json.RawMessage {
	var out []outPart
	for _, p := range parts {
		switch p.Type {
		case llm.PartText:
			t := p.Text
			out = append(out, outPart{Type: "text", Text: &t})
		case llm.PartImage:
			if u := imageURL(p.Image); u != "" {
				out = append(out, outPart{Type: "image_url", ImageURL: &outImageURL{URL: u}})
			}
		}
	}
	switch {
	case len(out) == 0:
		return nil
	case len(out) == 1 && out[0].Text != nil:
		return jsonString(*out[0].Text)
	}
	b, _ := json.Marshal(out)
	return b
}

func imageURL(img *llm.Image) string {
	switch {
	case img == nil:
		return ""
	case img.Data != "":
		mt := img.MediaType
		if mt == "" {
			mt = "image/png"
		}
		return "data:" + mt + ";base64," + img.Data
	}
	return img.URL
}

// endUser returns id when OpenAI accepts it as "user", else a stable
// 64-character hex id derived from it. Claude Code's metadata.user_id (a JSON
// object as a string, or user_<hash>_account_<uuid>_session_<uuid>) is hashed
// without its session, so one person keeps one id across sessions.
func endUser(id string) string {
	if len(id) <= maxUser {
		return id
	}
	key := id
	var cc struct {
		DeviceID    string `json:"device_id"`
		AccountUUID string `json:"account_uuid"`
	}
	if json.Unmarshal([]byte(id), &cc) == nil && (cc.DeviceID != "" || cc.AccountUUID != "") {
		key = cc.DeviceID + "\x00" + cc.AccountUUID
	} else if before, _, ok := strings.Cut(id, "_session_"); ok {
		key = before
	}
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}
