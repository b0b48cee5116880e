package route

import (
	"os"
	"path/filepath"
	"testing"
)

// The routes file is re-read on change: a good file replaces the table, a bad
// one is refused and the last good table keeps serving.
func TestSourceReload(t *testing.T) {
	p := filepath.Join(t.TempDir(), "routes.yaml")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("gpt-4o: gpt-4o-2024-08-06\n")
	s, err := NewSource(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.watch.Settle = 0
	if got := s.Current().Patterns(); len(got) != 1 || got[0] != "gpt-4o" {
		t.Fatalf("patterns at start: %v", got)
	}
	write("gpt-4o: gpt-4o-2024-08-06\nclaude-x: anthropic/claude-sonnet-4-5\n")
	if changed, err := s.reload(); err != nil || !changed {
		t.Fatalf("good file: changed=%v err=%v", changed, err)
	}
	if got := s.Current().Patterns(); len(got) != 2 {
		t.Fatalf("patterns after a good reload: %v", got)
	}
	write("gpt-4o: [this is not a route\n")
	if changed, err := s.reload(); err == nil || changed {
		t.Fatalf("bad file: changed=%v err=%v; want it refused", changed, err)
	}
	if got := s.Current().Patterns(); len(got) != 2 {
		t.Fatalf("a bad file replaced the last good table: %v", got)
	}
	// The same bad content is not reported again; a fixed file is adopted.
	if changed, err := s.reload(); err != nil || changed {
		t.Fatalf("unchanged bad file: changed=%v err=%v", changed, err)
	}
	write("only: openai/gpt-5\n")
	if changed, err := s.reload(); err != nil || !changed {
		t.Fatalf("fixed file: changed=%v err=%v", changed, err)
	}
	if got := s.Current().Patterns(); len(got) != 1 || got[0] != "only" {
		t.Fatalf("patterns after the fix: %v", got)
	}
}
