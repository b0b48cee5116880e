package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
	"github.com/switchyard-gw/switchyard/internal/monitor"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
	"github.com/switchyard-gw/switchyard/internal/telemetry/telemetrytest"
)

const (
	obsOpenAI    = `{"model":"gpt-4o","messages":[{"role":"user","content":"hello observability"}]}`
	obsAnthropic = `{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hello observability"}]}`
)

var (
	obsOAIHdr  = map[string]string{"Authorization": "Bearer " + clientKey}
	obsAnthHdr = map[string]string{"x-api-key": clientKey, "anthropic-version": "2023-06-01"}
)

func spanAttr(s sdktrace.ReadOnlySpan, key string) string {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.String()
		}
	}
	return ""
}

// The acceptance picture: one trace per request, the server span on top and
// one CLIENT span per upstream attempt below it, carrying the accounts, the
// mapped model and why the first attempt was retried.
func TestTraceOfRotatedRequest(t *testing.T) {
	// On a real Redis, so that the store's spans show up in the trace (the
	// embedded store schedules in process, without Redis commands).
	h, rec := newTracedHarness(t, harnessOpts{redisURL: storetest.URL(storetest.StartRedis(t))})
	h.fake.AddFault(fakeupstream.Fault{Provider: "openai", Times: 1, Kind: "status", Status: 500})
	const clientTrace = "0af7651916cd43dd8448eb211c80319c"
	hdr := map[string]string{"Authorization": "Bearer " + clientKey, "X-Request-Id": "req-trace-1",
		"traceparent": "00-" + clientTrace + "-b7ad6b7169203331-01"}
	resp, body := h.do("POST", "/v1/chat/completions", obsOpenAI, hdr)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}

	var server sdktrace.ReadOnlySpan
	var attempts, httpSpans, redisSpans []sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		switch {
		case s.SpanKind() == trace.SpanKindServer:
			if server != nil {
				t.Fatalf("two server spans: %q, %q", server.Name(), s.Name())
			}
			server = s
		case strings.HasPrefix(s.Name(), "chat "):
			attempts = append(attempts, s)
		case strings.HasPrefix(s.Name(), "HTTP "):
			httpSpans = append(httpSpans, s)
		default:
			redisSpans = append(redisSpans, s)
		}
	}
	if server == nil || server.Name() != "POST /v1/chat/completions" {
		t.Fatalf("server span missing or misnamed: %v", server)
	}
	if got := spanAttr(server, "switchyard.request.id"); got != "req-trace-1" {
		t.Errorf("server span request id %q", got)
	}
	if got := server.SpanContext().TraceID().String(); got != clientTrace {
		t.Errorf("trace %s; want the client's traceparent %s continued", got, clientTrace)
	}
	if len(attempts) != 2 {
		t.Fatalf("%d attempt spans; want 2", len(attempts))
	}
	emails := map[string]bool{}
	for i, a := range attempts {
		if a.Parent().SpanID() != server.SpanContext().SpanID() || a.SpanContext().TraceID() != server.SpanContext().TraceID() {
			t.Errorf("attempt %d is not a child of the server span", i)
		}
		if a.Name() != "chat gpt-4o-2024-08-06" || spanAttr(a, "gen_ai.request.model") != "gpt-4o-2024-08-06" ||
			spanAttr(a, "switchyard.model.mapped") != "gpt-4o-2024-08-06" || spanAttr(a, "switchyard.model.requested") != "gpt-4o" ||
			spanAttr(a, "gen_ai.provider.name") != "openai" || spanAttr(a, "switchyard.attempt") != fmt.Sprint(i) {
			t.Errorf("attempt %d: %q %v", i, a.Name(), a.Attributes())
		}
		emails[spanAttr(a, "switchyard.account.email")] = true
	}
	if !emails["oa-1@example.com"] || !emails["oa-2@example.com"] {
		t.Errorf("attempt emails %v; want both openai accounts", emails)
	}
	if r := spanAttr(attempts[0], "switchyard.retry.reason"); r != "server_error" || spanAttr(attempts[0], "error.type") != "server_error" {
		t.Errorf("first attempt retry reason %q", r)
	}
	if spanAttr(attempts[1], "gen_ai.usage.input_tokens") == "" || spanAttr(attempts[1], "switchyard.retry.reason") != "" {
		t.Errorf("second attempt: %v", attempts[1].Attributes())
	}
	if len(httpSpans) != 2 {
		t.Errorf("%d upstream HTTP spans; want 2", len(httpSpans))
	}
	for _, s := range httpSpans {
		if s.Parent().SpanID() != attempts[0].SpanContext().SpanID() && s.Parent().SpanID() != attempts[1].SpanContext().SpanID() {
			t.Errorf("HTTP span %q is not under an attempt", s.Name())
		}
	}
	for _, r := range h.fake.Requests() {
		if tp := r.Header.Get("Traceparent"); !strings.Contains(tp, clientTrace) {
			t.Errorf("upstream got traceparent %q", tp)
		}
	}
	if len(redisSpans) == 0 {
		t.Error("no Redis spans inside the request's trace")
	}
	for _, s := range redisSpans {
		if s.SpanContext().TraceID().String() != clientTrace {
			t.Errorf("span %q outside the request's trace", s.Name())
		}
		if spanAttr(s, "db.statement") != "" || spanAttr(s, "db.query.text") != "" {
			t.Errorf("Redis span %q carries the statement", s.Name())
		}
	}
	// The request log line carries the trace id; so does the request log.
	if !logLineWith(h.logs.String(), `"msg":"request"`, `"trace_id":"`+clientTrace+`"`) {
		t.Error("the request log line has no trace_id")
	}
	e := waitForRecord(t, h, "req-trace-1")
	if e.TraceID != clientTrace || len(e.Attempts) != 2 {
		t.Errorf("request log record: %+v", e)
	}
}

