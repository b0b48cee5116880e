package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol"
)

// chatRequest is the part of a Chat Completions request body the translator
// reads. Polymorphic fields stay raw and are decoded by hand.
type chatRequest struct {
	Model               string            `json:"model"`
	Messages            []chatMessage     `json:"messages"`
	Stream              *bool             `json:"stream"`
	MaxTokens           *int              `json:"max_tokens"`
	MaxCompletionTokens *int              `json:"max_completion_tokens"`
	Temperature         *float64          `json:"temperature"`
	TopP                *float64          `json:"top_p"`
	TopK                *int              `json:"top_k"` // vLLM-style extension
	N                   *int              `json:"n"`
	Stop                json.RawMessage   `json:"stop"`
	ReasoningEffort     *string           `json:"reasoning_effort"`
	ResponseFormat      json.RawMessage   `json:"response_format"`
	Tools               []json.RawMessage `json:"tools"`
	ToolChoice          json.RawMessage   `json:"tool_choice"`
	ParallelToolCalls   *bool             `json:"parallel_tool_calls"`
	User                *string           `json:"user"`
	SafetyIdentifier    *string           `json:"safety_identifier"`
}

type chatMessage struct {
	Role         string          `json:"role"`
	Content      json.RawMessage `json:"content"`
	Refusal      *string         `json:"refusal"`
	ToolCalls    []chatToolCall  `json:"tool_calls"`
	ToolCallID   string          `json:"tool_call_id"`
	FunctionCall json.RawMessage `json:"function_call"`
}

type chatToolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	} `json:"function"`
	ExtraContent *struct {
		Google *struct {
			ThoughtSignature string `json:"thought_signature"`
		} `json:"google"`
	} `json:"extra_content"`
}

type chatContentPart struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	Refusal  string `json:"refusal"`
	ImageURL *struct {
		URL string `json:"url"`
	} `json:"image_url"`
}

// systemReminderOpen and systemReminderClose wrap the text of a system or
// developer message that appears after the first non-system message. Such
// messages become user text at their position in the conversation (merged
// into the neighbouring user turn), so that their timing is kept; leading
// system/developer messages become the canonical System.
const (
	systemReminderOpen  = "<system-reminder>"
	systemReminderClose = "</system-reminder>"
)

func invalid(format string, args ...any) *llm.Error {
	return llm.Errorf(llm.KindInvalidRequest, format, args...)
}

// DecodeRequest turns a client's Chat Completions request body into the
// canonical request.
//
// Leading system and developer messages become r.System (one text part per
// message, in order). A system or developer message after the first
// user/assistant/tool message becomes user text wrapped in
// "<system-reminder>…</system-reminder>" at its position. Consecutive user
// turns (including the user turns made of tool results) are merged, with tool
// results first. The legacy role "function", assistant function_call, tools
// other than type "function", audio/file parts and n>1 are rejected with 400.
func DecodeRequest(body []byte) (*llm.Request, *llm.Error) {
	var cr chatRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&cr); err != nil {
		return nil, jsonError(err)
	}
	if dec.More() {
		return nil, invalid("request body must be a single JSON object")
	}
	r := &llm.Request{Model: cr.Model}
	if cr.Stream != nil {
		r.Stream = *cr.Stream
	}
	if cr.N != nil && *cr.N > 1 {
		return nil, invalid("n: only 1 choice is supported for this model")
	}
	if err := decodeMessages(cr.Messages, r); err != nil {
		return nil, err
	}
	if err := decodeParams(&cr, r); err != nil {
		return nil, err
	}
	for i, raw := range cr.Tools {
		t, err := decodeTool(i, raw)
		if err != nil {
			return nil, err
		}
		r.Tools = append(r.Tools, t)
	}
	tc, err := decodeToolChoice(cr.ToolChoice)
	if err != nil {
		return nil, err
	}
	r.ToolChoice = tc
	r.ParallelToolCalls = cr.ParallelToolCalls
	return r, nil
}

// jsonError names the offending field of a JSON decode failure without
// quoting any of the body.
func jsonError(err error) *llm.Error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			return invalid("request body must be a JSON object")
		}
		return invalid("%s: invalid type %s (expected %s)", field, te.Value, jsonTypeName(te.Type.Kind().String()))
	}
	return invalid("request body is not valid JSON")
}

