package retry

import (
	"strings"
	"time"
	"unsafe"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/jsonguard"
)

const (
	// maxNesting bounds how many JSON errors stringified inside an error's
	// message are unwrapped (Gemini CLI allows 10).
	maxNesting = 10
	// maxTextBytes bounds how much of a non-JSON body is searched for text.
	maxTextBytes = 64 << 10
)

// bodyInfo is what an error body says, gathered across nested errors.
type bodyInfo struct {
	retryDelay delay // RetryInfo.retryDelay
	resetDelay delay // ErrorInfo.metadata.quotaResetDelay
	resetAt    delay // ErrorInfo.metadata.quotaResetTimeStamp, relative to now
	textDelay  delay // "Please retry in 12.3s" and similar, in a message

	implied int // HTTP status implied by the body, for errors inside a 2xx stream

	perDay    bool // a per-day quota was violated
	quota     bool // the quota is exhausted (QUOTA_EXHAUSTED, "quota will reset", …)
	hardQuota bool // no quota or credit left at all (insufficient_quota, …)
	capacity  bool // the model has no capacity (MODEL_CAPACITY_EXHAUSTED, overloaded)
	rateLimit bool
	auth      bool
	forbidden bool // permission, verification or location problems of the account
	notFound  bool
}

// parseBody reads an error body: Google, Anthropic, OpenAI and OAuth error
// shapes, a body wrapped in a one-element array, and errors stringified inside
// an error's message, unwrapped up to maxNesting levels. Each level is walked
// once. A body that is not JSON is searched as text.
func parseBody(body []byte, now time.Time) bodyInfo {
	var b bodyInfo
	s := strings.TrimSpace(view(body))
	if s == "" {
		return b
	}
	if s[0] != '{' && s[0] != '[' {
		b.text(s[:min(len(s), maxTextBytes)])
		return b
	}
	doc := gjson.Parse(s)
	for range maxNesting {
		if doc.IsArray() {
			doc = doc.Get("0")
		}
		e := errorObject(doc)
		if e.Type == gjson.String { // OAuth: {"error":"invalid_grant","error_description":…}
			b.word(e.Str)
			b.text(doc.Get("error_description").String())
			return b
		}
		if !e.IsObject() {
			return b
		}
		inner, ok := embeddedJSON(b.scanError(e, now))
		if !ok {
			return b
		}
		doc = gjson.Parse(inner)
	}
	return b
}

// errorObject finds the error in a document in one walk of its top level:
// "error" (Google, OpenAI, Anthropic, OAuth), "response.error" (Responses API
// response.failed), or the document itself when it looks like a bare error
// (a nested Google error, a Responses API error event).
func errorObject(doc gjson.Result) gjson.Result {
	var e, resp gjson.Result
	bare := false
	if !doc.IsObject() {
		return e
	}
	doc.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "error":
			e = v
		case "response":
			resp = v
		case "message", "details":
			bare = true
		}
		return true
	})
	switch {
	case e.Exists() && e.Type != gjson.Null:
		return e
	case resp.IsObject():
		if re := resp.Get("error"); re.IsObject() {
			return re
		}
	}
	if bare {
		return doc
	}
	return gjson.Result{}
}

// scanError walks one error object and returns its message.
func (b *bodyInfo) scanError(e gjson.Result, now time.Time) (message string) {
	e.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "code":
			if v.Type == gjson.Number {
				if b.implied == 0 && v.Num >= 100 && v.Num < 600 {
					b.implied = int(v.Num)
				}
			} else {
				b.word(v.String())
			}
		case "type", "status", "reason":
			b.word(v.String())
		case "message":
			message = v.String()
			b.text(message)
		case "details":
			v.ForEach(func(_, d gjson.Result) bool {
				b.detail(d, now)
				return true
			})
		case "errors": // legacy Google: [{"reason":"rateLimitExceeded",…}]
			v.ForEach(func(_, x gjson.Result) bool {
				b.word(x.Get("reason").String())
				return true
			})
		}
		return true
	})
	return message
}

// detail reads one Google error detail, recognised by its fields rather than
// its @type: RetryInfo, ErrorInfo (reason, metadata) and QuotaFailure.
func (b *bodyInfo) detail(d gjson.Result, now time.Time) {
	d.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "reason":
			b.word(v.String())
		case "retryDelay":
			b.retryDelay = b.retryDelay.or(protoDuration(v))
		case "metadata":
			v.ForEach(func(mk, mv gjson.Result) bool {
				switch mk.Str {
				case "quotaResetDelay":
					if d, ok := ParseDuration(mv.String()); ok {
						b.resetDelay = b.resetDelay.or(some(d))
					}
				case "quotaResetTimeStamp":
					if t, err := time.Parse(time.RFC3339, mv.String()); err == nil {
						b.resetAt = b.resetAt.or(some(t.Sub(now)))
					}
				case "quota_limit", "quotaLimit", "quotaId", "quota_id":
					b.quotaID(mv.String())
				}
				return true
			})
		case "violations":
			v.ForEach(func(_, viol gjson.Result) bool {
				b.quotaID(viol.Get("quotaId").String())
				return true
			})
		}
		return true
	})
}