func logLineWith(logs string, parts ...string) bool {
	for _, l := range strings.Split(logs, "\n") {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(l, p)
		}
		if ok {
			return true
		}
	}
	return false
}

// waitForRecord polls the admin API until the (asynchronously written) record appears.
func waitForRecord(t *testing.T, h *harness, id string) monitor.Entry {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		st, body := h.adminDo("GET", "/admin/requests/"+id, "")
		if st == 200 {
			var e monitor.Entry
			if err := json.Unmarshal([]byte(body), &e); err != nil {
				t.Fatal(err)
			}
			return e
		}
		if st != 404 || time.Now().After(deadline) {
			t.Fatalf("record %s: %d %s", id, st, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Export configured only by the standard variables reaches an OTLP receiver,
// and shutdown flushes it.
func TestOTLPExportFromEnv(t *testing.T) {
	r := telemetrytest.NewHTTPReceiver(t)
	h := newHarness(t, harnessOpts{routes: demoRoutes, env: map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": r.Endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
		"OTEL_SERVICE_NAME": "switchyard-e2e", "OTEL_TRACES_SAMPLER": "always_on",
	}})
	if resp, body := h.do("POST", "/v1/chat/completions", obsOpenAI, obsOAIHdr); resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	h.stop()
	var found bool
	for _, s := range r.Spans() {
		if strings.HasPrefix(s.Name, "chat gpt-4o-") {
			found = true
			if s.Resource["service.name"] != "switchyard-e2e" || s.Attr("switchyard.account.email") == "" {
				t.Errorf("span %q: resource %v", s.Name, s.Resource)
			}
		}
	}
	if !found {
		t.Fatalf("no attempt span exported; got %d spans", len(r.Spans()))
	}
}

func scrapeMetrics(t *testing.T, h *harness) string {
	t.Helper()
	resp, err := http.Get(h.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	return string(b)
}

func metricValue(text, series string) string {
	for _, l := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(l, series+" "); ok {
			return v
		}
	}
	return ""
}

func TestMetricsMove(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: demoRoutes})
	// A rate limit with a long hint rotates and cools the account for its model group.
	h.fake.AddFault(fakeupstream.Fault{Provider: "openai", Times: 1, Kind: "status", Status: 429, RetryAfter: "60s"})
	if resp, body := h.do("POST", "/v1/chat/completions", obsOpenAI, obsOAIHdr); resp.StatusCode != 200 {
		t.Fatalf("openai: %d %s", resp.StatusCode, body)
	}
	if resp, body := h.do("POST", "/v1/messages", obsAnthropic, obsAnthHdr); resp.StatusCode != 200 {
		t.Fatalf("anthropic: %d %s", resp.StatusCode, body)
	}
	h.do("POST", "/v1/chat/completions", obsOpenAI, map[string]string{"Authorization": "Bearer wrong"})
	text := scrapeMetrics(t, h)
	for series, want := range map[string]string{
		`switchyard_requests_total{protocol="openai",route="chat",status="200"}`:        "1",
		`switchyard_requests_total{protocol="anthropic",route="messages",status="200"}`: "1",
		`switchyard_time_to_first_byte_seconds_count{protocol="anthropic"}`:             "1",
		`switchyard_rotations_total{reason="rate_limit"}`:                               "1",
		`switchyard_cooldowns_total{reason="rate_limit"}`:                               "1",
		`switchyard_edge_rejections_total{status="401"}`:                                "1",
		`switchyard_accounts_cooling`:                                                   "1",
		`switchyard_accounts_disabled`:                                                  "0",
		`switchyard_store_degraded`:                                                     "0",
		`switchyard_inflight_requests`:                                                  "0",
		`switchyard_redis_errors_total{op="account_states"}`:                            "0",
		`switchyard_request_log_dropped_total`:                                          "0",
	} {
		if got := metricValue(text, series); got != want {
			t.Errorf("%s = %q; want %s", series, got, want)
		}
	}
	var rotate, success int
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "switchyard_upstream_attempts_total{") {
			switch {
			case strings.Contains(l, `outcome="rotate"`) && strings.Contains(l, `provider="openai"`):
				rotate++
			case strings.Contains(l, `outcome="success"`):
				success++
			}
		}
	}
	if rotate != 1 || success != 2 {
		t.Errorf("attempt series: %d rotate, %d success; want 1 and 2", rotate, success)
	}
	for _, s := range []string{`switchyard_tokens_total{provider="openai",type="input"}`, `switchyard_tokens_total{provider="anthropic",type="output"}`} {
		if v := metricValue(text, s); v == "" || v == "0" {
			t.Errorf("%s = %q; want > 0", s, v)
		}
	}
	if !strings.Contains(text, "go_goroutines ") || !strings.Contains(text, `switchyard_schedule_decisions_total{decision="round_robin"}`) {
		t.Error("runtime or decision metrics missing")
	}
}

