package fakeupstream

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// turn is what the fake understood of a generation request, whatever the
// protocol.
type turn struct {
	model      string
	userText   string  // text of the last user message
	toolResult *string // set when the last message is a tool result
	tools      []tool  // offered tools, in request order
	noTools    bool    // the tool choice is "none"
	forcedTool string  // name of a tool the tool choice forces
	thinking   bool    // thinking or reasoning was requested
	bodyLen    int
}

type tool struct {
	name   string
	schema json.RawMessage // JSON Schema of the arguments; may be empty
}

// answer is the deterministic reply to a turn.
type answer struct {
	text     string // empty when the reply is a tool call
	thinking string // empty without thinking
	call     *toolCall
	input    int // prompt tokens
}

type toolCall struct {
	name string
	args string // a JSON object
	id   string // set where the provider sends call ids the fake must know again
}

const (
	shortUserText = 200 // user texts up to this many bytes are echoed
	echoBytes     = 40  // at most this many bytes are echoed
)

// reply computes the answer of a provider to t.
func (t turn) reply(provider string) answer {
	a := answer{input: estimateTokens(t.bodyLen)}
	if t.thinking {
		a.thinking = fmt.Sprintf("The user wants a reply from %s. A short greeting will do.", t.model)
	}
	switch {
	case t.toolResult != nil:
		a.text = "Tool result received: " + clip(*t.toolResult, echoBytes)
	case len(t.tools) > 0 && !t.noTools:
		chosen := t.tools[0]
		for _, tl := range t.tools {
			if tl.name == t.forcedTool {
				chosen = tl
			}
		}
		a.call = &toolCall{name: chosen.name, args: argsFromSchema(chosen.schema)}
	default:
		a.text = fmt.Sprintf("Hello from fake %s model %s.", provider, t.model)
		if u := strings.TrimSpace(t.userText); u != "" && len(u) <= shortUserText {
			a.text += " You said: " + clip(u, echoBytes)
		}
	}
	return a
}

func (a answer) outputTokens() int {
	n := len(a.text) + len(a.thinking)
	if a.call != nil {
		n += len(a.call.name) + len(a.call.args)
	}
	return estimateTokens(n)
}

func (a answer) thinkingTokens() int {
	if a.thinking == "" {
		return 0
	}
	return estimateTokens(len(a.thinking))
}

// estimateTokens approximates a token count as a quarter of the bytes.
func estimateTokens(n int) int {
	return max(1, (n+3)/4)
}

// clip returns at most n bytes of s without splitting a UTF-8 character.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// split cuts s into n pieces of similar size, on character boundaries.
// Pieces may be empty only when s is shorter than n.
func split(s string, n int) []string {
	out := make([]string, 0, n)
	for i := n; i > 1; i-- {
		cut := clip(s, (len(s)+i-1)/i)
		if cut == "" && s != "" {
			_, size := utf8.DecodeRuneInString(s)
			cut = s[:size]
		}
		out = append(out, cut)
		s = s[len(cut):]
	}
	return append(out, s)
}

// argsFromSchema builds arguments that satisfy a tool's schema: each required
// property gets "test" (string, or the first enum value), 1 (number,
// integer), true (boolean), [] or {}; with no required property, {}.
func argsFromSchema(schema json.RawMessage) string {
	var s struct {
		Properties map[string]struct {
			Type json.RawMessage   `json:"type"`
			Enum []json.RawMessage `json:"enum"`
		} `json:"properties"`
		Required []string `json:"required"`
	}
	if len(schema) == 0 || json.Unmarshal(schema, &s) != nil {
		return "{}"
	}
	var b bytes.Buffer
	b.WriteByte('{')
	seen := map[string]bool{}
	for _, name := range s.Required {
		if seen[name] {
			continue
		}
		seen[name] = true
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.Write(mustJSON(name))
		b.WriteByte(':')
		p := s.Properties[name]
		if len(p.Enum) > 0 {
			b.Write(p.Enum[0])
			continue
		}
		switch schemaType(p.Type) {
		case "number", "integer":
			b.WriteString("1")
		case "boolean":
			b.WriteString("true")
		case "array":
			b.WriteString("[]")
		case "object":
			b.WriteString("{}")
		case "null":
			b.WriteString("null")
		default:
			b.WriteString(`"test"`)
		}
	}
	b.WriteByte('}')
	return b.String()
}

// schemaType reads "type" as a string or as a list (first non-null entry),
// in lower case (Gemini schemas use "STRING").
func schemaType(raw json.RawMessage) string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return strings.ToLower(one)
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		for _, t := range many {
			if !strings.EqualFold(t, "null") {
				return strings.ToLower(t)
			}
		}
	}
	return ""
}

// signature is the fake's thinking signature: 88 base64 characters derived
// from the family, the model and the thinking text, so that replays can be
// checked without any state.
func signature(family, model, thinking string) string {
	first := sha256.Sum256([]byte("fakeupstream\x00" + family + "\x00" + model + "\x00" + thinking))
	second := sha256.Sum256(first[:])
	return base64.StdEncoding.EncodeToString(append(first[:], second[:]...))
}

// textOf reads message content that is a string or an array of parts with a
// "text" field (text, input_text, output_text parts).
func textOf(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(raw, &parts) != nil {
		return strings.TrimSpace(string(raw))
	}
	var b strings.Builder
	for _, p := range parts {
		switch p.Type {
		case "", "text", "input_text", "output_text":
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomID returns prefix followed by n random alphanumerics.
func randomID(prefix string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return prefix + string(b)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
