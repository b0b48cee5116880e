package loadtest

import (
	"bufio"
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

func ms(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }

func TestPercentileNearestRank(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, ms(float64(i)))
	}
	cases := []struct {
		p    float64
		want time.Duration
	}{{50, ms(50)}, {95, ms(95)}, {99, ms(99)}, {99.9, ms(100)}, {100, ms(100)}, {0, ms(1)}, {1, ms(1)}, {0.5, ms(1)}}
	for _, c := range cases {
		if got := Percentile(d, c.p); got != c.want {
			t.Errorf("p%v = %v; want %v", c.p, got, c.want)
		}
	}
	if got := Percentile(nil, 50); got != 0 {
		t.Errorf("empty: %v", got)
	}
	if got := Percentile([]time.Duration{ms(7)}, 99); got != ms(7) {
		t.Errorf("one value: %v", got)
	}
	// Nearest rank never interpolates: p50 of {1,2,3,4} is 2.
	if got := Percentile([]time.Duration{ms(1), ms(2), ms(3), ms(4)}, 50); got != ms(2) {
		t.Errorf("p50 of four: %v", got)
	}
}

func TestSummarizeAndMedian(t *testing.T) {
	d := []time.Duration{ms(5), ms(1), ms(3), ms(2), ms(4)}
	s := Summarize(d)
	if s.N != 5 || s.P50 != ms(3) || s.Max != ms(5) || s.Mean != ms(3) || s.P99 != ms(5) {
		t.Errorf("got %+v", s)
	}
	if got := Median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("odd median %v", got)
	}
	xs := []float64{4, 1, 3, 2}
	if got := Median(xs); got != 2.5 {
		t.Errorf("even median %v", got)
	}
	if xs[0] != 4 {
		t.Errorf("Median modified its input")
	}
	if !math.IsNaN(Median(nil)) {
		t.Errorf("median of nothing is not NaN")
	}
}

func TestBacklogged(t *testing.T) {
	flat := make([]time.Duration, 100)
	for i := range flat {
		flat[i] = ms(21 + float64(i%3))
	}
	if _, _, g := Backlogged(flat); g {
		t.Errorf("flat latency reported as a growing backlog")
	}
	growing := make([]time.Duration, 100)
	for i := range growing {
		growing[i] = ms(21 + float64(i*5))
	}
	if first, last, g := Backlogged(growing); !g || last <= first {
		t.Errorf("growing latency not detected: %v → %v", first, last)
	}
	if _, _, g := Backlogged(growing[:20]); g {
		t.Errorf("too few samples must not decide")
	}
}

func TestParseProcStat(t *testing.T) {
	// The command name holds spaces and a parenthesis; utime=250, stime=50 ticks.
	stat := "4242 (switch yard) x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 50 0 0 20 0 9 0 12345 1000000 2000 18446744073709551615\n"
	got, err := ParseProcStat([]byte(stat))
	if err != nil || got != 3*time.Second {
		t.Fatalf("got %v, %v; want 3s", got, err)
	}
	if _, err := ParseProcStat([]byte("4242 (x) S 1 2")); err == nil {
		t.Errorf("short stat accepted")
	}
	// Our own process must be readable and have used some CPU.
	if d, err := ReadCPU(os.Getpid()); err != nil || d < 0 {
		t.Errorf("ReadCPU(self) = %v, %v", d, err)
	}
}

func TestParseSystemBusy(t *testing.T) {
	stat := "cpu  1000 50 300 9000 100 20 30 0 0 0\ncpu0 500 25 150 4500 50 10 15 0 0 0\n"
	got, err := ParseSystemBusy([]byte(stat))
	if err != nil || got != 14*time.Second { // (1000+50+300+20+30+0) ticks
		t.Fatalf("got %v, %v; want 14s", got, err)
	}
	if _, err := ParseSystemBusy([]byte("intr 1 2 3\n")); err == nil {
		t.Errorf("no cpu line accepted")
	}
}

func TestParseStatusKB(t *testing.T) {
	status := "Name:\tswitchyard\nVmPeak:\t  812345 kB\nVmHWM:\t   45678 kB\nVmRSS:\t   40000 kB\nThreads:\t9\n"
	if got, err := ParseStatusKB([]byte(status), "VmHWM"); err != nil || got != 45678<<10 {
		t.Errorf("VmHWM = %d, %v", got, err)
	}
	if got, err := ParseStatusKB([]byte(status), "VmRSS"); err != nil || got != 40000<<10 {
		t.Errorf("VmRSS = %d, %v", got, err)
	}
	if _, err := ParseStatusKB([]byte(status), "VmSwap"); err == nil {
		t.Errorf("missing field accepted")
	}
	if _, err := ParseStatusKB([]byte(status), "Threads"); err == nil {
		t.Errorf("a field without kB accepted")
	}
	if _, err := ReadStatus(os.Getpid(), "VmRSS"); err != nil {
		t.Errorf("ReadStatus(self): %v", err)
	}
}

