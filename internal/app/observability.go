package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/extra/redisotel/v9"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/trace"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/monitor"
	"github.com/switchyard-gw/switchyard/internal/schedule"
	"github.com/switchyard-gw/switchyard/internal/server"
	"github.com/switchyard-gw/switchyard/internal/store"
	"github.com/switchyard-gw/switchyard/internal/telemetry"
)

// observability is everything the request path reports to: traces, metrics
// and the shared request log.
type observability struct {
	tel      *telemetry.Telemetry
	metrics  *telemetry.Metrics
	observer *telemetry.Observer
	reqlog   *monitor.Log // nil when disabled
	log      *slog.Logger // the app's logger, with trace ids when tracing is on
	capture  int          // > 0: bytes of bodies kept in request log records
}

// setupObservability builds tracing (env.TracerProvider, else the OTEL_*
// variables), the Prometheus registry, the attempt observer and the request
// log on the shared store, and instruments the store client. Call close after
// the listeners have drained and before the store closes.
func setupObservability(ctx context.Context, env Env, log *slog.Logger, st *store.Store,
	sched *schedule.Scheduler, pools *account.Source, maxLen int64, namespace string) (*observability, error) {
	tel, err := newTelemetry(ctx, env.TracerProvider, env.Version)
	if err != nil {
		return nil, err
	}
	o := &observability{tel: tel, metrics: telemetry.NewMetrics(), log: tel.Logger(log)}
	o.observer = telemetry.NewObserver(tel, o.metrics)
	o.metrics.WatchAccounts(sched.States, pools.Current, time.Second)
	if tel.Enabled() && st.Client != nil {
		err := redisotel.InstrumentTracing(st.Client,
			redisotel.WithTracerProvider(tel.ChildTracerProvider()),
			redisotel.WithDBStatement(false), redisotel.WithCallerEnabled(false), redisotel.WithDialFilter(true),
			redisotel.WithCommandFilter(connSetup),
			redisotel.WithCommandsFilter(func(cmds []redis.Cmder) bool { return slices.ContainsFunc(cmds, connSetup) }))
		if err != nil {
			_ = tel.Shutdown(ctx)
			return nil, fmt.Errorf("redis tracing: %w", err)
		}
	}
	if maxLen > 0 {
		host, _ := os.Hostname()
		lo := monitor.Options{
			MaxLen: maxLen, Replica: host, Log: o.log, Namespace: namespace,
			OnDrop:  o.metrics.RequestLogDropped,
			OnError: func(error) { o.metrics.RedisError(telemetry.RedisOpRequestLog) },
		}
		if st.Embedded() {
			o.reqlog = monitor.NewEmbedded(nil, lo) // in this process's memory, capped alike
		} else {
			o.reqlog = monitor.New(st.Client, lo)
		}
	}
	return o, nil
}

// connSetup tells the commands a connection sends when it opens (and AUTH,
// which carries the password) from the application's own: they get no span.
func connSetup(cmd redis.Cmder) bool {
	switch strings.ToLower(cmd.Name()) {
	case "auth", "hello", "client", "select", "readonly":
		return true
	}
	return false
}

func newTelemetry(ctx context.Context, tp trace.TracerProvider, version string) (*telemetry.Telemetry, error) {
	if tp != nil {
		return telemetry.FromProvider(tp), nil
	}
	tel, err := telemetry.Setup(ctx, version)
	if err != nil {
		return nil, fmt.Errorf("opentelemetry: %w", err)
	}
	return tel, nil
}

// middleware is the client API's edge instrumentation (server.Options.Middleware).
func (o *observability) middleware() []gin.HandlerFunc { return o.tel.Middleware(o.metrics) }

// observe records one served client request (server.Options.Observe): the
// request metrics and a request log record, queued without a Redis round trip.
func (o *observability) observe(ctx context.Context, rec server.Record) {
	telemetry.MarkDispatched(ctx)
	o.metrics.ObserveRequest(rec.Protocol, rec.Route, &rec.Result, rec.Duration)
	o.metrics.ObserveKey(rec.KeyName, rec.Result.Status, rec.Result.Answer.Usage)
	if o.reqlog != nil {
		e := requestEntry(ctx, &rec)
		if o.capture > 0 {
			e.RequestBody = monitor.Capture(rec.RequestBody, o.capture)
			e.ResponseBody = monitor.Capture(rec.Result.AnswerSample, o.capture)
		}
		o.reqlog.Add(e)
	}
}

// adminRoutes adds the request monitor and the usage sums to the
// authenticated /admin group (admin.Options.Extra). The catch-all route
// serves both /requests/export and /requests/{id}, so the two never conflict
// in gin's router.
func (o *observability) adminRoutes(r gin.IRoutes) {
	if o.reqlog == nil {
		return
	}
	h := gin.WrapH(o.reqlog.Handler("/admin", o.log))
	r.GET("/requests", h)
	r.GET("/requests/*rest", h)
	r.GET("/usage", h)
}

// close writes the queued request log records and flushes the spans.
func (o *observability) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if o.reqlog != nil {
		if err := o.reqlog.Close(ctx); err != nil {
			o.log.Warn("close request log", slog.String("error", err.Error()))
		}
	}
	if err := o.tel.Shutdown(ctx); err != nil {
		o.log.Warn("flush traces", slog.String("error", err.Error()))
	}
}

// requestEntry turns a served request into its request log record: metadata
// only (bodies are added by observe when capture is on), never a header or a
// credential.
func requestEntry(ctx context.Context, rec *server.Record) *monitor.Entry {
	res := &rec.Result
	e := &monitor.Entry{
		Time: time.Now().Add(-rec.Duration).UTC(), RequestID: rec.RequestID,
		Protocol: string(rec.Protocol), Route: rec.Route, Key: rec.KeyName, Model: rec.Model, MappedModel: res.Mapped,
		Account: res.Email, Status: res.Status, Stream: rec.Stream,
		LatencyMS: monitor.Millis(rec.Duration), TTFBMS: monitor.Millis(res.TTFB),
		ResponseModel: res.Answer.Model, FinishReasons: res.Answer.FinishReasons, Error: res.Error,
		Attempts: make([]monitor.Attempt, len(res.Attempts)),
		Tokens: monitor.Tokens{
			Input: res.Answer.Usage.InputTokens, Output: res.Answer.Usage.OutputTokens,
			CacheRead: res.Answer.Usage.CacheRead, CacheWrite: res.Answer.Usage.CacheWrite,
			Reasoning: res.Answer.Usage.ReasoningTokens,
		},
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		e.TraceID = sc.TraceID().String()
	}
	for i, a := range res.Attempts {
		e.Attempts[i] = monitor.Attempt{Account: a.Account, Email: a.Email, Decision: a.Decision, Status: a.Status,
			Outcome: a.Outcome, Reason: a.Reason, DurationMS: monitor.Millis(a.Duration)}
	}
	return e
}
