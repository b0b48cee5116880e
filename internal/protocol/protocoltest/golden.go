// Package protocoltest compares protocol output with golden files in a
// package's testdata directory.
package protocoltest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// Golden fails t when got differs from testdata/name; with update it
// rewrites the file first (go test -update).
func Golden(t *testing.T, name string, got []byte, update bool) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("golden %s: %v (run go test -update)", p, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s:\n got %s\nwant %s", name, got, want)
	}
}
