package retry

import (
	"bytes"
	"net/http"
)

// Reason is why an upstream attempt failed.
type Reason string

// The reasons an attempt can fail for.
const (
	ReasonRateLimit      Reason = "rate_limit"
	ReasonQuotaExhausted Reason = "quota_exhausted"
	ReasonCapacity       Reason = "capacity"
	ReasonServerError    Reason = "server_error"
	ReasonAuth           Reason = "auth"
	ReasonForbidden      Reason = "forbidden"
	ReasonNotFound       Reason = "not_found"
	ReasonTimeout        Reason = "timeout"
	ReasonNetwork        Reason = "network"
	ReasonSignature      Reason = "signature"
	ReasonClientError    Reason = "client_error"
	ReasonContextLength  Reason = "context_length"
)

// reason classifies a failure by its (effective) status, refined by what the
// body says.
func reason(status int, body []byte, b *bodyInfo) Reason {
	switch {
	case status == 0:
		return ReasonNetwork
	case status == http.StatusBadRequest:
		lower := lowerBounded(body)
		switch {
		case isSignature(lower):
			return ReasonSignature
		case isContextLength(lower):
			return ReasonContextLength
		case b.auth: // Gemini answers a bad API key with 400 API_KEY_INVALID
			return ReasonAuth
		case b.hardQuota: // "Your credit balance is too low"
			return ReasonQuotaExhausted
		case b.forbidden: // FAILED_PRECONDITION: location or billing of the account
			return ReasonForbidden
		}
		return ReasonClientError
	case status == http.StatusUnauthorized:
		return ReasonAuth
	case status == http.StatusPaymentRequired:
		return ReasonQuotaExhausted
	case status == http.StatusForbidden:
		return ReasonForbidden
	case status == http.StatusNotFound:
		return ReasonNotFound
	case status == http.StatusRequestTimeout, status == http.StatusGatewayTimeout:
		return ReasonTimeout
	case status == http.StatusRequestEntityTooLarge, status == http.StatusUnprocessableEntity:
		if isContextLength(lowerBounded(body)) {
			return ReasonContextLength
		}
		return ReasonClientError
	case status == http.StatusTooManyRequests:
		return limitReason(b)
	case status == 499: // Google's CANCELLED; Gemini CLI reads quota details on it too
		if b.quota || b.hardQuota || b.perDay || b.capacity || b.rateLimit {
			return limitReason(b)
		}
		return ReasonNetwork
	case status == http.StatusServiceUnavailable:
		if b.quota || b.hardQuota || b.perDay {
			return ReasonQuotaExhausted
		}
		return ReasonCapacity
	case status == 529: // Anthropic overloaded
		return ReasonCapacity
	case status >= 400 && status < 500:
		return ReasonClientError
	}
	return ReasonServerError
}

// limitReason tells an exhausted quota and a lack of capacity from a plain
// rate limit.
func limitReason(b *bodyInfo) Reason {
	switch {
	case b.quota || b.hardQuota || b.perDay:
		return ReasonQuotaExhausted
	case b.capacity:
		return ReasonCapacity
	}
	return ReasonRateLimit
}

// lowerBounded returns an ASCII-lower-cased copy of the first maxBodyBytes
// of body, for case-insensitive matching.
func lowerBounded(body []byte) []byte {
	return bytes.ToLower(body[:min(len(body), maxBodyBytes)])
}
