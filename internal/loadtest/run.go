package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

const (
	benchKey    = "sy-bench-client-key"
	directKey   = "demo-anthropic-1"
	clientModel = "claude-sonnet-4-5"
	mappedModel = "claude-sonnet-4-5-20250929"
	stallModel  = "claude-bench-stall"

	floorSetup = "floor" // the setup of the floor proxy
)

// setup is one system under test.
type setup struct {
	SetupInfo
	gws   []*proc
	redis *proc
	target
}

// isGateway reports whether the setup runs Switchyard (not direct, not the floor).
func (s *setup) isGateway() bool { return len(s.gws) > 0 && !s.Floor }

func (s *setup) pids() []int {
	var out []int
	for _, g := range s.gws {
		out = append(out, g.pid())
	}
	return out
}

type runner struct {
	cfg    Config
	res    *Results
	work   string
	fake   *proc
	redis  []*proc
	setups []*setup
	client *http.Client
	all    []*proc
	// scrape reads /metrics of the gateways and the floor (allocation
	// counters); a client of its own, so the load client's pool is untouched.
	scrape *http.Client
}

func (r *runner) logf(format string, args ...any) {
	if r.cfg.Progress != nil {
		fmt.Fprintf(r.cfg.Progress, "switchyard-bench: "+format+"\n", args...)
	}
}

func (r *runner) note(format string, args ...any) {
	r.res.Notes = append(r.res.Notes, fmt.Sprintf(format, args...))
	r.logf("note: "+format, args...)
}

