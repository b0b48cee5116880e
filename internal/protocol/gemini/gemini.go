// Package gemini is the Gemini generateContent wire protocol: path parsing,
// the error envelope and its status names. It is pure. The model of a Gemini
// request lives in the URL path, so bodies are forwarded untouched.
package gemini

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/jsonguard"
	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol"
)

// Methods of the models resource.
const (
	MethodGenerate       = "generateContent"
	MethodStreamGenerate = "streamGenerateContent"
	MethodCountTokens    = "countTokens"
)

// ParseModelPath splits "gemini-2.5-pro:generateContent" (the part after
// /v1beta/models/) into model and method; the method follows the last colon,
// which some clients encode as %3A.
func ParseModelPath(p string) (model, method string, ok bool) {
	if u, err := url.PathUnescape(p); err == nil {
		p = u
	}
	p = strings.TrimPrefix(p, "/")
	i := strings.LastIndexByte(p, ':')
	if i <= 0 || i == len(p)-1 {
		return "", "", false
	}
	model, method = p[:i], p[i+1:]
	model = strings.TrimPrefix(model, "models/")
	switch method {
	case MethodGenerate, MethodStreamGenerate, MethodCountTokens:
		return model, method, model != ""
	}
	return "", "", false
}

// ValidateBody checks that body is a JSON object.
func ValidateBody(body []byte) *llm.Error {
	if !jsonguard.DepthOK(body, jsonguard.MaxDepth) {
		return protocol.TooDeep()
	}
	if !gjson.ValidBytes(body) || !gjson.ParseBytes(body).IsObject() {
		return llm.Errorf(llm.KindInvalidRequest, "Invalid JSON payload received.")
	}
	return nil
}

func statusName(k llm.ErrorKind) string {
	switch k {
	case llm.KindInvalidRequest, llm.KindTooLarge, llm.KindUnsupportedType:
		return "INVALID_ARGUMENT"
	case llm.KindAuthentication:
		return "UNAUTHENTICATED"
	case llm.KindPermission:
		return "PERMISSION_DENIED"
	case llm.KindNotFound:
		return "NOT_FOUND"
	case llm.KindRateLimit:
		return "RESOURCE_EXHAUSTED"
	case llm.KindUnavailable, llm.KindOverloaded:
		return "UNAVAILABLE"
	case llm.KindTimeout:
		return "DEADLINE_EXCEEDED"
	}
	return "INTERNAL"
}

type errorBody struct {
	Error errorObject `json:"error"`
}

type errorObject struct {
	Code    int           `json:"code"`
	Message string        `json:"message"`
	Status  string        `json:"status"`
	Details []errorDetail `json:"details,omitempty"`
}

// errorDetail is one google.rpc detail: RetryInfo, or QuotaFailure.
type errorDetail struct {
	Type       string           `json:"@type"`
	RetryDelay string           `json:"retryDelay,omitempty"`
	Violations []quotaViolation `json:"violations,omitempty"`
}

type quotaViolation struct {
	QuotaID string `json:"quotaId"`
}

// ErrorBody renders e in Google's envelope. A retry hint becomes RetryInfo,
// and a terminal one also a per-day QuotaFailure, which is how Google's own
// clients (Gemini CLI) tell "retry shortly" from "give up".
func ErrorBody(e *llm.Error) []byte {
	obj := errorObject{Code: e.Status, Message: e.Message, Status: statusName(e.Kind)}
	if e.RetryAfter > 0 {
		secs := (e.RetryAfter + time.Second - 1) / time.Second
		obj.Details = append(obj.Details, errorDetail{Type: "type.googleapis.com/google.rpc.RetryInfo", RetryDelay: strconv.FormatInt(int64(secs), 10) + "s"})
	}
	if e.Terminal {
		obj.Details = append(obj.Details, errorDetail{Type: "type.googleapis.com/google.rpc.QuotaFailure",
			Violations: []quotaViolation{{QuotaID: "GenerateRequestsPerDayPerProjectPerModel"}}})
	}
	b, _ := json.Marshal(errorBody{Error: obj})
	return b
}

// StreamError is the in-band error chunk after a stream has started.
func StreamError(e *llm.Error) []byte {
	b := make([]byte, 0, 128)
	b = append(b, "data: "...)
	b = append(b, ErrorBody(e)...)
	return append(b, "\r\n\r\n"...)
}
