package loadtest

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Targets of the hot path. The costs are judged against the floor proxy
// (cmd/floorproxy: a bare httputil.ReverseProxy) measured in the same run
// with the same load, so that the machine's speed and noise cancel out.
const (
	targetSetup      = "gw-redis"    // the setup the targets are about: one gateway on a real Redis
	embeddedSetup    = "gw-embedded" // the same gateway on its embedded store
	targetRate       = 1000          // JSON req/s of the cost and latency targets
	targetStreamRate = 200           // streams/s of the SSE targets
	targetCPUx       = 2.0           // gateway + redis-server CPU per request ≤ this × the floor's
	targetCPUStretch = 1.5
	targetP50Gap     = 150 * time.Microsecond // added p50 within this of the floor's
	targetTTFBGap    = 200 * time.Microsecond // TTFB p50 within this of the floor's
	targetAllocs     = 80.0                   // gateway heap allocations per JSON request
	targetEmbeddedX  = 1.0                    // embedded-store CPU per request ≤ this × real Redis's
	targetStreamMem  = 48 << 10               // RSS per open stream, bytes
	targetStreamN    = 5000                   // … at this many open streams
	targetHeldRate   = 4000                   // highest JSON rate held, req/s
	targetRoundTrips = 1.0
	targetSelection  = 2.0
)

// targetRow is one row of the Targets table. floor and ratio are "" where
// the floor does not apply.
type targetRow struct{ name, want, got, floor, ratio, verdict, why string }

const met = "**met**"

// ratioVerdict judges a cost that must stay within limit times the
// floor's; stretch (0: none) is a tighter optional goal. over is how far
// the cost is above limit × the floor's, in its own unit ("" to leave out).
func ratioVerdict(ratio, limit, stretch float64, over string) (string, bool) {
	if math.IsNaN(ratio) {
		return "—", false
	}
	if ratio <= limit {
		switch {
		case stretch <= 0:
			return met, true
		case ratio <= stretch:
			return fmt.Sprintf("%s (stretch ≤ %.1f× met too)", met, stretch), true
		default:
			return fmt.Sprintf("%s (stretch ≤ %.1f× missed by %.2f×)", met, stretch, ratio-stretch), true
		}
	}
	v := fmt.Sprintf("**missed** by %.2f×", ratio-limit)
	if over != "" {
		v += " (" + over + ")"
	}
	return v, false
}

// gapVerdict judges a latency that must stay within limit of the floor's.
func gapVerdict(gap, limit time.Duration) (string, bool) {
	if gap <= limit {
		return met, true
	}
	return fmt.Sprintf("**missed** by %s", fmtDur(gap-limit)), false
}

// limitVerdict judges a value that must stay at or under limit; show
// formats the excess.
func limitVerdict(got, limit float64, show func(float64) string) (string, bool) {
	if math.IsNaN(got) {
		return "—", false
	}
	if got <= limit {
		return met, true
	}
	return fmt.Sprintf("**missed** by %s (%.2f×)", show(got-limit), got/limit), false
}

// rateVerdict judges the highest rate held (median over rounds) against
// goal. When every round held the top of a ladder below goal, the goal was
// not measured.
func rateVerdict(per []int, topped []bool, goal int) (string, bool) {
	if len(per) == 0 {
		return "—", false
	}
	xs := make([]float64, len(per))
	allTopped := true
	for i, v := range per {
		xs[i] = float64(v)
		allTopped = allTopped && topped[i]
	}
	m := Median(xs)
	switch {
	case m >= float64(goal):
		return met, true
	case allTopped:
		return fmt.Sprintf("— not measured: the ladder stopped at %.0f req/s, every rate held", m), false
	}
	return fmt.Sprintf("**missed** by %.0f req/s", float64(goal)-m), false
}

func fmtRatio(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "—"
	}
	return fmt.Sprintf("%.2f×", x)
}

// sameRound is the median over rounds of f(step of a, step of b), over the
// rounds in which both ran with successful requests.
func sameRound(a, b agg, f func(x, y Step) (float64, bool)) (float64, bool) {
	var xs []float64
	for _, x := range a.steps {
		for _, y := range b.steps {
			if x.Round != y.Round || x.OK == 0 || y.OK == 0 {
				continue
			}
			if v, ok := f(x, y); ok {
				xs = append(xs, v)
			}
		}
	}
	if len(xs) == 0 {
		return math.NaN(), false
	}
	return Median(xs), true
}

