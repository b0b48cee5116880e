package account

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// poolFile returns an accounts file with one openai account per id.
func poolFile(ids ...string) string {
	var b strings.Builder
	b.WriteString("accounts:\n")
	for _, id := range ids {
		b.WriteString("  - {id: " + id + ", email: " + id + "@x, provider: openai, api_key: '${KEY}'}\n")
	}
	return b.String()
}

// replaceFile writes content to path through a rename, as editors and
// config management tools do.
func replaceFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a bytes.Buffer safe for a logger writing from Run's
// goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newTestSource writes content to a fresh file and opens a Source on it,
// logging into the returned buffer.
func newTestSource(t *testing.T, content string) (*Source, string, *syncBuffer) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "accounts.yaml")
	replaceFile(t, path, content)
	logs := &syncBuffer{}
	s, err := NewSource(path, mapEnv(map[string]string{"KEY": "sk-source-secret"}), testLogger(logs))
	if err != nil {
		t.Fatalf("NewSource() error: %v", err)
	}
	return s, path, logs
}

func testLogger(w *syncBuffer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }

// ids lists the ids of a pool, in order.
func ids(p *Pool) string {
	var out []string
	for _, a := range p.Accounts() {
		out = append(out, a.ID)
	}
	return strings.Join(out, ",")
}

func TestSourceReload(t *testing.T) {
	s, path, logs := newTestSource(t, poolFile("a"))
	updates := s.Subscribe()
	first := s.Current()

	replaceFile(t, path, poolFile("a", "b"))
	s.poll()
	if got := ids(s.Current()); got != "a,b" {
		t.Fatalf("after a change, pool = %q; want a,b", got)
	}
	select {
	case p := <-updates:
		if p != s.Current() {
			t.Errorf("Subscribe() delivered %q; want the current pool", ids(p))
		}
	default:
		t.Error("Subscribe() delivered nothing after a reload")
	}

	// Rewriting the same content changes nothing.
	before := s.Current()
	replaceFile(t, path, poolFile("a", "b"))
	s.poll()
	if s.Current() != before {
		t.Error("identical content swapped in a new pool")
	}
	if first.Version() == s.Current().Version() {
		t.Error("Version() did not change with the content")
	}
	if strings.Contains(logs.String(), "sk-source-secret") {
		t.Errorf("logs reveal a credential: %s", logs)
	}
}

