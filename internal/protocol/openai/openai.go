// Package openai is the OpenAI Chat Completions (and Responses) wire protocol:
// request probing and model rewriting on raw bytes, and the error envelope.
// It is pure: bytes in, bytes out, no I/O.
package openai

import (
	"encoding/json"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol"
)

// Probe is what the gateway needs from a request without decoding it whole.
type Probe = protocol.Probe

var probeMessages = protocol.Messages{NoModel: "you must provide a model parameter", BadStream: "stream must be a boolean"}

// ProbeRequest validates the JSON and extracts model and stream flag.
func ProbeRequest(body []byte) (Probe, *llm.Error) { return protocol.ProbeRequest(body, probeMessages) }

// RewriteModel returns body with "model" replaced; every other byte survives.
func RewriteModel(body []byte, model string) ([]byte, error) {
	return protocol.RewriteModel(body, model)
}

type errorBody struct {
	Error errorObject `json:"error"`
}

type errorObject struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

func typeAndCode(k llm.ErrorKind) (string, string) {
	switch k {
	case llm.KindInvalidRequest, llm.KindUnsupportedType:
		return "invalid_request_error", ""
	case llm.KindAuthentication:
		return "invalid_request_error", "invalid_api_key"
	case llm.KindPermission:
		return "permission_error", ""
	case llm.KindNotFound:
		return "invalid_request_error", "model_not_found"
	case llm.KindTooLarge:
		return "invalid_request_error", "request_too_large"
	case llm.KindRateLimit:
		return "rate_limit_error", "rate_limit_exceeded"
	case llm.KindTimeout:
		return "server_error", "timeout"
	}
	return "server_error", ""
}

// ErrorBody renders e in OpenAI's envelope.
func ErrorBody(e *llm.Error) []byte {
	typ, code := typeAndCode(e.Kind)
	o := errorObject{Message: e.Message, Type: typ}
	if code != "" {
		o.Code = &code
	}
	b, _ := json.Marshal(errorBody{Error: o})
	return b
}

// StreamError is the in-band error event after a stream has started: a data
// event with a top-level "error", which the SDKs raise as APIError.
func StreamError(e *llm.Error) []byte {
	b := make([]byte, 0, 128)
	b = append(b, "data: "...)
	b = append(b, ErrorBody(e)...)
	return append(b, "\n\n"...)
}

// KeepAlive is an SSE comment; OpenAI clients ignore it.
func KeepAlive() []byte { return []byte(": keep-alive\n\n") }
