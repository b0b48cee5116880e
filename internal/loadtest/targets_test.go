package loadtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func us(n float64) time.Duration { return time.Duration(n * float64(time.Microsecond)) }

func TestRatioVerdict(t *testing.T) {
	cases := []struct {
		ratio  float64
		want   string
		wantOK bool
	}{
		{1.2, "**met** (stretch ≤ 1.5× met too)", true},
		{1.5, "**met** (stretch ≤ 1.5× met too)", true},
		{1.8, "**met** (stretch ≤ 1.5× missed by 0.30×)", true},
		{2.0, "**met** (stretch ≤ 1.5× missed by 0.50×)", true},
		{2.5, "**missed** by 0.50× (100 µs over)", false},
		{math.NaN(), "—", false},
	}
	for _, c := range cases {
		got, ok := ratioVerdict(c.ratio, 2.0, 1.5, "100 µs over")
		if got != c.want || ok != c.wantOK {
			t.Errorf("ratioVerdict(%v) = %q, %t; want %q, %t", c.ratio, got, ok, c.want, c.wantOK)
		}
	}
	if got, ok := ratioVerdict(0.9, 1.0, 0, ""); got != "**met**" || !ok {
		t.Errorf("no stretch: %q %t", got, ok)
	}
	if got, _ := ratioVerdict(1.25, 1.0, 0, ""); got != "**missed** by 0.25×" {
		t.Errorf("no over text: %q", got)
	}
}

func TestGapLimitRateVerdicts(t *testing.T) {
	if v, ok := gapVerdict(us(150), us(150)); v != "**met**" || !ok {
		t.Errorf("gap at the limit: %q %t", v, ok)
	}
	if v, ok := gapVerdict(us(-30), us(150)); v != "**met**" || !ok {
		t.Errorf("faster than the floor: %q %t", v, ok)
	}
	if v, ok := gapVerdict(us(400), us(150)); v != "**missed** by 250.0 µs" || ok {
		t.Errorf("gap over: %q %t", v, ok)
	}
	show := func(x float64) string { return fmt.Sprintf("%.0f", x) }
	if v, ok := limitVerdict(80, 80, show); v != "**met**" || !ok {
		t.Errorf("limit: %q %t", v, ok)
	}
	if v, ok := limitVerdict(120, 80, show); v != "**missed** by 40 (1.50×)" || ok {
		t.Errorf("over limit: %q %t", v, ok)
	}
	if v, ok := rateVerdict([]int{4000, 3000, 4000}, []bool{true, false, true}, 4000); v != "**met**" || !ok {
		t.Errorf("held: %q %t", v, ok)
	}
	if v, ok := rateVerdict([]int{3000, 2000, 3000}, []bool{false, false, true}, 4000); v != "**missed** by 1000 req/s" || ok {
		t.Errorf("missed: %q %t", v, ok)
	}
	if v, ok := rateVerdict([]int{1000}, []bool{true}, 4000); !strings.HasPrefix(v, "— not measured") || ok {
		t.Errorf("ladder too short: %q %t", v, ok)
	}
	if v, _ := rateVerdict(nil, nil, 4000); v != "—" {
		t.Errorf("nothing: %q", v)
	}
}

func TestParseMallocs(t *testing.T) {
	text := "# HELP go_memstats_mallocs_total Total number of heap objects allocated.\n" +
		"# TYPE go_memstats_mallocs_total counter\n" +
		"go_memstats_mallocs_total_extra 7\n" +
		"go_memstats_mallocs_total 1.234567e+06\n" +
		"go_memstats_frees_total 1.2e+06\n"
	if n, err := ParseMallocs(text); err != nil || n != 1234567 {
		t.Errorf("got %d, %v", n, err)
	}
	if n, err := ParseMallocs("go_memstats_mallocs_total{job=\"x\"} 42\n"); err != nil || n != 42 {
		t.Errorf("labels: %d, %v", n, err)
	}
	if _, err := ParseMallocs("go_memstats_frees_total 3\n"); err == nil {
		t.Errorf("missing metric accepted")
	}
	if _, err := ParseMallocs("go_memstats_mallocs_total NaN\n"); err == nil {
		t.Errorf("NaN accepted")
	}
}

func TestFmtInt(t *testing.T) {
	for n, want := range map[int]string{0: "0", 200: "200", 1000: "1,000", 1234567: "1,234,567", -4000: "-4,000"} {
		if got := fmtInt(n); got != want {
			t.Errorf("fmtInt(%d) = %q; want %q", n, got, want)
		}
	}
}

