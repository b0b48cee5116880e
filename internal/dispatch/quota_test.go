package dispatch

import "testing"

// Learned quota is written when it says something new: a healthy value at
// most every quotaEvery, a low one at once when it fell by quotaStep, and a
// provider that keeps answering "0 remaining" is not written per request.
func TestQuotaDue(t *testing.T) {
	d := &Dispatcher{}
	for i, tc := range []struct {
		fraction float64
		want     bool
	}{
		{0.9, true},   // first word of this account and group
		{0.85, false}, // healthy: within quotaEvery
		{0.5, false},
		{0.1, true},   // fell below schedule.LowQuota: at once
		{0.09, false}, // fell by less than quotaStep
		{0.04, true},  // fell by quotaStep or more
		{0, false},    // by less again, within lowQuotaEvery
		{0, false},
	} {
		if got := d.quotaDue("a1", "g", tc.fraction); got != tc.want {
			t.Errorf("step %d: quotaDue(%v) = %t; want %t", i, tc.fraction, got, tc.want)
		}
	}
	if !d.quotaDue("a2", "g", 0) || !d.quotaDue("a1", "other", 0.9) {
		t.Error("another account or group has its own record")
	}
}
