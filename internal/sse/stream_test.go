package sse

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// classifiers maps a stream file's name prefix to its protocol's classifier.
var classifiers = map[string]func(Event) Kind{
	"openai":     ClassifyOpenAI,
	"anthropic":  ClassifyAnthropic,
	"gemini":     ClassifyGemini,
	"codeassist": ClassifyGemini,
	"responses":  ClassifyResponses,
}

// TestStreamGoldens reads the recorded upstream streams in testdata/streams,
// classifies every event with its protocol's classifier, and compares the
// outcome with the .golden file next to the stream.
func TestStreamGoldens(t *testing.T) {
	files, err := filepath.Glob("testdata/streams/*.sse")
	if err != nil || len(files) == 0 {
		t.Fatalf("no stream files: %v", err)
	}
	for _, file := range files {
		base := strings.TrimSuffix(filepath.Base(file), ".sse")
		t.Run(base, func(t *testing.T) {
			protocol, _, _ := strings.Cut(base, "_")
			classify := classifiers[protocol]
			if classify == nil {
				t.Fatalf("no classifier for %s", protocol)
			}
			in, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			r := NewReader(bytes.NewReader(in), 0)
			for {
				e, err := r.Next()
				if err != nil {
					fmt.Fprintf(&got, "end: %v\n", err)
					break
				}
				fmt.Fprintf(&got, "%-5s name=%q comment=%t gemini_finished=%t data=%.50s\n",
					classify(e), e.Name, e.Comment, GeminiFinished(e), e.Data)
			}
			golden := strings.TrimSuffix(file, ".sse") + ".golden"
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != string(want) {
				t.Errorf("got:\n%s\nwant:\n%s", got.Bytes(), want)
			}
		})
	}
}

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