// Every replica writes into one stream; any replica reads all of it.
func TestRequestLogAcrossReplicas(t *testing.T) {
	m := miniredis.RunT(t)
	url := "redis://" + m.Addr()
	a := newHarness(t, harnessOpts{routes: demoRoutes, redisURL: url})
	b := newHarness(t, harnessOpts{routes: demoRoutes, redisURL: url, fake: a.fake, fakeURL: a.fakeURL})
	// Enough faults for every attempt the loop may make (it may revisit an account).
	a.fake.AddFault(fakeupstream.Fault{Provider: "anthropic", Times: 3, Kind: "status", Status: 500})

	hdr := map[string]string{"Authorization": "Bearer " + clientKey, "X-Request-Id": "req-from-a"}
	if resp, body := a.do("POST", "/v1/chat/completions", obsOpenAI, hdr); resp.StatusCode != 200 {
		t.Fatalf("a: %d %s", resp.StatusCode, body)
	}
	bad := map[string]string{"x-api-key": clientKey, "anthropic-version": "2023-06-01", "X-Request-Id": "req-failed-b"}
	if resp, _ := b.do("POST", "/v1/messages", strings.Replace(obsAnthropic, `"stream":true`, `"stream":false`, 1), bad); resp.StatusCode < 500 {
		t.Fatalf("b: status %d; want a 5xx after both anthropic accounts failed", resp.StatusCode)
	}

	e := waitForRecord(t, b, "req-from-a")
	if e.Protocol != "openai" || e.Route != "chat" || e.Model != "gpt-4o" || e.MappedModel != "gpt-4o-2024-08-06" ||
		!strings.HasSuffix(e.Account, "@example.com") || e.Status != 200 || len(e.Attempts) != 1 ||
		e.Attempts[0].Outcome != "success" || e.Tokens.Input == 0 || e.Tokens.Output == 0 || e.LatencyMS <= 0 || e.Time.IsZero() {
		t.Errorf("record written by a, read through b: %+v", e)
	}
	f := waitForRecord(t, a, "req-failed-b")
	if f.Status < 500 || f.Error == "" || len(f.Attempts) < 2 || f.Attempts[0].Reason != "server_error" || f.Attempts[0].Outcome != "rotate" {
		t.Errorf("failed record: %+v", f)
	}

	list := func(h *harness, q string) []monitor.Entry {
		st, body := h.adminDo("GET", "/admin/requests?"+q, "")
		var v struct{ Requests []monitor.Entry }
		if st != 200 || json.Unmarshal([]byte(body), &v) != nil {
			t.Fatalf("list %s: %d %s", q, st, body)
		}
		return v.Requests
	}
	if all := list(a, ""); len(all) != 2 || all[0].RequestID != "req-failed-b" {
		t.Errorf("list: %+v; want both, newest first", all)
	}
	if errs := list(b, "errors_only=true"); len(errs) != 1 || errs[0].RequestID != "req-failed-b" {
		t.Errorf("errors_only: %+v", errs)
	}
	if got := list(b, "q=GPT-4O-2024&limit=5"); len(got) != 1 || got[0].RequestID != "req-from-a" {
		t.Errorf("q: %+v", got)
	}
	st, body := b.adminDo("GET", "/admin/requests/export", "")
	if st != 200 || strings.Count(body, "\n") != 2 || !strings.Contains(body, `"request_id":"req-from-a"`) {
		t.Errorf("export: %d %q", st, body)
	}
	req, _ := http.NewRequest("GET", a.admin+"/admin/requests", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("request log without the admin key: %d; want 401", resp.StatusCode)
	}
}

