package schedule

import (
	"reflect"
	"testing"
)

func TestMergeReleases(t *testing.T) {
	got := mergeReleases([]keyRelease{
		{name: "a", minute: -1, day: -1, delta: 10, excess: 10}, {name: "b", minute: -1, day: -1},
		{name: "a", minute: -1, day: -1, delta: 5, excess: 5},
		{name: "c", lease: "r1", minute: 7, day: 1, delta: -3}, {name: "c", lease: "r2", minute: 7, day: 1, delta: 2, excess: 2},
		{name: "a", minute: -1, day: -1}, {name: "c", minute: 6, day: 1, delta: 4, excess: 4},
		{name: "d", minute: 7, day: 1, delta: -2}, {name: "d", minute: 7, day: 1, delta: 2, excess: 2},
	})
	want := []keyRelease{
		{name: "a", minute: -1, day: -1, delta: 15, excess: 15},
		{name: "c", lease: "r1", minute: 7, day: 1, delta: -1, excess: 2}, {name: "c", lease: "r2", minute: 7, day: 1},
		{name: "c", minute: 6, day: 1, delta: 4, excess: 4},
		{name: "d", minute: 7, day: 1, excess: 2},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("merged %+v\nwant %+v", got, want)
	}
}

// A release reconciles its reservation: delta is used − reserved, excess
// its positive part; without a reservation both are the tokens used.
func TestReleaseKeyReconciles(t *testing.T) {
	s := &Scheduler{}
	s.ReleaseKey("k", "", 300, KeyReservation{Tokens: 500, At: 120_000})
	s.ReleaseKey("k", "l", 700, KeyReservation{Tokens: 500, At: 120_000})
	s.ReleaseKey("k", "", 40, KeyReservation{})
	s.ReleaseKey("", "", 40, KeyReservation{})
	want := []keyRelease{
		{name: "k", minute: 2, day: 0, delta: -200},
		{name: "k", lease: "l", minute: 2, day: 0, delta: 200, excess: 200},
		{name: "k", minute: -1, day: -1, delta: 40, excess: 40},
	}
	if !reflect.DeepEqual(s.debits.pending, want) {
		t.Fatalf("pending %+v\nwant %+v", s.debits.pending, want)
	}
}