// jsonStep is a JSON step of 1,000 requests.
func jsonStep(setup string, round, rate int, p50 time.Duration, gwCPU, redisCPU time.Duration, allocs int64) Step {
	return Step{Round: round, Rate: rate, Setup: setup, Sent: 1000, Measured: 1000, OK: 1000, Held: true, Elapsed: time.Second,
		Lat: Dist{N: 1000, P50: p50, P99: p50 + time.Millisecond}, GatewayCPU: gwCPU, RedisCPU: redisCPU,
		Allocs: allocs, AllocsKnown: setup != "direct"}
}

func streamStep(setup string, round int, ttfb time.Duration, gwCPU, redisCPU time.Duration) Step {
	s := jsonStep(setup, round, targetStreamRate, ttfb+time.Millisecond, gwCPU, redisCPU, 0)
	s.Stream, s.TTFB, s.AllocsKnown, s.Events = true, Dist{N: 1000, P50: ttfb}, false, 20*1000
	return s
}

// synthetic is one round of every setup with chosen numbers: the floor
// costs 100 µs/req and adds 100 µs; gw-redis costs 180 + 40 µs/req (2.2×)
// and adds 300 µs (gap 200 µs); gw-embedded costs 200 µs/req.
func synthetic() *Results {
	res := &Results{Config: DefaultConfig(false), Machine: Machine{NumCPU: 2}}
	res.Config.Rounds, res.Config.Rates = 1, []int{1000, 4000}
	for _, n := range []string{"direct", floorSetup, embeddedSetup, targetSetup} {
		res.Setups = append(res.Setups, SetupInfo{Name: n, Floor: n == floorSetup, Redis: n == targetSetup, Gateways: b2i(n != "direct")})
	}
	base := 21 * time.Millisecond
	res.Steps = []Step{
		jsonStep("direct", 1, 1000, base, 0, 0, 0),
		jsonStep(floorSetup, 1, 1000, base+us(100), 100*time.Millisecond, 0, 40_000),
		jsonStep(embeddedSetup, 1, 1000, base+us(250), 200*time.Millisecond, 0, 90_000),
		jsonStep(targetSetup, 1, 1000, base+us(300), 180*time.Millisecond, 40*time.Millisecond, 120_000),
		jsonStep("direct", 1, 4000, base, 0, 0, 0),
		jsonStep(floorSetup, 1, 4000, base+us(100), 400*time.Millisecond, 0, 160_000),
		jsonStep(embeddedSetup, 1, 4000, base+us(300), 800*time.Millisecond, 0, 360_000),
		streamStep("direct", 1, base, 0, 0),
		streamStep(floorSetup, 1, base+us(50), 300*time.Millisecond, 0),
		streamStep(targetSetup, 1, base+us(200), 500*time.Millisecond, 50*time.Millisecond),
	}
	miss := jsonStep(targetSetup, 1, 4000, 900*time.Millisecond, 720*time.Millisecond, 160*time.Millisecond, 480_000)
	miss.Held, miss.Backlog, miss.FirstQ, miss.LastQ = false, true, 30*time.Millisecond, 600*time.Millisecond
	res.Steps = append(res.Steps, miss)
	res.Streams = []StreamMem{
		{Setup: "gateway", N: targetStreamN, Opened: 5000, Before: 50 << 20, After: 50<<20 + 5000*64<<10},
		{Setup: floorSetup, N: targetStreamN, Opened: 5000, Before: 10 << 20, After: 10<<20 + 5000*32<<10},
	}
	res.Census = []Census{{Setup: targetSetup, Requests: 100, OK: 100, RoundTrips: map[string]int64{"evalsha": 100}}}
	return res
}

func rowsByName(t *testing.T, rows []targetRow) map[string]targetRow {
	t.Helper()
	m := map[string]targetRow{}
	for _, r := range rows {
		switch {
		case strings.HasPrefix(r.name, "CPU per request,"):
			m["cpu"] = r
		case strings.HasPrefix(r.name, "CPU per stream,"):
			m["sse-cpu"] = r
		case strings.HasPrefix(r.name, "added p50"):
			m["p50"] = r
		case strings.HasPrefix(r.name, "allocations"):
			m["allocs"] = r
		case strings.HasPrefix(r.name, "embedded"):
			m["embedded"] = r
		case strings.HasPrefix(r.name, "first byte"):
			m["ttfb"] = r
		case strings.HasPrefix(r.name, "memory per open stream"):
			m["mem"] = r
		case strings.HasPrefix(r.name, "highest JSON rate"):
			m["rate"] = r
		case strings.HasPrefix(r.name, "Redis round trips"):
			m["rt"] = r
		default:
			t.Errorf("unexpected row %q", r.name)
		}
	}
	return m
}

