package dispatch

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/schedule"
	"github.com/switchyard-gw/switchyard/internal/upstream"
)

// admission is the key check of a request's first selection; Name "" when
// the request has no client key to count.
func (d *Dispatcher) admission(req *Request) schedule.KeyAdmission {
	if req.KeyName == "" {
		return schedule.KeyAdmission{}
	}
	ttl := d.Policy.RequestTimeout + time.Minute
	if d.Policy.RequestTimeout <= 0 {
		ttl = 11 * time.Minute
	}
	adm := schedule.KeyAdmission{Name: req.KeyName, Limits: req.KeyLimits, Lease: leaseOf(req), TTL: ttl}
	if req.KeyLimits.TPM > 0 || req.KeyLimits.DailyTokens > 0 {
		adm.Reserve = reserveOf(req)
	}
	return adm
}

// The reservation of a request against its key's token limits is an
// estimate made before anything is decoded: the selection adds it to the
// key's counts at admission and the release reconciles it with the usage the
// answer reports, so it only has to be cheap and not too far off.
//
//   - Input: a quarter of the body's bytes, rounded up (the usual
//     bytes-per-token heuristic, as protocol.EstimateInputTokens counts text,
//     here on the raw body since the same-protocol path decodes nothing; the
//     JSON around the text makes it err on the high side). Capped at
//     maxReserveInput: an inline image or file counts a few thousand tokens
//     but weighs megabytes of base64, and such a body must not hold a whole
//     budget until it is reconciled.
//   - Output: the client's own cap when the body states one (max_tokens,
//     max_completion_tokens, max_output_tokens, generationConfig
//     .maxOutputTokens), found by a byte search, not a parse; capped at
//     maxReserveOutput, since coding agents ask for 32k-64k and mostly
//     answer with far fewer; nothing when the client states no cap.
//
// Token counting requests reserve nothing (their answers use no tokens).
const (
	maxReserveInput  = 200_000
	maxReserveOutput = 4_096
)

// reserveOf is the token estimate of req (see above).
func reserveOf(req *Request) int64 {
	if req.Op == upstream.OpCountTokens {
		return 0
	}
	in := min((int64(len(req.Body))+3)/4, maxReserveInput)
	return in + min(maxOutputTokens(req.Protocol, req.Body), maxReserveOutput)
}

// capKeys are the names of the output cap that share one suffix, found by
// a byte search for the suffix (a key's closing quote cannot be inside a
// JSON string, whose quotes are escaped, so a match followed by ':' is a key
// of some object).
type capKeys struct {
	suffix []byte
	names  [][]byte // each with its opening quote, without the suffix's part
}

var (
	snakeCaps = capKeys{[]byte(`_tokens"`), [][]byte{[]byte(`"max_tokens`), []byte(`"max_completion_tokens`), []byte(`"max_output_tokens`)}}
	camelCaps = capKeys{[]byte(`OutputTokens"`), [][]byte{[]byte(`"maxOutputTokens`)}}
	// OpenAI and Anthropic name the cap in snake case; Gemini's
	// JSON takes generationConfig.maxOutputTokens and its proto name
	// max_output_tokens alike.
	snakeOnly, camelFirst = []capKeys{snakeCaps}, []capKeys{camelCaps, snakeCaps}
)

// maxOutputTokens returns the output cap a request body states, 0 when none
// is found. It scans for the key, not the structure: a numeric value of the
// same name nested elsewhere (rare) counts too, which is good enough for an
// estimate. One pass per suffix of the protocol's names.
func maxOutputTokens(p llm.Protocol, body []byte) int64 {
	caps := snakeOnly
	if p == llm.Gemini {
		caps = camelFirst
	}
	for _, c := range caps {
		if n := findCap(body, c); n > 0 {
			return n
		}
	}
	return 0
}

// findCap returns the number after the first of c's names in body, 0 when
// none is followed by one.
func findCap(body []byte, c capKeys) int64 {
	for off := 0; off < len(body); {
		i := bytes.Index(body[off:], c.suffix)
		if i < 0 {
			return 0
		}
		end := off + i + len(c.suffix)
		for _, name := range c.names {
			if bytes.HasSuffix(body[:end-1], name) {
				if n, ok := numberAfterColon(body[end:]); ok {
					return n
				}
			}
		}
		off = end
	}
	return 0
}

// numberAfterColon reads `: 123` (whitespace allowed) at the start of b.
func numberAfterColon(b []byte) (int64, bool) {
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	if i >= len(b) || b[i] != ':' {
		return 0, false
	}
	i++
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	n, digits := int64(0), 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9' && digits < 10; i++ {
		n = n*10 + int64(b[i]-'0')
		digits++
	}
	return n, digits > 0
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// leaseOf is the in-flight member of a request when the key limits requests
// in flight, else none. The request id may come from the client, so a random
// suffix keeps two requests that share one id from sharing one lease.
func leaseOf(req *Request) string {
	if req.KeyLimits.MaxInFlight <= 0 {
		return ""
	}
	return req.RequestID + "." + strconv.FormatUint(rand.Uint64(), 36)
}

// keyLimitError is the 429 of a client key over a limit, with the
// x-ratelimit-* headers of the limit that refused it.
func keyLimitError(key string, l schedule.Lease) *llm.Error {
	hit := l.KeyLimit
	what, suffix := "", ""
	switch hit.Which {
	case "requests":
		what, suffix = "requests per minute", "requests"
	case "tokens":
		what, suffix = "tokens per minute", "tokens"
	case "daily_tokens":
		what, suffix = "tokens per day", "tokens-day"
	default:
		what, suffix = "requests in flight", "concurrent-requests"
	}
	wait := max(l.Wait, time.Second)
	e := llm.Errorf(llm.KindRateLimit, "client key %q is at its limit of %d %s; retry after %ds", key, hit.Limit, what, int((wait+time.Second-1)/time.Second))
	e.RetryAfter = wait
	remaining := max(hit.Limit-hit.Used, 0)
	e.Headers = map[string]string{
		"x-ratelimit-limit-" + suffix:     strconv.FormatInt(hit.Limit, 10),
		"x-ratelimit-remaining-" + suffix: strconv.FormatInt(remaining, 10),
		"x-ratelimit-reset-" + suffix:     wait.Round(time.Millisecond).String(),
	}
	return e
}
