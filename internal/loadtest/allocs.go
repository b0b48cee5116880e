package loadtest

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// mallocsMetric is the Prometheus name of runtime.MemStats.Mallocs, the
// count of heap objects allocated so far: the gateway's /metrics has it
// (client_golang's Go collector) and so does the floor proxy's.
const mallocsMetric = "go_memstats_mallocs_total"

// ParseMallocs returns the value of go_memstats_mallocs_total in a
// Prometheus text exposition (counters may be written as floats, e.g.
// 1.234567e+06).
func ParseMallocs(text string) (int64, error) {
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), mallocsMetric)
		if !ok || (rest != "" && rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		if strings.HasPrefix(rest, "{") {
			i := strings.IndexByte(rest, '}')
			if i < 0 {
				return 0, fmt.Errorf("%s: bad labels", mallocsMetric)
			}
			rest = rest[i+1:]
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return 0, fmt.Errorf("%s: no value", mallocsMetric)
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
			return 0, fmt.Errorf("%s: bad value %q", mallocsMetric, f[0])
		}
		return int64(v), nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("no " + mallocsMetric + " in /metrics")
}
