package server

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/dispatch"
)

// A healthy request's line is at debug (no line per healthy request at the
// default level); client errors, retried, failed and slow requests at info,
// server errors at warn.
func TestRequestLogLevel(t *testing.T) {
	one := []dispatch.Attempt{{}}
	for _, tc := range []struct {
		name string
		rec  Record
		want slog.Level
	}{
		{"healthy", Record{Result: dispatch.Result{Status: 200, Attempts: one}, Duration: time.Millisecond}, slog.LevelDebug},
		{"client error", Record{Result: dispatch.Result{Status: 400, Error: "bad"}}, slog.LevelInfo},
		{"key limit", Record{Result: dispatch.Result{Status: 429}}, slog.LevelInfo},
		{"retried", Record{Result: dispatch.Result{Status: 200, Attempts: []dispatch.Attempt{{}, {}}}}, slog.LevelInfo},
		{"error after the answer began", Record{Result: dispatch.Result{Status: 200, Attempts: one, Error: "stream cut"}}, slog.LevelInfo},
		{"slow", Record{Result: dispatch.Result{Status: 200, Attempts: one}, Duration: slowRequest}, slog.LevelInfo},
		{"no status", Record{}, slog.LevelInfo},
		{"server error", Record{Result: dispatch.Result{Status: 503, Attempts: one}}, slog.LevelWarn},
	} {
		if got := requestLevel(&tc.rec); got != tc.want {
			t.Errorf("%s: level %v; want %v", tc.name, got, tc.want)
		}
	}
	var buf bytes.Buffer
	s := &Server{opts: Options{Log: slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))}}
	s.logRequest(context.Background(), Record{RequestID: "healthy-1", Result: dispatch.Result{Status: 200, Attempts: one}})
	s.logRequest(context.Background(), Record{RequestID: "retried-1", Result: dispatch.Result{Status: 200, Attempts: []dispatch.Attempt{{}, {}}}})
	if out := buf.String(); strings.Contains(out, "healthy-1") || !strings.Contains(out, `"request_id":"retried-1"`) {
		t.Errorf("info-level log: %s", out)
	}
	buf.Reset()
	s.opts.Log = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s.logRequest(context.Background(), Record{RequestID: "healthy-2", Result: dispatch.Result{Status: 200, Attempts: one}})
	if !strings.Contains(buf.String(), `"request_id":"healthy-2"`) {
		t.Errorf("debug-level log has no healthy request line: %s", buf.String())
	}
}
