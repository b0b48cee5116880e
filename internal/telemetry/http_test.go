package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/trace"

	"github.com/switchyard-gw/switchyard/internal/telemetry"
)

func TestMiddlewareContinuesClientTrace(t *testing.T) {
	rec, tp := recorder()
	tel := telemetry.FromProvider(tp)
	m := telemetry.NewMetrics()
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.Use(tel.Middleware(m)...)
	var seen trace.SpanContext
	e.POST("/v1/chat/completions", func(c *gin.Context) {
		seen = trace.SpanContextFromContext(c.Request.Context())
		telemetry.MarkDispatched(c.Request.Context())
		c.Header("X-Request-Id", "req_abc")
		c.Status(http.StatusBadGateway)
	})
	e.POST("/v1/messages", func(c *gin.Context) { c.Status(http.StatusUnauthorized) })
	e.GET("/healthz", func(c *gin.Context) { c.Status(http.StatusOK) })

	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	req := httptest.NewRequest("POST", "/v1/chat/completions", nil)
	req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	e.ServeHTTP(httptest.NewRecorder(), req)
	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/v1/messages", nil))
	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/healthz", nil))

	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans; want 2 (no span for /healthz)", len(spans))
	}
	s := spans[0]
	if s.Name() != "POST /v1/chat/completions" || s.SpanKind() != trace.SpanKindServer {
		t.Errorf("server span %q kind %s", s.Name(), s.SpanKind())
	}
	if s.SpanContext().TraceID().String() != traceID || s.Parent().SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("client traceparent not continued: trace %s parent %s", s.SpanContext().TraceID(), s.Parent().SpanID())
	}
	if got := attrs(s)["switchyard.request.id"].AsString(); got != "req_abc" {
		t.Errorf("server span request id %q", got)
	}
	if seen.SpanID() != s.SpanContext().SpanID() {
		t.Error("handlers do not see the server span in the request context")
	}
	text := scrape(t, m)
	if !hasLine(text, `switchyard_edge_rejections_total{status="401"} 1`) || hasLine(text, `switchyard_edge_rejections_total{status="502"}`) {
		t.Errorf("edge rejections:\n%s", grep(text, "rejections"))
	}
	if !hasLine(text, "switchyard_inflight_requests 0") {
		t.Errorf("in-flight gauge did not return to 0:\n%s", grep(text, "inflight"))
	}
}

func TestTransportPropagates(t *testing.T) {
	rec, tp := recorder()
	tel := telemetry.FromProvider(tp)
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Get("traceparent") }))
	defer srv.Close()
	ctx, parent := tp.Tracer("t").Start(context.Background(), "chat gpt-4o")
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/v1/chat/completions", nil)
	resp, err := (&http.Client{Transport: tel.Transport(http.DefaultTransport)}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	parent.End()
	tid := parent.SpanContext().TraceID().String()
	if len(got) != 55 || got[3:35] != tid {
		t.Errorf("upstream traceparent %q; want one in trace %s", got, tid)
	}
	if n := len(rec.Ended()); n != 2 {
		t.Errorf("%d spans; want the attempt and its HTTP client span", n)
	}
}

func TestChildTracerProvider(t *testing.T) {
	rec, tp := recorder()
	child := telemetry.FromProvider(tp).ChildTracerProvider().Tracer("redis")
	_, s := child.Start(context.Background(), "evalsha")
	s.End()
	if len(rec.Ended()) != 0 {
		t.Fatal("a root span was recorded")
	}
	ctx, parent := tp.Tracer("t").Start(context.Background(), "request")
	_, s = child.Start(ctx, "evalsha")
	s.End()
	parent.End()
	if len(rec.Ended()) != 2 {
		t.Fatalf("%d spans; want the child and its parent", len(rec.Ended()))
	}
}

func TestTraceHandler(t *testing.T) {
	_, tp := recorder()
	var buf bytes.Buffer
	log := telemetry.FromProvider(tp).Logger(slog.New(slog.NewJSONHandler(&buf, nil))).With("component", "x").WithGroup("g")
	ctx, span := tp.Tracer("t").Start(context.Background(), "s")
	log.InfoContext(ctx, "hello", "k", 1)
	log.Info("no context")
	span.End()
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("%d lines", len(lines))
	}
	var first map[string]any
	_ = json.Unmarshal(lines[0], &first)
	g, _ := first["g"].(map[string]any)
	if g["trace_id"] != span.SpanContext().TraceID().String() || g["span_id"] != span.SpanContext().SpanID().String() || first["component"] != "x" {
		t.Errorf("line without trace ids: %s", lines[0])
	}
	if bytes.Contains(lines[1], []byte("trace_id")) {
		t.Errorf("trace id without a span: %s", lines[1])
	}
	plain := slog.New(slog.NewJSONHandler(&buf, nil))
	if telemetry.Disabled().Logger(plain) != plain {
		t.Error("disabled tracing must not wrap the logger")
	}
}
