package fakeupstream

import (
	"net/http"
	"strings"
)

// revokedPrefix marks credentials the fake treats as revoked.
const revokedPrefix = "bad-"

// credKind tells where a credential came from.
type credKind int

const (
	credNone   credKind = iota
	credKey             // an API key (x-api-key, x-goog-api-key, ?key=)
	credBearer          // Authorization: Bearer
)

// credential extracts the credential the provider's API accepts.
func credential(provider string, r *http.Request) (string, credKind) {
	switch provider {
	case ProviderAnthropic:
		if k := r.Header.Get("X-Api-Key"); k != "" {
			return k, credKey
		}
	case ProviderGemini:
		if k := r.Header.Get("X-Goog-Api-Key"); k != "" {
			return k, credKey
		}
		if k := r.URL.Query().Get("key"); k != "" {
			return k, credKey
		}
	}
	if t, ok := bearer(r.Header.Get("Authorization")); ok {
		return t, credBearer
	}
	return "", credNone
}

func bearer(h string) (string, bool) {
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// authError returns the status and body the provider answers to a missing
// or revoked credential, or status 0 when the credential is accepted.
func (ex *exchange) authError(kind credKind) (int, []byte) {
	revoked := strings.HasPrefix(ex.cred, revokedPrefix)
	if kind != credNone && !revoked {
		return 0, nil
	}
	switch ex.provider {
	case ProviderAnthropic:
		switch kind {
		case credNone:
			return http.StatusUnauthorized, anthropicError("authentication_error", "x-api-key header is required", ex.reqID)
		case credBearer:
			return http.StatusUnauthorized, anthropicError("authentication_error", "Invalid bearer token", ex.reqID)
		}
		return http.StatusUnauthorized, anthropicError("authentication_error", "invalid x-api-key", ex.reqID)
	case ProviderGemini:
		switch kind {
		case credNone:
			return http.StatusUnauthorized, googleError(http.StatusUnauthorized,
				"Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. "+
					"See https://developers.google.com/identity/sign-in/web/devconsole-project.",
				errorInfo("CREDENTIALS_MISSING", "googleapis.com", map[string]string{
					"service": "generativelanguage.googleapis.com", "method": "google.ai.generativelanguage.v1beta.GenerativeService.GenerateContent",
				}))
		case credBearer:
			return http.StatusUnauthorized, googleError(http.StatusUnauthorized,
				"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. "+
					"See https://developers.google.com/identity/sign-in/web/devconsole-project.",
				errorInfo("ACCESS_TOKEN_EXPIRED", "googleapis.com", map[string]string{"service": "generativelanguage.googleapis.com"}))
		}
		const msg = "API key not valid. Please pass a valid API key."
		return http.StatusBadRequest, googleError(http.StatusBadRequest, msg,
			errorInfo("API_KEY_INVALID", "googleapis.com", map[string]string{"service": "generativelanguage.googleapis.com"}),
			map[string]any{"@type": googleType + "LocalizedMessage", "locale": "en-US", "message": msg})
	}
	if kind == credNone {
		return http.StatusUnauthorized, openAIError("You didn't provide an API key. You need to provide your API key in an Authorization header "+
			"using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from https://platform.openai.com/account/api-keys.",
			"invalid_request_error", "", "")
	}
	return http.StatusUnauthorized, openAIError("Incorrect API key provided: "+maskKey(ex.cred)+
		". You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_request_error", "", "invalid_api_key")
}

// maskKey shows a key the way OpenAI's errors do: its start and end only.
func maskKey(k string) string {
	if len(k) <= 8 {
		return "***"
	}
	return k[:5] + "***" + k[len(k)-2:]
}