func TestBodyCaptureIsOptInCappedAndRedacted(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: demoRoutes, env: map[string]string{
		"SWITCHYARD_CAPTURE_BODIES": "true", "SWITCHYARD_CAPTURE_MAX_BYTES": "256"}})
	body := `{"model":"gpt-4o","messages":[{"role":"user","content":"my key is sk-proj-abcdefghijklmnop, please keep it"}]}`
	resp, _ := h.do("POST", "/v1/chat/completions", body, map[string]string{"Authorization": "Bearer " + clientKey, "X-Request-Id": "cap-1"})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var rec map[string]any
	deadline := time.Now().Add(3 * time.Second)
	for {
		st, out := h.adminDo("GET", "/admin/requests/cap-1", "")
		if st == 200 && json.Unmarshal([]byte(out), &rec) == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("record not found: %d %s", st, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	req, _ := rec["request_body"].(string)
	ans, _ := rec["response_body"].(string)
	if !strings.Contains(req, "please keep it") || strings.Contains(req, "sk-proj-abcdefghijklmnop") || !strings.Contains(req, "[redacted]") {
		t.Fatalf("captured request body: %q", req)
	}
	if !strings.Contains(ans, "chat.completion") || len(ans) > 256+len("…[truncated]") {
		t.Fatalf("captured answer: %q", ans)
	}
}
