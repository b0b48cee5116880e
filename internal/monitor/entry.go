// Package monitor is the request log: one record per client request, written
// by every replica into one capped Redis stream on the shared store (or,
// without one, into a capped ring in the process's memory: NewEmbedded), and
// read back by the admin API (list with filters, one record, NDJSON export).
//
// Writes never cost the request path a store round trip: records go into a
// bounded queue that one background writer drains in batches (one script
// call each on Redis); a full queue drops the record and counts it. Request
// and response bodies are stored only when capture is on.
package monitor

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Entry is one client request.
type Entry struct {
	Time          time.Time `json:"time"` // when the request reached the dispatcher
	RequestID     string    `json:"request_id"`
	TraceID       string    `json:"trace_id,omitempty"`
	Replica       string    `json:"replica,omitempty"`
	Protocol      string    `json:"protocol"`
	Route         string    `json:"route"`
	Key           string    `json:"key,omitempty"` // name of the client key that sent it
	Model         string    `json:"model"`         // as the client sent it
	MappedModel   string    `json:"mapped_model,omitempty"`
	Account       string    `json:"account,omitempty"` // email of the account that answered, or was tried last
	Status        int       `json:"status"`
	Stream        bool      `json:"stream"`
	Attempts      []Attempt `json:"attempts"`
	LatencyMS     float64   `json:"latency_ms"`
	TTFBMS        float64   `json:"ttfb_ms,omitempty"`
	Tokens        Tokens    `json:"tokens"`
	ResponseModel string    `json:"response_model,omitempty"`
	FinishReasons []string  `json:"finish_reasons,omitempty"`
	Error         string    `json:"error,omitempty"`
	// Captured bodies (only when an operator turned capture on), capped and
	// with credential-looking values redacted.
	RequestBody  string `json:"request_body,omitempty"`
	ResponseBody string `json:"response_body,omitempty"`
}

// Attempt is one upstream try of a request.
type Attempt struct {
	Account    string  `json:"account"` // account id
	Email      string  `json:"email"`
	Decision   string  `json:"decision"`
	Status     int     `json:"status,omitempty"`
	Outcome    string  `json:"outcome"`
	Reason     string  `json:"reason,omitempty"`
	DurationMS float64 `json:"duration_ms"`
}

// Tokens is the usage the answering provider reported.
type Tokens struct {
	Input      int64 `json:"input"`
	Output     int64 `json:"output"`
	CacheRead  int64 `json:"cache_read,omitempty"`
	CacheWrite int64 `json:"cache_write,omitempty"`
	Reasoning  int64 `json:"reasoning,omitempty"`
}

// maxErrorLen bounds the error summary kept per record.
const maxErrorLen = 1024

// Millis converts a duration to fractional milliseconds.
func Millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Failed reports whether the request ended in an error (for errors_only).
func (e *Entry) Failed() bool { return e.Status >= 400 || e.Error != "" }

// Matches reports whether the lower-cased query q occurs in the request id,
// the client key's name, the models, the accounts, the route or the error
// (case-insensitively).
func (e *Entry) Matches(q string) bool {
	if q == "" {
		return true
	}
	has := func(s string) bool { return s != "" && strings.Contains(strings.ToLower(s), q) }
	if has(e.RequestID) || has(e.Key) || has(e.Model) || has(e.MappedModel) || has(e.ResponseModel) ||
		has(e.Account) || has(e.Route) || has(e.Error) {
		return true
	}
	for _, a := range e.Attempts {
		if has(a.Account) || has(a.Email) {
			return true
		}
	}
	return false
}

func (e *Entry) trim() {
	if len(e.Error) > maxErrorLen {
		n := maxErrorLen
		for n > 0 && !utf8.RuneStart(e.Error[n]) {
			n--
		}
		e.Error = e.Error[:n]
	}
}

// Filter selects records for List.
type Filter struct {
	Limit      int    // default DefaultLimit, at most MaxLimit
	ErrorsOnly bool   // only failed requests
	Query      string // case-insensitive substring, see Entry.Matches
}

// List limits.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)
