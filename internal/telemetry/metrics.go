package telemetry

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/switchyard-gw/switchyard/internal/dispatch"
	"github.com/switchyard-gw/switchyard/internal/llm"
)

// Metrics are the process's Prometheus metrics on a private registry. Every
// label is bounded: protocols, routes, statuses, providers, account ids from
// the pool file, client key names (chosen by the operator, and capped), and
// fixed vocabularies (outcomes, reasons, decisions); anything else is
// reported as "other". Never a session id, request id or a client's model
// string.
type Metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	ttfb        *prometheus.HistogramVec
	rejected    *prometheus.CounterVec
	attempts    *prometheus.CounterVec
	rotations   *prometheus.CounterVec
	cooldowns   *prometheus.CounterVec
	decisions   *prometheus.CounterVec
	tokens      *prometheus.CounterVec
	keyRequests *prometheus.CounterVec
	keyTokens   *prometheus.CounterVec
	keyNames    *labelSet
	redisErrors *prometheus.CounterVec
	logDropped  prometheus.Counter
	degraded    prometheus.Gauge
	inflight    prometheus.Gauge
}

// Redis operations counted in switchyard_redis_errors_total{op}.
const (
	RedisOpAccountStates = "account_states"
	RedisOpRequestLog    = "request_log"
)

// NewMetrics registers every metric, plus the Go runtime and process
// collectors, on a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchyard_requests_total", Help: "Client requests served by the dispatcher, by client protocol, route and final status.",
		}, []string{"protocol", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "switchyard_request_duration_seconds", Help: "Time from dispatch to the end of the answer (streams included).",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300},
		}, []string{"protocol", "route"}),
		ttfb: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "switchyard_time_to_first_byte_seconds", Help: "Time until the answer was committed to the client (first event of a stream).",
			Buckets: []float64{0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60},
		}, []string{"protocol"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchyard_edge_rejections_total", Help: "Client requests refused before dispatch (auth, body size, malformed, unknown route), by status.",
		}, []string{"status"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchyard_upstream_attempts_total", Help: "Upstream attempts by provider, account id and outcome.",
		}, []string{"provider", "account", "outcome"}),
		rotations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchyard_rotations_total", Help: "Requests that moved to another account after a failed attempt, by the failure's reason.",
		}, []string{"reason"}),
		cooldowns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchyard_cooldowns_total", Help: "Attempts whose outcome is a cooling row of the outcome table (rotate), by reason; transient errors cool the account only when they repeat.",
		}, []string{"reason"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchyard_schedule_decisions_total", Help: "Account selections by scheduling decision.",
		}, []string{"decision"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchyard_tokens_total", Help: "Tokens reported by upstream answers, by provider and type.",
		}, []string{"provider", "type"}),
		keyRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchyard_key_requests_total", Help: "Client requests served by the dispatcher, by client key name and status class (2xx, 4xx, 5xx).",
		}, []string{"key", "status"}),
		keyTokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchyard_key_tokens_total", Help: "Tokens of the answers each client key received, by kind (input, output, cache_read).",
		}, []string{"key", "kind"}),
		keyNames: newLabelSet(maxKeyLabels),
		redisErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchyard_redis_errors_total", Help: "Failed Redis operations outside the scheduling scripts, by operation.",
		}, []string{"op"}),
		logDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchyard_request_log_dropped_total", Help: "Request log records dropped because the write queue was full or the store failed.",
		}),
		degraded: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "switchyard_store_degraded", Help: "1 while the shared store is unreachable and this replica serves from local state.",
		}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "switchyard_inflight_requests", Help: "Client API requests being served.",
		}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.ttfb, m.rejected, m.attempts, m.rotations, m.cooldowns,
		m.decisions, m.tokens, m.keyRequests, m.keyTokens, m.redisErrors, m.logDropped, m.degraded, m.inflight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, op := range []string{RedisOpAccountStates, RedisOpRequestLog} {
		m.redisErrors.WithLabelValues(op)
	}
	return m
}

// Registry is where more collectors may be registered.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveRequest counts one dispatched client request.
func (m *Metrics) ObserveRequest(p llm.Protocol, route string, res *dispatch.Result, d time.Duration) {
	proto, rt := protocolLabel(p), routeLabel(route)
	m.requests.WithLabelValues(proto, rt, statusLabel(res.Status)).Inc()
	m.duration.WithLabelValues(proto, rt).Observe(d.Seconds())
	if res.TTFB > 0 {
		m.ttfb.WithLabelValues(proto).Observe(res.TTFB.Seconds())
	}
	for i := 1; i < len(res.Attempts); i++ {
		if prev := res.Attempts[i-1]; prev.Account != res.Attempts[i].Account {
			m.rotations.WithLabelValues(reasonLabel(prev.Reason)).Inc()
		}
	}
}

