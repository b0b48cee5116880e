package gemini

import (
	"errors"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/jsonguard"
	"github.com/switchyard-gw/switchyard/internal/llm"
)

type countRequest struct {
	GenerateContentRequest *genRequest `json:"generateContentRequest"`
}

// EncodeCountRequest renders r as a countTokens body in its
// generateContentRequest form, which (unlike bare contents) also counts the
// system instruction and the tools.
func EncodeCountRequest(r *llm.Request, model string) ([]byte, error) {
	g, err := buildRequest(r)
	if err != nil {
		return nil, err
	}
	g.Model = "models/" + strings.TrimPrefix(model, "models/")
	return marshal(countRequest{GenerateContentRequest: g})
}

// ParseCountResponse reads totalTokens from a countTokens answer.
func ParseCountResponse(body []byte) (int64, error) {
	if !jsonguard.Valid(body) {
		return 0, errors.New("gemini: countTokens answer is not valid JSON")
	}
	root := gjson.ParseBytes(body)
	if r := root.Get("response"); r.IsObject() {
		root = r // Code Assist envelope
	}
	t := root.Get("totalTokens")
	if !root.IsObject() || root.Get("error").Exists() || (t.Exists() && t.Type != gjson.Number) {
		return 0, errors.New("gemini: countTokens answer has no totalTokens")
	}
	// proto3 JSON omits a zero totalTokens.
	return t.Int(), nil
}

// CountResponse is the countTokens answer for a Gemini client.
func CountResponse(n int64) []byte {
	return []byte(`{"totalTokens":` + strconv.FormatInt(n, 10) + `}`)
}
