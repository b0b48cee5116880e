package fakeupstream

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

var providers = []string{ProviderOpenAI, ProviderAnthropic, ProviderGemini}

// generation is a normal generation request to provider.
func generation(provider string, stream bool) call {
	switch provider {
	case ProviderAnthropic:
		extra := ""
		if stream {
			extra = `"stream":true`
		}
		return call{path: "/v1/messages", header: anthropicAuth, body: claudeBody(extra, claudeHello)}
	case ProviderGemini:
		path := "/v1beta/models/gemini-2.5-pro:generateContent"
		if stream {
			path = "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
		}
		return call{path: path, header: geminiAuth, body: `{` + geminiHello + `}`}
	}
	extra := ""
	if stream {
		extra = `"stream":true`
	}
	return call{path: "/v1/chat/completions", header: openAIAuth, body: chatBody(extra, chatHello)}
}

// isTerminal reports whether m is the provider's end-of-answer marker.
func isTerminal(provider string, m sseMsg) bool {
	switch provider {
	case ProviderAnthropic:
		return m.event == "message_stop"
	case ProviderGemini:
		return strings.Contains(m.data, `"finishReason"`)
	}
	return m.data == "[DONE]"
}

// content drops keep-alive events.
func content(msgs []sseMsg) []sseMsg {
	var out []sseMsg
	for _, m := range msgs {
		if m.event != "ping" {
			out = append(out, m)
		}
	}
	return out
}

