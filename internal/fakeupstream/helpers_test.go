package fakeupstream

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// newTestServer serves a fake over real loopback HTTP.
func newTestServer(t *testing.T, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	fake := New(opts)
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	t.Cleanup(fake.Close) // runs first: releases hanging requests
	return fake, ts
}

// call is a provider request for do.
type call struct {
	method string // POST when empty
	path   string
	header map[string]string
	body   string
}

var (
	openAIAuth    = map[string]string{"Authorization": "Bearer sk-test"}
	anthropicAuth = map[string]string{"x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01"}
	geminiAuth    = map[string]string{"x-goog-api-key": "AIza-test"}
)

func do(t *testing.T, ts *httptest.Server, c call) *http.Response {
	t.Helper()
	resp, err := send(ts, c)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.path, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func send(ts *httptest.Server, c call) (*http.Response, error) {
	method := c.method
	if method == "" {
		method = http.MethodPost
	}
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequest(method, ts.URL+c.path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	return ts.Client().Do(req)
}

// readJSON decodes a whole response body into a generic value.
func readJSON(t *testing.T, resp *http.Response) map[string]any {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, b)
	}
	return v
}

// sseMsg is one decoded SSE event.
type sseMsg struct {
	event string
	data  string
}

func (m sseMsg) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(m.data), &v); err != nil {
		t.Fatalf("event %q data is not JSON: %v\n%s", m.event, err, m.data)
	}
	return v
}

// sseReader decodes an SSE stream event by event, counting comments.
type sseReader struct {
	r        *bufio.Reader
	comments int
}

func newSSEReader(r io.Reader) *sseReader {
	return &sseReader{r: bufio.NewReader(r)}
}

// next returns the next event; at the end it returns the reader's error
// (io.EOF for a clean end, io.ErrUnexpectedEOF for a cut).
func (s *sseReader) next() (sseMsg, error) {
	var m sseMsg
	var data []string
	have := false
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			if err == io.EOF && line != "" {
				err = io.ErrUnexpectedEOF // a partial line at EOF
			}
			return m, err
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "":
			if have {
				m.data = strings.Join(data, "\n")
				return m, nil
			}
		case strings.HasPrefix(line, ":"):
			s.comments++
		case strings.HasPrefix(line, "event:"):
			m.event = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
			have = true
		case strings.HasPrefix(line, "data:"):
			data = append(data, strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
			have = true
		}
	}
}

// all reads every event up to the end of the stream.
func (s *sseReader) all() ([]sseMsg, error) {
	var out []sseMsg
	for {
		m, err := s.next()
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return out, err
		}
		out = append(out, m)
	}
}

// readSSE reads a whole stream and fails the test on a transport error.
func readSSE(t *testing.T, resp *http.Response) []sseMsg {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type = %q, want text/event-stream", ct)
	}
	msgs, err := newSSEReader(resp.Body).all()
	if err != nil {
		t.Fatalf("reading stream: %v", err)
	}
	return msgs
}

// get reads a nested value: get(v, "choices", 0, "message", "content").
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func str(v any, path ...any) string {
	s, _ := get(v, path...).(string)
	return s
}

func compact(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	return b.String()
}

const weatherTool = `{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"},"metric":{"type":"boolean"},"note":{"type":"string"}},"required":["city","days","metric"]}`

const wantWeatherArgs = `{"city":"test","days":1,"metric":true}`