func TestParseCommandStats(t *testing.T) {
	info := "# Commandstats\r\n" +
		"cmdstat_evalsha:calls=2000,usec=90000,usec_per_call=45.00,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_hget:calls=3000,usec=3000,usec_per_call=1.00,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_info:calls=7,usec=300,usec_per_call=42.86,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_client|setinfo:calls=4,usec=4,usec_per_call=1.00,rejected_calls=0,failed_calls=0\r\n"
	got := ParseCommandStats(info)
	if got["evalsha"] != 2000 || got["hget"] != 3000 || got["info"] != 7 || got["client|setinfo"] != 4 || len(got) != 4 {
		t.Fatalf("got %v", got)
	}
	before := map[string]int64{"evalsha": 1000, "hget": 1000, "info": 2}
	by, sum := DiffCalls(before, got)
	if sum != 1000+2000+4 || by["evalsha"] != 1000 || by["info"] != 0 {
		t.Errorf("diff %v sum %d", by, sum)
	}
}

func TestParseMonitorLine(t *testing.T) {
	cases := []struct {
		line string
		cmd  string
		lua  bool
		ok   bool
	}{
		{`+1767225600.123456 [0 127.0.0.1:53422] "evalsha" "9f0a" "12" "{sy}:cfg"`, "evalsha", false, true},
		{`+1767225600.123500 [0 lua] "HGET" "{sy}:cand:x:pro" "n"`, "hget", true, true},
		{`1767225600.1 [3 unix:/tmp/redis.sock] "PING"`, "ping", false, true},
		{`+OK`, "", false, false},
		{`+1767225600.1 [0 127.0.0.1:1]`, "", false, false},
	}
	for _, c := range cases {
		cmd, lua, ok := ParseMonitorLine(c.line)
		if cmd != c.cmd || lua != c.lua || ok != c.ok {
			t.Errorf("%q: got %q %t %t", c.line, cmd, lua, ok)
		}
	}
}

func TestMonitorLabel(t *testing.T) {
	cases := []struct{ line, want string }{
		{`+1767225600.1 [0 127.0.0.1:1] "evalsha" "9f0a" "1" "{sy}:reqlog" "5000" "r" "{\"id\":\"a\"}"`, requestLogScript},
		{`+1767225600.1 [0 127.0.0.1:1] "evalsha" "9f0a" "2" "{sy}:cfg" "{sy}:reqlog"`, "evalsha"},
		{`+1767225600.1 [0 127.0.0.1:1] "evalsha" "9f0a" "0"`, "evalsha"},
		{`+1767225600.1 [0 127.0.0.1:1] "get" "{sy}:reqlog"`, "get"},
		{`+1767225600.1 [0 127.0.0.1:1] "evalsha" "9f0a" "2" "{sy}:ku:alice" "{sy}:kif:alice" "12" ""`, debitScript},
		{`+1767225600.1 [0 127.0.0.1:1] "evalsha" "9f0a" "15" "{sy:team}:cfg" "{sy:team}:sess:k:s:g"`, "evalsha"},
		{`+1767225600.1 [0 127.0.0.1:1] "hgetall" "{sy}:cfg"`, "hgetall" + controlSuffix},
		{`+1767225600.1 [0 127.0.0.1:1] "zrange" "{sy:team}:cool:g:claude" "0" "-1"`, "zrange" + controlSuffix},
		{`+1767225600.1 [0 127.0.0.1:1] "smembers" "{sy}:groups"`, "smembers" + controlSuffix},
		{`+1767225600.1 [0 127.0.0.1:1] "get" "{sy}:ctl"`, "get" + controlSuffix},
		{`+1767225600.1 [0 127.0.0.1:1] "time"`, "time" + controlSuffix},
		{`+1767225600.1 [0 127.0.0.1:1] "get" "{sy}:oauth:tok:a"`, "get"},
		{`+1767225600.1 [0 127.0.0.1:1] "mget" "{sy}:sig:t:call_1"`, "mget"},
		{`+1767225600.1 [0 127.0.0.1:1] "get" "cfg"`, "get"},
	}
	for _, c := range cases {
		cmd, _, ok := ParseMonitorLine(c.line)
		if !ok {
			t.Fatalf("%q not parsed", c.line)
		}
		if got := MonitorLabel(c.line, cmd); got != c.want {
			t.Errorf("%q: got %q; want %q", c.line, got, c.want)
		}
	}
	if got := monitorArgs(`+1 [0 lua] "a" "b\"c" "d"`, 5); len(got) != 3 || got[1] != `b\"c` {
		t.Errorf("args %q", got)
	}
}

