package fakeupstream

import (
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRecords(t *testing.T) {
	fake, ts := newTestServer(t, Options{})
	cases := []struct {
		name string
		c    call
		want Record
	}{
		{
			name: "anthropic x-api-key with beta",
			c: call{path: "/v1/messages?beta=true", body: claudeBody(`"stream":true`, claudeHello), header: map[string]string{
				"x-api-key": "sk-ant-1", "anthropic-version": "2023-06-01", "anthropic-beta": "interleaved-thinking-2025-05-14,oauth-2025-04-20",
				"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "x-request-id": "client-1",
			}},
			want: Record{Provider: ProviderAnthropic, Path: "/v1/messages", Query: "beta=true", Credential: "sk-ant-1", Model: "claude-sonnet-4-5", Stream: true, Status: 200},
		},
		{
			name: "anthropic bearer",
			c: call{path: "/v1/messages", body: claudeBody("", claudeHello), header: map[string]string{
				"Authorization": "Bearer sk-ant-oat01-2", "anthropic-version": "2023-06-01",
			}},
			want: Record{Provider: ProviderAnthropic, Path: "/v1/messages", Credential: "sk-ant-oat01-2", Model: "claude-sonnet-4-5", Status: 200},
		},
		{
			name: "gemini query key",
			c:    call{path: "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key=AIza-3", body: `{` + geminiHello + `}`},
			want: Record{Provider: ProviderGemini, Path: "/v1beta/models/gemini-2.5-flash:streamGenerateContent", Query: "alt=sse", Credential: "AIza-3",
				Model: "gemini-2.5-flash", Stream: true, Status: 200},
		},
		{
			name: "openai bearer",
			c:    call{path: "/v1/chat/completions", body: chatBody("", chatHello), header: map[string]string{"Authorization": "Bearer sk-4"}},
			want: Record{Provider: ProviderOpenAI, Path: "/v1/chat/completions", Credential: "sk-4", Model: "gpt-4o", Status: 200},
		},
		{
			name: "revoked key",
			c:    call{path: "/v1/chat/completions", body: chatBody("", chatHello), header: map[string]string{"Authorization": "Bearer bad-5"}},
			want: Record{Provider: ProviderOpenAI, Path: "/v1/chat/completions", Credential: "bad-5", Status: 401},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake.ResetRequests()
			resp := do(t, ts, tc.c)
			readAll(t, resp)
			recs := fake.Requests()
			if len(recs) != 1 {
				t.Fatalf("got %d records, want 1", len(recs))
			}
			got := recs[0]
			if string(got.Body) != tc.c.body {
				t.Errorf("body = %q, want the request body", got.Body)
			}
			for _, h := range credentialHeaders {
				if got.Header.Get(h) != "" {
					t.Errorf("header %s was recorded", h)
				}
			}
			for k, v := range tc.c.header {
				if !isCredentialHeader(k) && got.Header.Get(k) != v {
					t.Errorf("header %s = %q, want %q", k, got.Header.Get(k), v)
				}
			}
			got.Body, got.Header = nil, nil
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("record = %+v\nwant     %+v", got, tc.want)
			}
		})
	}
}

func isCredentialHeader(k string) bool {
	for _, h := range credentialHeaders {
		if http.CanonicalHeaderKey(k) == h {
			return true
		}
	}
	return false
}

func readAll(t *testing.T, resp *http.Response) {
	t.Helper()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Fatalf("read body: %v", err)
	}
}

func TestRecordLimits(t *testing.T) {
	fake, ts := newTestServer(t, Options{})
	fake.log.maxEntries = 3
	big := chatBody("", `[{"role":"user","content":"`+strings.Repeat("a", maxRecordedBody)+`"}]`)
	do(t, ts, call{path: "/v1/chat/completions", header: openAIAuth, body: big})
	if recs := fake.Requests(); len(recs) != 1 || len(recs[0].Body) != maxRecordedBody {
		t.Fatalf("big body recorded as %d bytes, want %d", len(recs[0].Body), maxRecordedBody)
	}
	for i := range 5 {
		c := generation(ProviderOpenAI, false)
		c.header = map[string]string{"Authorization": "Bearer key-" + strconv.Itoa(i)}
		do(t, ts, c)
	}
	recs := fake.Requests()
	if len(recs) != 3 || recs[0].Credential != "key-2" || recs[2].Credential != "key-4" {
		t.Errorf("kept %d records starting with %q, want the newest 3 (key-2..key-4)", len(recs), recs[0].Credential)
	}
	recs[0].Body[0] = 'X' // a copy: must not change the log
	if fake.Requests()[0].Body[0] == 'X' {
		t.Error("Requests returned the log's own body slice")
	}
}

