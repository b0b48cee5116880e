package telemetry_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/dispatch"
	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/telemetry"
	"github.com/switchyard-gw/switchyard/internal/upstream"
)

// The per-request cost of observability on the hot path: one attempt and the
// request's metrics, with tracing off (the default) and on.
func BenchmarkRequestObservability(b *testing.B) {
	info := dispatch.AttemptInfo{Protocol: llm.OpenAI, Op: upstream.OpGenerate, Account: oa1, Decision: "sticky",
		Requested: "gpt-4o", Mapped: "gpt-4o-2024-08-06", SessionID: "sid-1234567890"}
	end := dispatch.AttemptEnd{Status: 200, Outcome: "success", Answer: llm.Answer{Model: "gpt-4o-2024-08-06",
		Usage: llm.Usage{InputTokens: 100, OutputTokens: 20}, FinishReasons: []string{"stop"}}}
	res := dispatch.Result{Status: 200, TTFB: 80 * time.Millisecond, Attempts: []dispatch.Attempt{{Account: "oa-1", Outcome: "success"}}}
	for _, bc := range []struct {
		name string
		tel  *telemetry.Telemetry
	}{
		{"tracing=off", telemetry.Disabled()},
		{"tracing=on", func() *telemetry.Telemetry { _, tp := recorder(); return telemetry.FromProvider(tp) }()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			m := telemetry.NewMetrics()
			obs := telemetry.NewObserver(bc.tel, m)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				_, done := obs.Attempt(ctx, info)
				done(end)
				m.ObserveRequest(llm.OpenAI, "chat", &res, 200*time.Millisecond)
			}
		})
	}
}
