package fakeupstream

import (
	"bytes"
	"net/http"
	"net/url"
	"sync"
)

// Limits of the request log, which keep a long benchmark run bounded.
const (
	maxRecords       = 10_000
	maxRecordedBody  = 1 << 20   // bytes kept of each request body
	maxRecordedBytes = 256 << 20 // bytes kept of all bodies together
)

// Record is one provider request as the fake saw it.
type Record struct {
	Provider   string `json:"provider"`        // "openai" | "anthropic" | "gemini"
	Path       string `json:"path"`            // URL path, without the query
	Query      string `json:"query,omitempty"` // raw query without any key= parameter, e.g. "alt=sse"
	Credential string `json:"credential"`      // the API key or bearer token the call carried
	Model      string `json:"model"`
	Stream     bool   `json:"stream"`
	// Header holds every request header except the credential-bearing ones
	// (Authorization, X-Api-Key, X-Goog-Api-Key).
	Header http.Header `json:"header"`
	Body   []byte      `json:"body"`            // the raw request body, cut at 1 MiB
	Status int         `json:"status"`          // status answered; 0 if none was (reset, hang, client gone)
	Fault  string      `json:"fault,omitempty"` // kind of the fault applied, if any
}

// credentialHeaders are left out of Record.Header.
var credentialHeaders = []string{"Authorization", "X-Api-Key", "X-Goog-Api-Key"}

func newRecord(provider, credential string, r *http.Request, body []byte) *Record {
	h := r.Header.Clone()
	for _, k := range credentialHeaders {
		h.Del(k)
	}
	q := r.URL.Query()
	q.Del("key")
	if len(body) > maxRecordedBody {
		body = body[:maxRecordedBody]
	}
	return &Record{
		Provider:   provider,
		Path:       r.URL.Path,
		Query:      encodeQuery(q),
		Credential: credential,
		Header:     h,
		Body:       body,
	}
}

func encodeQuery(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	return q.Encode()
}

// recordLog keeps the most recent records within a count and a byte budget.
// Records are updated in place (model, status, fault) while their request
// runs, always under mu.
type recordLog struct {
	mu         sync.Mutex
	entries    []*Record
	bytes      int
	maxEntries int
	maxBytes   int
}

func newRecordLog(maxEntries, maxBytes int) *recordLog {
	return &recordLog{maxEntries: maxEntries, maxBytes: maxBytes}
}

func (l *recordLog) add(rec *Record) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, rec)
	l.bytes += len(rec.Body)
	for len(l.entries) > l.maxEntries || (l.bytes > l.maxBytes && len(l.entries) > 1) {
		l.bytes -= len(l.entries[0].Body)
		l.entries[0] = nil
		l.entries = l.entries[1:]
	}
}

// update applies fn to rec under the log's lock.
func (l *recordLog) update(rec *Record, fn func(*Record)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fn(rec)
}

func (l *recordLog) snapshot() []Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Record, len(l.entries))
	for i, rec := range l.entries {
		out[i] = *rec
		out[i].Header = rec.Header.Clone()
		out[i].Body = bytes.Clone(rec.Body)
	}
	return out
}

func (l *recordLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.entries)
	l.entries = nil
	l.bytes = 0
}