func TestStatusFaults(t *testing.T) {
	cases := []struct {
		name       string
		provider   string
		fault      Fault
		wantStatus int
		wantHeader map[string]string // "" value: header must be absent
		check      func(t *testing.T, v map[string]any)
	}{
		{
			name: "openai rate limit", provider: ProviderOpenAI,
			fault:      Fault{Kind: KindStatus, Status: 429, Reason: ReasonRateLimit, RetryAfter: "1.2s"},
			wantStatus: 429, wantHeader: map[string]string{"Retry-After": "2"},
			check: func(t *testing.T, v map[string]any) {
				if str(v, "error", "code") != "rate_limit_exceeded" || !strings.Contains(str(v, "error", "message"), "Please try again in 1.2s") {
					t.Errorf("body = %v", v)
				}
			},
		},
		{
			name: "openai insufficient quota", provider: ProviderOpenAI,
			fault:      Fault{Kind: KindStatus, Reason: ReasonQuotaExhausted},
			wantStatus: 429, wantHeader: map[string]string{"Retry-After": ""},
			check: func(t *testing.T, v map[string]any) {
				if str(v, "error", "type") != "insufficient_quota" || str(v, "error", "code") != "insufficient_quota" {
					t.Errorf("body = %v", v)
				}
			},
		},
		{
			name: "openai context length", provider: ProviderOpenAI,
			fault:      Fault{Kind: KindStatus, Reason: ReasonContextLength},
			wantStatus: 400,
			check: func(t *testing.T, v map[string]any) {
				if str(v, "error", "code") != "context_length_exceeded" {
					t.Errorf("body = %v", v)
				}
			},
		},
		{
			name: "anthropic rate limit with headers", provider: ProviderAnthropic,
			fault: Fault{Kind: KindStatus, Status: 429, RetryAfter: "30s",
				Headers: map[string]string{"anthropic-ratelimit-unified-status": "rejected", "x-should-retry": "false"}},
			wantStatus: 429,
			wantHeader: map[string]string{"Retry-After": "30", "anthropic-ratelimit-unified-status": "rejected", "x-should-retry": "false"},
			check: func(t *testing.T, v map[string]any) {
				if str(v, "type") != "error" || str(v, "error", "type") != "rate_limit_error" || !strings.HasPrefix(str(v, "request_id"), "req_") {
					t.Errorf("body = %v", v)
				}
			},
		},
		{
			name: "anthropic overloaded", provider: ProviderAnthropic,
			fault:      Fault{Kind: KindStatus, Reason: ReasonCapacity},
			wantStatus: 529,
			check: func(t *testing.T, v map[string]any) {
				if str(v, "error", "type") != "overloaded_error" || str(v, "error", "message") != "Overloaded" {
					t.Errorf("body = %v", v)
				}
			},
		},
		{
			name: "anthropic signature", provider: ProviderAnthropic,
			fault:      Fault{Kind: KindStatus, Reason: ReasonSignature},
			wantStatus: 400,
			check: func(t *testing.T, v map[string]any) {
				if str(v, "error", "message") != "messages.1.content.0: Invalid `signature` in `thinking` block" {
					t.Errorf("body = %v", v)
				}
			},
		},
		{
			name: "anthropic 500", provider: ProviderAnthropic,
			fault:      Fault{Kind: KindStatus, Status: 500},
			wantStatus: 500,
			check: func(t *testing.T, v map[string]any) {
				if str(v, "error", "type") != "api_error" {
					t.Errorf("body = %v", v)
				}
			},
		},
		{
			name: "gemini quota exhausted", provider: ProviderGemini,
			fault:      Fault{Kind: KindStatus, Status: 429, Reason: ReasonQuotaExhausted, RetryAfter: "1h16m0.667s"},
			wantStatus: 429, wantHeader: map[string]string{"Retry-After": ""},
			check: func(t *testing.T, v map[string]any) {
				if str(v, "error", "status") != "RESOURCE_EXHAUSTED" || get(v, "error", "code") != float64(429) {
					t.Errorf("error = %v", get(v, "error"))
				}
				info, retry := googleDetail(v, "ErrorInfo"), googleDetail(v, "RetryInfo")
				if str(info, "reason") != "QUOTA_EXHAUSTED" || str(info, "metadata", "quotaResetDelay") != "1h16m0.667s" {
					t.Errorf("ErrorInfo = %v", info)
				}
				if str(retry, "retryDelay") != "4560.667s" {
					t.Errorf("RetryInfo = %v, want retryDelay 4560.667s", retry)
				}
			},
		},
		{
			name: "gemini rate limit", provider: ProviderGemini,
			fault:      Fault{Kind: KindStatus, Reason: ReasonRateLimit, RetryAfter: "37s"},
			wantStatus: 429,
			check: func(t *testing.T, v map[string]any) {
				if str(googleDetail(v, "ErrorInfo"), "reason") != "RATE_LIMIT_EXCEEDED" || str(googleDetail(v, "RetryInfo"), "retryDelay") != "37s" {
					t.Errorf("details = %v", get(v, "error", "details"))
				}
			},
		},
		{
			name: "gemini capacity", provider: ProviderGemini,
			fault:      Fault{Kind: KindStatus, Reason: ReasonCapacity},
			wantStatus: 503,
			check: func(t *testing.T, v map[string]any) {
				if str(v, "error", "status") != "UNAVAILABLE" || str(googleDetail(v, "ErrorInfo"), "reason") != "MODEL_CAPACITY_EXHAUSTED" {
					t.Errorf("body = %v", v)
				}
			},
		},
		{
			name: "body override", provider: ProviderGemini,
			fault:      Fault{Kind: KindStatus, Status: 502, Body: `{"custom":true}`},
			wantStatus: 502,
			check: func(t *testing.T, v map[string]any) {
				if v["custom"] != true || len(v) != 1 {
					t.Errorf("body = %v", v)
				}
			},
		},
	}
	for _, tc := range cases {
		for _, stream := range []bool{false, true} {
			t.Run(tc.name+map[bool]string{false: "/json", true: "/stream"}[stream], func(t *testing.T) {
				fake, ts := newTestServer(t, Options{})
				fake.AddFault(tc.fault)
				resp := do(t, ts, generation(tc.provider, stream))
				if resp.StatusCode != tc.wantStatus {
					t.Fatalf("status = %d, want %d", resp.StatusCode, tc.wantStatus)
				}
				if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q, want application/json", ct)
				}
				for k, want := range tc.wantHeader {
					if got := resp.Header.Get(k); got != want {
						t.Errorf("header %s = %q, want %q", k, got, want)
					}
				}
				tc.check(t, readJSON(t, resp))
				if recs := fake.Requests(); len(recs) != 1 || recs[0].Fault != KindStatus || recs[0].Status != tc.wantStatus {
					t.Errorf("records = %+v, want one with fault status", recs)
				}
			})
		}
	}
}

