package loadtest

import (
	"math"
	"slices"
	"time"
)

// Percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest value such that at least p% of the
// values are less than or equal to it. It returns 0 for no values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if p <= 0 {
		return sorted[0]
	}
	if p >= 100 {
		return sorted[n-1]
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	rank = max(rank, 1)
	return sorted[rank-1]
}

// Dist summarizes a latency distribution.
type Dist struct {
	N    int           `json:"n"`
	P50  time.Duration `json:"p50"`
	P95  time.Duration `json:"p95"`
	P99  time.Duration `json:"p99"`
	Max  time.Duration `json:"max"`
	Mean time.Duration `json:"mean"`
}

// Summarize sorts d in place and returns its distribution.
func Summarize(d []time.Duration) Dist {
	if len(d) == 0 {
		return Dist{}
	}
	slices.Sort(d)
	var sum time.Duration
	for _, v := range d {
		sum += v
	}
	return Dist{
		N:    len(d),
		P50:  Percentile(d, 50),
		P95:  Percentile(d, 95),
		P99:  Percentile(d, 99),
		Max:  d[len(d)-1],
		Mean: sum / time.Duration(len(d)),
	}
}

// Median returns the median of xs (the mean of the middle two for an even
// count), or NaN for none. xs is not modified.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// MedianDuration is Median for durations.
func MedianDuration(ds []time.Duration) time.Duration {
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = float64(d)
	}
	m := Median(xs)
	if math.IsNaN(m) {
		return 0
	}
	return time.Duration(m)
}

// Backlogged reports whether latency grew during a step: the median of the
// last quarter of the requests (in schedule order) is more than 1.5x the
// median of the first quarter plus 10 ms. An open-loop generator above the
// capacity of the system builds a queue that shows up this way before the
// requests start to time out.
func Backlogged(inOrder []time.Duration) (first, last time.Duration, growing bool) {
	q := len(inOrder) / 4
	if q < 10 {
		return 0, 0, false
	}
	first = MedianDuration(inOrder[:q])
	last = MedianDuration(inOrder[len(inOrder)-q:])
	return first, last, last > first*3/2+10*time.Millisecond
}
