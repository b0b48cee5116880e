package anthropic

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol"
)

// The client's request as it arrives; polymorphic fields stay raw.
type reqWire struct {
	Model         *string         `json:"model"`
	MaxTokens     *int            `json:"max_tokens"`
	System        json.RawMessage `json:"system"`
	Messages      json.RawMessage `json:"messages"`
	Tools         []toolWire      `json:"tools"`
	ToolChoice    *toolChoiceWire `json:"tool_choice"`
	Temperature   *float64        `json:"temperature"`
	TopP          *float64        `json:"top_p"`
	TopK          *int            `json:"top_k"`
	StopSequences []string        `json:"stop_sequences"`
	Stream        *bool           `json:"stream"`
	Thinking      *thinkingWire   `json:"thinking"`
	OutputConfig  *struct {
		Effort string      `json:"effort"`
		Format *formatWire `json:"format"`
	} `json:"output_config"`
	OutputFormat *formatWire `json:"output_format"`
	Metadata     *struct {
		UserID json.RawMessage `json:"user_id"`
	} `json:"metadata"`
}

type toolWire struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	InputSchema json.RawMessage `json:"input_schema"`
}

type toolChoiceWire struct {
	Type                   string `json:"type"`
	Name                   string `json:"name"`
	DisableParallelToolUse *bool  `json:"disable_parallel_tool_use"`
}

type thinkingWire struct {
	Type         string `json:"type"`
	BudgetTokens *int   `json:"budget_tokens"`
}

type formatWire struct {
	Type   string          `json:"type"`
	Schema json.RawMessage `json:"schema"`
}

type msgWire struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

