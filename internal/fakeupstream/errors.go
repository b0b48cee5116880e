package fakeupstream

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

// Error bodies in each provider's own shape (protocols.md §1.6, §2.6, §3.5, §3.6).

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("fakeupstream: marshal: " + err.Error())
	}
	return b
}

// openAIError renders {"error":{"message","type","param","code"}}; empty
// param and code become null.
func openAIError(message, typ, param, code string) []byte {
	return mustJSON(map[string]any{"error": map[string]any{
		"message": message,
		"type":    typ,
		"param":   nullable(param),
		"code":    nullable(code),
	}})
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// anthropicError renders {"type":"error","error":{"type","message"},"request_id"}.
func anthropicError(typ, message, requestID string) []byte {
	return mustJSON(map[string]any{
		"type":       "error",
		"error":      map[string]string{"type": typ, "message": message},
		"request_id": requestID,
	})
}

// googleError renders {"error":{"code","message","status","details"}}.
func googleError(code int, message string, details ...any) []byte {
	e := map[string]any{"code": code, "message": message, "status": googleStatus(code)}
	if len(details) > 0 {
		e["details"] = details
	}
	return mustJSON(map[string]any{"error": e})
}

func googleStatus(code int) string {
	switch code {
	case 400:
		return "INVALID_ARGUMENT"
	case 401:
		return "UNAUTHENTICATED"
	case 403:
		return "PERMISSION_DENIED"
	case 404:
		return "NOT_FOUND"
	case 409:
		return "ABORTED"
	case 413:
		return "INVALID_ARGUMENT"
	case 429:
		return "RESOURCE_EXHAUSTED"
	case 499:
		return "CANCELLED"
	case 500:
		return "INTERNAL"
	case 501:
		return "UNIMPLEMENTED"
	case 503:
		return "UNAVAILABLE"
	case 504:
		return "DEADLINE_EXCEEDED"
	}
	return "UNKNOWN"
}

const googleType = "type.googleapis.com/google.rpc."

func errorInfo(reason, domain string, metadata map[string]string) map[string]any {
	return map[string]any{"@type": googleType + "ErrorInfo", "reason": reason, "domain": domain, "metadata": metadata}
}

func retryInfo(d time.Duration) map[string]any {
	return map[string]any{"@type": googleType + "RetryInfo", "retryDelay": googleDuration(d)}
}

// googleDuration renders d as protobuf JSON does: decimal seconds ("37s", "4560.667s").
func googleDuration(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
}

// invalidRequestBody is the provider's 400 for a body it cannot use.
func (ex *exchange) invalidRequestBody(message string) []byte {
	switch ex.provider {
	case ProviderAnthropic:
		return anthropicError("invalid_request_error", message, ex.reqID)
	case ProviderGemini:
		return googleError(http.StatusBadRequest, message)
	}
	return openAIError(message, "invalid_request_error", "", "")
}

// badJSON is the provider's 400 for a body that is not JSON.
func (ex *exchange) badJSON(err error) []byte {
	switch ex.provider {
	case ProviderAnthropic:
		return anthropicError("invalid_request_error", "There was an error parsing the body of your request: "+err.Error(), ex.reqID)
	case ProviderGemini:
		return googleError(http.StatusBadRequest, "Invalid JSON payload received. "+err.Error(),
			map[string]any{"@type": googleType + "BadRequest", "fieldViolations": []map[string]string{{"description": "Invalid JSON payload received. " + err.Error()}}})
	}
	return openAIError("We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. "+
		"The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)", "invalid_request_error", "", "")
}

func (ex *exchange) tooLargeBody() []byte {
	switch ex.provider {
	case ProviderAnthropic:
		return anthropicError("request_too_large", "Request exceeds the maximum allowed number of bytes.", ex.reqID)
	case ProviderGemini:
		return googleError(http.StatusRequestEntityTooLarge, "Request payload size exceeds the limit: 67108864 bytes.")
	}
	return openAIError("Request too large.", "invalid_request_error", "", "request_too_large")
}

// faultError builds the status and body of a KindStatus fault, and sets the
// Retry-After header where the provider uses one.
func (ex *exchange) faultError(f Fault) (int, []byte) {
	status := f.Status
	if status == 0 {
		status = defaultFaultStatus(ex.provider, f.Reason)
	}
	retry, hasRetry := f.retryAfter()
	if hasRetry && ex.provider != ProviderGemini {
		ex.w.Header().Set("Retry-After", strconv.FormatInt(int64(math.Ceil(retry.Seconds())), 10))
	}
	// Explicit headers win over the generated Retry-After.
	for k, v := range f.Headers {
		ex.w.Header().Set(k, v)
	}
	if f.Body != "" {
		return status, []byte(f.Body)
	}
	switch ex.provider {
	case ProviderAnthropic:
		return status, anthropicStatusError(status, f.Reason, ex.model, ex.reqID)
	case ProviderGemini:
		return status, geminiStatusError(status, f.Reason, ex.model, retry, hasRetry)
	}
	return status, openAIStatusError(status, f.Reason, ex.model, retry)
}

func defaultFaultStatus(provider, reason string) int {
	switch reason {
	case ReasonRateLimit, ReasonQuotaExhausted:
		return http.StatusTooManyRequests
	case ReasonCapacity:
		if provider == ProviderAnthropic {
			return 529
		}
		return http.StatusServiceUnavailable
	case ReasonSignature, ReasonContextLength:
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

func openAIStatusError(status int, reason, model string, retry time.Duration) []byte {
	switch {
	case reason == ReasonContextLength:
		return openAIError("This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens. "+
			"Please reduce the length of the messages.", "invalid_request_error", "messages", "context_length_exceeded")
	case reason == ReasonSignature:
		return openAIError("The encrypted content for item rs_fake could not be verified.", "invalid_request_error", "", "invalid_encrypted_content")
	case reason == ReasonQuotaExhausted:
		return openAIError("You exceeded your current quota, please check your plan and billing details. For more information on this error, "+
			"read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.", "insufficient_quota", "", "insufficient_quota")
	case reason == ReasonCapacity:
		return openAIError("The server is overloaded or not ready yet.", "server_error", "", "")
	case status == http.StatusTooManyRequests || reason == ReasonRateLimit:
		msg := fmt.Sprintf("Rate limit reached for %s in organization org-fakeupstream on requests per min (RPM): Limit 500, Used 500, Requested 1.", model)
		if retry > 0 {
			msg += " Please try again in " + retry.String() + "."
		}
		return openAIError(msg+" Visit https://platform.openai.com/account/rate-limits to learn more.", "requests", "", "rate_limit_exceeded")
	}
	switch status {
	case http.StatusBadRequest:
		return openAIError("Invalid request.", "invalid_request_error", "", "invalid_value")
	case http.StatusUnauthorized:
		return openAIError("Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
			"invalid_request_error", "", "invalid_api_key")
	case http.StatusForbidden:
		return openAIError("Country, region, or territory not supported", "request_forbidden", "", "unsupported_country_region_territory")
	case http.StatusNotFound:
		return openAIError(fmt.Sprintf("The model `%s` does not exist or you do not have access to it.", model), "invalid_request_error", "", "model_not_found")
	case http.StatusInternalServerError:
		return openAIError("The server had an error while processing your request. Sorry about that!", "server_error", "", "")
	case http.StatusServiceUnavailable:
		return openAIError("The server is overloaded or not ready yet.", "server_error", "", "")
	}
	typ := "invalid_request_error"
	if status >= 500 {
		typ = "server_error"
	}
	return openAIError(statusText(status), typ, "", "")
}

func anthropicStatusError(status int, reason, model, reqID string) []byte {
	switch {
	case reason == ReasonSignature:
		return anthropicError("invalid_request_error", "messages.1.content.0: Invalid `signature` in `thinking` block", reqID)
	case reason == ReasonContextLength:
		return anthropicError("invalid_request_error", "prompt is too long: 215000 tokens > 200000 maximum", reqID)
	case reason == ReasonCapacity || status == 529 || status == http.StatusServiceUnavailable:
		return anthropicError("overloaded_error", "Overloaded", reqID)
	case reason == ReasonQuotaExhausted:
		return anthropicError("rate_limit_error", "You have reached your specified workspace API usage limits. "+
			"You will regain access when your usage limit resets.", reqID)
	case status == http.StatusTooManyRequests || reason == ReasonRateLimit:
		return anthropicError("rate_limit_error", "This request would exceed the rate limit for your organization (fakeupstream) "+
			"of 50 requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. "+
			"You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later.", reqID)
	}
	switch status {
	case http.StatusBadRequest:
		return anthropicError("invalid_request_error", "Invalid request", reqID)
	case http.StatusUnauthorized:
		return anthropicError("authentication_error", "invalid x-api-key", reqID)
	case http.StatusPaymentRequired:
		return anthropicError("billing_error", "Your credit balance is too low to access the Anthropic API. "+
			"Please go to Plans & Billing to upgrade or purchase credits.", reqID)
	case http.StatusForbidden:
		return anthropicError("permission_error", "Your API key does not have permission to use the specified resource.", reqID)
	case http.StatusNotFound:
		return anthropicError("not_found_error", "model: "+model, reqID)
	case http.StatusRequestEntityTooLarge:
		return anthropicError("request_too_large", "Request exceeds the maximum allowed number of bytes.", reqID)
	case http.StatusInternalServerError:
		return anthropicError("api_error", "Internal server error", reqID)
	case http.StatusGatewayTimeout:
		return anthropicError("timeout_error", "Request timed out", reqID)
	}
	if status >= 500 {
		return anthropicError("api_error", statusText(status), reqID)
	}
	return anthropicError("invalid_request_error", statusText(status), reqID)
}

func geminiStatusError(status int, reason, model string, retry time.Duration, hasRetry bool) []byte {
	const codeAssist = "cloudcode-pa.googleapis.com"
	var details []any
	meta := map[string]string{"model": model}
	if hasRetry {
		meta["quotaResetDelay"] = retry.String()
	}
	withRetry := func(d ...any) []any {
		if hasRetry {
			d = append(d, retryInfo(retry))
		}
		return d
	}
	switch {
	case reason == ReasonSignature:
		return googleError(status, "Corrupted thought signature.")
	case reason == ReasonContextLength:
		return googleError(status, "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).")
	case reason == ReasonQuotaExhausted:
		msg := "You have exhausted your capacity on this model."
		if hasRetry {
			msg += " Your quota will reset after " + retry.Round(time.Second).String() + "."
			meta["quotaResetTimeStamp"] = time.Now().Add(retry).UTC().Format(time.RFC3339)
		}
		meta["uiMessage"] = "true"
		details = withRetry(errorInfo("QUOTA_EXHAUSTED", codeAssist, meta), quotaFailure("GenerateRequestsPerDayPerProjectPerModel", model))
		return googleError(status, msg, details...)
	case reason == ReasonCapacity:
		return googleError(status, "No capacity available for model "+model+" on the server",
			withRetry(errorInfo("MODEL_CAPACITY_EXHAUSTED", codeAssist, meta))...)
	case status == http.StatusTooManyRequests || reason == ReasonRateLimit:
		msg := "You exceeded your current quota, please check your plan and billing details. " +
			"For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits."
		if hasRetry {
			msg += " Please retry in " + googleDuration(retry) + "."
		}
		details = withRetry(
			errorInfo("RATE_LIMIT_EXCEEDED", codeAssist, meta),
			quotaFailure("GenerateRequestsPerMinutePerProjectPerModel", model),
			map[string]any{"@type": googleType + "Help", "links": []map[string]string{{
				"description": "Learn more about Gemini API quotas", "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
			}}},
		)
		return googleError(status, msg, details...)
	}
	var msg string
	switch status {
	case http.StatusBadRequest:
		msg = "Request contains an invalid argument."
	case http.StatusUnauthorized:
		msg = "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. " +
			"See https://developers.google.com/identity/sign-in/web/devconsole-project."
	case http.StatusForbidden:
		msg = "The caller does not have permission"
	case http.StatusNotFound:
		msg = "models/" + model + " is not found for API version v1beta, or is not supported for generateContent. " +
			"Call ListModels to see the list of available models and their supported methods."
	case http.StatusInternalServerError:
		msg = "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"
	case http.StatusServiceUnavailable:
		msg = "The model is overloaded. Please try again later."
	case http.StatusGatewayTimeout:
		msg = "Deadline expired before operation could complete."
	default:
		msg = statusText(status)
	}
	return googleError(status, msg, withRetry()...)
}

func quotaFailure(quotaID, model string) map[string]any {
	return map[string]any{"@type": googleType + "QuotaFailure", "violations": []map[string]any{{
		"quotaMetric":     "generativelanguage.googleapis.com/generate_content_requests",
		"quotaId":         quotaID,
		"quotaDimensions": map[string]string{"location": "global", "model": model},
		"quotaValue":      "50",
	}}}
}

func statusText(status int) string {
	if status == 529 {
		return "Overloaded"
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return "Error " + strconv.Itoa(status)
}
