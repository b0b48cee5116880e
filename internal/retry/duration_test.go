package retry

import (
	"math"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"1.5s", 1500 * time.Millisecond, true},
		{"500ms", 500 * time.Millisecond, true},
		{"2m3s", 123 * time.Second, true},
		{"1h16m0.667s", time.Hour + 16*time.Minute + 667*time.Millisecond, true},
		{"33740.9s", 33740*time.Second + 900*time.Millisecond, true},
		{"33740.910400305s", 33740*time.Second + 910400305, true},
		{"135h9m46s", 135*time.Hour + 9*time.Minute + 46*time.Second, true},
		{"2h13m58.41s", 2*time.Hour + 13*time.Minute + 58410*time.Millisecond, true},
		{"900ms", 900 * time.Millisecond, true},
		{"6m0s", 6 * time.Minute, true},
		{"20ms", 20 * time.Millisecond, true},
		{"1us", time.Microsecond, true},
		{"1µs", time.Microsecond, true},
		{"1μs", time.Microsecond, true},
		{"7ns", 7, true},
		{"37", 37 * time.Second, true},
		{"0.5", 500 * time.Millisecond, true},
		{"0", 0, true},
		{".5s", 500 * time.Millisecond, true},
		{"5.s", 5 * time.Second, true},
		{" 37s\t", 37 * time.Second, true},
		{"99999999999999999999999h", math.MaxInt64, true},
		{"9223372036854775807ns1s", math.MaxInt64, true},
		{"", 0, false},
		{"  ", 0, false},
		{"-1s", 0, false},
		{"-5", 0, false},
		{"+5s", 0, false},
		{"s", 0, false},
		{".", 0, false},
		{"1h30", 0, false},
		{"1x", 0, false},
		{"1 s", 0, false},
		{"1e3", 0, false},
		{"1.2.3s", 0, false},
		{"NaN", 0, false},
		{"1S", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := ParseDuration(tt.in)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("got %v, %t; want %v, %t", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestDurationInText(t *testing.T) {
	tests := []struct {
		text string
		want delay
	}{
		{"please retry in 12.3s.", some(12300 * time.Millisecond)},
		{"your quota will reset after 2h14m5s.", some(2*time.Hour + 14*time.Minute + 5*time.Second)},
		{"individual quota reached. resets in 9h22m20s.", some(9*time.Hour + 22*time.Minute + 20*time.Second)},
		{"please try again in 6ms. visit", some(6 * time.Millisecond)},
		{"try again in 1m30s, thanks", some(90 * time.Second)},
		{"retry after 30 seconds", some(30 * time.Second)},
		{"retry after 1 hour", some(time.Hour)},
		{"retry after 250 milliseconds", some(250 * time.Millisecond)},
		{"retry after 3", some(3 * time.Second)},
		{"please try again later.", delay{}},
		{"retry in some time", delay{}},
		{"", delay{}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if got := durationInText(tt.text); got != tt.want {
				t.Errorf("got %+v; want %+v", got, tt.want)
			}
		})
	}
}