type blockWire struct {
	Type      string          `json:"type"`
	Text      *string         `json:"text"`
	Source    *sourceWire     `json:"source"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
	IsError   *bool           `json:"is_error"`
	Thinking  *string         `json:"thinking"`
	Signature string          `json:"signature"`
	Data      string          `json:"data"`
}

type sourceWire struct {
	Type      string `json:"type"`
	MediaType string `json:"media_type"`
	Data      string `json:"data"`
	URL       string `json:"url"`
}

func invalid(format string, args ...any) *llm.Error {
	return llm.Errorf(llm.KindInvalidRequest, format, args...)
}

// typeError words a json type error by its field path, never by its value.
func typeError(err error, where string) *llm.Error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		if where != "" {
			return invalid("%s.%s: invalid type, expected %s", where, te.Field, kindName(te.Type))
		}
		return invalid("%s: invalid type, expected %s", te.Field, kindName(te.Type))
	}
	if where != "" {
		return invalid("%s: invalid value", where)
	}
	return invalid("request body is not valid JSON")
}

// kindName words a Go type as a JSON type.
func kindName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "integer"
	case reflect.Float64, reflect.Float32:
		return "number"
	}
	return "another type"
}

// DecodeRequest reads a Messages request body (as a client sends it to
// /v1/messages or /v1/messages/count_tokens) into the canonical request.
// Leading role:"system" entries join the system prompt; later ones become
// user text wrapped in <system-reminder>. Consecutive same-role turns are
// merged (as the API does), with tool results first in their user turn.
func DecodeRequest(body []byte) (*llm.Request, *llm.Error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, invalid("request body must be a JSON object")
	}
	var w reqWire
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, typeError(err, "")
	}
	if w.Model == nil || *w.Model == "" {
		return nil, invalid("model: Field required")
	}
	r := &llm.Request{Model: *w.Model, Stop: w.StopSequences, Temperature: w.Temperature, TopP: w.TopP, TopK: w.TopK}
	if w.Stream != nil {
		r.Stream = *w.Stream
	}
	if w.MaxTokens != nil {
		if *w.MaxTokens < 1 {
			return nil, invalid("max_tokens: must be at least 1")
		}
		r.MaxTokens = *w.MaxTokens
	}
	if r.Temperature != nil && (*r.Temperature < 0 || *r.Temperature > 1) {
		return nil, invalid("temperature: must be between 0 and 1")
	}
	if r.TopP != nil && (*r.TopP < 0 || *r.TopP > 1) {
		return nil, invalid("top_p: must be between 0 and 1")
	}
	if r.TopK != nil && *r.TopK < 0 {
		return nil, invalid("top_k: must be non-negative")
	}
	var err *llm.Error
	if r.System, err = decodeSystem(w.System, "system"); err != nil {
		return nil, err
	}
	r.System = dropBillingHeader(r.System)
	if err = decodeMessages(w.Messages, r); err != nil {
		return nil, err
	}
	if err = decodeTools(&w, r); err != nil {
		return nil, err
	}
	if err = decodeThinking(&w, r); err != nil {
		return nil, err
	}
	if w.Metadata != nil {
		r.User = userID(w.Metadata.UserID)
	}
	return r, nil
}

// userID accepts the string form (and, leniently, any other JSON value,
// kept as its compact text).
func userID(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if protocol.IsString(raw) && json.Unmarshal(raw, &s) == nil {
		return s
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) == nil {
		return buf.String()
	}
	return ""
}

// billingHeader starts the attribution line Claude Code puts first in its
// system prompt (protocols.md §2.9).
const billingHeader = "x-anthropic-billing-header:"

// dropBillingHeader leaves out Claude Code's per-session attribution line:
// another provider has no use for it, and its changing hash at the head of
// the prompt would defeat that provider's prefix cache.
func dropBillingHeader(parts []llm.Part) []llm.Part {
	out := parts[:0:0]
	for _, p := range parts {
		if p.Type == llm.PartText && strings.HasPrefix(strings.TrimSpace(p.Text), billingHeader) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// decodeSystem reads a string or an array of text blocks.
func decodeSystem(raw json.RawMessage, where string) ([]llm.Part, *llm.Error) {
	if parts, ok := protocol.StringContent(raw); ok {
		return parts, nil
	}
	var blocks []blockWire
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return nil, invalid("%s: must be a string or an array of text blocks", where)
	}
	var parts []llm.Part
	for i, b := range blocks {
		if b.Type != "text" || b.Text == nil {
			return nil, invalid("%s.%d: only text blocks are allowed", where, i)
		}
		if *b.Text != "" {
			parts = append(parts, llm.Part{Type: llm.PartText, Text: *b.Text})
		}
	}
	return parts, nil
}

func decodeMessages(raw json.RawMessage, r *llm.Request) *llm.Error {
	if len(raw) == 0 || string(raw) == "null" {
		return invalid("messages: Field required")
	}
	var msgs []json.RawMessage
	if err := json.Unmarshal(raw, &msgs); err != nil {
		return invalid("messages: must be an array")
	}
	if len(msgs) == 0 {
		return invalid("messages: at least one message is required")
	}
	names := map[string]string{} // tool_use id -> name, for tool results
	for i, m := range msgs {
		var mw msgWire
		if err := json.Unmarshal(m, &mw); err != nil {
			return invalid("messages.%d: must be an object with role and content", i)
		}
		where := "messages." + itoa(i)
		switch mw.Role {
		case "system":
			parts, err := decodeSystem(mw.Content, where+".content")
			if err != nil {
				return err
			}
			if len(r.Messages) == 0 {
				r.System = append(r.System, parts...)
				continue
			}
			for _, p := range parts {
				appendPart(r, llm.RoleUser, llm.Part{Type: llm.PartText, Text: "<system-reminder>\n" + p.Text + "\n</system-reminder>"})
			}
		case "user", "assistant":
			role := llm.Role(mw.Role)
			parts, err := decodeContent(mw.Content, role, where, names)
			if err != nil {
				return err
			}
			for _, p := range parts {
				appendPart(r, role, p)
			}
		default:
			return invalid("%s.role: must be one of user, assistant, system", where)
		}
	}
	return nil
}

// appendPart adds p to the last message when it has role, else to a new
// message; a tool result goes after the results already there, before any
// other content.
func appendPart(r *llm.Request, role llm.Role, p llm.Part) {
	n := len(r.Messages)
	if n == 0 || r.Messages[n-1].Role != role {
		r.Messages = append(r.Messages, llm.Message{Role: role, Parts: []llm.Part{p}})
		return
	}
	m := &r.Messages[n-1]
	if p.Type != llm.PartToolResult {
		m.Parts = append(m.Parts, p)
		return
	}
	at := 0
	for at < len(m.Parts) && m.Parts[at].Type == llm.PartToolResult {
		at++
	}
	m.Parts = append(m.Parts, llm.Part{})
	copy(m.Parts[at+1:], m.Parts[at:])
	m.Parts[at] = p
}

func decodeContent(raw json.RawMessage, role llm.Role, where string, names map[string]string) ([]llm.Part, *llm.Error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, invalid("%s.content: Field required", where)
	}
	if parts, ok := protocol.StringContent(raw); ok {
		return parts, nil
	}
	var blocks []json.RawMessage
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return nil, invalid("%s.content: must be a string or an array of content blocks", where)
	}
	parts := make([]llm.Part, 0, len(blocks))
	for j, braw := range blocks {
		bw := where + ".content." + itoa(j)
		var b blockWire
		if err := json.Unmarshal(braw, &b); err != nil {
			return nil, typeError(err, bw)
		}
		p, ok, err := decodeBlock(&b, role, bw, names)
		if err != nil {
			return nil, err
		}
		if ok {
			parts = append(parts, p)
		}
	}
	return parts, nil
}

// decodeBlock turns one content block into a part; ok is false for blocks
// that carry nothing translatable (empty text, server-tool blocks).
func decodeBlock(b *blockWire, role llm.Role, where string, names map[string]string) (llm.Part, bool, *llm.Error) {
	switch b.Type {
	case "text":
		if b.Text == nil {
			return llm.Part{}, false, invalid("%s.text: Field required", where)
		}
		return llm.Part{Type: llm.PartText, Text: *b.Text}, *b.Text != "", nil
	case "image", "document":
		if b.Type == "document" && b.Source != nil && b.Source.Type == "text" {
			return llm.Part{Type: llm.PartText, Text: b.Source.Data}, b.Source.Data != "", nil
		}
		img, err := decodeSource(b, where)
		if err != nil {
			return llm.Part{}, false, err
		}
		return llm.Part{Type: llm.PartImage, Image: img}, true, nil
	case "tool_use":
		if role != llm.RoleAssistant {
			return llm.Part{}, false, invalid("%s: tool_use blocks are only allowed in assistant messages", where)
		}
		if b.ID == "" {
			return llm.Part{}, false, invalid("%s.id: Field required", where)
		}
		if b.Name == "" {
			return llm.Part{}, false, invalid("%s.name: Field required", where)
		}
		args := json.RawMessage("{}")
		in := bytes.TrimSpace(b.Input)
		if len(in) > 0 && string(in) != "null" {
			if in[0] != '{' {
				return llm.Part{}, false, invalid("%s.input: must be an object", where)
			}
			args = compact(in)
		}
		names[b.ID] = b.Name
		return llm.Part{Type: llm.PartToolCall, ToolCall: &llm.ToolCall{ID: b.ID, Name: b.Name, Args: args}}, true, nil
	case "tool_result":
		if role != llm.RoleUser {
			return llm.Part{}, false, invalid("%s: tool_result blocks are only allowed in user messages", where)
		}
		if b.ToolUseID == "" {
			return llm.Part{}, false, invalid("%s.tool_use_id: Field required", where)
		}
		content, err := decodeResultContent(b.Content, where+".content")
		if err != nil {
			return llm.Part{}, false, err
		}
		tr := &llm.ToolResult{CallID: b.ToolUseID, Name: names[b.ToolUseID], Content: content, IsError: b.IsError != nil && *b.IsError}
		return llm.Part{Type: llm.PartToolResult, ToolResult: tr}, true, nil
	case "thinking":
		if role != llm.RoleAssistant {
			return llm.Part{}, false, nil
		}
		text := ""
		if b.Thinking != nil {
			text = *b.Thinking
		}
		return llm.Part{Type: llm.PartThinking, Text: text, Signature: b.Signature}, text != "" || b.Signature != "", nil
	case "redacted_thinking":
		if role != llm.RoleAssistant || b.Data == "" {
			return llm.Part{}, false, nil
		}
		return llm.Part{Type: llm.PartRedacted, Signature: b.Data}, true, nil
	case "":
		return llm.Part{}, false, invalid("%s.type: Field required", where)
	}
	// Server-tool blocks, search results, containers...: nothing another
	// provider could take.
	return llm.Part{}, false, nil
}

func decodeSource(b *blockWire, where string) (*llm.Image, *llm.Error) {
	s := b.Source
	if s == nil {
		return nil, invalid("%s.source: Field required", where)
	}
	switch s.Type {
	case "base64":
		if s.Data == "" {
			return nil, invalid("%s.source.data: Field required", where)
		}
		mt := s.MediaType
		if mt == "" && b.Type == "document" {
			mt = "application/pdf"
		}
		if mt == "" {
			return nil, invalid("%s.source.media_type: Field required", where)
		}
		return &llm.Image{MediaType: mt, Data: s.Data}, nil
	case "url":
		if s.URL == "" {
			return nil, invalid("%s.source.url: Field required", where)
		}
		img := &llm.Image{URL: s.URL}
		if b.Type == "document" {
			img.MediaType = "application/pdf"
		}
		return img, nil
	}
	return nil, invalid("%s.source.type: must be base64 or url", where)
}

// decodeResultContent reads a tool_result's content: a string or text and
// image blocks.
func decodeResultContent(raw json.RawMessage, where string) ([]llm.Part, *llm.Error) {
	if parts, ok := protocol.StringContent(raw); ok {
		return parts, nil
	}
	var blocks []blockWire
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return nil, invalid("%s: must be a string or an array of content blocks", where)
	}
	var parts []llm.Part
	for i := range blocks {
		b := &blocks[i]
		bw := where + "." + itoa(i)
		switch b.Type {
		case "text":
			if b.Text != nil && *b.Text != "" {
				parts = append(parts, llm.Part{Type: llm.PartText, Text: *b.Text})
			}
		case "image", "document":
			p, ok, err := decodeBlock(b, llm.RoleUser, bw, nil)
			if err != nil {
				return nil, err
			}
			if ok {
				parts = append(parts, p)
			}
		}
	}
	return parts, nil
}

// compact returns raw without insignificant whitespace (raw itself when it
// does not compact, which json.Unmarshal has already ruled out).
func compact(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return raw
	}
	return buf.Bytes()
}

func itoa(i int) string { return strconv.Itoa(i) }