func TestTargetRowsAgainstTheFloor(t *testing.T) {
	r := &report{res: synthetic(), direct: map[[3]int]Step{}}
	r.group()
	rows := rowsByName(t, r.targetRows())
	if len(rows) != 9 {
		t.Fatalf("%d rows: %v", len(rows), rows)
	}
	check := func(key, field, want string) {
		t.Helper()
		row := rows[key]
		got := map[string]string{"got": row.got, "floor": row.floor, "ratio": row.ratio, "verdict": row.verdict, "why": row.why}[field]
		if !strings.Contains(got, want) {
			t.Errorf("%s %s = %q; want it to contain %q", key, field, got, want)
		}
	}
	// CPU: (180 + 40) / 100 = 2.2× → missed by 0.20×, 20 µs over 2× the floor's.
	check("cpu", "got", "220.0 µs/req (gateway 180.0 µs + redis-server 40.0 µs)")
	check("cpu", "floor", "100.0 µs/req")
	check("cpu", "ratio", "2.20×")
	check("cpu", "verdict", "**missed** by 0.20× (20.0 µs/req over 2.0× the floor's)")
	check("cpu", "why", "80.0 µs beyond a bare proxy")
	check("cpu", "why", "120 heap objects per request against the floor's 40")
	if rows["sse-cpu"].why != "" {
		t.Errorf("a met target has a reason: %q", rows["sse-cpu"].why)
	}
	if !strings.Contains(rows["ttfb"].name, "SSE at 200 streams/s of 20 events") {
		t.Errorf("ttfb row name %q lacks the events per stream", rows["ttfb"].name)
	}
	// Added p50: 300 µs against the floor's 100 µs: 200 µs over, 50 µs past the 150 µs goal.
	check("p50", "got", "300.0 µs (200.0 µs over the floor)")
	check("p50", "floor", "100.0 µs")
	check("p50", "ratio", "3.00×")
	check("p50", "verdict", "**missed** by 50.0 µs")
	check("p50", "why", "1.00 Redis round trips per request")
	// Allocations: 120 per request, the floor 40.
	check("allocs", "got", "120 (80 beyond the floor's)")
	check("allocs", "floor", "40")
	check("allocs", "ratio", "3.00×")
	check("allocs", "verdict", "**missed** by 40 (1.50×)")
	// Embedded: 200 µs against 220 µs on Redis.
	check("embedded", "got", "200.0 µs/req, 0.91× of gw-redis's 220.0 µs")
	check("embedded", "verdict", "**met**")
	check("embedded", "ratio", "2.00×")
	if rows["embedded"].why != "" {
		t.Errorf("a met target has a reason: %q", rows["embedded"].why)
	}
	// SSE: (500 + 50) / 300 = 1.83× → met, stretch missed; TTFB 150 µs over the floor → met.
	check("sse-cpu", "verdict", "**met** (stretch ≤ 1.5× missed by 0.33×)")
	check("sse-cpu", "got", "550.0 µs/stream")
	check("ttfb", "got", "(150.0 µs over the floor)")
	check("ttfb", "verdict", "**met**")
	// Memory: 64 KiB per stream against 48 KiB; the floor 32 KiB.
	check("mem", "got", "64.0 KiB")
	check("mem", "floor", "32.0 KiB")
	check("mem", "ratio", "2.00×")
	check("mem", "verdict", "**missed** by 16.0 KiB (1.33×)")
	check("mem", "why", "the gateway holds 32.0 KiB more")
	// Rate: gw-redis held 1,000 and missed 4,000 with a growing queue; the floor held 4,000.
	check("rate", "got", "median 1000 req/s")
	check("rate", "floor", "≥ 4000")
	check("rate", "verdict", "**missed** by 3000 req/s")
	check("rate", "why", "at 1,000 req/s the gateway and redis-server used 0.22 of the 2 cores")
	check("rate", "why", "built a growing queue (p50 of the first quarter 30.00 ms, of the last 600.00 ms)")
	check("rt", "verdict", "**met**")

	var b strings.Builder
	if err := WriteMarkdown(&b, ReportInput{Results: r.res}); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"| target | CPU µs/req | added p50 |",
		"| floor proxy | 100 | 100 µs |",
		"| Switchyard on real Redis | 220 | 300 µs |",
		"| Switchyard embedded store | 200 | 250 µs |",
		"| target | goal | measured | floor | ratio to floor | verdict | why (when missed) |",
		"- **gw-redis** at 1,000 req/s (JSON, sticky): CPU 220.0 µs/req (gateway 180.0 µs + redis-server 40.0 µs), 2.20× the floor's; added p50 300.0 µs (3.00× the floor's 100.0 µs)",
		"- **floor** at 1,000 req/s (JSON, sticky): CPU 100.0 µs/req; added p50 100.0 µs",
		"- **5000 open streams**: 64.0 KiB RSS per stream through one gateway (real Redis), 32.0 KiB through the floor (2.00×).",
		"| 5000 | floor proxy | 5000 |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestTargetRowsWithoutTheFloor(t *testing.T) {
	res := synthetic()
	var steps []Step
	for _, s := range res.Steps {
		if s.Setup != floorSetup {
			steps = append(steps, s)
		}
	}
	res.Steps, res.Streams = steps, res.Streams[:1]
	r := &report{res: res, direct: map[[3]int]Step{}}
	r.group()
	rows := rowsByName(t, r.targetRows())
	for _, k := range []string{"cpu", "p50", "sse-cpu", "ttfb"} {
		if rows[k].floor != "not measured" || rows[k].verdict != "—" {
			t.Errorf("%s without a floor: floor %q verdict %q", k, rows[k].floor, rows[k].verdict)
		}
	}
	if rows["mem"].verdict != "**missed** by 16.0 KiB (1.33×)" || rows["mem"].floor != "not measured" {
		t.Errorf("memory without a floor: %+v", rows["mem"])
	}
	// Streams the gateway refused: no verdict on the ones it held.
	res.Streams[0].Opened, res.Streams[0].Failed, res.Streams[0].Errs = 512, 4488, map[string]int64{"status_429": 4488}
	rows = rowsByName(t, r.targetRows())
	if m := rows["mem"]; !strings.HasPrefix(m.verdict, "— not measured") || !strings.Contains(m.why, "only 512 of 5000 streams were opened (4488 failed: STATUS_429 4488.00)") {
		t.Errorf("partly opened: %+v", m)
	}
}

