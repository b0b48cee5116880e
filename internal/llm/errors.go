// Package llm holds the vocabulary shared by every protocol: the protocols
// themselves, the user-safe errors each protocol renders in its own envelope,
// and the canonical request and answer-event model that translation between
// protocols goes through (N+M converters). It has no I/O.
package llm

import (
	"fmt"
	"time"
)

// Protocol is a wire protocol, on the client side or the provider side.
type Protocol string

// The three protocols. Provider names equal protocol names.
const (
	OpenAI    Protocol = "openai"
	Anthropic Protocol = "anthropic"
	Gemini    Protocol = "gemini"
)

// ErrorKind is a user-safe error category that every protocol can express.
type ErrorKind string

// Error kinds, each with its natural HTTP status.
const (
	KindInvalidRequest  ErrorKind = "invalid_request"   // 400
	KindAuthentication  ErrorKind = "authentication"    // 401
	KindPermission      ErrorKind = "permission"        // 403
	KindNotFound        ErrorKind = "not_found"         // 404
	KindTooLarge        ErrorKind = "request_too_large" // 413
	KindUnsupportedType ErrorKind = "unsupported_media" // 415
	KindRateLimit       ErrorKind = "rate_limit"        // 429
	KindServer          ErrorKind = "api_error"         // 500, 502
	KindUnavailable     ErrorKind = "unavailable"       // 503
	KindTimeout         ErrorKind = "timeout"           // 504
	KindOverloaded      ErrorKind = "overloaded"        // 529 (Anthropic), 503 elsewhere
)

// Error is an error a client may see. Message must never hold credentials or
// prompt text.
type Error struct {
	Status     int
	Kind       ErrorKind
	Message    string
	RetryAfter time.Duration // > 0 adds Retry-After
	// Terminal tells SDK clients not to retry (x-should-retry: false).
	Terminal bool
	// Headers are extra response headers (rate-limit state of a client key).
	Headers map[string]string
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Kind, e.Message) }

// Errorf builds an Error with the kind's natural status.
func Errorf(kind ErrorKind, format string, args ...any) *Error {
	return &Error{Status: StatusOf(kind), Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// StatusOf is the natural HTTP status of a kind.
func StatusOf(k ErrorKind) int {
	switch k {
	case KindInvalidRequest:
		return 400
	case KindAuthentication:
		return 401
	case KindPermission:
		return 403
	case KindNotFound:
		return 404
	case KindTooLarge:
		return 413
	case KindUnsupportedType:
		return 415
	case KindRateLimit:
		return 429
	case KindUnavailable, KindOverloaded:
		return 503
	case KindTimeout:
		return 504
	}
	return 502
}

// KindOf maps an upstream HTTP status to the kind a client should see.
func KindOf(status int) ErrorKind {
	switch status {
	case 400, 422:
		return KindInvalidRequest
	case 401:
		return KindAuthentication
	case 403:
		return KindPermission
	case 404:
		return KindNotFound
	case 413:
		return KindTooLarge
	case 429:
		return KindRateLimit
	case 503:
		return KindUnavailable
	case 529:
		return KindOverloaded
	case 504, 408:
		return KindTimeout
	}
	return KindServer
}
