package schedule

import (
	"reflect"
	"testing"
)

func TestMergeReleases(t *testing.T) {
	got := mergeReleases([]keyRelease{
		{name: "a", tokens: 10}, {name: "b"}, {name: "a", tokens: 5},
		{name: "c", lease: "r1", tokens: 1}, {name: "c", lease: "r2", tokens: 2}, {name: "a", tokens: 0},
	})
	want := []keyRelease{{name: "a", tokens: 15}, {name: "c", lease: "r1", tokens: 3}, {name: "c", lease: "r2"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("merged %+v; want %+v", got, want)
	}
}