func TestCountEvents(t *testing.T) {
	// Event ends split across reads are counted once.
	chunks := []string{"event: a\ndata: {}\n", "\nevent: b\ndata: {}\n\n", "event: c\n", "data: {}\n\n"}
	n, prev := 0, byte(0)
	for _, c := range chunks {
		n, prev = countEvents([]byte(c), prev, n)
	}
	if n != 3 {
		t.Errorf("counted %d events; want 3", n)
	}
	if got := (Step{Stream: true, OK: 4, Events: 40}).EventsPerStream(); got != 10 {
		t.Errorf("EventsPerStream = %v", got)
	}
}

func TestMissReason(t *testing.T) {
	s := Step{Measured: 100, ErrRate: 0.05, Lat: Dist{P99: 1500 * time.Millisecond}}
	if got := missReason(s, 2*time.Second); got != "failed 5.0% of its requests and had p99 1.50 s, over half the 2.00 s timeout" {
		t.Errorf("got %q", got)
	}
	if got := missReason(Step{Measured: 10}, time.Second); got != "was cut short" {
		t.Errorf("got %q", got)
	}
}

// The floor proxy flushes every write of a stream at once: the upstream
// sends its second event only after the client has read the first through
// the proxy, so a buffering proxy would hang here.
func TestFloorProxyFlushesStreams(t *testing.T) {
	next := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != "k" {
			http.Error(w, "no key", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "event: one\ndata: {}\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-next:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, "event: two\ndata: {}\n\n")
	}))
	defer up.Close()
	u, _ := url.Parse(up.URL)
	proxy := httptest.NewServer(NewFloorProxy(u))
	defer proxy.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, proxy.URL+"/v1/messages", strings.NewReader(`{}`))
	req.Header.Set("X-Api-Key", "k")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	if line, err := br.ReadString('\n'); err != nil || line != "event: one\n" {
		t.Fatalf("first line %q, %v", line, err)
	}
	close(next)
	rest, err := io.ReadAll(br)
	if err != nil || !strings.Contains(string(rest), "event: two") {
		t.Fatalf("rest %q, %v", rest, err)
	}
}

func TestServeFloorAnnouncesAndCountsAllocations(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer up.Close()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- ServeFloor(ctx, FloorEnv{Upstream: up.URL}, pw); pw.Close() }()
	sc := bufio.NewScanner(pr)
	got := map[string]string{}
	for len(got) < 2 && sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), " ")
		got[k] = v
	}
	go io.Copy(io.Discard, pr)
	if got["LISTENING"] == "" || got["ADMIN"] == "" {
		t.Fatalf("announced %v", got)
	}
	resp, err := http.Get("http://" + got["LISTENING"] + "/anything")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "ok" {
		t.Errorf("proxied body %q", body)
	}
	resp, err = http.Get("http://" + got["ADMIN"] + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if n, err := ParseMallocs(string(metrics)); err != nil || n <= 0 {
		t.Errorf("mallocs %d, %v in %q", n, err, metrics)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("ServeFloor: %v", err)
	}
	if err := ServeFloor(context.Background(), FloorEnv{Upstream: "not a url"}, io.Discard); err == nil {
		t.Errorf("a relative upstream was accepted")
	}
}
