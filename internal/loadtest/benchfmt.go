package loadtest

import (
	"bufio"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// BenchLine is one result line of `go test -bench`.
type BenchLine struct {
	Pkg   string
	Name  string // without the -GOMAXPROCS suffix
	Iters int64
	// Values per unit: "ns/op", "B/op", "allocs/op", "MB/s", custom metrics.
	Values map[string]float64
}

var procsSuffix = regexp.MustCompile(`-\d+$`)

// ParseBenchLine parses "BenchmarkX/y-2  1000  123 ns/op  45 B/op …".
func ParseBenchLine(pkg, line string) (BenchLine, bool) {
	f := strings.Fields(line)
	if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
		return BenchLine{}, false
	}
	iters, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return BenchLine{}, false
	}
	bl := BenchLine{Pkg: pkg, Name: procsSuffix.ReplaceAllString(f[0], ""), Iters: iters, Values: map[string]float64{}}
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return BenchLine{}, false
		}
		bl.Values[f[i+1]] = v
	}
	return bl, true
}

// BenchSet holds every run of every benchmark, in first-seen order.
type BenchSet struct {
	order []string
	runs  map[string][]BenchLine
	// Failures are the FAIL lines of the output (a package that did not
	// build, a benchmark that failed), so a report can say what is missing.
	Failures []string
}

// ParseBench reads `go test -bench` output (several packages, -count N).
func ParseBench(r io.Reader) *BenchSet {
	s := &BenchSet{runs: map[string][]BenchLine{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	pkg := ""
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		if strings.HasPrefix(line, "FAIL\t") || strings.HasPrefix(line, "--- FAIL") {
			s.Failures = append(s.Failures, strings.TrimSpace(line))
			continue
		}
		bl, ok := ParseBenchLine(pkg, line)
		if !ok {
			continue
		}
		key := pkg + " " + bl.Name
		if _, seen := s.runs[key]; !seen {
			s.order = append(s.order, key)
		}
		s.runs[key] = append(s.runs[key], bl)
	}
	return s
}

// BenchStat is the median of one benchmark's runs.
type BenchStat struct {
	Pkg, Name string
	Runs      int
	Median    map[string]float64
}

// Stats returns the median of every unit of every benchmark.
func (s *BenchSet) Stats() []BenchStat {
	out := make([]BenchStat, 0, len(s.order))
	for _, key := range s.order {
		out = append(out, s.stat(key))
	}
	return out
}

func (s *BenchSet) stat(key string) BenchStat {
	runs := s.runs[key]
	st := BenchStat{Pkg: runs[0].Pkg, Name: runs[0].Name, Runs: len(runs), Median: map[string]float64{}}
	units := map[string][]float64{}
	for _, r := range runs {
		for u, v := range r.Values {
			units[u] = append(units[u], v)
		}
	}
	for u, vs := range units {
		st.Median[u] = Median(vs)
	}
	return st
}

// Find returns the stat of the benchmark named name (in any package).
func (s *BenchSet) Find(name string) (BenchStat, bool) {
	for _, key := range s.order {
		if s.runs[key][0].Name == name {
			return s.stat(key), true
		}
	}
	return BenchStat{}, false
}

// Len is the number of distinct benchmarks.
func (s *BenchSet) Len() int { return len(s.order) }
