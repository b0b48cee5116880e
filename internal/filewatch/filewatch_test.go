package filewatch

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestChanged(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := New(p)
	f.Settle = time.Millisecond
	if d, ok, err := f.Changed(); err != nil || !ok || string(d) != "one" {
		t.Fatalf("first read: %q %v %v", d, ok, err)
	}
	if _, ok, _ := f.Changed(); ok {
		t.Fatal("unchanged file reported as changed")
	}
	// Same content, new time: not a change.
	later := time.Now().Add(2 * time.Second)
	_ = os.Chtimes(p, later, later)
	if _, ok, _ := f.Changed(); ok {
		t.Fatal("a touch without new content reported as changed")
	}
	if err := os.WriteFile(p, []byte("two!"), 0o600); err != nil {
		t.Fatal(err)
	}
	if d, ok, _ := f.Changed(); !ok || string(d) != "two!" {
		t.Fatalf("new content: %q %v", d, ok)
	}
	// An in-place edit that keeps size and time is seen within a few polls.
	info, _ := os.Stat(p)
	if err := os.WriteFile(p, []byte("TWO!"), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = os.Chtimes(p, info.ModTime(), info.ModTime())
	seen := false
	for range forceReadEvery {
		if d, ok, _ := f.Changed(); ok && string(d) == "TWO!" {
			seen = true
		}
	}
	if !seen {
		t.Fatal("an in-place edit with the same size and time was never seen")
	}
	_ = os.Remove(p)
	if _, _, err := f.Changed(); err == nil {
		t.Fatal("a removed file gives no error")
	}
}

// A poll that lands while a writer has truncated the file and not yet
// written the new content must not adopt the empty file: the new content is
// reported only once it reads the same twice.
func TestChangedWaitsForARewriteToSettle(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("keys: [a]")
	f := New(p)
	if _, ok, _ := f.Changed(); !ok {
		t.Fatal("first read not reported")
	}
	// The writer truncates, and finishes while the watcher settles.
	write("")
	f.sleep = func(time.Duration) { write("keys: [a, b]") }
	if d, ok, _ := f.Changed(); ok {
		t.Fatalf("a truncated file mid-rewrite was reported: %q", d)
	}
	f.sleep = func(time.Duration) {}
	d, ok, _ := f.Changed()
	if !ok || string(d) != "keys: [a, b]" {
		t.Fatalf("the finished rewrite: %q %v", d, ok)
	}
	// A content that stays the same through the settle is reported at once.
	write("keys: [c]")
	if d, ok, _ := f.Changed(); !ok || string(d) != "keys: [c]" {
		t.Fatalf("a settled change: %q %v", d, ok)
	}
	// A file really emptied (it stays empty) is reported: the parser decides.
	write("")
	if d, ok, _ := f.Changed(); !ok || len(d) != 0 {
		t.Fatalf("an emptied file: %q %v", d, ok)
	}
}