// Run starts the fake upstream, Redis and the gateways as separate
// processes, measures every setup, and stops everything it started.
func Run(ctx context.Context, cfg Config) (*Results, error) {
	res := &Results{Started: time.Now().UTC(), Config: cfg, Machine: readMachine()}
	r := &runner{cfg: cfg, res: res, client: newLoadClient(2048), scrape: &http.Client{Timeout: 5 * time.Second}}
	res.Machine.FDLimit = raiseFDLimit()
	work := cfg.WorkDir
	if work == "" {
		d, err := os.MkdirTemp("", "switchyard-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		work = d
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	r.work = work
	defer r.stopAll()
	deadline := res.Started.Add(cfg.MaxDuration)

	if err := r.startFake(); err != nil {
		return nil, err
	}
	if err := r.startSetups(ctx); err != nil {
		return nil, err
	}
	r.warmAndCensus(ctx)
	r.rounds(ctx, deadline)
	r.peaks()
	for _, s := range r.setups {
		for _, g := range s.gws {
			g.stop(10 * time.Second)
		}
	}
	r.streamMemory(ctx)
	res.Finished = time.Now().UTC()
	res.Machine.LoadEnd = loadavg()
	if err := ctx.Err(); err != nil {
		return res, err
	}
	return res, nil
}

func (r *runner) stopAll() {
	for i := len(r.all) - 1; i >= 0; i-- {
		r.all[i].stop(10 * time.Second)
	}
	r.client.CloseIdleConnections()
	r.scrape.CloseIdleConnections()
}

func (r *runner) bin(name string) string { return filepath.Join(r.cfg.Bin, name) }

func (r *runner) startFake() error {
	env := childEnv("FAKEUPSTREAM_ADDR=127.0.0.1:0", "FAKEUPSTREAM_LATENCY="+r.cfg.Latency.String())
	p, got, err := startAnnounced("fakeupstream", r.bin("fakeupstream"), env, filepath.Join(r.work, "fakeupstream.log"),
		[]string{"LISTENING "}, 15*time.Second)
	if err != nil {
		return err
	}
	p.addr = got["LISTENING "]
	r.fake = p
	r.all = append(r.all, p)
	// Streams of the stall model send two events, then nothing until the
	// client leaves: the open streams of the memory measurement.
	fault := fmt.Sprintf(`{"provider":"anthropic","model":%q,"kind":"stall","after_events":2}`, stallModel)
	resp, err := http.Post("http://"+p.addr+"/_control/faults", "application/json", strings.NewReader(fault))
	if err != nil {
		return fmt.Errorf("add stall fault: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("add stall fault: status %d", resp.StatusCode)
	}
	r.logf("fake upstream on %s (latency %s)", p.addr, r.cfg.Latency)
	return nil
}

func (r *runner) startRedis(i int) (*proc, error) {
	dir := filepath.Join(r.work, fmt.Sprintf("redis-%d", i))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	p, err := startRedis(dir, filepath.Join(r.work, fmt.Sprintf("redis-%d.log", i)))
	if err != nil {
		return nil, err
	}
	r.redis = append(r.redis, p)
	r.all = append(r.all, p)
	return p, nil
}

func (r *runner) gatewayEnv(redisURL string, extra ...string) []string {
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	return append(childEnv(
		"SWITCHYARD_LISTEN_ADDR=127.0.0.1:0",
		"SWITCHYARD_ADMIN_ADDR=127.0.0.1:0",
		"SWITCHYARD_ACCOUNTS_FILE="+abs(r.cfg.Accounts),
		"SWITCHYARD_ROUTES_FILE="+abs(r.cfg.Routes),
		"SWITCHYARD_DEMO_UPSTREAM=http://"+r.fake.addr,
		"SWITCHYARD_API_KEYS="+benchKey,
		"SWITCHYARD_REDIS_URL="+redisURL,
		"SWITCHYARD_STREAM_IDLE_TIMEOUT=10m",
		"SWITCHYARD_SHUTDOWN_GRACE=3s",
	), extra...)
}

func (r *runner) startGateway(name string, redis *proc, extraEnv ...string) (*proc, error) {
	url := ""
	if redis != nil {
		url = "redis://" + redis.addr + "/0"
	}
	p, got, err := startAnnounced(name, r.bin("switchyard"), r.gatewayEnv(url, extraEnv...), filepath.Join(r.work, name+".log"),
		[]string{"LISTENING ", "ADMIN "}, 20*time.Second)
	if err != nil {
		return nil, err
	}
	p.addr, p.admin = got["LISTENING "], got["ADMIN "]
	r.all = append(r.all, p)
	return p, nil
}

// startFloor starts the floor proxy (cmd/floorproxy) in front of the fake
// upstream.
func (r *runner) startFloor(name string) (*proc, error) {
	env := childEnv("FLOORPROXY_UPSTREAM=http://"+r.fake.addr, "FLOORPROXY_ADDR=127.0.0.1:0", "FLOORPROXY_ADMIN_ADDR=127.0.0.1:0")
	p, got, err := startAnnounced(name, r.bin("floorproxy"), env, filepath.Join(r.work, name+".log"),
		[]string{"LISTENING ", "ADMIN "}, 15*time.Second)
	if err != nil {
		return nil, err
	}
	p.addr, p.admin = got["LISTENING "], got["ADMIN "]
	r.all = append(r.all, p)
	return p, nil
}

// directTarget is what the client sends the fake upstream itself: the
// provider's model name and an account's key. The floor proxy gets the same
// requests (it forwards them untouched).
func (r *runner) directTarget(addr, model string) target {
	return target{urls: []string{"http://" + addr + "/v1/messages"}, key: directKey,
		json: anthropicBodies(model, r.cfg.Sessions, false), stream: anthropicBodies(model, r.cfg.Sessions, true)}
}

// anthropicBodies are Messages requests of n Claude Code sessions
// (metadata.user_id carries the session uuid).
func anthropicBodies(model string, n int, stream bool) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, `{"model":%q,"max_tokens":256,"stream":%t,`+
			`"metadata":{"user_id":"user_5f0c9d2e7a41b8c3_account__session_0b8f2c3e-1111-4a2b-9c3d-%012d"},`+
			`"messages":[{"role":"user","content":"Hello there, gateway! This is conversation %d."}]}`, model, stream, i, i)
	}
	return out
}

