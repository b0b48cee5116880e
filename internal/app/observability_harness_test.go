package app_test

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// newTracedHarness is newHarness with an in-memory span recorder injected
// through app.Env.TracerProvider (no OpenTelemetry globals).
func newTracedHarness(t *testing.T, o harnessOpts) (*harness, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	if o.routes == "" {
		o.routes = demoRoutes
	}
	o.tracer = tp
	if o.env == nil {
		o.env = map[string]string{}
	}
	o.env["OTEL_EXPORTER_OTLP_ENDPOINT"], o.env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = "", ""
	return newHarness(t, o), rec
}