func jsonTypeName(kind string) string {
	switch kind {
	case "slice":
		return "array"
	case "struct", "map", "ptr":
		return "object"
	case "int", "int64", "float64":
		return "number"
	case "bool":
		return "boolean"
	}
	return kind
}

func isNull(raw json.RawMessage) bool {
	s := bytes.TrimSpace(raw)
	return len(s) == 0 || string(s) == "null"
}

// msgBuilder accumulates canonical messages, merging consecutive user turns.
type msgBuilder struct {
	msgs  []llm.Message
	names map[string]string // tool call id -> tool name
}

func (b *msgBuilder) addUser(parts []llm.Part) {
	if len(parts) == 0 {
		return
	}
	if n := len(b.msgs); n > 0 && b.msgs[n-1].Role == llm.RoleUser {
		b.msgs[n-1].Parts = append(b.msgs[n-1].Parts, parts...)
		return
	}
	b.msgs = append(b.msgs, llm.Message{Role: llm.RoleUser, Parts: parts})
}

// finish puts tool results first in every user message, keeping the order of
// the rest (Anthropic requires tool_result blocks to lead).
func (b *msgBuilder) finish() []llm.Message {
	for i := range b.msgs {
		m := &b.msgs[i]
		if m.Role != llm.RoleUser {
			continue
		}
		results := make([]llm.Part, 0, len(m.Parts))
		var rest []llm.Part
		for _, p := range m.Parts {
			if p.Type == llm.PartToolResult {
				results = append(results, p)
			} else {
				rest = append(rest, p)
			}
		}
		m.Parts = append(results, rest...)
	}
	return b.msgs
}

func decodeMessages(msgs []chatMessage, r *llm.Request) *llm.Error {
	b := &msgBuilder{names: map[string]string{}}
	leading := true
	for i := range msgs {
		m := &msgs[i]
		switch m.Role {
		case "system", "developer":
			text, err := textContent(m.Content, fmt.Sprintf("messages[%d].content", i))
			if err != nil {
				return err
			}
			if leading {
				if text != "" {
					r.System = append(r.System, llm.Part{Type: llm.PartText, Text: text})
				}
				continue
			}
			if text != "" {
				b.addUser([]llm.Part{{Type: llm.PartText, Text: systemReminderOpen + text + systemReminderClose}})
			}
			continue
		case "user":
			parts, err := userContent(m.Content, i)
			if err != nil {
				return err
			}
			b.addUser(parts)
		case "assistant":
			msg, err := assistantMessage(m, i, b.names)
			if err != nil {
				return err
			}
			if len(msg.Parts) > 0 {
				b.msgs = append(b.msgs, msg)
			}
		case "tool":
			if m.ToolCallID == "" {
				return invalid("messages[%d].tool_call_id is required for role tool", i)
			}
			text, err := textContent(m.Content, fmt.Sprintf("messages[%d].content", i))
			if err != nil {
				return err
			}
			res := &llm.ToolResult{CallID: m.ToolCallID, Name: b.names[m.ToolCallID]}
			if text != "" {
				res.Content = []llm.Part{{Type: llm.PartText, Text: text}}
			}
			b.addUser([]llm.Part{{Type: llm.PartToolResult, ToolResult: res}})
		case "function":
			return invalid(`messages[%d].role "function" is not supported; use tool messages with tool_call_id`, i)
		case "":
			return invalid("messages[%d].role is required", i)
		default:
			return invalid("messages[%d].role must be system, developer, user, assistant or tool", i)
		}
		leading = false
	}
	r.Messages = b.finish()
	return nil
}

// textContent reads a content that must hold text only: a string, an array of
// text parts (joined with newlines) or null.
func textContent(raw json.RawMessage, field string) (string, *llm.Error) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if protocol.IsString(raw) && json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var parts []chatContentPart
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", invalid("%s must be a string or an array of content parts", field)
	}
	texts := make([]string, 0, len(parts))
	for j, p := range parts {
		if p.Type != "text" {
			return "", invalid("%s[%d].type must be text", field, j)
		}
		texts = append(texts, p.Text)
	}
	return strings.Join(texts, "\n"), nil
}

