package retry

import (
	"bytes"
	"net/http"
)

// IsSignatureError reports whether an upstream 400 complains about thinking
// blocks or thought signatures in the history (protocols.md §2.10, §3.7):
// the one error the gateway repairs by rewriting the history and retrying on
// the same account. Matching is case-insensitive.
func IsSignatureError(status int, body []byte) bool {
	return status == http.StatusBadRequest && isSignature(lowerBounded(body))
}

// IsContextLengthError reports whether an upstream 4xx says the prompt does
// not fit the model's context window: the client's error, never retried.
func IsContextLengthError(status int, body []byte) bool {
	switch status {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		return isContextLength(lowerBounded(body))
	}
	return false
}

// isSignature matches a lower-cased body against the thinking and signature
// error texts of Anthropic (also when relayed by Vertex) and Gemini.
func isSignature(lower []byte) bool {
	return containsAny(lower,
		"invalid `signature`",
		"thinking.signature",
		"thinking.thinking",
		"corrupted thought signature",
		"invalid thought signature",
		"must be `thinking`",
		"found `text`",
		"expected `thinking` or `redacted_thinking`",
		"must be thinking or redacted_thinking",
		"cannot contain `thinking`",
		"cannot be `thinking`",
		"thought_signature",
		"thoughtsignature",
	)
}

// isContextLength matches a lower-cased body against the context window
// errors of OpenAI, Anthropic and Gemini.
func isContextLength(lower []byte) bool {
	return containsAny(lower,
		"context_length_exceeded",
		"prompt is too long",
		"exceeds the maximum number of tokens",
		"maximum context length",
		"exceed context limit",
		"exceeds the context window",
	) || (bytes.Contains(lower, []byte("input token count")) && bytes.Contains(lower, []byte("exceeds")))
}

func containsAny(s []byte, subs ...string) bool {
	for _, sub := range subs {
		if bytes.Contains(s, []byte(sub)) {
			return true
		}
	}
	return false
}
