package protocol_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/protocol/anthropic"
	"github.com/switchyard-gw/switchyard/internal/protocol/gemini"
	"github.com/switchyard-gw/switchyard/internal/protocol/openai"
	"github.com/switchyard-gw/switchyard/internal/protocol/responses"
	"github.com/switchyard-gw/switchyard/internal/sse"
)

// TestClassify holds each protocol's stream event classification to the
// cases the gateway's peek, collect and relay depend on.
func TestClassify(t *testing.T) {
	comment := sse.Event{Comment: true, Data: []byte("keep-alive")}
	data := func(s string) sse.Event { return sse.Event{Data: []byte(s)} }
	named := func(name, s string) sse.Event { return sse.Event{Name: name, Data: []byte(s)} }

	tests := []struct {
		name     string
		classify func(sse.Event) (sse.Kind, bool)
		ev       sse.Event
		want     sse.Kind
	}{
		{"openai comment", openai.Classify, comment, sse.KindSkip},
		{"openai empty", openai.Classify, data(""), sse.KindSkip},
		{"openai blank", openai.Classify, data(" \n "), sse.KindSkip},
		{"openai comment as data", openai.Classify, data(": ping"), sse.KindSkip},
		{"openai done", openai.Classify, data("[DONE]"), sse.KindDone},
		{"openai done padded", openai.Classify, data(" [DONE] "), sse.KindDone},
		{"openai role only first chunk", openai.Classify, data(`{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}`), sse.KindData},
		{"openai usage chunk", openai.Classify, data(`{"choices":[],"usage":{"total_tokens":3}}`), sse.KindData},
		{"openai error", openai.Classify, data(`{"error":{"message":"x","type":"server_error"}}`), sse.KindError},
		{"openai error string", openai.Classify, data(`{"error":"boom"}`), sse.KindError},
		{"openai null error", openai.Classify, data(`{"error":null,"choices":[]}`), sse.KindData},
		{"openai false error", openai.Classify, data(`{"error":false,"choices":[]}`), sse.KindData},
		{"openai empty error", openai.Classify, data(`{"error":"","choices":[]}`), sse.KindData},
		{"openai nested error is content", openai.Classify, data(`{"choices":[{"delta":{"content":"{\"error\":1}"}}]}`), sse.KindData},

		{"anthropic comment", anthropic.Classify, comment, sse.KindSkip},
		{"anthropic ping", anthropic.Classify, named("ping", `{"type":"ping"}`), sse.KindSkip},
		{"anthropic ping without data", anthropic.Classify, named("ping", ""), sse.KindSkip},
		{"anthropic start", anthropic.Classify, named("message_start", `{"type":"message_start"}`), sse.KindPreamble},
		{"anthropic delta", anthropic.Classify, named("content_block_delta", `{}`), sse.KindData},
		{"anthropic error", anthropic.Classify, named("error", `{"type":"error","error":{"type":"overloaded_error"}}`), sse.KindError},
		{"anthropic stop", anthropic.Classify, named("message_stop", `{"type":"message_stop"}`), sse.KindDone},
		{"anthropic unnamed error", anthropic.Classify, data(`{"type":"error","error":{"type":"api_error"}}`), sse.KindError},
		{"anthropic unnamed untyped error", anthropic.Classify, data(`{"error":{"type":"api_error"}}`), sse.KindError},
		{"anthropic unnamed stop", anthropic.Classify, data(`{"type":"message_stop"}`), sse.KindDone},
		{"anthropic unnamed untyped", anthropic.Classify, data(`{"x":1}`), sse.KindSkip},
		{"anthropic empty", anthropic.Classify, data(""), sse.KindSkip},

		{"gemini comment", gemini.Classify, comment, sse.KindSkip},
		{"gemini empty", gemini.Classify, data(""), sse.KindSkip},
		{"gemini chunk", gemini.Classify, data(`{"candidates":[{"content":{"parts":[{"text":"Hi"}]}}]}`), sse.KindData},
		{"gemini finish chunk", gemini.Classify, data(`{"candidates":[{"finishReason":"STOP"}]}`), sse.KindData},
		{"gemini usage only", gemini.Classify, data(`{"usageMetadata":{"promptTokenCount":3}}`), sse.KindData},
		{"gemini blocked prompt", gemini.Classify, data(`{"promptFeedback":{"blockReason":"SAFETY"}}`), sse.KindData},
		{"gemini error", gemini.Classify, data(`{"error":{"code":503,"status":"UNAVAILABLE"}}`), sse.KindError},
		{"gemini error with candidates", gemini.Classify, data(`{"error":{"code":1},"candidates":[]}`), sse.KindData},
		{"code assist chunk", gemini.Classify, data(`{"response":{"candidates":[]},"traceId":"t"}`), sse.KindData},
		{"code assist error", gemini.Classify, data(`{"response":{"error":{"code":500}},"traceId":"t"}`), sse.KindError},
		{"code assist empty", gemini.Classify, data(`{"response":{},"traceId":"t"}`), sse.KindSkip},
		{"gemini meta only", gemini.Classify, data(`{"__cloudCodeMeta":{"traceId":"t"}}`), sse.KindSkip},

		{"responses comment", responses.Classify, comment, sse.KindSkip},
		{"responses created", responses.Classify, named("response.created", `{}`), sse.KindPreamble},
		{"responses in progress", responses.Classify, named("response.in_progress", `{}`), sse.KindPreamble},
		{"responses delta", responses.Classify, named("response.output_text.delta", `{}`), sse.KindData},
		{"responses completed", responses.Classify, named("response.completed", `{}`), sse.KindDone},
		{"responses incomplete", responses.Classify, named("response.incomplete", `{}`), sse.KindDone},
		{"responses failed", responses.Classify, named("response.failed", `{}`), sse.KindError},
		{"responses error", responses.Classify, named("error", `{"type":"error","message":"x"}`), sse.KindError},
		{"responses unnamed completed", responses.Classify, data(`{"type":"response.completed"}`), sse.KindDone},
		{"responses unnamed error object", responses.Classify, data(`{"error":{"message":"x"}}`), sse.KindError},
		{"responses unnamed untyped", responses.Classify, data(`{"x":1}`), sse.KindData},
		{"responses empty", responses.Classify, data(""), sse.KindSkip},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := tt.classify(tt.ev); got != tt.want {
				t.Errorf("got %v; want %v", got, tt.want)
			}
		})
	}
}

