package sse

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestStreamReencode writes every event of the LF-framed recorded streams back
// with AppendEvent and AppendComment and expects the original bytes.
func TestStreamReencode(t *testing.T) {
	for _, name := range []string{"openai", "openai_error", "anthropic", "anthropic_error", "responses", "responses_failed"} {
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata/streams", name+".sse"))
			if err != nil {
				t.Fatal(err)
			}
			var out []byte
			r := NewReader(bytes.NewReader(in), 0)
			for {
				e, err := r.Next()
				if err != nil {
					break
				}
				if e.Comment {
					out = AppendComment(out, string(e.Data))
				} else {
					out = AppendEvent(out, e.Name, e.Data)
				}
			}
			if !bytes.Equal(out, in) {
				t.Errorf("got:\n%s\nwant:\n%s", out, in)
			}
		})
	}
}