// ratioOf divides f of the two steps.
func ratioOf(f func(Step) time.Duration) func(x, y Step) (float64, bool) {
	return func(x, y Step) (float64, bool) {
		if f(y) <= 0 {
			return 0, false
		}
		return float64(f(x)) / float64(f(y)), true
	}
}

// gapOf subtracts f of the two steps.
func gapOf(f func(Step) time.Duration) func(x, y Step) (float64, bool) {
	return func(x, y Step) (float64, bool) { return float64(f(x) - f(y)), true }
}

// allocs is the median allocations per request over the steps that have them.
func (a agg) allocs() (float64, bool) {
	var xs []float64
	for _, s := range a.steps {
		if v, ok := s.AllocsPerReq(); ok {
			xs = append(xs, v)
		}
	}
	if len(xs) == 0 {
		return math.NaN(), false
	}
	return Median(xs), true
}

func redisPerReqCPU(s Step) time.Duration {
	if s.Sent == 0 {
		return 0
	}
	return s.RedisCPU / time.Duration(s.Sent)
}

// cost is one setup's cost in one (rate, kind), with the floor's of the
// same run when there is one.
type cost struct {
	a, floor      agg
	ok, hasFloor  bool
	stack, gw, rd time.Duration // medians per request: gateway + Redis, gateway, Redis
	floorCPU      time.Duration
	ratio         float64 // stack ÷ floor, median over rounds
}

func (r *report) cost(setup string, rate int, stream bool) cost {
	c := cost{ratio: math.NaN()}
	c.a, c.ok = r.find(setup, rate, stream)
	if !c.ok {
		return c
	}
	c.stack, c.gw, c.rd = c.a.medDur(Step.StackCPUPerReq), c.a.medDur(Step.CPUPerReq), c.a.medDur(redisPerReqCPU)
	c.floor, c.hasFloor = r.find(floorSetup, rate, stream)
	if c.hasFloor {
		c.floorCPU = c.floor.medDur(Step.StackCPUPerReq)
		c.ratio, _ = sameRound(c.a, c.floor, ratioOf(Step.StackCPUPerReq))
	}
	return c
}

func (c cost) stackText(unit string) string {
	if c.rd > 0 {
		return fmt.Sprintf("%s/%s (gateway %s + redis-server %s)", fmtDur(c.stack), unit, fmtDur(c.gw), fmtDur(c.rd))
	}
	return fmt.Sprintf("%s/%s", fmtDur(c.stack), unit)
}

func notMeasured(t targetRow, why string) targetRow {
	t.got, t.verdict, t.why = "not measured", "—", why
	return t
}

func (r *report) targetRows() []targetRow {
	var ts []targetRow
	ts = append(ts, r.cpuTarget(false), r.p50Target(), r.allocTarget(), r.embeddedTarget(),
		r.cpuTarget(true), r.ttfbTarget(), r.memTarget(), r.rateTarget(), r.roundTripTarget())
	if t, ok := r.selectionTarget(); ok {
		ts = append(ts, t)
	}
	return ts
}

func (r *report) targets() {
	r.p("## Targets")
	r.p("")
	r.p("Costs are judged against the **floor**: a bare `httputil.ReverseProxy` process (`cmd/floorproxy`) in front of the same fake upstream, given the same load steps in the same run. *Ratio to floor* is the median over rounds of (setup ÷ floor in the same round). CPU is utime+stime from `/proc` of the gateway and its redis-server (the floor has no Redis), divided by every request sent in the step.")
	r.p("")
	r.p("| target | goal | measured | floor | ratio to floor | verdict | why (when missed) |")
	r.p("|---|---|---|---|---|---|---|")
	for _, t := range r.targetRows() {
		r.p("| %s | %s | %s | %s | %s | %s | %s |", t.name, t.want, t.got, t.floor, t.ratio, t.verdict, t.why)
	}
	r.p("")
	r.costTable()
}