// geminiFinished is the finish flag of gemini.Classify.
func geminiFinished(ev sse.Event) bool {
	_, finished := gemini.Classify(ev)
	return finished
}

func TestGeminiFinished(t *testing.T) {
	tests := []struct {
		name string
		data string
		want bool
	}{
		{"no candidates", `{"usageMetadata":{}}`, false},
		{"no finish reason", `{"candidates":[{"content":{"parts":[{"text":"a"}]}}]}`, false},
		{"stop", `{"candidates":[{"finishReason":"STOP"}]}`, true},
		{"second candidate", `{"candidates":[{"index":0},{"index":1,"finishReason":"MAX_TOKENS"}]}`, true},
		{"empty reason", `{"candidates":[{"finishReason":""}]}`, false},
		{"code assist", `{"response":{"candidates":[{"finishReason":"STOP"}]},"traceId":"t"}`, true},
		{"not json", `[DONE]`, false},
		{"empty", ``, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := geminiFinished(sse.Event{Data: []byte(tt.data)}); got != tt.want {
				t.Errorf("got %t; want %t", got, tt.want)
			}
		})
	}
	if geminiFinished(sse.Event{Comment: true, Data: []byte(`{"candidates":[{"finishReason":"STOP"}]}`)}) {
		t.Errorf("comment: got true; want false")
	}
}

func BenchmarkClassifyOpenAI(b *testing.B) {
	e := sse.Event{Data: []byte(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1767225600,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}],"usage":null}`)}
	b.ReportAllocs()
	for b.Loop() {
		if k, _ := openai.Classify(e); k != sse.KindData {
			b.Fatal("not data")
		}
	}
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// streamsDir holds recorded upstream streams (shared with package sse, which
// tests its framing on them).
const streamsDir = "../sse/testdata/streams"

func kind(classify func(sse.Event) (sse.Kind, bool), e sse.Event) sse.Kind {
	k, _ := classify(e)
	return k
}

// classifiers maps a stream file's name prefix to its protocol's classifier.
var classifiers = map[string]func(sse.Event) (sse.Kind, bool){
	"openai":     openai.Classify,
	"anthropic":  anthropic.Classify,
	"gemini":     gemini.Classify,
	"codeassist": gemini.Classify,
	"responses":  responses.Classify,
}

// TestStreamGoldens reads the recorded upstream streams in sse's testdata,
// classifies every event with its protocol's classifier, and compares the
// outcome with the .golden file next to the stream.
func TestStreamGoldens(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(streamsDir, "*.sse"))
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
			r := sse.NewReader(bytes.NewReader(in), 0)
			for {
				e, err := r.Next()
				if err != nil {
					fmt.Fprintf(&got, "end: %v\n", err)
					break
				}
				fmt.Fprintf(&got, "%-5s name=%q comment=%t gemini_finished=%t data=%.50s\n",
					kind(classify, e), e.Name, e.Comment, geminiFinished(e), e.Data)
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
