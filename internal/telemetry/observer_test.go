package telemetry_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/dispatch"
	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/telemetry"
	"github.com/switchyard-gw/switchyard/internal/upstream"
)

func recorder() (*tracetest.SpanRecorder, *sdktrace.TracerProvider) {
	rec := tracetest.NewSpanRecorder()
	return rec, sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
}

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

// scrape returns the metrics text.
func scrape(t *testing.T, m *telemetry.Metrics) string {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	return w.Body.String()
}

func hasLine(text, prefix string) bool {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

var (
	oa1 = &account.Account{ID: "oa-1", Email: "oa-1@example.com", Provider: account.OpenAI}
	an2 = &account.Account{ID: "an-2", Email: "an-2@example.com", Provider: account.Anthropic}
)

func TestAttemptSpans(t *testing.T) {
	rec, tp := recorder()
	m := telemetry.NewMetrics()
	obs := telemetry.NewObserver(telemetry.FromProvider(tp), m)
	ctx, parent := tp.Tracer("test").Start(context.Background(), "POST /v1/chat/completions", trace.WithSpanKind(trace.SpanKindServer))

	const rawSession = "sid-raw-6c1f"
	actx, end := obs.Attempt(ctx, dispatch.AttemptInfo{N: 0, Protocol: llm.OpenAI, Op: upstream.OpGenerate, Account: an2,
		Decision: "sticky", Requested: "gpt-4o", Mapped: "claude-sonnet-4-5-20250929", SessionID: rawSession, Stream: true})
	if obs.InFlight("an-2") != 1 {
		t.Errorf("in flight = %d; want 1", obs.InFlight("an-2"))
	}
	if !trace.SpanFromContext(actx).IsRecording() {
		t.Fatal("attempt context carries no span")
	}
	end(dispatch.AttemptEnd{Status: 500, Outcome: "rotate", Reason: "server_error", Error: "upstream anthropic answered 500"})

	_, end = obs.Attempt(ctx, dispatch.AttemptInfo{N: 1, Protocol: llm.OpenAI, Op: upstream.OpGenerate, Account: oa1,
		Decision: "round_robin", Requested: "gpt-4o", Mapped: "gpt-4o-2024-08-06", SessionID: rawSession})
	end(dispatch.AttemptEnd{Status: 200, Outcome: "success", Answer: llm.Answer{Model: "gpt-4o-2024-08-06",
		Usage: llm.Usage{InputTokens: 12, OutputTokens: 7, CacheRead: 3}, FinishReasons: []string{"stop"}}})
	parent.End()
	if obs.InFlight("an-2") != 0 || obs.InFlight("oa-1") != 0 {
		t.Error("in-flight counters did not return to zero")
	}

	spans := rec.Ended()
	if len(spans) != 3 {
		t.Fatalf("%d spans; want 3", len(spans))
	}
	first, second := spans[0], spans[1]
	for _, s := range []sdktrace.ReadOnlySpan{first, second} {
		if s.Parent().SpanID() != parent.SpanContext().SpanID() || s.SpanKind() != trace.SpanKindClient {
			t.Errorf("%s: parent %s kind %s; want a CLIENT child of the server span", s.Name(), s.Parent().SpanID(), s.SpanKind())
		}
	}
	if first.Name() != "chat claude-sonnet-4-5-20250929" || second.Name() != "chat gpt-4o-2024-08-06" {
		t.Errorf("names %q, %q", first.Name(), second.Name())
	}
	a := attrs(first)
	want := map[attribute.Key]string{
		"gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic",
		"gen_ai.request.model": "claude-sonnet-4-5-20250929", "switchyard.model.requested": "gpt-4o",
		"switchyard.model.mapped": "claude-sonnet-4-5-20250929", "switchyard.account.email": "an-2@example.com",
		"switchyard.account.id": "an-2", "switchyard.schedule.decision": "sticky",
		"switchyard.retry.reason": "server_error", "error.type": "server_error",
	}
	for k, v := range want {
		if a[k].String() != v {
			t.Errorf("first attempt %s = %q; want %q", k, a[k].String(), v)
		}
	}
	if !a["gen_ai.request.stream"].AsBool() || a["switchyard.attempt"].AsInt64() != 0 {
		t.Errorf("stream/attempt attributes: %v", a)
	}
	if first.Status().Code != codes.Error {
		t.Errorf("failed attempt status = %v; want Error", first.Status())
	}
	sid := a["switchyard.session.id"].AsString()
	if sid == "" || sid == rawSession || strings.Contains(sid, rawSession) || sid != telemetry.HashSession(rawSession) {
		t.Errorf("session attribute %q must be the hash of the session id", sid)
	}
	b := attrs(second)
	if b["gen_ai.usage.input_tokens"].AsInt64() != 12 || b["gen_ai.usage.output_tokens"].AsInt64() != 7 ||
		b["gen_ai.usage.cache_read.input_tokens"].AsInt64() != 3 || b["gen_ai.response.model"].AsString() != "gpt-4o-2024-08-06" ||
		fmt.Sprint(b["gen_ai.response.finish_reasons"].AsStringSlice()) != "[stop]" || b["switchyard.attempt"].AsInt64() != 1 {
		t.Errorf("successful attempt attributes: %v", b)
	}
	if _, ok := b["error.type"]; ok || second.Status().Code == codes.Error {
		t.Error("successful attempt marked as an error")
	}

	text := scrape(t, m)
	for _, l := range []string{
		`switchyard_upstream_attempts_total{account="an-2",outcome="rotate",provider="anthropic"} 1`,
		`switchyard_upstream_attempts_total{account="oa-1",outcome="success",provider="openai"} 1`,
		`switchyard_cooldowns_total{reason="server_error"} 1`,
		`switchyard_schedule_decisions_total{decision="sticky"} 1`,
		`switchyard_schedule_decisions_total{decision="round_robin"} 1`,
		`switchyard_tokens_total{provider="openai",type="input"} 12`,
		`switchyard_tokens_total{provider="openai",type="cache_read"} 3`,
	} {
		if !hasLine(text, l) {
			t.Errorf("metrics lack %s", l)
		}
	}
}

func TestObserverWithoutTracing(t *testing.T) {
	obs := telemetry.NewObserver(telemetry.Disabled(), nil)
	ctx := context.Background()
	actx, end := obs.Attempt(ctx, dispatch.AttemptInfo{Account: oa1, Mapped: "gpt-4o"})
	if actx != ctx {
		t.Error("a disabled observer must not touch the context")
	}
	end(dispatch.AttemptEnd{Outcome: "success"})
}

func TestOperationAndProvider(t *testing.T) {
	for _, tc := range []struct {
		p        account.Provider
		op       upstream.Op
		want, pn string
	}{
		{account.OpenAI, upstream.OpGenerate, "chat", "openai"},
		{account.OpenAI, upstream.OpResponses, "responses", "openai"},
		{account.Anthropic, upstream.OpGenerate, "chat", "anthropic"},
		{account.Anthropic, upstream.OpResponses, "chat", "anthropic"},
		{account.Anthropic, upstream.OpCountTokens, "count_tokens", "anthropic"},
		{account.Gemini, upstream.OpGenerate, "generate_content", "gcp.gemini"},
		{account.Gemini, upstream.OpCountTokens, "count_tokens", "gcp.gemini"},
		{account.CodeAssist, upstream.OpGenerate, "generate_content", "gcp.gemini"},
	} {
		if got := telemetry.Operation(tc.p, tc.op); got != tc.want {
			t.Errorf("Operation(%s, %s) = %q; want %q", tc.p, tc.op, got, tc.want)
		}
		if got := telemetry.ProviderName(tc.p); got != tc.pn {
			t.Errorf("ProviderName(%s) = %q; want %q", tc.p, got, tc.pn)
		}
	}
}
