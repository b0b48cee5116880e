// Package anthropic is the Anthropic Messages wire protocol: request probing
// and model rewriting on raw bytes, and the error envelope. It is pure.
package anthropic

import (
	"encoding/json"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol"
)

// DefaultVersion is sent upstream when the client sent no anthropic-version.
const DefaultVersion = "2023-06-01"

// Probe is what the gateway needs from a request without decoding it whole.
type Probe = protocol.Probe

var probeMessages = protocol.Messages{NoModel: "model: Field required", BadStream: "stream: Input should be a valid boolean"}

// ProbeRequest validates the JSON and extracts model and stream flag.
func ProbeRequest(body []byte) (Probe, *llm.Error) { return protocol.ProbeRequest(body, probeMessages) }

// RewriteModel returns body with "model" replaced; every other byte survives.
func RewriteModel(body []byte, model string) ([]byte, error) {
	return protocol.RewriteModel(body, model)
}

func errorType(k llm.ErrorKind) string {
	switch k {
	case llm.KindInvalidRequest, llm.KindUnsupportedType:
		return "invalid_request_error"
	case llm.KindAuthentication:
		return "authentication_error"
	case llm.KindPermission:
		return "permission_error"
	case llm.KindNotFound:
		return "not_found_error"
	case llm.KindTooLarge:
		return "request_too_large"
	case llm.KindRateLimit:
		return "rate_limit_error"
	case llm.KindTimeout:
		return "timeout_error"
	case llm.KindOverloaded, llm.KindUnavailable:
		return "overloaded_error"
	}
	return "api_error"
}

type errorBody struct {
	Type  string      `json:"type"`
	Error errorObject `json:"error"`
}

type errorObject struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// ErrorBody renders e in Anthropic's envelope.
func ErrorBody(e *llm.Error) []byte {
	b, _ := json.Marshal(errorBody{Type: "error", Error: errorObject{Type: errorType(e.Kind), Message: e.Message}})
	return b
}

// StreamError is the in-band error event after a stream has started.
func StreamError(e *llm.Error) []byte {
	b := make([]byte, 0, 160)
	b = append(b, "event: error\ndata: "...)
	b = append(b, ErrorBody(e)...)
	return append(b, "\n\n"...)
}

// KeepAlive is a ping event, which the SDKs (and Claude Code) skip.
func KeepAlive() []byte { return []byte("event: ping\ndata: {\"type\": \"ping\"}\n\n") }