// ObserveKey counts one dispatched request of a client key (its name; empty
// for requests without one, counted as "anonymous") and the tokens of its
// answer.
func (m *Metrics) ObserveKey(name string, status int, u llm.Usage) {
	key := m.keyNames.label(name)
	m.keyRequests.WithLabelValues(key, statusClass(status)).Inc()
	for _, t := range [...]struct {
		kind string
		n    int64
	}{{"input", u.InputTokens}, {"output", u.OutputTokens}, {"cache_read", u.CacheRead}} {
		if t.n > 0 {
			m.keyTokens.WithLabelValues(key, t.kind).Add(float64(t.n))
		}
	}
}

// Rejected counts a client request refused before dispatch.
func (m *Metrics) Rejected(status int) { m.rejected.WithLabelValues(statusLabel(status)).Inc() }

// RedisError counts a failed Redis operation (see the RedisOp constants).
func (m *Metrics) RedisError(op string) { m.redisErrors.WithLabelValues(op).Inc() }

// RequestLogDropped counts request log records that were lost.
func (m *Metrics) RequestLogDropped(n int) { m.logDropped.Add(float64(n)) }

// StoreDegraded follows schedule.Resilient.OnChange.
func (m *Metrics) StoreDegraded(down bool) {
	if down {
		m.degraded.Set(1)
		return
	}
	m.degraded.Set(0)
}

// InFlight tracks client requests being served.
func (m *Metrics) InFlight(delta int) { m.inflight.Add(float64(delta)) }

func (m *Metrics) decision(d string) { m.decisions.WithLabelValues(decisionLabel(d)).Inc() }

func (m *Metrics) attemptEnd(provider, account string, e *dispatch.AttemptEnd) {
	m.attempts.WithLabelValues(provider, account, outcomeLabel(e.Outcome)).Inc()
	if e.Outcome == "rotate" {
		// The rotating rows are the cooling rows of the outcome table. Whether
		// the scheduler applied the cooldown (a transient error is tolerated
		// once) is not in AttemptEnd.
		m.cooldowns.WithLabelValues(reasonLabel(e.Reason)).Inc()
	}
	u := e.Answer.Usage
	for _, t := range [...]struct {
		typ string
		n   int64
	}{{"input", u.InputTokens}, {"output", u.OutputTokens}, {"cache_read", u.CacheRead}, {"cache_write", u.CacheWrite}} {
		if t.n > 0 {
			m.tokens.WithLabelValues(provider, t.typ).Add(float64(t.n))
		}
	}
}

// The label vocabularies. Values outside them become "other".
var (
	knownRoutes   = set("chat", "responses", "messages", "count_tokens", "generateContent", "streamGenerateContent", "countTokens")
	knownOutcomes = set("success", "client_error", "rotate", "same_account", "repair", "client_gone")
	knownReasons  = set("rate_limit", "quota_exhausted", "capacity", "server_error", "auth", "forbidden", "not_found",
		"timeout", "network", "signature", "client_error", "context_length")
	knownDecisions = set("fixed", "sticky", "window", "round_robin", "wait", "retry_same")
)

func set(v ...string) map[string]bool {
	m := make(map[string]bool, len(v))
	for _, s := range v {
		m[s] = true
	}
	return m
}

func bounded(known map[string]bool, v string) string {
	if known[v] {
		return v
	}
	return "other"
}

func protocolLabel(p llm.Protocol) string {
	switch p {
	case llm.OpenAI, llm.Anthropic, llm.Gemini:
		return string(p)
	}
	return "other"
}

func routeLabel(r string) string    { return bounded(knownRoutes, r) }
func outcomeLabel(o string) string  { return bounded(knownOutcomes, o) }
func decisionLabel(d string) string { return bounded(knownDecisions, d) }

func reasonLabel(r string) string {
	if r == "" {
		return "none"
	}
	return bounded(knownReasons, r)
}

// statusClass is a status's class: "2xx", "4xx", …; "other" outside 100–599.
func statusClass(s int) string {
	if s < 100 || s > 599 {
		return "other"
	}
	return strconv.Itoa(s/100) + "xx"
}

func statusLabel(s int) string {
	if s < 100 || s > 599 {
		return "other"
	}
	return strconv.Itoa(s)
}