func (r *runner) gatewayTarget(gws []*proc, model string) target {
	t := target{key: benchKey, json: anthropicBodies(model, r.cfg.Sessions, false), stream: anthropicBodies(model, r.cfg.Sessions, true)}
	for _, g := range gws {
		t.urls = append(t.urls, "http://"+g.addr+"/v1/messages")
	}
	return t
}

func (r *runner) startSetups(ctx context.Context) error {
	direct := &setup{SetupInfo: SetupInfo{Name: "direct", Desc: "client → fake upstream (baseline)"},
		target: r.directTarget(r.fake.addr, mappedModel)}
	r.setups = append(r.setups, direct)

	if fl, err := r.startFloor(floorSetup); err != nil {
		r.note("floor proxy skipped (no ratios to the floor in this run): %v", err)
	} else {
		r.setups = append(r.setups, &setup{SetupInfo: SetupInfo{Name: floorSetup, Floor: true, Gateways: 1,
			Desc: "client → bare `httputil.ReverseProxy` (cmd/floorproxy, FlushInterval −1, the gateway's upstream pool sizes) → fake upstream: the floor; same requests as direct"},
			gws: []*proc{fl}, target: r.directTarget(fl.addr, mappedModel)})
	}

	emb, err := r.startGateway("gw-embedded", nil)
	if err != nil {
		return err
	}
	r.setups = append(r.setups, &setup{SetupInfo: SetupInfo{Name: "gw-embedded", Desc: "1 gateway, embedded store (in process)", Gateways: 1},
		gws: []*proc{emb}, target: r.gatewayTarget([]*proc{emb}, clientModel)})

	if rd1, err := r.startRedis(1); err != nil {
		r.note("real-Redis setups skipped: %v", err)
	} else {
		gw, err := r.startGateway("gw-redis", rd1)
		if err != nil {
			return err
		}
		r.setups = append(r.setups, &setup{SetupInfo: SetupInfo{Name: "gw-redis", Desc: "1 gateway, real redis-server", Gateways: 1, Redis: true},
			gws: []*proc{gw}, redis: rd1, target: r.gatewayTarget([]*proc{gw}, clientModel)})
		rd2, err := r.startRedis(2)
		if err != nil {
			return err
		}
		var gws []*proc
		for i := 1; i <= 3; i++ {
			g, err := r.startGateway(fmt.Sprintf("gw-redis-x3-%d", i), rd2)
			if err != nil {
				return err
			}
			gws = append(gws, g)
		}
		r.setups = append(r.setups, &setup{SetupInfo: SetupInfo{Name: "gw-redis-x3", Desc: "3 gateway replicas on one redis-server, client round-robin", Gateways: 3, Redis: true},
			gws: gws, redis: rd2, target: r.gatewayTarget(gws, clientModel)})
	}
	for _, s := range r.setups {
		r.res.Setups = append(r.res.Setups, s.SetupInfo)
		for i := range s.urls {
			url, body := s.urls[i], s.json[0]
			err := waitReady(ctx, func(context.Context) error {
				sm := doRequest(r.client, url, s.key, body, false, time.Now(), 5*time.Second)
				if sm.err != "" {
					return errors.New(sm.err)
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("%s (%s) does not answer: %w; logs in %s", s.Name, url, err, r.work)
			}
		}
		r.logf("%s ready (%d process(es) under test)", s.Name, len(s.gws))
	}
	return nil
}

// warmAndCensus binds every session on every setup, then counts, with
// MONITOR, the Redis round trips of sequential healthy sticky requests.
func (r *runner) warmAndCensus(ctx context.Context) {
	for _, s := range r.setups {
		raw := openLoop(ctx, r.client, &s.target, stepSpec{rate: 200, measure: time.Duration(r.cfg.Sessions) * 5 * time.Millisecond,
			timeout: r.cfg.Timeout, maxInFlight: r.cfg.MaxInFlight})
		if bad := countErrors(raw.samples); bad > 0 {
			r.note("%s: %d of %d warm-up requests failed", s.Name, bad, len(raw.samples))
		}
	}
	for i, s := range r.setups {
		if len(s.gws) == 0 {
			continue
		}
		s.ScrapeAllocs = r.scrapeCost(s)
		r.res.Setups[i].ScrapeAllocs = s.ScrapeAllocs
		if s.ScrapeAllocs < 0 {
			r.note("%s: go_memstats_mallocs_total unreadable on /metrics; no allocation counts for it", s.Name)
		} else {
			r.logf("%s: one /metrics scrape allocates %d objects (taken off every step's count)", s.Name, s.ScrapeAllocs)
		}
	}
	for _, s := range r.setups {
		if s.redis == nil {
			continue
		}
		c, err := r.census(s, 200)
		if err != nil {
			r.note("%s: census failed: %v", s.Name, err)
			continue
		}
		r.res.Census = append(r.res.Census, c)
		r.logf("%s: %.2f Redis round trips per healthy sticky request %v", s.Name, c.PerRequest(), c.RoundTrips)
	}
}

// mallocs reads go_memstats_mallocs_total of a gateway or floor process.
func (r *runner) mallocs(p *proc) (int64, error) {
	if p.admin == "" {
		return 0, errors.New("no admin listener")
	}
	resp, err := r.scrape.Get("http://" + p.admin + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET /metrics: status %d", resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return 0, err
	}
	return ParseMallocs(string(b))
}

// mallocsAll sums mallocs over a setup's processes.
func (r *runner) mallocsAll(s *setup) (int64, bool) {
	var sum int64
	for _, g := range s.gws {
		n, err := r.mallocs(g)
		if err != nil {
			return 0, false
		}
		sum += n
	}
	return sum, len(s.gws) > 0
}

// scrapeCost is the objects one /metrics scrape allocates in the setup's
// first process: the median delta of back-to-back scrapes (the counter is
// read in the middle of a scrape, so each delta is the end of one scrape and
// the start of the next). -1 when unreadable.
func (r *runner) scrapeCost(s *setup) int64 {
	g := s.gws[0]
	prev, err := r.mallocs(g)
	if err != nil {
		return -1
	}
	var ds []float64
	for i := 0; i < 5; i++ {
		cur, err := r.mallocs(g)
		if err != nil {
			return -1
		}
		ds = append(ds, float64(cur-prev))
		prev = cur
	}
	return int64(Median(ds))
}

func countErrors(ss []sample) int {
	n := 0
	for _, s := range ss {
		if s.err != "" {
			n++
		}
	}
	return n
}

func (r *runner) census(s *setup, n int) (Census, error) {
	before, err := CommandStats(s.redis.addr)
	if err != nil {
		return Census{}, err
	}
	m, err := startMonitor(s.redis.addr)
	if err != nil {
		return Census{}, err
	}
	c := Census{Setup: s.Name, Requests: n}
	for i := 0; i < n; i++ {
		url, body := s.pick(i, false)
		if sm := doRequest(r.client, url, s.key, body, false, time.Now(), 5*time.Second); sm.err == "" {
			c.OK++
		}
	}
	time.Sleep(100 * time.Millisecond)
	c.RoundTrips, c.InScripts = m.stop()
	after, err := CommandStats(s.redis.addr)
	if err != nil {
		return Census{}, err
	}
	_, c.StatsCalls = DiffCalls(before, after)
	return c, nil
}

func (r *runner) stepTime() time.Duration { return r.cfg.Warm + r.cfg.Measure + r.cfg.Timeout/2 }

// streamPhaseTime is kept in reserve for the memory-per-stream phase (a
// gateway and, when it runs, the floor proxy at every count).
func (r *runner) streamPhaseTime() time.Duration {
	var d time.Duration
	for _, n := range r.cfg.OpenStreams {
		d += 8*time.Second + time.Duration(n)*time.Second/time.Duration(max(r.cfg.OpenRate, 1))
	}
	if r.setupNamed(floorSetup) != nil {
		d *= 2
	}
	return d
}

// rounds runs every setup at every rate of the ladder, interleaved: within a
// round each rate is measured on every setup (in a rotating order) before
// the next rate. A setup (the floor too) stops climbing in a round once it
// misses a rate; direct keeps going while any gateway setup does, as their
// baseline, and the ladder ends when no gateway setup is left.
func (r *runner) rounds(ctx context.Context, deadline time.Time) {
	n := len(r.setups)
	for round := 1; round <= r.cfg.Rounds; round++ {
		order := make([]*setup, 0, n)
		for j := range r.setups {
			order = append(order, r.setups[(j+round-1)%n])
		}
		active := map[string]bool{}
		for _, s := range r.setups {
			active[s.Name] = true
		}
		gatewaysActive := func() bool {
			for _, s := range r.setups {
				if s.isGateway() && active[s.Name] {
					return true
				}
			}
			return false
		}
		for _, rate := range r.cfg.Rates {
			if !gatewaysActive() {
				break
			}
			for _, s := range order {
				if ctx.Err() != nil {
					return
				}
				if len(s.gws) > 0 && !active[s.Name] {
					continue
				}
				if time.Now().Add(r.stepTime() + r.streamPhaseTime()).After(deadline) {
					r.note("time budget reached in round %d at %d req/s; later steps skipped", round, rate)
					return
				}
				st := r.step(ctx, s, round, rate, false)
				if len(s.gws) > 0 && !st.Held {
					active[s.Name] = false
				}
			}
		}
		for _, rate := range r.cfg.StreamRates {
			for _, s := range order {
				if ctx.Err() != nil {
					return
				}
				if time.Now().Add(r.stepTime() + r.streamPhaseTime()).After(deadline) {
					r.note("time budget reached in round %d (streaming); later steps skipped", round)
					return
				}
				r.step(ctx, s, round, rate, true)
			}
		}
	}
}

func (r *runner) step(ctx context.Context, s *setup, round, rate int, stream bool) Step {
	pids := s.pids()
	self := os.Getpid()
	var redisPid []int
	if s.redis != nil {
		redisPid = []int{s.redis.pid()}
	}
	var before map[string]int64
	if s.redis != nil {
		before, _ = CommandStats(s.redis.addr)
	}
	alloc0, allocOK := int64(0), false
	if s.ScrapeAllocs >= 0 {
		alloc0, allocOK = r.mallocsAll(s)
	}
	cpu0, rcpu0, fcpu0, gcpu0 := ReadCPUs(pids), ReadCPUs(redisPid), ReadCPUs([]int{r.fake.pid()}), ReadCPUs([]int{self})
	idle := r.idlePids(s)
	icpu0, sys0 := ReadCPUs(idle), ReadSystemBusy()
	raw := openLoop(ctx, r.client, &s.target, stepSpec{rate: rate, warm: r.cfg.Warm, measure: r.cfg.Measure,
		timeout: r.cfg.Timeout, stream: stream, maxInFlight: r.cfg.MaxInFlight})
	st := Step{Round: round, Rate: rate, Setup: s.Name, Stream: stream, Sent: len(raw.samples), Elapsed: raw.elapsed,
		GatewayCPU: ReadCPUs(pids) - cpu0, RedisCPU: ReadCPUs(redisPid) - rcpu0,
		FakeCPU: ReadCPUs([]int{r.fake.pid()}) - fcpu0, GenCPU: ReadCPUs([]int{self}) - gcpu0,
		ErrKinds: map[string]int{}, PeakInFlight: raw.inFlight}
	ours := st.GatewayCPU + st.RedisCPU + st.FakeCPU + st.GenCPU + ReadCPUs(idle) - icpu0
	st.OtherCPU = max(ReadSystemBusy()-sys0-ours, 0)
	if allocOK {
		if alloc1, ok := r.mallocsAll(s); ok {
			st.Allocs = max(alloc1-alloc0-s.ScrapeAllocs*int64(len(s.gws)), 0)
			st.AllocsKnown = true
		}
	}
	if s.redis != nil {
		if after, err := CommandStats(s.redis.addr); err == nil && before != nil {
			st.RedisByCmd, st.RedisCalls = DiffCalls(before, after)
		}
	}
	measured := raw.samples[min(raw.warmN, len(raw.samples)):]
	st.Measured = len(measured)
	var lat, ttfb, lag, inOrder []time.Duration
	for _, sm := range measured {
		if sm.err != "dropped" && sm.err != "aborted" {
			lag = append(lag, sm.lag)
		}
		if sm.err != "" {
			st.Errors++
			st.ErrKinds[sm.err]++
			continue
		}
		st.OK++
		lat = append(lat, sm.lat)
		inOrder = append(inOrder, sm.lat)
		if stream {
			ttfb = append(ttfb, sm.ttfb)
			st.Events += sm.events
		}
	}
	if st.Measured > 0 {
		st.ErrRate = float64(st.Errors) / float64(st.Measured)
	}
	st.FirstQ, st.LastQ, st.Backlog = Backlogged(inOrder)
	st.Lat, st.TTFB, st.Lag = Summarize(lat), Summarize(ttfb), Summarize(lag)
	st.Held = !raw.aborted && st.Measured > 0 && st.ErrRate < 0.01 && !st.Backlog && st.Lat.P99 < r.cfg.Timeout/2
	st.Settle = r.settle(15 * time.Second)
	r.res.Steps = append(r.res.Steps, st)
	kind := "json"
	if stream {
		kind = "stream"
	}
	allocs := "-"
	if a, ok := st.AllocsPerReq(); ok {
		allocs = fmt.Sprintf("%.0f", a)
	}
	r.logf("round %d %-6s %5d/s %-12s p50 %-9s p99 %-9s err %5.2f%% cpu %.3fs/1k allocs/req %s box %3.0f%% other %3.0f%% held=%-5t settle %s",
		round, kind, rate, s.Name, fmtDur(st.Lat.P50), fmtDur(st.Lat.P99), st.ErrRate*100, st.CPUPer1k(), allocs, st.BoxCPU()*100, st.OtherLoad()*100,
		st.Held, st.Settle.Round(100*time.Millisecond))
	return st
}

// idlePids are the children not under test in a step (the other setups).
func (r *runner) idlePids(s *setup) []int {
	busy := map[int]bool{r.fake.pid(): true}
	for _, p := range s.pids() {
		busy[p] = true
	}
	if s.redis != nil {
		busy[s.redis.pid()] = true
	}
	var out []int
	for _, p := range r.all {
		if p.alive() && !busy[p.pid()] {
			out = append(out, p.pid())
		}
	}
	return out
}

// OtherLoad is the share of all cores used by other work on the machine.
func (s Step) OtherLoad() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return s.OtherCPU.Seconds() / (s.Elapsed.Seconds() * float64(runtime.NumCPU()))
}

// settle waits until every child process is idle (under 5% of a core over
// two 200 ms samples), at most max: an overloaded gateway keeps working on
// requests its clients gave up on, and would steal the cores of the next
// setup's step.
func (r *runner) settle(max time.Duration) time.Duration {
	var pids []int
	for _, p := range r.all {
		if p.alive() {
			pids = append(pids, p.pid())
		}
	}
	start := time.Now()
	prev, quiet := ReadCPUs(pids), 0
	for quiet < 2 && time.Since(start) < max {
		time.Sleep(200 * time.Millisecond)
		cur := ReadCPUs(pids)
		if cur-prev <= 10*time.Millisecond {
			quiet++
		} else {
			quiet = 0
		}
		prev = cur
	}
	return time.Since(start)
}

func (r *runner) peaks() {
	for _, s := range r.setups {
		if len(s.gws) == 0 {
			continue
		}
		p := Peak{Setup: s.Name}
		for _, pid := range s.pids() {
			hwm, _ := ReadStatus(pid, "VmHWM")
			p.HWM = append(p.HWM, hwm)
		}
		r.res.Peaks = append(r.res.Peaks, p)
	}
}

// streamMemory opens n slow streams through a fresh gateway (real Redis when
// available), then through a fresh floor proxy, and measures each one's RSS
// growth per open stream.
func (r *runner) streamMemory(ctx context.Context) {
	var rd *proc
	if len(r.redis) > 0 {
		rd = r.redis[0]
	}
	floor := r.setupNamed(floorSetup) != nil
	for _, n := range r.cfg.OpenStreams {
		if ctx.Err() != nil {
			return
		}
		if need := uint64(2*n + 512); r.res.Machine.FDLimit < need {
			r.note("%d open streams skipped: the open-file limit %d is below %d", n, r.res.Machine.FDLimit, need)
			continue
		}
		kinds := []string{"gateway"}
		if floor {
			kinds = append(kinds, floorSetup)
		}
		for _, kind := range kinds {
			if ctx.Err() != nil {
				return
			}
			var p *proc
			var err error
			var warm, hold target
			if kind == floorSetup {
				p, err = r.startFloor(fmt.Sprintf("floor-streams-%d", n))
				if err == nil {
					warm, hold = r.directTarget(p.addr, mappedModel), r.directTarget(p.addr, stallModel)
				}
			} else {
				// The harness is one client key: lift the per-key and
				// per-replica in-flight caps (512 and 4,096 by default),
				// so every stream is admitted and held as by the floor.
				p, err = r.startGateway(fmt.Sprintf("gw-streams-%d", n), rd, streamCapsOff...)
				if err == nil {
					warm, hold = r.gatewayTarget([]*proc{p}, clientModel), r.gatewayTarget([]*proc{p}, stallModel)
				}
			}
			if err != nil {
				r.note("%d open streams (%s): %v", n, kind, err)
				continue
			}
			m := r.holdAndMeasure(ctx, p, n, &warm, &hold)
			m.Setup = kind
			p.stop(10 * time.Second)
			r.res.Streams = append(r.res.Streams, m)
			r.logf("%d open streams through the %s: %d opened, %d failed, RSS %s → %s, %.1f KiB per stream",
				n, kind, m.Opened, m.Failed, fmtBytes(m.Before), fmtBytes(m.After), m.PerStream()/1024)
		}
	}
}

// streamCapsOff is the environment of the gateway of the memory-per-stream
// measurement.
var streamCapsOff = []string{"SWITCHYARD_MAX_IN_FLIGHT=0", "SWITCHYARD_MAX_IN_FLIGHT_PER_KEY=0"}

func (r *runner) setupNamed(name string) *setup {
	for _, s := range r.setups {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func (r *runner) holdAndMeasure(ctx context.Context, gw *proc, n int, warm, t *target) StreamMem {
	client := newLoadClient(64)
	defer client.CloseIdleConnections()
	for i := 0; i < 50; i++ {
		url, body := warm.pick(i, i%5 == 0)
		doRequest(client, url, warm.key, body, i%5 == 0, time.Now(), 5*time.Second)
	}
	time.Sleep(500 * time.Millisecond)
	m := StreamMem{N: n}
	m.Before, _ = ReadStatus(gw.pid(), "VmRSS")
	_ = ResetPeakRSS(gw.pid())
	start := time.Now()
	h := holdStreams(ctx, client, t, n, r.cfg.OpenRate, 60*time.Second)
	m.OpenTime = time.Since(start)
	time.Sleep(time.Second)
	m.After, _ = ReadStatus(gw.pid(), "VmRSS")
	m.HWM, _ = ReadStatus(gw.pid(), "VmHWM")
	m.Opened, m.Failed, m.ClosedEarly = int(h.opened.Load()), int(h.failed.Load()), int(h.closedEarly.Load())
	m.Errs = h.errors()
	h.release(30 * time.Second)
	return m
}

// raiseFDLimit lifts the open-file soft limit to the hard limit; children
// inherit it (an explicit Setrlimit stops Go from restoring the original
// limit for child processes).
func raiseFDLimit() uint64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
	return rl.Cur
}

func readMachine() Machine {
	m := Machine{NumCPU: runtime.NumCPU(), GoVersion: runtime.Version(), Redis: redisVersion(), LoadStart: loadavg()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.Model = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		m.MemTotal, _ = ParseStatusKB(b, "MemTotal")
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// sortedKeys returns the keys of m, sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