// googleDetail returns the details entry of a Google error with @type …/kind.
func googleDetail(v map[string]any, kind string) any {
	details, _ := get(v, "error", "details").([]any)
	for _, d := range details {
		if str(d, "@type") == googleType+kind {
			return d
		}
	}
	return nil
}

func TestStreamFaults(t *testing.T) {
	cases := []struct {
		fault Fault
		check func(t *testing.T, provider string, resp *http.Response, start time.Time)
	}{
		{
			fault: Fault{Kind: KindEmptyStream},
			check: func(t *testing.T, provider string, resp *http.Response, _ time.Time) {
				if msgs := readSSE(t, resp); len(msgs) != 0 {
					t.Errorf("got %d events, want none", len(msgs))
				}
			},
		},
		{
			fault: Fault{Kind: KindCutAfter, AfterEvents: 2},
			check: func(t *testing.T, provider string, resp *http.Response, _ time.Time) {
				msgs, err := newSSEReader(resp.Body).all()
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("read error = %v, want unexpected EOF", err)
				}
				if got := content(msgs); len(got) != 2 {
					t.Errorf("got %d events before the cut, want 2: %v", len(got), got)
				}
			},
		},
		{
			fault: Fault{Kind: KindCutAfter, AfterEvents: 1000},
			check: func(t *testing.T, provider string, resp *http.Response, _ time.Time) {
				msgs, err := newSSEReader(resp.Body).all()
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("read error = %v, want unexpected EOF", err)
				}
				for _, m := range msgs {
					if isTerminal(provider, m) {
						t.Errorf("terminal event %v sent before the cut", m)
					}
				}
			},
		},
		{
			fault: Fault{Kind: KindStall, AfterEvents: 1, Delay: Duration(300 * time.Millisecond)},
			check: func(t *testing.T, provider string, resp *http.Response, _ time.Time) {
				r := newSSEReader(resp.Body)
				if _, err := r.next(); err != nil {
					t.Fatalf("first event: %v", err)
				}
				stalled := time.Now()
				m, err := r.next()
				for err == nil && m.event == "ping" {
					m, err = r.next()
				}
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("after the stall: event %v, error %v; want unexpected EOF", m, err)
				}
				if d := time.Since(stalled); d < 200*time.Millisecond {
					t.Errorf("stream ended %v after the first event, want a stall of about 300ms", d)
				}
			},
		},
		{
			fault: Fault{Kind: KindMalformedSSE},
			check: func(t *testing.T, provider string, resp *http.Response, _ time.Time) {
				broken := 0
				for _, m := range readSSE(t, resp) {
					if m.data != "[DONE]" && !json.Valid([]byte(m.data)) {
						broken++
					}
				}
				if broken != 1 {
					t.Errorf("%d broken data lines, want 1", broken)
				}
			},
		},
		{
			fault: Fault{Kind: KindNoTerminal},
			check: func(t *testing.T, provider string, resp *http.Response, _ time.Time) {
				msgs := readSSE(t, resp)
				if len(content(msgs)) < 3 {
					t.Errorf("only %d events", len(msgs))
				}
				for _, m := range msgs {
					if isTerminal(provider, m) {
						t.Errorf("terminal event %v sent", m)
					}
				}
			},
		},
		{
			fault: Fault{Kind: KindHeartbeatOnly, Delay: Duration(200 * time.Millisecond)},
			check: func(t *testing.T, provider string, resp *http.Response, start time.Time) {
				r := newSSEReader(resp.Body)
				msgs, err := r.all()
				if err != nil {
					t.Fatalf("read: %v", err)
				}
				if got := content(msgs); len(got) != 0 {
					t.Errorf("got content events %v, want keep-alives only", got)
				}
				if len(msgs)+r.comments == 0 {
					t.Error("no keep-alive at all")
				}
				if d := time.Since(start); d < 150*time.Millisecond {
					t.Errorf("stream lasted %v, want about 200ms", d)
				}
			},
		},
		{
			fault: Fault{Kind: KindSlowFirstByte, Delay: Duration(200 * time.Millisecond)},
			check: func(t *testing.T, provider string, resp *http.Response, start time.Time) {
				if d := time.Since(start); d < 200*time.Millisecond {
					t.Errorf("headers after %v, want >= 200ms", d)
				}
				if msgs := readSSE(t, resp); !isTerminal(provider, msgs[len(msgs)-1]) {
					t.Errorf("stream does not end normally: %v", msgs[len(msgs)-1])
				}
			},
		},
	}
	for _, tc := range cases {
		for _, provider := range providers {
			name := tc.fault.Kind
			if tc.fault.AfterEvents > 0 {
				name += "_" + strconv.Itoa(tc.fault.AfterEvents)
			}
			t.Run(name+"/"+provider, func(t *testing.T) {
				t.Parallel()
				fake, ts := newTestServer(t, Options{})
				fake.AddFault(tc.fault)
				start := time.Now()
				resp := do(t, ts, generation(provider, true))
				if resp.StatusCode != 200 {
					t.Fatalf("status = %d, want 200", resp.StatusCode)
				}
				tc.check(t, provider, resp, start)
			})
		}
	}
}

