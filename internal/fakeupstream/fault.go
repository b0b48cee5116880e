package fakeupstream

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault kinds (Fault.Kind).
const (
	// KindStatus answers Fault.Status with the provider's own error body.
	KindStatus = "status"
	// KindEmptyStream answers 200 text/event-stream with no event at all.
	KindEmptyStream = "empty_stream"
	// KindHeartbeatOnly answers 200 and sends only keep-alives (pings or SSE
	// comments) for Fault.Delay, or three of them when Delay is 0, then EOF.
	KindHeartbeatOnly = "heartbeat_only"
	// KindCutAfter sends Fault.AfterEvents events, then drops the connection
	// abruptly: the client sees an unexpected EOF and no terminal event.
	KindCutAfter = "cut_after"
	// KindStall sends Fault.AfterEvents events, then nothing for Fault.Delay
	// (until the client leaves when Delay is 0), then drops the connection.
	KindStall = "stall"
	// KindSlowFirstByte waits Fault.Delay before the response headers.
	KindSlowFirstByte = "slow_first_byte"
	// KindLatency adds Fault.Delay before the response headers.
	KindLatency = "latency"
	// KindReset closes the TCP connection (with RST) before any response.
	KindReset = "reset"
	// KindMalformedSSE inserts one data line of broken JSON after the first event.
	KindMalformedSSE = "malformed_sse"
	// KindNoTerminal leaves out the terminal event ([DONE], message_stop,
	// response.completed, finishReason) and ends the stream cleanly.
	KindNoTerminal = "no_terminal"
	// KindGarbage answers 200 application/json with a body that is not JSON.
	KindGarbage = "garbage"
	// KindHang never answers; the request ends when the client goes away.
	KindHang = "hang"
	// KindRawStream answers a streaming request with 200 text/event-stream
	// and Fault.Body as the whole stream, byte for byte: a recorded provider
	// answer (an error event after the start, a refusal without content).
	KindRawStream = "raw_stream"
)

// Reasons select a realistic error body for KindStatus (Fault.Reason).
const (
	ReasonRateLimit      = "rate_limit"
	ReasonQuotaExhausted = "quota_exhausted"
	ReasonCapacity       = "capacity"
	ReasonSignature      = "signature"
	ReasonContextLength  = "context_length"
)

var faultKinds = []string{
	KindStatus, KindEmptyStream, KindHeartbeatOnly, KindCutAfter, KindStall,
	KindSlowFirstByte, KindLatency, KindReset, KindMalformedSSE, KindNoTerminal,
	KindGarbage, KindHang, KindRawStream,
}

var faultReasons = []string{
	ReasonRateLimit, ReasonQuotaExhausted, ReasonCapacity, ReasonSignature, ReasonContextLength,
}

// Duration is a time.Duration that reads and writes JSON as a Go duration
// string ("1.5s"). A JSON number is read as seconds.
type Duration time.Duration

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case string:
		p, err := time.ParseDuration(v)
		if err != nil {
			return err
		}
		*d = Duration(p)
	case float64:
		*d = Duration(v * float64(time.Second))
	case nil:
		*d = 0
	default:
		return fmt.Errorf("duration must be a string like \"1.5s\", got %s", b)
	}
	return nil
}

// Fault scripts a misbehaviour. The match fields select the requests it
// applies to; an empty match field matches anything.
type Fault struct {
	// Match (empty = any):
	Provider   string `json:"provider,omitempty"`
	Credential string `json:"credential,omitempty"`
	Model      string `json:"model,omitempty"`
	// Times is how many matching requests the fault applies to; 0 means every one.
	Times int `json:"times,omitempty"`

	// What happens:
	Kind   string `json:"kind"`             // one of the Kind constants
	Status int    `json:"status,omitempty"` // for KindStatus; 0 picks one from Reason (429, 503/529, 400) or 500
	// Body replaces the generated error body of KindStatus.
	Body string `json:"body,omitempty"`
	// Headers are extra response headers (Retry-After, x-should-retry,
	// anthropic-ratelimit-*, x-ratelimit-*), set for every kind.
	Headers map[string]string `json:"headers,omitempty"`
	// RetryAfter ("2s", "30s", "1h16m0.667s"; a bare number is seconds) is
	// rendered the provider's way: a Retry-After header in whole seconds,
	// rounded up, for openai and anthropic; RetryInfo.retryDelay and
	// ErrorInfo.metadata.quotaResetDelay in the body for gemini.
	RetryAfter string `json:"retry_after,omitempty"`
	// Reason picks the body of KindStatus: one of the Reason constants.
	Reason string `json:"reason,omitempty"`
	// AfterEvents is how many events KindCutAfter and KindStall send first
	// (keep-alives not counted). It is capped so that the terminal event is
	// never sent.
	AfterEvents int `json:"after_events,omitempty"`
	// Delay is the duration of KindStall, KindSlowFirstByte, KindLatency and
	// KindHeartbeatOnly.
	Delay Duration `json:"delay,omitempty"`
}

func (f Fault) validate() error {
	var errs []error
	if !contains(faultKinds, f.Kind) {
		errs = append(errs, fmt.Errorf("kind %q is not one of %s", f.Kind, strings.Join(faultKinds, ", ")))
	}
	if f.Reason != "" && !contains(faultReasons, f.Reason) {
		errs = append(errs, fmt.Errorf("reason %q is not one of %s", f.Reason, strings.Join(faultReasons, ", ")))
	}
	if f.Provider != "" && f.Provider != ProviderOpenAI && f.Provider != ProviderAnthropic && f.Provider != ProviderGemini {
		errs = append(errs, fmt.Errorf("provider %q is not openai, anthropic or gemini", f.Provider))
	}
	if f.Status != 0 && (f.Status < 100 || f.Status > 599) {
		errs = append(errs, fmt.Errorf("status %d is not an HTTP status", f.Status))
	}
	if f.Times < 0 || f.AfterEvents < 0 || f.Delay < 0 {
		errs = append(errs, errors.New("times, after_events and delay must not be negative"))
	}
	if _, err := parseRetryAfter(f.RetryAfter); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (f Fault) matches(provider, credential, model string) bool {
	return (f.Provider == "" || f.Provider == provider) &&
		(f.Credential == "" || f.Credential == credential) &&
		(f.Model == "" || f.Model == model)
}

// retryAfter returns the parsed RetryAfter; validate has already checked it.
func (f Fault) retryAfter() (time.Duration, bool) {
	d, err := parseRetryAfter(f.RetryAfter)
	return d, err == nil && f.RetryAfter != ""
}

func parseRetryAfter(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil && n >= 0 {
		return time.Duration(n * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("retry_after %q is not a duration like \"30s\"", s)
	}
	return d, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// faultList holds the scripted faults in the order they were added.
type faultList struct {
	mu    sync.Mutex
	items []*faultEntry
}

type faultEntry struct {
	fault Fault
	used  int
}

func (l *faultList) add(f Fault) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.items = append(l.items, &faultEntry{fault: f})
}

func (l *faultList) clear() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.items = nil
}

// take returns the first fault matching the request and counts the use;
// a fault whose Times are used up is removed.
func (l *faultList) take(provider, credential, model string) (Fault, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, e := range l.items {
		if !e.fault.matches(provider, credential, model) {
			continue
		}
		e.used++
		if e.fault.Times > 0 && e.used >= e.fault.Times {
			l.items = append(l.items[:i:i], l.items[i+1:]...)
		}
		return e.fault, true
	}
	return Fault{}, false
}
