// Package responses is the OpenAI Responses API (POST /v1/responses) as a
// client protocol, the dialect Codex CLI speaks. It decodes a client's
// request into the canonical llm.Request, encodes canonical answer events as
// the Responses streaming events (response.created ... response.completed),
// rebuilds the final response object for non-streaming clients (Collector),
// and renders errors.
//
// The gateway is stateless: previous_response_id is rejected and store is
// ignored, so clients must send the whole conversation in input (Codex does,
// with store:false). Responses is never a provider protocol here: openai
// accounts receive the client's Responses body unchanged, so this package has
// no request encoder or stream decoder.
//
// Thinking signatures (Anthropic, Gemini) travel to the client inside the
// reasoning item's encrypted_content, tagged with a gateway prefix, and come
// back from it on the next turn; encrypted_content minted by OpenAI itself
// carries no prefix and is ignored. The package is pure: bytes in, bytes out.
package responses

import (
	"encoding/json"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol/openai"
)

// Prefixes of encrypted_content minted by this gateway: a thinking block's
// signature, or the data of a redacted thinking block.
const (
	sigPrefix      = "swy1.sig."
	redactedPrefix = "swy1.redacted."
)

// ErrorBody renders e in OpenAI's error envelope, which Responses shares.
func ErrorBody(e *llm.Error) []byte { return openai.ErrorBody(e) }

type errorEvent struct {
	Type    string  `json:"type"`
	Code    string  `json:"code"`
	Message string  `json:"message"`
	Param   *string `json:"param"`
	Seq     int64   `json:"sequence_number"`
}

// StreamError is the in-band error event after a stream has started:
// "event: error" with {"type":"error","code","message","param":null,
// "sequence_number"}. The code is the one OpenAI's envelope gives e (its
// error.code, else its error.type).
func StreamError(e *llm.Error) []byte {
	env := gjson.ParseBytes(openai.ErrorBody(e))
	code := env.Get("error.code").Str
	if code == "" {
		code = env.Get("error.type").Str
	}
	data, _ := json.Marshal(errorEvent{Type: "error", Code: code, Message: e.Message})
	b := make([]byte, 0, len(data)+24)
	b = append(b, "event: error\ndata: "...)
	b = append(b, data...)
	return append(b, "\n\n"...)
}

// KeepAlive is an SSE comment, which Responses clients ignore.
func KeepAlive() []byte { return []byte(": keep-alive\n\n") }