// protoDuration reads a google.protobuf.Duration: "37s" as JSON maps it, or
// {"seconds":37,"nanos":0} as some encoders write it, or a number of seconds.
func protoDuration(v gjson.Result) delay {
	switch {
	case v.Type == gjson.String:
		if d, ok := ParseDuration(v.Str); ok {
			return some(d)
		}
	case v.Type == gjson.Number:
		if d, ok := ParseDuration(v.Raw); ok {
			return some(d)
		}
	case v.IsObject():
		secs, ok := ParseDuration(v.Get("seconds").String())
		if !ok {
			return delay{}
		}
		nanos := v.Get("nanos").Int()
		if nanos < 0 || nanos >= int64(time.Second) {
			nanos = 0
		}
		return some(min(secs, MaxHint) + time.Duration(nanos))
	}
	return delay{}
}

// quotaID notes a per-day quota ("…PerDay…", "…Daily…").
func (b *bodyInfo) quotaID(id string) {
	l := strings.ToLower(id)
	if strings.Contains(l, "perday") || strings.Contains(l, "daily") {
		b.perDay = true
	}
}

// word reads an error code, type, status or reason.
func (b *bodyInfo) word(w string) {
	imply := func(status int) {
		if b.implied == 0 {
			b.implied = status
		}
	}
	switch strings.ToLower(strings.TrimSpace(w)) {
	case "quota_exhausted":
		b.quota = true
		imply(429)
	case "insufficient_quota", "insufficient_g1_credits_balance", "billing_hard_limit_reached":
		b.hardQuota = true
		imply(429)
	case "billing_error":
		b.hardQuota = true
		imply(402)
	case "rate_limit_exceeded", "ratelimitexceeded", "rate_limit_error", "resource_exhausted":
		b.rateLimit = true
		imply(429)
	case "model_capacity_exhausted":
		b.capacity = true
		imply(503)
	case "overloaded_error", "overloaded":
		b.capacity = true
		imply(529)
	case "unavailable":
		imply(503)
	case "api_key_invalid", "invalid_api_key", "authentication_error", "unauthenticated",
		"invalid_grant", "invalid_client", "unauthorized_client":
		b.auth = true
		imply(401)
	case "permission_error", "permission_denied", "validation_required",
		"unsupported_country_region_territory", "failed_precondition":
		b.forbidden = true
		imply(403)
	case "not_found_error", "model_not_found", "not_found":
		b.notFound = true
		imply(404)
	case "timeout_error", "deadline_exceeded":
		imply(504)
	case "invalid_request_error", "invalid_argument", "context_length_exceeded":
		imply(400)
	case "request_too_large":
		imply(413)
	case "api_error", "server_error", "internal":
		imply(500)
	}
}

// text reads an error message for reasons and a reset delay.
func (b *bodyInfo) text(msg string) {
	if msg == "" {
		return
	}
	l := strings.ToLower(msg)
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(l, s) {
				return true
			}
		}
		return false
	}
	if has("exhausted your capacity", "quota will reset", "quota reached", "quota has been exhausted") {
		b.quota = true
	}
	if has("credit balance is too low") {
		b.hardQuota = true
	}
	if has("per day", "perday") {
		b.perDay = true
	}
	if has("no capacity available", "overloaded", "high demand") {
		b.capacity = true
	}
	if has("api key not valid") {
		b.auth = true
	}
	if has("location is not supported") {
		b.forbidden = true
	}
	b.textDelay = b.textDelay.or(durationInText(l))
}

// embeddedJSON returns the JSON error stringified in a message: the whole
// message, or its tail from the first '{' ("HTTP 429: {…}").
func embeddedJSON(msg string) (string, bool) {
	msg = strings.TrimSpace(msg)
	i := strings.IndexAny(msg, "{[")
	if i < 0 {
		return "", false
	}
	if msg = msg[i:]; !jsonguard.ValidString(msg) {
		return "", false
	}
	return msg, true
}

// view returns b as a string without copying, so that gjson can walk a large
// body without allocating a copy of it. Nothing derived from the string is
// retained beyond ParseHint: a Hint holds no strings from the body.
func view(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}