func TestReadReply(t *testing.T) {
	r := bufio.NewReader(strings.NewReader("+OK\r\n:42\r\n$5\r\nhello\r\n$-1\r\n*2\r\n$1\r\na\r\n:1\r\n-ERR nope\r\n"))
	want := []any{"OK", int64(42), "hello", nil}
	for i, w := range want {
		got, err := readReply(r)
		if err != nil || got != w {
			t.Fatalf("reply %d: got %v, %v; want %v", i, got, err, w)
		}
	}
	arr, err := readReply(r)
	if a, ok := arr.([]any); err != nil || !ok || len(a) != 2 || a[0] != "a" || a[1] != int64(1) {
		t.Fatalf("array: %v, %v", arr, err)
	}
	if _, err := readReply(r); err == nil || !strings.Contains(err.Error(), "ERR nope") {
		t.Fatalf("error reply: %v", err)
	}
}

func TestParseBench(t *testing.T) {
	out := `goos: linux
pkg: github.com/switchyard-gw/switchyard/internal/schedule
BenchmarkAcquire/redis-server/sticky/accounts=10-2         	    8745	     45134 ns/op	    3056 B/op	      55 allocs/op
BenchmarkAcquire/redis-server/sticky/accounts=10-2         	    8000	     47000 ns/op	    3056 B/op	      55 allocs/op
BenchmarkAcquire/redis-server/sticky/accounts=10-2         	    9000	     44000 ns/op	    3056 B/op	      55 allocs/op
PASS
pkg: github.com/switchyard-gw/switchyard/internal/dispatch
BenchmarkRelayStream/gateway/events=1000-2        	     222	  10892705 ns/op	     10893 ns/event	  268781 B/op	    1266 allocs/op
BenchmarkForward200KB/probe-2         	     744	    489799 ns/op	 393.65 MB/s	  196608 B/op	       1 allocs/op
--- SKIP: BenchmarkAcquire/redis-server
ok  	github.com/switchyard-gw/switchyard/internal/dispatch	4.731s
FAIL	github.com/switchyard-gw/switchyard/internal/app [build failed]
`
	s := ParseBench(strings.NewReader(out))
	if s.Len() != 3 {
		t.Fatalf("got %d benchmarks", s.Len())
	}
	if len(s.Failures) != 1 || !strings.Contains(s.Failures[0], "internal/app [build failed]") {
		t.Errorf("failures %q", s.Failures)
	}
	st, ok := s.Find("BenchmarkAcquire/redis-server/sticky/accounts=10")
	if !ok || st.Runs != 3 || st.Median["ns/op"] != 45134 || st.Median["allocs/op"] != 55 || !strings.HasSuffix(st.Pkg, "/schedule") {
		t.Errorf("acquire: %+v", st)
	}
	st, ok = s.Find("BenchmarkRelayStream/gateway/events=1000")
	if !ok || st.Median["ns/event"] != 10893 || st.Median["B/op"] != 268781 {
		t.Errorf("relay: %+v", st)
	}
	st, ok = s.Find("BenchmarkForward200KB/probe")
	if !ok || st.Median["MB/s"] != 393.65 {
		t.Errorf("forward: %+v", st)
	}
}

func TestWriteMarkdownWithoutResults(t *testing.T) {
	var b strings.Builder
	micro := ParseBench(strings.NewReader("pkg: x/internal/retry\nBenchmarkParseHint-2  100  5000 ns/op  100 B/op  3 allocs/op\n"))
	if err := WriteMarkdown(&b, ReportInput{Micro: micro, Command: "make bench"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# Switchyard benchmarks", "`make bench`", "BenchmarkParseHint", "Protocol translation"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// The census counts on the request path only what a request waits for: the
// selection script, not the background loops' control-state reads, key
// debits or request-log batches.
func TestCensusOnPath(t *testing.T) {
	c := Census{Requests: 10, RoundTrips: map[string]int64{
		"evalsha": 10, "hgetall" + controlSuffix: 6, "smembers" + controlSuffix: 2,
		debitScript: 3, requestLogScript: 4, "get": 1,
	}}
	if got := c.OnPath(); got != 1.1 {
		t.Errorf("on path %.2f; want 1.10 (evalsha and the get)", got)
	}
	if got := c.PerRequest(); got != 2.6 {
		t.Errorf("all %.2f; want 2.60", got)
	}
	if _, bg := Background("evalsha"); bg {
		t.Error("the selection script is counted as background")
	}
}
