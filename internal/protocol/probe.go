// Package protocol holds what the protocol packages share: on the fast path,
// finding the model and the stream flag in a request without decoding it
// whole, and rewriting the model in place so every other byte, unknown fields
// included, survives; for the converters, reading string-or-parts content.
package protocol

import (
	"bytes"
	"encoding/json"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/switchyard-gw/switchyard/internal/jsonguard"
	"github.com/switchyard-gw/switchyard/internal/llm"
)

// Probe is what the gateway needs from a request.
type Probe struct {
	Model  string
	Stream bool
}

// Messages are the protocol's own wording of the probe errors.
type Messages struct {
	NoModel   string
	BadStream string
}

// TooDeep is the error for a body nested deeper than any parser of the
// gateway accepts (jsonguard.MaxDepth): the first check a route makes, in its
// probe, before anything recursive reads the body.
func TooDeep() *llm.Error {
	return llm.Errorf(llm.KindInvalidRequest, "request body nests arrays or objects deeper than %d levels", jsonguard.MaxDepth)
}

// ProbeRequest validates the JSON and extracts model and stream flag.
func ProbeRequest(body []byte, m Messages) (Probe, *llm.Error) {
	if !jsonguard.DepthOK(body, jsonguard.MaxDepth) {
		return Probe{}, TooDeep()
	}
	if !gjson.ValidBytes(body) {
		return Probe{}, llm.Errorf(llm.KindInvalidRequest, "request body is not valid JSON")
	}
	if !isObject(body) {
		return Probe{}, llm.Errorf(llm.KindInvalidRequest, "request body must be a JSON object")
	}
	// GetBytes reads the body in place; ParseBytes would copy it.
	model := gjson.GetBytes(body, "model")
	if model.Type != gjson.String || model.Str == "" {
		return Probe{}, llm.Errorf(llm.KindInvalidRequest, "%s", m.NoModel)
	}
	s := gjson.GetBytes(body, "stream")
	if s.Exists() && s.Type != gjson.True && s.Type != gjson.False && s.Type != gjson.Null {
		return Probe{}, llm.Errorf(llm.KindInvalidRequest, "%s", m.BadStream)
	}
	return Probe{Model: model.Str, Stream: s.Type == gjson.True}, nil
}

func isObject(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c == '{'
	}
	return false
}

// RewriteModel returns body with "model" replaced; every other byte survives.
func RewriteModel(body []byte, model string) ([]byte, error) {
	return sjson.SetBytes(body, "model", model)
}

// IsString reports whether raw JSON is a string, from its first byte. The
// converters use it before trying a string decode of a string-or-array field:
// a failed json.Unmarshal has already validated the whole array, which on a
// long history is a full extra pass per message.
func IsString(raw []byte) bool {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c == '"'
	}
	return false
}

// StringContent reads the string form of a string-or-parts content field:
// ok is false when raw holds something else (the parts). An absent or null
// field, or an empty string, is no part at all.
func StringContent(raw []byte) (parts []llm.Part, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, true
	}
	var s string
	if !IsString(raw) || json.Unmarshal(raw, &s) != nil {
		return nil, false
	}
	if s == "" {
		return nil, true
	}
	return []llm.Part{{Type: llm.PartText, Text: s}}, true
}
