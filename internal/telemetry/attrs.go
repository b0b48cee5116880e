package telemetry

import (
	"crypto/sha256"
	"encoding/hex"

	"go.opentelemetry.io/otel/attribute"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/upstream"
)

// GenAI attribute keys, as named by the OpenTelemetry GenAI semantic
// conventions (semconv v1.37–v1.41; the Go semconv packages dropped them from
// v1.42, so they are local constants rather than an old semconv import).
const (
	AttrOperationName    = attribute.Key("gen_ai.operation.name")
	AttrProviderName     = attribute.Key("gen_ai.provider.name")
	AttrRequestModel     = attribute.Key("gen_ai.request.model")
	AttrRequestStream    = attribute.Key("gen_ai.request.stream")
	AttrResponseModel    = attribute.Key("gen_ai.response.model")
	AttrFinishReasons    = attribute.Key("gen_ai.response.finish_reasons")
	AttrInputTokens      = attribute.Key("gen_ai.usage.input_tokens")
	AttrOutputTokens     = attribute.Key("gen_ai.usage.output_tokens")
	AttrCacheReadTokens  = attribute.Key("gen_ai.usage.cache_read.input_tokens")
	AttrCacheWriteTokens = attribute.Key("gen_ai.usage.cache_creation.input_tokens")
	AttrErrorType        = attribute.Key("error.type")
)

// Switchyard's own attribute keys.
const (
	AttrRequestID      = attribute.Key("switchyard.request.id") // on the server span
	AttrAccountEmail   = attribute.Key("switchyard.account.email")
	AttrAccountID      = attribute.Key("switchyard.account.id")
	AttrModelRequested = attribute.Key("switchyard.model.requested")
	AttrModelMapped    = attribute.Key("switchyard.model.mapped")
	AttrSessionID      = attribute.Key("switchyard.session.id") // a hash, never the raw id
	AttrAttempt        = attribute.Key("switchyard.attempt")
	AttrDecision       = attribute.Key("switchyard.schedule.decision")
	AttrRetryReason    = attribute.Key("switchyard.retry.reason")
	AttrOutcome        = attribute.Key("switchyard.attempt.outcome")
	AttrUpstreamStatus = attribute.Key("switchyard.upstream.status")
)

// Operation names the GenAI operation an upstream call performs, from what
// the provider is actually asked to do (a translated request counts as the
// provider's own operation).
func Operation(p account.Provider, op upstream.Op) string {
	switch {
	case op == upstream.OpCountTokens:
		return "count_tokens"
	case p.Wire() == account.Gemini:
		return "generate_content"
	case op == upstream.OpResponses && p == account.OpenAI:
		return "responses"
	}
	return "chat"
}

// ProviderName is gen_ai.provider.name of an account's provider.
func ProviderName(p account.Provider) string {
	if p.Wire() == account.Gemini { // codeassist: Gemini through Google's Code Assist API
		return "gcp.gemini"
	}
	return string(p)
}

// HashSession is a short, stable digest of a session id: enough to group the
// attempts of one conversation, useless for recovering the id.
func HashSession(id string) string {
	if id == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:8])
}
