package telemetry

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

// Log attribute keys that tie a log line to its trace.
const (
	LogTraceID = "trace_id"
	LogSpanID  = "span_id"
)

// TraceHandler adds trace_id and span_id to every record logged with a
// context that carries a valid span.
type TraceHandler struct{ inner slog.Handler }

// NewTraceHandler wraps h.
func NewTraceHandler(h slog.Handler) *TraceHandler { return &TraceHandler{inner: h} }

// Enabled implements slog.Handler.
func (h *TraceHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

// Handle implements slog.Handler.
func (h *TraceHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r = r.Clone()
		r.AddAttrs(slog.String(LogTraceID, sc.TraceID().String()), slog.String(LogSpanID, sc.SpanID().String()))
	}
	return h.inner.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h *TraceHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &TraceHandler{inner: h.inner.WithAttrs(as)}
}

// WithGroup implements slog.Handler.
func (h *TraceHandler) WithGroup(name string) slog.Handler {
	return &TraceHandler{inner: h.inner.WithGroup(name)}
}

// Logger returns log with trace ids added, or log itself when tracing is off.
func (t *Telemetry) Logger(log *slog.Logger) *slog.Logger {
	if !t.enabled {
		return log
	}
	return slog.New(NewTraceHandler(log.Handler()))
}
