package telemetry

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
)

// Middleware is the client API's edge instrumentation, to run before every
// other handler: the in-flight gauge and edge rejections (when m is set),
// then the otelgin server span, named "METHOD /route", which continues a
// client's W3C traceparent and carries the request id. Health probes get no span.
func (t *Telemetry) Middleware(m *Metrics) []gin.HandlerFunc {
	var hs []gin.HandlerFunc
	if m != nil {
		hs = append(hs, edgeMetrics(m))
	}
	if t.enabled {
		hs = append(hs, otelgin.Middleware(DefaultServiceName,
			otelgin.WithTracerProvider(t.TracerProvider),
			otelgin.WithPropagators(t.Propagator),
			otelgin.WithMeterProvider(metricnoop.NewMeterProvider()),
			otelgin.WithGinFilter(func(c *gin.Context) bool { return !isProbe(c) }),
		), requestIDAttr)
	}
	return hs
}

// requestIDAttr puts the request id the server answered with (X-Request-Id)
// on the server span, so a trace is found from a client's error report.
func requestIDAttr(c *gin.Context) {
	c.Next()
	if id := c.Writer.Header().Get("X-Request-Id"); id != "" {
		trace.SpanFromContext(c.Request.Context()).SetAttributes(AttrRequestID.String(id))
	}
}

// Transport instruments upstream calls: a CLIENT span per HTTP request, a
// child of the attempt span, and a traceparent header for the provider.
// Without tracing it returns base untouched.
func (t *Telemetry) Transport(base http.RoundTripper) http.RoundTripper {
	if !t.enabled {
		return base
	}
	return otelhttp.NewTransport(base,
		otelhttp.WithTracerProvider(t.TracerProvider),
		otelhttp.WithPropagators(t.Propagator),
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
	)
}

// ChildTracerProvider is the provider for chatty instrumentations (Redis):
// it only records spans inside an existing trace, so background work (health
// probes, request log writes, metric scrapes, connection setup) does not
// start a root trace per command.
func (t *Telemetry) ChildTracerProvider() trace.TracerProvider {
	return childOnlyProvider{TracerProvider: t.TracerProvider}
}

type childOnlyProvider struct{ trace.TracerProvider }

func (p childOnlyProvider) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	return childOnlyTracer{Tracer: p.TracerProvider.Tracer(name, opts...)}
}

type childOnlyTracer struct{ trace.Tracer }

func (t childOnlyTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ctx, trace.SpanFromContext(ctx) // a non-recording no-op span
	}
	return t.Tracer.Start(ctx, name, opts...)
}

// dispatchedKey marks a request context; ObserveRequest's caller flips it so
// the edge middleware does not count the request twice.
type dispatchedKey struct{}

// dispatchedMark is the request's context with the mark: one allocation
// where context.WithValue and a separate mark took two.
type dispatchedMark struct {
	context.Context
	yes bool
}

func (m *dispatchedMark) Value(key any) any {
	if key == (dispatchedKey{}) {
		return m
	}
	return m.Context.Value(key)
}

// MarkDispatched records that the request reached the dispatcher and was
// counted by Metrics.ObserveRequest.
func MarkDispatched(ctx context.Context) {
	if m, ok := ctx.Value(dispatchedKey{}).(*dispatchedMark); ok {
		m.yes = true
	}
}

func edgeMetrics(m *Metrics) gin.HandlerFunc {
	return func(c *gin.Context) {
		m.InFlight(1)
		defer m.InFlight(-1)
		mark := &dispatchedMark{Context: c.Request.Context()}
		c.Request = c.Request.WithContext(mark)
		c.Next()
		if st := c.Writer.Status(); !mark.yes && st >= 400 && !isProbe(c) {
			m.Rejected(st)
		}
	}
}

func isProbe(c *gin.Context) bool {
	switch c.Request.URL.Path {
	case "/healthz", "/readyz":
		return true
	}
	return false
}