func TestAuthErrors(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	cases := []struct {
		name       string
		c          call
		wantStatus int
		wantPath   []any
		wantValue  string
	}{
		{"openai missing", call{path: "/v1/chat/completions", body: chatBody("", chatHello)}, 401, []any{"error", "type"}, "invalid_request_error"},
		{"openai revoked", call{path: "/v1/chat/completions", body: chatBody("", chatHello), header: map[string]string{"Authorization": "Bearer bad-key-123"}},
			401, []any{"error", "code"}, "invalid_api_key"},
		{"openai malformed", call{path: "/v1/chat/completions", body: `{"model"`, header: openAIAuth}, 400, []any{"error", "type"}, "invalid_request_error"},
		{"anthropic missing", call{path: "/v1/messages", body: claudeBody("", claudeHello), header: map[string]string{"anthropic-version": "2023-06-01"}},
			401, []any{"error", "type"}, "authentication_error"},
		{"anthropic revoked", call{path: "/v1/messages", body: claudeBody("", claudeHello), header: map[string]string{"x-api-key": "bad-1", "anthropic-version": "2023-06-01"}},
			401, []any{"error", "type"}, "authentication_error"},
		{"gemini missing", call{path: "/v1beta/models/gemini-2.5-pro:generateContent", body: `{` + geminiHello + `}`}, 401, []any{"error", "status"}, "UNAUTHENTICATED"},
		{"gemini revoked key", call{path: "/v1beta/models/gemini-2.5-pro:generateContent?key=bad-AIza", body: `{` + geminiHello + `}`},
			400, []any{"error", "details", 0, "reason"}, "API_KEY_INVALID"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := do(t, ts, tc.c)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if v := readJSON(t, resp); str(v, tc.wantPath...) != tc.wantValue {
				t.Errorf("%v = %q, want %q (body %v)", tc.wantPath, str(v, tc.wantPath...), tc.wantValue, v)
			}
		})
	}
}

func TestRateLimitHeaders(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	cases := []struct {
		provider  string
		remaining string
		reset     string
	}{
		{ProviderOpenAI, "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests"},
		{ProviderAnthropic, "anthropic-ratelimit-requests-remaining", "anthropic-ratelimit-requests-reset"},
	}
	for _, tc := range cases {
		t.Run(tc.provider, func(t *testing.T) {
			remaining := func(key string) int {
				c := generation(tc.provider, false)
				h := map[string]string{}
				for k, v := range c.header {
					h[k] = v
				}
				if tc.provider == ProviderOpenAI {
					h["Authorization"] = "Bearer " + key
				} else {
					h["x-api-key"] = key
				}
				c.header = h
				resp := do(t, ts, c)
				if resp.Header.Get(tc.reset) == "" {
					t.Errorf("no %s header", tc.reset)
				}
				n, err := strconv.Atoi(resp.Header.Get(tc.remaining))
				if err != nil {
					t.Fatalf("%s = %q", tc.remaining, resp.Header.Get(tc.remaining))
				}
				return n
			}
			a1, a2, b1 := remaining("key-a"), remaining("key-a"), remaining("key-b")
			if a2 != a1-1 || b1 != a1 {
				t.Errorf("remaining: key-a %d then %d, key-b %d; want a decrease per credential", a1, a2, b1)
			}
		})
	}
}

// TestHeartbeats checks the keep-alives sent in ChunkDelay gaps of 1s or more.
func TestHeartbeats(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about a second")
	}
	fake := New(Options{ChunkDelay: time.Second})
	cases := []struct {
		name string
		st   *stream
		want string
	}{
		{"anthropic", &stream{framing: framingNamed, heartbeat: []byte("event: ping\ndata: {\"type\": \"ping\"}\n\n")}, "event: ping\n"},
		{"openai", &stream{framing: framingData, heartbeat: []byte(": keep-alive\n\n")}, ": keep-alive\n"},
		{"gemini", &stream{framing: framingGoogle}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.st.add("a", map[string]int{"n": 1})
			tc.st.add("b", map[string]int{"n": 2})
			rec := httptest.NewRecorder()
			r := httptest.NewRequest("POST", "/", nil)
			ex := &exchange{s: fake, w: rec, r: r, rc: http.NewResponseController(rec), rec: &Record{}}
			ex.sendStream(tc.st)
			out := rec.Body.String()
			first, second := strings.Index(out, `"n":1`), strings.Index(out, `"n":2`)
			if first < 0 || second < 0 {
				t.Fatalf("events missing from %q", out)
			}
			between := out[first:second]
			if tc.want == "" {
				if want := "\"n\":1}\r\n\r\ndata: {"; between != want {
					t.Errorf("between the events: %q, want %q (no heartbeat)", between, want)
				}
				return
			}
			if !strings.Contains(between, tc.want) {
				t.Errorf("no %q between the events: %q", tc.want, between)
			}
		})
	}
}