func TestConnectionFaults(t *testing.T) {
	for _, provider := range providers {
		for _, stream := range []bool{false, true} {
			name := provider + map[bool]string{false: "/json", true: "/stream"}[stream]
			t.Run("reset/"+name, func(t *testing.T) {
				t.Parallel()
				fake, ts := newTestServer(t, Options{})
				fake.AddFault(Fault{Kind: KindReset})
				if resp, err := send(ts, generation(provider, stream)); err == nil {
					resp.Body.Close()
					t.Fatalf("got status %d, want a transport error", resp.StatusCode)
				}
				if recs := fake.Requests(); len(recs) != 1 || recs[0].Fault != KindReset || recs[0].Status != 0 {
					t.Errorf("records = %+v", recs)
				}
			})
			t.Run("hang/"+name, func(t *testing.T) {
				t.Parallel()
				fake, ts := newTestServer(t, Options{})
				fake.AddFault(Fault{Kind: KindHang})
				c := generation(provider, stream)
				ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
				defer cancel()
				req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+c.path, strings.NewReader(c.body))
				for k, v := range c.header {
					req.Header.Set(k, v)
				}
				start := time.Now()
				resp, err := ts.Client().Do(req)
				if err == nil {
					resp.Body.Close()
					t.Fatalf("got status %d, want the client's timeout", resp.StatusCode)
				}
				if d := time.Since(start); d < 150*time.Millisecond {
					t.Errorf("gave up after %v, want the 200ms client timeout", d)
				}
			})
			t.Run("garbage/"+name, func(t *testing.T) {
				t.Parallel()
				fake, ts := newTestServer(t, Options{})
				fake.AddFault(Fault{Kind: KindGarbage})
				resp := do(t, ts, generation(provider, stream))
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || json.Valid(b) {
					t.Errorf("got %d %q %q, want 200 application/json with a non-JSON body", resp.StatusCode, resp.Header.Get("Content-Type"), b)
				}
			})
		}
	}
}

