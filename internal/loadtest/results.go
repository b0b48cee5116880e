package loadtest

import (
	"io"
	"runtime"
	"strings"
	"time"
)

// Config is one harness run.
type Config struct {
	Bin      string // directory holding the switchyard and fakeupstream binaries
	Accounts string // pool file (base_url via ${SWITCHYARD_DEMO_UPSTREAM})
	Routes   string // routes file
	Latency  time.Duration

	Quick       bool
	Rounds      int
	Rates       []int // JSON rate ladder, req/s
	StreamRates []int // streaming rates, streams/s
	Warm        time.Duration
	Measure     time.Duration
	Timeout     time.Duration // per request, from its scheduled time
	MaxInFlight int
	Sessions    int
	OpenStreams []int // memory per open stream at these counts
	OpenRate    int   // streams opened per second
	MaxDuration time.Duration
	WorkDir     string    // "" = a temporary directory, removed at the end
	Progress    io.Writer `json:"-"`
}

// DefaultConfig is the full run (about 10-13 minutes) or the quick smoke run
// (about 1-2 minutes).
func DefaultConfig(quick bool) Config {
	c := Config{
		Bin: "bin", Accounts: "examples/demo/accounts.yaml", Routes: "examples/demo/routes.yaml",
		Latency: 20 * time.Millisecond, Rounds: 3,
		Rates:       []int{250, 500, 1000, 1500, 2000, 3000, 4000},
		StreamRates: []int{200, 500},
		Warm:        time.Second, Measure: 3 * time.Second, Timeout: 2 * time.Second,
		MaxInFlight: 4096, Sessions: 200, OpenStreams: []int{1000, 5000}, OpenRate: 2000,
		MaxDuration: 15 * time.Minute,
	}
	if quick {
		c.Quick, c.Rounds = true, 1
		c.Rates, c.StreamRates = []int{250, 1000}, []int{200}
		c.Warm, c.Measure = 300*time.Millisecond, 1500*time.Millisecond
		c.MaxDuration = 2 * time.Minute
	}
	return c
}

// Results is everything a run measured.
type Results struct {
	Started, Finished time.Time
	Config            Config
	Machine           Machine
	Setups            []SetupInfo
	Steps             []Step
	Census            []Census
	Peaks             []Peak
	Streams           []StreamMem
	Notes             []string
}

// SetupInfo describes one setup under test.
type SetupInfo struct {
	Name, Desc string
	Gateways   int
	Redis      bool
	Floor      bool // the floor proxy (cmd/floorproxy), not a gateway
	// ScrapeAllocs is what one GET /metrics allocates in a process of the
	// setup (median of back-to-back scrapes), taken off every step's
	// allocation count; -1 when the setup's allocations are not read.
	ScrapeAllocs int64
}

// Step is one open-loop step of one setup.
type Step struct {
	Round, Rate   int
	Setup         string
	Stream        bool
	Sent          int // every scheduled request, warm-up included
	Measured      int // scheduled after the warm-up
	OK, Errors    int // of the measured ones
	ErrKinds      map[string]int
	ErrRate       float64
	Lat, TTFB     Dist // of the measured successful requests, from their scheduled times
	Lag           Dist // scheduled → sent: the generator's own delay
	FirstQ, LastQ time.Duration
	Backlog       bool
	Held          bool
	Elapsed       time.Duration
	GatewayCPU    time.Duration // all gateway processes of the setup
	RedisCPU      time.Duration
	FakeCPU       time.Duration
	GenCPU        time.Duration
	OtherCPU      time.Duration // the rest of the machine: busy CPU not used by the harness or its children
	RedisCalls    int64         // INFO commandstats delta, commands inside scripts included
	RedisByCmd    map[string]int64
	// Allocs is the heap objects the setup's gateway (or floor proxy)
	// processes allocated during the step: the delta of their
	// go_memstats_mallocs_total (GET /metrics on the admin listener) less
	// one scrape's own allocations. Background work of the process (health
	// probes, usage flushes, request-log batching) is included.
	Allocs       int64
	AllocsKnown  bool
	PeakInFlight int
	Events       int           // SSE events received by the measured successful streams
	Settle       time.Duration // waited after the step until every process was idle
}

// CPUPer1k is the gateway CPU seconds per 1,000 requests.
func (s Step) CPUPer1k() float64 {
	if s.Sent == 0 {
		return 0
	}
	return s.GatewayCPU.Seconds() / float64(s.Sent) * 1000
}