// cpuTarget: gateway + redis-server CPU per JSON request at 1,000 req/s,
// or per stream at 200 streams/s, as a multiple of the floor's.
func (r *report) cpuTarget(stream bool) targetRow {
	rate, unit, noun, what := targetRate, "req", "request", fmt.Sprintf("JSON at %s req/s", fmtInt(targetRate))
	if stream {
		rate, unit, noun, what = targetStreamRate, "stream", "stream", r.sseWhat()
	}
	t := targetRow{name: fmt.Sprintf("CPU per %s, gateway + redis-server (%s, real Redis, sticky)", noun, what),
		want: fmt.Sprintf("≤ %.1f× the floor's (stretch ≤ %.1f×)", targetCPUx, targetCPUStretch)}
	c := r.cost(targetSetup, rate, stream)
	if !c.ok {
		return notMeasured(t, fmt.Sprintf("%s did not run at this rate (or the load run was skipped)", targetSetup))
	}
	t.got = c.stackText(unit)
	if !c.hasFloor {
		t.floor, t.verdict, t.why = "not measured", "—", "no floor proxy in this run"
		return t
	}
	t.floor, t.ratio = fmt.Sprintf("%s/%s", fmtDur(c.floorCPU), unit), fmtRatio(c.ratio)
	over := fmt.Sprintf("%s/%s over %.1f× the floor's", fmtDur(c.stack-time.Duration(targetCPUx*float64(c.floorCPU))), unit, targetCPUx)
	var ok bool
	t.verdict, ok = ratioVerdict(c.ratio, targetCPUx, targetCPUStretch, over)
	if !ok {
		t.why = r.cpuWhy(c, noun)
	}
	return t
}

// sseWhat names the streaming steps of the SSE targets, with the events
// per stream the generator counted.
func (r *report) sseWhat() string {
	s := fmt.Sprintf("SSE at %d streams/s", targetStreamRate)
	if a, ok := r.find(targetSetup, targetStreamRate, true); ok {
		if n := a.med(Step.EventsPerStream); n > 0 {
			s += fmt.Sprintf(" of %.0f events", n)
		}
	}
	return s
}

