package anthropic

import (
	"encoding/json"
	"errors"
	"strconv"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/jsonguard"
	"github.com/switchyard-gw/switchyard/internal/llm"
)

type countRequest struct {
	Model    string       `json:"model"`
	System   []outBlock   `json:"system,omitempty"`
	Messages []outMessage `json:"messages"`
	Tools    []outTool    `json:"tools,omitempty"`
}

// EncodeCountRequest renders r as a /v1/messages/count_tokens body for
// model: model, system, messages and tools, prepared as EncodeRequest
// prepares them (thinking off, so a final assistant turn loses its
// thinking blocks).
func EncodeCountRequest(r *llm.Request, model string) ([]byte, error) {
	msgs := prepareMessages(r.Messages)
	dropFinalThinking(msgs)
	return json.Marshal(countRequest{
		Model:    model,
		System:   renderSystem(r.System),
		Messages: renderMessages(msgs),
		Tools:    renderTools(r.Tools, msgs),
	})
}

// ParseCountResponse reads {"input_tokens":N}.
func ParseCountResponse(body []byte) (int64, error) {
	if !jsonguard.Valid(body) {
		return 0, errors.New("anthropic count_tokens: response is not valid JSON")
	}
	v := gjson.GetBytes(body, "input_tokens")
	if v.Type != gjson.Number || v.Num < 0 {
		return 0, errors.New("anthropic count_tokens: response has no input_tokens")
	}
	return v.Int(), nil
}

// CountResponse is the count_tokens answer a client expects.
func CountResponse(n int64) []byte {
	b := append([]byte(`{"input_tokens":`), strconv.FormatInt(n, 10)...)
	return append(b, '}')
}