func userContent(raw json.RawMessage, i int) ([]llm.Part, *llm.Error) {
	if parts, ok := protocol.StringContent(raw); ok {
		return parts, nil
	}
	var parts []chatContentPart
	if err := json.Unmarshal(raw, &parts); err != nil {
		return nil, invalid("messages[%d].content must be a string or an array of content parts", i)
	}
	out := make([]llm.Part, 0, len(parts))
	for j, p := range parts {
		switch p.Type {
		case "text":
			if p.Text != "" {
				out = append(out, llm.Part{Type: llm.PartText, Text: p.Text})
			}
		case "image_url":
			if p.ImageURL == nil || p.ImageURL.URL == "" {
				return nil, invalid("messages[%d].content[%d].image_url.url is required", i, j)
			}
			img, err := parseImageURL(p.ImageURL.URL)
			if err != nil {
				return nil, invalid("messages[%d].content[%d].image_url.url: %s", i, j, err.Error())
			}
			out = append(out, llm.Part{Type: llm.PartImage, Image: img})
		default:
			return nil, invalid("messages[%d].content[%d].type: only text and image_url parts are supported for this model", i, j)
		}
	}
	return out, nil
}

// parseImageURL splits a data: URL into media type and base64 data, or keeps
// an http(s) URL.
func parseImageURL(u string) (*llm.Image, error) {
	if rest, ok := strings.CutPrefix(u, "data:"); ok {
		meta, data, ok := strings.Cut(rest, ",")
		if !ok {
			return nil, errors.New("malformed data URL")
		}
		params := strings.Split(meta, ";")
		if params[len(params)-1] != "base64" {
			return nil, errors.New("data URL must be base64-encoded")
		}
		return &llm.Image{MediaType: strings.ToLower(params[0]), Data: data}, nil
	}
	low := strings.ToLower(u)
	if strings.HasPrefix(low, "https://") || strings.HasPrefix(low, "http://") {
		return &llm.Image{URL: u}, nil
	}
	return nil, errors.New("must be an http(s) URL or a base64 data URL")
}

func assistantMessage(m *chatMessage, i int, names map[string]string) (llm.Message, *llm.Error) {
	msg := llm.Message{Role: llm.RoleAssistant}
	if !isNull(m.FunctionCall) {
		return msg, invalid("messages[%d].function_call is not supported; use tool_calls", i)
	}
	if !isNull(m.Content) {
		var s string
		if protocol.IsString(m.Content) && json.Unmarshal(m.Content, &s) == nil {
			if s != "" {
				msg.Parts = append(msg.Parts, llm.Part{Type: llm.PartText, Text: s})
			}
		} else {
			var parts []chatContentPart
			if err := json.Unmarshal(m.Content, &parts); err != nil {
				return msg, invalid("messages[%d].content must be a string, an array of content parts or null", i)
			}
			for j, p := range parts {
				text := p.Text
				switch p.Type {
				case "text":
				case "refusal":
					text = p.Refusal
				default:
					return msg, invalid("messages[%d].content[%d].type must be text or refusal", i, j)
				}
				if text != "" {
					msg.Parts = append(msg.Parts, llm.Part{Type: llm.PartText, Text: text})
				}
			}
		}
	}
	if len(msg.Parts) == 0 && m.Refusal != nil && *m.Refusal != "" {
		msg.Parts = append(msg.Parts, llm.Part{Type: llm.PartText, Text: *m.Refusal})
	}
	for j := range m.ToolCalls {
		tc := &m.ToolCalls[j]
		if tc.Type != "" && tc.Type != "function" {
			return msg, invalid("messages[%d].tool_calls[%d].type: only function tool calls are supported", i, j)
		}
		if tc.ID == "" || tc.Function.Name == "" {
			return msg, invalid("messages[%d].tool_calls[%d] needs an id and a function.name", i, j)
		}
		names[tc.ID] = tc.Function.Name
		p := llm.Part{Type: llm.PartToolCall, ToolCall: &llm.ToolCall{
			ID: tc.ID, Name: tc.Function.Name, Args: parseArguments(tc.Function.Arguments)}}
		if x := tc.ExtraContent; x != nil && x.Google != nil {
			p.Signature = x.Google.ThoughtSignature
		}
		msg.Parts = append(msg.Parts, p)
	}
	return msg, nil
}

// parseArguments turns the arguments string (or, leniently, an object) into
// a JSON object; anything else becomes {}.
func parseArguments(raw json.RawMessage) json.RawMessage {
	var s string
	if protocol.IsString(raw) && json.Unmarshal(raw, &s) == nil {
		raw = json.RawMessage(s)
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '{' && json.Valid(raw) {
		var c bytes.Buffer
		if json.Compact(&c, raw) == nil {
			return c.Bytes()
		}
	}
	return json.RawMessage("{}")
}