// TestJSONEquivalents checks what the stream-only kinds do to a
// non-streaming request.
func TestJSONEquivalents(t *testing.T) {
	cases := []struct {
		fault Fault
		check func(t *testing.T, provider string, body []byte, err error)
	}{
		{Fault{Kind: KindStall, Delay: Duration(100 * time.Millisecond)}, func(t *testing.T, _ string, body []byte, err error) {
			if !errors.Is(err, io.ErrUnexpectedEOF) || len(body) == 0 {
				t.Errorf("read %d bytes, error %v; want a partial body and unexpected EOF", len(body), err)
			}
		}},
		{Fault{Kind: KindEmptyStream}, func(t *testing.T, _ string, body []byte, err error) {
			if err != nil || len(body) != 0 {
				t.Errorf("body %q, error %v; want empty", body, err)
			}
		}},
		{Fault{Kind: KindCutAfter}, func(t *testing.T, _ string, body []byte, err error) {
			if !errors.Is(err, io.ErrUnexpectedEOF) || len(body) == 0 {
				t.Errorf("read %d bytes, error %v; want a partial body and unexpected EOF", len(body), err)
			}
		}},
		{Fault{Kind: KindMalformedSSE}, func(t *testing.T, _ string, body []byte, err error) {
			if err != nil || json.Valid(body) {
				t.Errorf("body %q, error %v; want invalid JSON", body, err)
			}
		}},
		{Fault{Kind: KindNoTerminal}, func(t *testing.T, provider string, body []byte, err error) {
			var v map[string]any
			if err != nil || json.Unmarshal(body, &v) != nil {
				t.Fatalf("body %q, error %v; want JSON", body, err)
			}
			var finish any
			switch provider {
			case ProviderOpenAI:
				finish = get(v, "choices", 0, "finish_reason")
			case ProviderAnthropic:
				finish = get(v, "stop_reason")
			case ProviderGemini:
				finish = get(v, "candidates", 0, "finishReason")
			}
			if finish != nil {
				t.Errorf("finish reason = %v, want none", finish)
			}
		}},
	}
	for _, tc := range cases {
		for _, provider := range providers {
			t.Run(tc.fault.Kind+"/"+provider, func(t *testing.T) {
				t.Parallel()
				fake, ts := newTestServer(t, Options{})
				fake.AddFault(tc.fault)
				resp := do(t, ts, generation(provider, false))
				if resp.StatusCode != 200 {
					t.Fatalf("status = %d, want 200", resp.StatusCode)
				}
				body, err := io.ReadAll(resp.Body)
				tc.check(t, provider, body, err)
			})
		}
	}
}

func TestFaultMatching(t *testing.T) {
	fake, ts := newTestServer(t, Options{})
	fake.AddFault(Fault{Provider: ProviderOpenAI, Credential: "sk-a", Kind: KindStatus, Status: 503, Times: 1})
	fake.AddFault(Fault{Model: "claude-opus-4-1", Kind: KindStatus, Status: 429})
	fake.AddFault(Fault{Provider: ProviderGemini, Kind: KindStatus, Status: 500, Times: 2})

	withKey := func(c call, key string) call {
		c.header = map[string]string{"Authorization": "Bearer " + key}
		return c
	}
	opus := generation(ProviderAnthropic, false)
	opus.body = strings.Replace(opus.body, "claude-sonnet-4-5", "claude-opus-4-1", 1)
	steps := []struct {
		name string
		c    call
		want int
	}{
		{"other credential", withKey(generation(ProviderOpenAI, false), "sk-b"), 200},
		{"matching credential", withKey(generation(ProviderOpenAI, false), "sk-a"), 503},
		{"times used up", withKey(generation(ProviderOpenAI, false), "sk-a"), 200},
		{"other model", generation(ProviderAnthropic, false), 200},
		{"matching model", opus, 429},
		{"matching model again", opus, 429},
		{"gemini 1", generation(ProviderGemini, false), 500},
		{"gemini 2", generation(ProviderGemini, true), 500},
		{"gemini 3", generation(ProviderGemini, false), 200},
	}
	for _, s := range steps {
		resp := do(t, ts, s.c)
		if resp.StatusCode != s.want {
			t.Errorf("%s: status = %d, want %d", s.name, resp.StatusCode, s.want)
		}
		io.Copy(io.Discard, resp.Body)
	}
	fake.ClearFaults()
	if resp := do(t, ts, opus); resp.StatusCode != 200 {
		t.Errorf("after ClearFaults: status = %d, want 200", resp.StatusCode)
	}
}

func TestLatency(t *testing.T) {
	_, ts := newTestServer(t, Options{Latency: 150 * time.Millisecond})
	fake, ts2 := newTestServer(t, Options{})
	fake.AddFault(Fault{Kind: KindLatency, Delay: Duration(150 * time.Millisecond)})
	for name, ts := range map[string]*httptest.Server{"options": ts, "fault": ts2} {
		start := time.Now()
		resp := do(t, ts, generation(ProviderOpenAI, false))
		if d := time.Since(start); d < 150*time.Millisecond || resp.StatusCode != 200 {
			t.Errorf("%s: status %d after %v, want 200 after >= 150ms", name, resp.StatusCode, d)
		}
	}
}

func TestAddFaultPanicsOnInvalid(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("AddFault with an unknown kind did not panic")
		}
	}()
	New(Options{}).AddFault(Fault{Kind: "explode"})
}