func TestSourceKeepsLastGoodPool(t *testing.T) {
	s, path, logs := newTestSource(t, poolFile("a"))
	good := s.Current()

	bad := poolFile("a") + "  - {id: b, email: b@x, provider: nope, api_key: 'sk-in-file-secret'}\n"
	replaceFile(t, path, bad)
	s.poll()
	s.poll()
	replaceFile(t, path, bad) // same bad content again: no new log line
	s.poll()
	if s.Current() != good {
		t.Fatalf("a bad file replaced the pool with %q", ids(s.Current()))
	}
	if n := strings.Count(logs.String(), "accounts file rejected"); n != 1 {
		t.Errorf("bad file logged %d times; want once:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), `provider: unknown provider \"nope\"`) {
		t.Errorf("log lacks the validation error:\n%s", logs)
	}
	if strings.Contains(logs.String(), "sk-in-file-secret") {
		t.Errorf("log reveals the file's content:\n%s", logs)
	}

	replaceFile(t, path, poolFile("a", "c"))
	s.poll()
	if got := ids(s.Current()); got != "a,c" {
		t.Errorf("after the fix, pool = %q; want a,c", got)
	}
}

func TestSourceUnreadableFile(t *testing.T) {
	s, path, logs := newTestSource(t, poolFile("a"))
	good := s.Current()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	s.poll()
	s.poll()
	if s.Current() != good {
		t.Fatal("a missing file replaced the pool")
	}
	if n := strings.Count(logs.String(), "accounts file unreadable"); n != 1 {
		t.Errorf("missing file logged %d times; want once:\n%s", n, logs)
	}
	replaceFile(t, path, poolFile("a", "d"))
	s.poll()
	if got := ids(s.Current()); got != "a,d" {
		t.Errorf("after the file came back, pool = %q; want a,d", got)
	}
}

func TestSourceInPlaceEdit(t *testing.T) {
	s, path, _ := newTestSource(t, poolFile("a"))
	// Same size, written in place: found at the latest by the forced read.
	if err := os.WriteFile(path, []byte(poolFile("z")), 0o600); err != nil {
		t.Fatal(err)
	}
	for range forceReadEvery {
		s.poll()
	}
	if got := ids(s.Current()); got != "z" {
		t.Errorf("after an in-place edit, pool = %q; want z", got)
	}
}

// TestSourceKubernetesSymlinkSwap mimics a Secret volume: the file is a
// symlink through ..data, and an update atomically repoints ..data at a new
// timestamped directory.
func TestSourceKubernetesSymlinkSwap(t *testing.T) {
	dir := t.TempDir()
	writeVersion := func(name, content string) {
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "accounts.yaml"), []byte(content), 0o400); err != nil {
			t.Fatal(err)
		}
	}
	swapData := func(target string) {
		tmp := filepath.Join(dir, "..data_tmp")
		if err := os.Symlink(target, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	writeVersion("..2026_01_01_00_00_00.1", poolFile("a"))
	swapData("..2026_01_01_00_00_00.1")
	path := filepath.Join(dir, "accounts.yaml")
	if err := os.Symlink(filepath.Join("..data", "accounts.yaml"), path); err != nil {
		t.Fatal(err)
	}
	s, err := NewSource(path, mapEnv(map[string]string{"KEY": "k"}), nil)
	if err != nil {
		t.Fatalf("NewSource() error: %v", err)
	}

	writeVersion("..2026_01_01_00_05_00.2", poolFile("b")) // same size as before
	swapData("..2026_01_01_00_05_00.2")
	if err := os.RemoveAll(filepath.Join(dir, "..2026_01_01_00_00_00.1")); err != nil {
		t.Fatal(err)
	}
	s.poll()
	if got := ids(s.Current()); got != "b" {
		t.Errorf("after the ..data swap, pool = %q; want b", got)
	}
}

func TestSourceRun(t *testing.T) {
	s, path, _ := newTestSource(t, poolFile("a"))
	updates := s.Subscribe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, 5*time.Millisecond) }()

	replaceFile(t, path, poolFile("a", "run"))
	select {
	case p := <-updates:
		if got := ids(p); got != "a,run" {
			t.Errorf("Run delivered pool %q; want a,run", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not pick up the change within 5s")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run() = %v; want nil after cancel", err)
	}
}

func TestSourceErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("accounts:\n  - {id: a}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, wantPrefix string
	}{
		{"missing file", filepath.Join(dir, "missing.yaml"), "read accounts file: "},
		{"invalid file", bad, "accounts file " + bad + ": accounts[0] (id \"a\"): email: missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewSource(tt.path, mapEnv(nil), nil)
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantPrefix) {
				t.Errorf("NewSource() error = %v; want prefix %q", err, tt.wantPrefix)
			}
		})
	}
	s, _, _ := newTestSource(t, poolFile("a"))
	if err := s.Run(context.Background(), 0); err == nil {
		t.Error("Run(ctx, 0) = nil; want an error")
	}
}

func TestStaticSource(t *testing.T) {
	p, err := Parse([]byte(poolFile("a")), mapEnv(map[string]string{"KEY": "k"}))
	if err != nil {
		t.Fatal(err)
	}
	s := StaticSource(p)
	if s.Current() != p {
		t.Errorf("Current() = %v; want the static pool", s.Current())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Run(ctx, time.Second); err != nil {
		t.Errorf("Run() = %v; want nil", err)
	}
}
