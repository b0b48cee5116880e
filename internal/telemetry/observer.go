package telemetry

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/switchyard-gw/switchyard/internal/dispatch"
)

// Observer sees every upstream attempt: it opens one CLIENT span per attempt
// (a child of the server span), counts attempts, decisions, cooldowns and
// tokens, and tracks the attempts in flight per account.
type Observer struct {
	tel      *Telemetry
	metrics  *Metrics // nil: no metrics
	mu       sync.RWMutex
	inflight map[string]*atomic.Int64
}

var _ dispatch.Observer = (*Observer)(nil)

// NewObserver builds the observer; m may be nil.
func NewObserver(t *Telemetry, m *Metrics) *Observer {
	if t == nil {
		t = Disabled()
	}
	return &Observer{tel: t, metrics: m, inflight: map[string]*atomic.Int64{}}
}

// Attempt implements dispatch.Observer.
func (o *Observer) Attempt(ctx context.Context, info dispatch.AttemptInfo) (context.Context, func(dispatch.AttemptEnd)) {
	acct := info.Account
	n := o.counter(acct.ID)
	n.Add(1)
	if o.metrics != nil {
		o.metrics.decision(info.Decision)
	}
	var span trace.Span
	if o.tel.Enabled() {
		ctx, span = o.startSpan(ctx, &info)
	}
	provider := string(acct.Provider)
	return ctx, func(e dispatch.AttemptEnd) {
		n.Add(-1)
		if o.metrics != nil {
			o.metrics.attemptEnd(provider, acct.ID, &e)
		}
		if span != nil {
			endSpan(span, &e)
		}
	}
}

// InFlight is the number of attempts running on an account (admin.Options.InFlight).
func (o *Observer) InFlight(accountID string) int64 {
	o.mu.RLock()
	n := o.inflight[accountID]
	o.mu.RUnlock()
	if n == nil {
		return 0
	}
	return n.Load()
}

func (o *Observer) counter(id string) *atomic.Int64 {
	o.mu.RLock()
	n := o.inflight[id]
	o.mu.RUnlock()
	if n != nil {
		return n
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if n = o.inflight[id]; n == nil {
		n = new(atomic.Int64)
		o.inflight[id] = n
	}
	return n
}

// startSpan opens the attempt's span, named "{operation} {mapped model}" as
// the GenAI conventions ask. No prompt text and no credential is recorded;
// the session id only as a short hash.
func (o *Observer) startSpan(ctx context.Context, info *dispatch.AttemptInfo) (context.Context, trace.Span) {
	a := info.Account
	op := Operation(a.Provider, info.Op)
	attrs := make([]attribute.KeyValue, 0, 12)
	attrs = append(attrs,
		AttrOperationName.String(op),
		AttrProviderName.String(ProviderName(a.Provider)),
		AttrRequestModel.String(info.Mapped),
		AttrRequestStream.Bool(info.Stream),
		AttrAccountEmail.String(a.Email),
		AttrAccountID.String(a.ID),
		AttrModelRequested.String(info.Requested),
		AttrModelMapped.String(info.Mapped),
		AttrAttempt.Int(info.N),
		AttrDecision.String(info.Decision),
	)
	if info.SessionID != "" {
		attrs = append(attrs, AttrSessionID.String(HashSession(info.SessionID)))
	}
	return o.tel.tracer.Start(ctx, op+" "+info.Mapped, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
}

// endSpan records how the attempt ended and ends the span.
func endSpan(span trace.Span, e *dispatch.AttemptEnd) {
	defer span.End()
	if !span.IsRecording() {
		return
	}
	attrs := make([]attribute.KeyValue, 0, 10)
	attrs = append(attrs, AttrOutcome.String(e.Outcome))
	if e.Status > 0 {
		attrs = append(attrs, AttrUpstreamStatus.Int(e.Status))
	}
	if e.Reason != "" {
		attrs = append(attrs, AttrRetryReason.String(e.Reason))
	}
	ans := &e.Answer
	if ans.Model != "" {
		attrs = append(attrs, AttrResponseModel.String(ans.Model))
	}
	if len(ans.FinishReasons) > 0 {
		attrs = append(attrs, AttrFinishReasons.StringSlice(ans.FinishReasons))
	}
	if e.Outcome == "success" {
		u := ans.Usage
		attrs = append(attrs, AttrInputTokens.Int64(u.InputTokens), AttrOutputTokens.Int64(u.OutputTokens))
		if u.CacheRead > 0 {
			attrs = append(attrs, AttrCacheReadTokens.Int64(u.CacheRead))
		}
		if u.CacheWrite > 0 {
			attrs = append(attrs, AttrCacheWriteTokens.Int64(u.CacheWrite))
		}
	}
	if failed := e.Outcome != "success" || e.Error != ""; failed {
		attrs = append(attrs, AttrErrorType.String(errorType(e)))
		span.SetStatus(codes.Error, e.Error)
	}
	span.SetAttributes(attrs...)
}

// errorType is error.type: the retry reason when known, else the outcome or
// the upstream status.
func errorType(e *dispatch.AttemptEnd) string {
	switch {
	case e.Reason != "":
		return e.Reason
	case e.Outcome == "success":
		return "stream_broken"
	case e.Outcome != "" && e.Outcome != "client_error":
		return e.Outcome
	case e.Status > 0:
		return strconv.Itoa(e.Status)
	}
	return "_OTHER"
}