// CPUPerReq is the gateway (or floor proxy) CPU per request.
func (s Step) CPUPerReq() time.Duration {
	if s.Sent == 0 {
		return 0
	}
	return s.GatewayCPU / time.Duration(s.Sent)
}

// StackCPUPerReq is the gateway and redis-server CPU per request: what the
// setup costs to serve a request (the floor has no Redis).
func (s Step) StackCPUPerReq() time.Duration {
	if s.Sent == 0 {
		return 0
	}
	return (s.GatewayCPU + s.RedisCPU) / time.Duration(s.Sent)
}

// AllocsPerReq is Allocs per request, and whether it was measured.
func (s Step) AllocsPerReq() (float64, bool) {
	if !s.AllocsKnown || s.Sent == 0 {
		return 0, false
	}
	return float64(s.Allocs) / float64(s.Sent), true
}

// EventsPerStream is the SSE events of a measured successful stream, on average.
func (s Step) EventsPerStream() float64 {
	if !s.Stream || s.OK == 0 {
		return 0
	}
	return float64(s.Events) / float64(s.OK)
}

// RedisPerReq is the Redis commands per request (commandstats).
func (s Step) RedisPerReq() float64 {
	if s.Sent == 0 {
		return 0
	}
	return float64(s.RedisCalls) / float64(s.Sent)
}

// BoxCPU is the share of all cores used by the gateway, Redis, the fake
// upstream and the generator during the step.
func (s Step) BoxCPU() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	used := s.GatewayCPU + s.RedisCPU + s.FakeCPU + s.GenCPU
	return used.Seconds() / (s.Elapsed.Seconds() * float64(runtime.NumCPU()))
}

// Census is what Redis saw during sequential healthy sticky requests (MONITOR).
type Census struct {
	Setup      string
	Requests   int
	OK         int
	RoundTrips map[string]int64 // commands sent by clients, by name
	InScripts  map[string]int64 // commands run inside scripts
	StatsCalls int64            // INFO commandstats delta over the same requests
}

// Background says what a census label sent off the request path is, and
// whether it is one: it costs Redis work but no wait in the request.
func Background(label string) (string, bool) {
	switch {
	case label == "xadd":
		return "request-log record (internal/monitor): queued without waiting, written by a background batcher in pipelines", true
	case label == requestLogScript:
		return "script call appending a batch of request-log records (internal/monitor): queued without waiting, one per flush of the background batcher", true
	case label == debitScript:
		return "script call ending client-key requests (debit.lua: tokens reconciled, in-flight leases given back), queued and written by a background flush every 100 ms", true
	case strings.HasSuffix(label, controlSuffix):
		return "command on the control state from a replica's background loops (the control-state mirror and the client-key registry every 500 ms, the deferred quota flush)", true
	}
	return "", false
}

// PerRequest is the round trips per request, background writes included.
func (c Census) PerRequest() float64 { return c.per(func(string) bool { return true }) }

// OnPath is the round trips per request that the request waits for.
func (c Census) OnPath() float64 {
	return c.per(func(cmd string) bool { _, bg := Background(cmd); return !bg })
}

func (c Census) per(keep func(string) bool) float64 {
	if c.Requests == 0 {
		return 0
	}
	var n int64
	for k, v := range c.RoundTrips {
		if keep(k) {
			n += v
		}
	}
	return float64(n) / float64(c.Requests)
}

// Peak is the peak RSS (VmHWM) of a setup's gateway processes.
type Peak struct {
	Setup string
	HWM   []int64
}

// StreamMem is the gateway (or floor proxy) memory with n streams held open.
type StreamMem struct {
	Setup                          string // "" or "gateway": a gateway; "floor": the floor proxy
	N, Opened, Failed, ClosedEarly int
	Errs                           map[string]int64
	Before, After, HWM             int64 // VmRSS before, VmRSS with the streams open, VmHWM
	OpenTime                       time.Duration
}

// IsFloor reports whether the streams were held through the floor proxy.
func (m StreamMem) IsFloor() bool { return m.Setup == floorSetup }

// PerStream is the RSS delta per open stream, in bytes.
func (m StreamMem) PerStream() float64 {
	if m.Opened == 0 {
		return 0
	}
	return float64(m.After-m.Before) / float64(m.Opened)
}

// Machine describes where the run happened.
type Machine struct {
	NumCPU             int
	Model              string
	MemTotal           int64
	GoVersion, Redis   string
	Kernel             string
	LoadStart, LoadEnd string
	FDLimit            uint64
}
