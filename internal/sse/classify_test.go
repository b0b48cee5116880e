package sse

import "testing"

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindSkip: "skip", KindData: "data", KindError: "error", KindDone: "done", Kind(9): "unknown"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q; want %q", int(k), got, want)
		}
	}
}
