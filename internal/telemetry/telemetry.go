// Package telemetry is Switchyard's observability plumbing: the OpenTelemetry
// tracer provider configured from the standard OTEL_* variables, one client
// span per upstream attempt with GenAI attributes, server spans, trace ids in
// the logs, and the Prometheus metrics served on the admin listener.
//
// Nothing here touches OpenTelemetry globals: the provider and propagator are
// handed to every instrumentation explicitly, so tests can inject an
// in-memory recorder and run in parallel.
package telemetry

import (
	"context"
	"fmt"
	"os"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// DefaultServiceName is service.name when OTEL_SERVICE_NAME is unset.
const DefaultServiceName = "switchyard"

// scopeName names the tracer of the gateway's own spans.
const scopeName = "github.com/switchyard-gw/switchyard"

// Telemetry holds the tracer provider and the propagator of one process.
type Telemetry struct {
	// TracerProvider is a no-op provider when tracing is off.
	TracerProvider trace.TracerProvider
	// Propagator reads and writes W3C traceparent/tracestate and baggage.
	Propagator propagation.TextMapPropagator
	tracer     trace.Tracer
	enabled    bool
	shutdown   func(context.Context) error
}

// Setup configures tracing from the standard OpenTelemetry variables only:
// OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT turns export
// on, OTEL_EXPORTER_OTLP_PROTOCOL (or its _TRACES_ form) picks grpc or
// http/protobuf (the default), OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
// describe the resource, OTEL_TRACES_SAMPLER* and OTEL_BSP_* are honoured by the
// SDK itself, and OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none turn it
// off. Without an endpoint the provider is a no-op and costs nothing.
func Setup(ctx context.Context, serviceVersion string) (*Telemetry, error) {
	return setup(ctx, serviceVersion, os.LookupEnv)
}

func setup(ctx context.Context, serviceVersion string, lookup func(string) (string, bool)) (*Telemetry, error) {
	get := func(k string) string {
		v, _ := lookup(k)
		return strings.TrimSpace(v)
	}
	if strings.EqualFold(get("OTEL_SDK_DISABLED"), "true") || strings.EqualFold(get("OTEL_TRACES_EXPORTER"), "none") {
		return Disabled(), nil
	}
	if get("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return Disabled(), nil
	}
	proto := get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if proto == "" {
		proto = get("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	exp, err := newExporter(ctx, proto)
	if err != nil {
		return nil, err
	}
	res, err := newResource(ctx, serviceVersion)
	if err != nil {
		_ = exp.Shutdown(ctx)
		return nil, err
	}
	// No WithSampler: the SDK then reads OTEL_TRACES_SAMPLER(_ARG) and
	// defaults to parentbased_always_on.
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res),
		sdktrace.WithRawSpanLimits(SpanLimits()))
	t := FromProvider(tp)
	t.shutdown = tp.Shutdown
	return t, nil
}

// MaxAttributeLength bounds every string attribute of a span unless
// OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT says otherwise: paths, user agents
// and other client-controlled text must not grow the trace export.
const MaxAttributeLength = 1024

// SpanLimits are the SDK's limits (from the OTEL_SPAN_* variables) with a
// bounded attribute length when none is set.
func SpanLimits() sdktrace.SpanLimits {
	sl := sdktrace.NewSpanLimits()
	if sl.AttributeValueLengthLimit <= 0 {
		sl.AttributeValueLengthLimit = MaxAttributeLength
	}
	return sl
}

// newExporter builds the OTLP trace exporter of the protocol; the exporters
// read the endpoint, headers, TLS and timeout variables themselves.
func newExporter(ctx context.Context, proto string) (sdktrace.SpanExporter, error) {
	switch strings.ToLower(proto) {
	case "", "http/protobuf":
		exp, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("otlp http exporter: %w", err)
		}
		return exp, nil
	case "grpc":
		exp, err := otlptracegrpc.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("otlp grpc exporter: %w", err)
		}
		return exp, nil
	}
	return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL: %q is not supported (use grpc or http/protobuf)", proto)
}

// newResource describes the process. It carries no schema URL, so it never
// conflicts with the semconv version the SDK was built with; later detectors
// win, so OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the defaults.
func newResource(ctx context.Context, serviceVersion string) (*resource.Resource, error) {
	res, err := resource.New(ctx,
		resource.WithAttributes(
			attribute.String("service.name", DefaultServiceName),
			attribute.String("service.version", serviceVersion),
		),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(),
	)
	if err != nil {
		return nil, fmt.Errorf("otel resource: %w", err)
	}
	return res, nil
}

// Disabled is telemetry that records nothing.
func Disabled() *Telemetry {
	tp := noop.NewTracerProvider()
	return &Telemetry{
		TracerProvider: tp,
		Propagator:     newPropagator(),
		tracer:         tp.Tracer(scopeName),
		shutdown:       func(context.Context) error { return nil },
	}
}

// FromProvider uses a provider built elsewhere (tests inject an SDK provider
// with an in-memory span recorder). Shutdown does not shut tp down.
func FromProvider(tp trace.TracerProvider) *Telemetry {
	if tp == nil {
		return Disabled()
	}
	return &Telemetry{
		TracerProvider: tp,
		Propagator:     newPropagator(),
		tracer:         tp.Tracer(scopeName),
		enabled:        true,
		shutdown:       func(context.Context) error { return nil },
	}
}

func newPropagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}

// Enabled reports whether spans are recorded; when false every
// instrumentation is left out of the request path.
func (t *Telemetry) Enabled() bool { return t.enabled }

// Tracer is the tracer of the gateway's own spans.
func (t *Telemetry) Tracer() trace.Tracer { return t.tracer }

// Shutdown flushes buffered spans and stops the exporter.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	if err := t.shutdown(ctx); err != nil {
		return fmt.Errorf("tracer shutdown: %w", err)
	}
	return nil
}