func (r *report) cpuWhy(c cost, unit string) string {
	parts := []string{fmt.Sprintf("the gateway process alone spends %s per %s against the floor's %s (%s beyond a bare proxy's work: parsing and rewriting the request, authentication, session id, account selection and reporting, logging, metrics)",
		fmtDur(c.gw), unit, fmtDur(c.floorCPU), fmtDur(c.gw-c.floorCPU))}
	if c.rd > 0 {
		parts = append(parts, fmt.Sprintf("redis-server adds %s per %s for %.1f commands per %s (commandstats, inside scripts included)", fmtDur(c.rd), unit, c.a.med(Step.RedisPerReq), unit))
	}
	if a, ok := c.a.allocs(); ok {
		s := fmt.Sprintf("the gateway allocates %.0f heap objects per %s", a, unit)
		if f, ok := c.floor.allocs(); ok {
			s += fmt.Sprintf(" against the floor's %.0f, and the GC's work grows with them", f)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// p50Target: the gateway's added p50 within 150 µs of the floor's.
func (r *report) p50Target() targetRow {
	t := targetRow{name: fmt.Sprintf("added p50 over calling the fake upstream directly (JSON at %s req/s, real Redis, sticky)", fmtInt(targetRate)),
		want: fmt.Sprintf("within %s of the floor's added p50", fmtDur(targetP50Gap))}
	c := r.cost(targetSetup, targetRate, false)
	if !c.ok || r.res == nil {
		return notMeasured(t, fmt.Sprintf("%s did not run at this rate (or the load run was skipped)", targetSetup))
	}
	p50 := func(s Step) time.Duration { return s.Lat.P50 }
	added, okA := r.added(c.a, p50)
	if !okA {
		return notMeasured(t, "no direct step in the same rounds")
	}
	t.got = fmtDur(added)
	if !c.hasFloor {
		t.floor, t.verdict, t.why = "not measured", "—", "no floor proxy in this run"
		return t
	}
	fAdded, _ := r.added(c.floor, p50)
	gap, okG := sameRound(c.a, c.floor, gapOf(p50))
	t.floor = fmtDur(fAdded)
	if fAdded > 0 {
		t.ratio = fmtRatio(float64(added) / float64(fAdded))
	} else {
		t.ratio = "—"
	}
	if !okG {
		t.verdict, t.why = "—", "the floor and the gateway share no round"
		return t
	}
	t.got += fmt.Sprintf(" (%s over the floor)", fmtDur(time.Duration(gap)))
	var ok bool
	t.verdict, ok = gapVerdict(time.Duration(gap), targetP50Gap)
	if !ok {
		t.why = r.latencyWhy(c, time.Duration(gap), "p50")
	}
	return t
}

func (r *report) latencyWhy(c cost, gap time.Duration, what string) string {
	parts := []string{fmt.Sprintf("the gateway's %s is %s above the floor's in the same round", what, fmtDur(gap)),
		fmt.Sprintf("its request path burns %s of CPU per request more than the floor's (gateway %s + redis-server %s against %s), and every µs of it is on the path of some request",
			fmtDur(c.stack-c.floorCPU), fmtDur(c.gw), fmtDur(c.rd), fmtDur(c.floorCPU))}
	if cs, ok := r.census(targetSetup); ok {
		parts = append(parts, fmt.Sprintf("it waits for %.2f Redis round trips per request (census), each a loopback round trip plus the script's time in redis-server", cs.OnPath()))
	}
	parts = append(parts, fmt.Sprintf("on the %d shared cores the harness's processes used %.0f%% and other work %.0f%% (medians), so that CPU also queues for a core",
		r.res.Machine.NumCPU, c.a.med(Step.BoxCPU)*100, c.a.med(Step.OtherLoad)*100))
	return strings.Join(parts, "; ")
}

// allocTarget: heap objects the gateway process allocates per JSON request.
func (r *report) allocTarget() targetRow {
	t := targetRow{name: fmt.Sprintf("allocations per request, gateway process (JSON at %s req/s, real Redis, sticky; `go_memstats_mallocs_total` delta)", fmtInt(targetRate)),
		want: fmt.Sprintf("≤ %.0f", targetAllocs)}
	c := r.cost(targetSetup, targetRate, false)
	if !c.ok {
		return notMeasured(t, fmt.Sprintf("%s did not run at this rate (or the load run was skipped)", targetSetup))
	}
	got, ok := c.a.allocs()
	if !ok {
		return notMeasured(t, "the gateway's /metrics had no go_memstats_mallocs_total")
	}
	t.got = fmt.Sprintf("%.0f", got)
	t.floor, t.ratio = "—", "—"
	f, okF := c.floor.allocs()
	if c.hasFloor && okF {
		t.got += fmt.Sprintf(" (%.0f beyond the floor's)", got-f)
		t.floor = fmt.Sprintf("%.0f", f)
		if f > 0 {
			t.ratio = fmtRatio(got / f)
		}
	}
	var met bool
	t.verdict, met = limitVerdict(got, targetAllocs, func(x float64) string { return fmt.Sprintf("%.0f", x) })
	if !met {
		t.why = fmt.Sprintf("%.0f heap objects per request in the gateway process", got)
		if okF {
			t.why += fmt.Sprintf(", %.0f of them beyond the floor's %.0f (a bare proxy's request, header maps, buffers and connections)", got-f, f)
		}
		t.why += "; the count covers the whole process during the step, so background work (health probes, key-usage flushes, request-log batching) is in it too; the micro-benchmarks and the profile below show which code allocates"
	}
	return t
}

// embeddedTarget: the embedded store no costlier per request than real
// Redis (gateway + redis-server).
func (r *report) embeddedTarget() targetRow {
	t := targetRow{name: fmt.Sprintf("embedded store (no Redis) CPU per request against real Redis (JSON at %s req/s)", fmtInt(targetRate)),
		want: fmt.Sprintf("≤ %.1f× %s's gateway + redis-server", targetEmbeddedX, targetSetup)}
	e, rd := r.cost(embeddedSetup, targetRate, false), r.cost(targetSetup, targetRate, false)
	if !e.ok || !rd.ok {
		return notMeasured(t, fmt.Sprintf("%s or %s did not run at this rate", embeddedSetup, targetSetup))
	}
	ratio, _ := sameRound(e.a, rd.a, ratioOf(Step.StackCPUPerReq))
	t.got = fmt.Sprintf("%s/req, %s of %s's %s", fmtDur(e.stack), fmtRatio(ratio), targetSetup, fmtDur(rd.stack))
	t.floor, t.ratio = "—", "—"
	if e.hasFloor {
		t.floor, t.ratio = fmt.Sprintf("%s/req", fmtDur(e.floorCPU)), fmtRatio(e.ratio)
	}
	var ok bool
	t.verdict, ok = ratioVerdict(ratio, targetEmbeddedX, 0, fmt.Sprintf("%s/req more", fmtDur(e.stack-rd.stack)))
	if !ok {
		t.why = fmt.Sprintf("the embedded-store gateway spends %s per request in its one process; the Redis one spends %s in the gateway and %s in redis-server: keeping the scheduler's state in process costs %s more gateway CPU than the Redis client does, more than the %s redis-server spends on the same work",
			fmtDur(e.gw), fmtDur(rd.gw), fmtDur(rd.rd), fmtDur(e.gw-rd.gw), fmtDur(rd.rd))
	}
	return t
}

// ttfbTarget: the gateway's first byte of a stream within 200 µs of the floor's.
func (r *report) ttfbTarget() targetRow {
	t := targetRow{name: fmt.Sprintf("first byte of a stream, TTFB p50 (%s, real Redis)", r.sseWhat()),
		want: fmt.Sprintf("within %s of the floor's", fmtDur(targetTTFBGap))}
	c := r.cost(targetSetup, targetStreamRate, true)
	if !c.ok {
		return notMeasured(t, fmt.Sprintf("%s did not stream at this rate (or the load run was skipped)", targetSetup))
	}
	ttfb := func(s Step) time.Duration { return s.TTFB.P50 }
	t.got = fmtDur(c.a.medDur(ttfb))
	if !c.hasFloor {
		t.floor, t.verdict, t.why = "not measured", "—", "no floor proxy in this run"
		return t
	}
	t.floor = fmtDur(c.floor.medDur(ttfb))
	ratio, _ := sameRound(c.a, c.floor, ratioOf(ttfb))
	t.ratio = fmtRatio(ratio)
	gap, okG := sameRound(c.a, c.floor, gapOf(ttfb))
	if !okG {
		t.verdict, t.why = "—", "the floor and the gateway share no round"
		return t
	}
	t.got += fmt.Sprintf(" (%s over the floor)", fmtDur(time.Duration(gap)))
	var ok bool
	t.verdict, ok = gapVerdict(time.Duration(gap), targetTTFBGap)
	if !ok {
		why := fmt.Sprintf("the gateway's first byte comes %s after the floor's in the same round: before it calls the upstream it authenticates, derives the session id and selects an account", fmtDur(time.Duration(gap)))
		if cs, ok := r.census(targetSetup); ok {
			why += fmt.Sprintf(" (%.2f Redis round trips per request on the path, census)", cs.OnPath())
		}
		why += fmt.Sprintf("; it spends %s of CPU per stream against the floor's %s", fmtDur(c.stack), fmtDur(c.floorCPU))
		why += fmt.Sprintf("; on the %d shared cores the harness's processes used %.0f%% (median)", r.res.Machine.NumCPU, c.a.med(Step.BoxCPU)*100)
		t.why = why
	}
	return t
}

// streamMem returns the measurement at n open streams through the gateway
// (floor false) or the floor proxy.
func (r *report) streamMem(n int, floor bool) (StreamMem, bool) {
	if r.res == nil {
		return StreamMem{}, false
	}
	for _, m := range r.res.Streams {
		if m.N == n && m.IsFloor() == floor && m.Opened > 0 {
			return m, true
		}
	}
	return StreamMem{}, false
}

func (r *report) memTarget() targetRow {
	t := targetRow{name: fmt.Sprintf("memory per open stream at %s streams (RSS delta ÷ streams, one gateway, real Redis)", fmtInt(targetStreamN)),
		want: fmt.Sprintf("≤ %s", fmtBytes(targetStreamMem))}
	m, ok := r.streamMem(targetStreamN, false)
	if !ok {
		return notMeasured(t, fmt.Sprintf("%s open streams were not measured in this run", fmtInt(targetStreamN)))
	}
	got := m.PerStream()
	t.got = fmt.Sprintf("%.1f KiB", got/1024)
	t.floor, t.ratio = "not measured", "—"
	f, okF := r.streamMem(targetStreamN, true)
	if okF {
		t.floor = fmt.Sprintf("%.1f KiB", f.PerStream()/1024)
		if f.PerStream() > 0 {
			t.ratio = fmtRatio(got / f.PerStream())
		}
	}
	if m.Opened*100 < m.N*99 {
		t.got += fmt.Sprintf(" over the %d streams opened", m.Opened)
		t.verdict = "— not measured at " + fmtInt(m.N)
		t.why = fmt.Sprintf("only %d of %d streams were opened (%d failed: %s)", m.Opened, m.N, m.Failed, fmtCounts(m.Errs, 1))
		return t
	}
	var met bool
	t.verdict, met = limitVerdict(got, targetStreamMem, func(x float64) string { return fmt.Sprintf("%.1f KiB", x/1024) })
	if !met {
		why := ""
		if okF {
			why = fmt.Sprintf("a bare proxy already holds %.1f KiB per open stream (its handler goroutine, the transport's read and write loops, net/http's buffers on both connections); the gateway holds %.1f KiB more: ",
				f.PerStream()/1024, (got-f.PerStream())/1024)
		}
		t.why = why + "a deeper handler stack (middleware, dispatch, the SSE reader on the same goroutine), the SSE read buffer (4 KiB) and relay buffer, the heartbeat timer and the request's state (parsed body, attempt, session), plus GC headroom (GOGC=100) on all of it"
	}
	return t
}

func (r *report) rateTarget() targetRow {
	t := targetRow{name: "highest JSON rate held on one replica on Redis (< 1% errors, no growing backlog)", want: fmt.Sprintf("≥ %s req/s", fmtInt(targetHeldRate))}
	if r.res == nil {
		return notMeasured(t, "the load run was skipped")
	}
	per, topped := r.heldRates(targetSetup)
	if len(per) == 0 {
		return notMeasured(t, fmt.Sprintf("%s did not run", targetSetup))
	}
	t.got = fmtHeld(per, topped)
	t.floor, t.ratio = "not measured", "—"
	if fp, ft := r.heldRates(floorSetup); len(fp) > 0 {
		t.floor = fmtHeld(fp, ft)
		if g, f := medianInts(per), medianInts(fp); f > 0 {
			t.ratio = fmtRatio(g / f)
		}
	}
	var ok bool
	t.verdict, ok = rateVerdict(per, topped, targetHeldRate)
	if !ok && !strings.HasPrefix(t.verdict, "—") {
		t.why = r.rateWhy(per)
	}
	return t
}

func medianInts(xs []int) float64 {
	fs := make([]float64, len(xs))
	for i, x := range xs {
		fs[i] = float64(x)
	}
	return Median(fs)
}

// rateWhy explains the first rate gw-redis missed, from that step.
func (r *report) rateWhy(per []int) string {
	var miss *Step
	for i := range r.res.Steps {
		s := &r.res.Steps[i]
		if s.Setup == targetSetup && !s.Stream && !s.Held && (miss == nil || s.Rate < miss.Rate) {
			miss = s
		}
	}
	held := int(medianInts(per))
	var parts []string
	if held > 0 {
		if c := r.cost(targetSetup, held, false); c.ok {
			cores := c.stack.Seconds() * float64(held)
			parts = append(parts, fmt.Sprintf("at %s req/s the gateway and redis-server used %.2f of the %d cores (%s per request)", fmtInt(held), cores, r.res.Machine.NumCPU, fmtDur(c.stack)))
			if c.hasFloor {
				parts = append(parts, fmt.Sprintf("the floor %.2f", c.floorCPU.Seconds()*float64(held)))
			}
		}
	}
	if miss != nil {
		parts = append(parts, fmt.Sprintf("at %s req/s (round %d) it %s, with the load generator, the fake upstream and Redis on the same cores (box CPU %.0f%%, other work %.0f%%)",
			fmtInt(miss.Rate), miss.Round, missReason(*miss, r.res.Config.Timeout), miss.BoxCPU()*100, miss.OtherLoad()*100))
	}
	if len(parts) == 0 {
		return "no step of the setup missed in this run"
	}
	return strings.Join(parts, "; ")
}

// missReason says why a step was not held.
func missReason(s Step, timeout time.Duration) string {
	var rs []string
	if s.ErrRate >= 0.01 {
		rs = append(rs, fmt.Sprintf("failed %.1f%% of its requests", s.ErrRate*100))
	}
	if s.Backlog {
		rs = append(rs, fmt.Sprintf("built a growing queue (p50 of the first quarter %s, of the last %s)", fmtDur(s.FirstQ), fmtDur(s.LastQ)))
	}
	if timeout > 0 && s.Lat.P99 >= timeout/2 {
		rs = append(rs, fmt.Sprintf("had p99 %s, over half the %s timeout", fmtDur(s.Lat.P99), fmtDur(timeout)))
	}
	if s.Measured == 0 {
		rs = append(rs, "measured no request")
	}
	if len(rs) == 0 {
		return "was cut short"
	}
	return strings.Join(rs, " and ")
}

func (r *report) roundTripTarget() targetRow {
	c, ok := r.census(targetSetup)
	if !ok {
		return targetRow{name: "Redis round trips per healthy sticky request", want: "1", got: "not measured", verdict: "—", why: "no real Redis in this run"}
	}
	got := c.OnPath()
	t := targetRow{name: "Redis round trips per healthy sticky request", want: "1 (EVALSHA counts as one)", floor: "0", ratio: "—",
		got: fmt.Sprintf("%.2f on the request path; %.2f with background writes (%s)", got, c.PerRequest(), fmtCounts(c.RoundTrips, c.Requests))}
	if got <= targetRoundTrips+0.05 {
		t.verdict = met
	} else {
		t.verdict = fmt.Sprintf("**missed** by %.2f round trips", got-targetRoundTrips)
		t.why = roundTripWhy(c)
	}
	return t
}

func (r *report) selectionTarget() (targetRow, bool) {
	if r.in.Micro == nil {
		return targetRow{}, false
	}
	worst, worstName, found := 0.0, "", false
	var parts []string
	for _, store := range []string{"redis-server", "miniredis"} {
		for _, path := range []string{"sticky", "round_robin"} {
			lo, ok1 := r.in.Micro.Find(fmt.Sprintf("BenchmarkAcquire/%s/%s/accounts=10", store, path))
			hi, ok2 := r.in.Micro.Find(fmt.Sprintf("BenchmarkAcquire/%s/%s/accounts=10000", store, path))
			if !ok1 || !ok2 || lo.Median["ns/op"] == 0 {
				continue
			}
			found = true
			ratio := hi.Median["ns/op"] / lo.Median["ns/op"]
			parts = append(parts, fmt.Sprintf("%s %s %.2fx", store, path, ratio))
			if ratio > worst {
				worst, worstName = ratio, store+" "+path
			}
		}
	}
	if !found {
		return targetRow{}, false
	}
	t := targetRow{name: "selection cost at 10,000 accounts vs 10 (Acquire ns/op)", want: "within 2x", got: strings.Join(parts, ", "), floor: "—", ratio: "—"}
	if worst <= targetSelection {
		t.verdict = met
	} else {
		t.verdict = fmt.Sprintf("**missed** by %.2fx (%s)", worst-targetSelection, worstName)
		t.why = "see the selection table: the growth is in the script's work per candidate"
	}
	return t, true
}

// costTable is the before/after table of the hot-path issue.
func (r *report) costTable() {
	if r.res == nil {
		return
	}
	rows := []struct{ label, setup string }{
		{"floor proxy", floorSetup},
		{"Switchyard on real Redis", targetSetup},
		{"Switchyard embedded store", embeddedSetup},
	}
	r.p("### Cost per request at %s req/s (JSON, sticky)", fmtInt(targetRate))
	r.p("")
	r.p("CPU of the setup's processes (Switchyard on real Redis: the gateway and its redis-server) ÷ requests sent; *added p50* is the setup's p50 minus calling the fake upstream directly in the same round. Medians over rounds.")
	r.p("")
	r.p("| target | CPU µs/req | added p50 |")
	r.p("|---|---|---|")
	for _, row := range rows {
		c := r.cost(row.setup, targetRate, false)
		if !c.ok {
			r.p("| %s | — | — |", row.label)
			continue
		}
		p50 := "—"
		if v, ok := r.added(c.a, func(s Step) time.Duration { return s.Lat.P50 }); ok {
			p50 = fmt.Sprintf("%.0f µs", float64(v)/float64(time.Microsecond))
		}
		r.p("| %s | %.0f | %s |", row.label, float64(c.stack)/float64(time.Microsecond), p50)
	}
	r.p("")
}

func (r *report) headlines() {
	if r.res == nil {
		return
	}
	r.p("## Headline figures")
	r.p("")
	for _, s := range r.res.Setups {
		if s.Name == "direct" {
			continue
		}
		if c := r.cost(s.Name, targetRate, false); c.ok {
			p50, _ := r.added(c.a, func(s Step) time.Duration { return s.Lat.P50 })
			p99, _ := r.added(c.a, func(s Step) time.Duration { return s.Lat.P99 })
			var line strings.Builder
			fmt.Fprintf(&line, "- **%s** at %s req/s (JSON, sticky): CPU %s", s.Name, fmtInt(targetRate), c.stackText("req"))
			if c.hasFloor && !s.Floor {
				fmt.Fprintf(&line, ", %s the floor's", fmtRatio(c.ratio))
			}
			fmt.Fprintf(&line, "; added p50 %s", fmtDur(p50))
			if c.hasFloor && !s.Floor {
				if fp50, ok := r.added(c.floor, func(s Step) time.Duration { return s.Lat.P50 }); ok && fp50 > 0 {
					fmt.Fprintf(&line, " (%s the floor's %s)", fmtRatio(float64(p50)/float64(fp50)), fmtDur(fp50))
				}
			}
			fmt.Fprintf(&line, ", p99 %s", fmtDur(p99))
			if a, ok := c.a.allocs(); ok {
				fmt.Fprintf(&line, "; %.0f allocations per request", a)
			}
			if s.Redis {
				fmt.Fprintf(&line, "; %.2f Redis commands per request (commandstats, inside scripts included)", c.a.med(Step.RedisPerReq))
			}
			r.p("%s.", line.String())
		}
		if c := r.cost(s.Name, targetStreamRate, true); c.ok {
			ttfb := c.a.medDur(func(s Step) time.Duration { return s.TTFB.P50 })
			line := fmt.Sprintf("  SSE at %d streams/s: CPU %s", targetStreamRate, c.stackText("stream"))
			if c.hasFloor && !s.Floor {
				line += fmt.Sprintf(", %s the floor's", fmtRatio(c.ratio))
			}
			line += fmt.Sprintf("; TTFB p50 %s", fmtDur(ttfb))
			if c.hasFloor && !s.Floor {
				line += fmt.Sprintf(" (floor %s)", fmtDur(c.floor.medDur(func(s Step) time.Duration { return s.TTFB.P50 })))
			}
			r.p("%s.", line)
		}
		per, topped := r.heldRates(s.Name)
		if len(per) > 0 {
			r.p("  Highest JSON rate held (< 1%% errors, no growing backlog, p99 under half the timeout): %s.", fmtHeld(per, topped))
		}
	}
	for _, c := range r.res.Census {
		r.p("- **%s**: %.2f Redis round trips per healthy sticky request on the request path, %.2f with background writes (%s).", c.Setup, c.OnPath(), c.PerRequest(), fmtCounts(c.RoundTrips, c.Requests))
	}
	for _, m := range r.res.Streams {
		if m.IsFloor() {
			continue
		}
		line := fmt.Sprintf("- **%d open streams**: %.1f KiB RSS per stream through one gateway (real Redis)", m.N, m.PerStream()/1024)
		if m.Opened < m.N {
			line += fmt.Sprintf(" (only %d opened)", m.Opened)
		}
		if f, ok := r.streamMem(m.N, true); ok {
			line += fmt.Sprintf(", %.1f KiB through the floor (%s)", f.PerStream()/1024, fmtRatio(m.PerStream()/f.PerStream()))
		}
		r.p("%s.", line)
	}
	if r.in.Micro != nil {
		if lo, ok := r.in.Micro.Find("BenchmarkAcquire/redis-server/sticky/accounts=10"); ok {
			if hi, ok := r.in.Micro.Find("BenchmarkAcquire/redis-server/sticky/accounts=10000"); ok {
				r.p("- **Selection** on redis-server (sticky): %s at 10 accounts, %s at 10,000 (%.2fx).",
					fmtNs(lo.Median["ns/op"]), fmtNs(hi.Median["ns/op"]), hi.Median["ns/op"]/lo.Median["ns/op"])
			}
		}
		if lo, ok := r.in.Micro.Find("BenchmarkAcquire/embedded/sticky/accounts=10"); ok {
			r.p("- **Selection** on the embedded store (sticky, 10 accounts): %s and %s allocated per call.", fmtNs(lo.Median["ns/op"]), fmtBytes(int64(lo.Median["B/op"])))
		}
	}
	r.p("")
}

// fmtInt writes n with thousands separators (1,000).
func fmtInt(n int) string {
	s := fmt.Sprintf("%d", n)
	if n < 0 {
		return "-" + fmtInt(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
