package app_test

import (
	"bufio"
	"context"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/switchyard-gw/switchyard/internal/app"
	"github.com/switchyard-gw/switchyard/internal/config"
	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
)

// newTracedHarness is newHarness with an in-memory span recorder injected
// through app.Env.TracerProvider (no OpenTelemetry globals).
func newTracedHarness(t *testing.T, o harnessOpts) (*harness, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	h := &harness{t: t, logs: &syncBuffer{}, fake: fakeupstream.New(fakeupstream.Options{})}
	srv := httptest.NewServer(h.fake)
	t.Cleanup(srv.Close)
	h.fakeURL = srv.URL
	dir := t.TempDir()
	acctFile, routesFile := filepath.Join(dir, "accounts.yaml"), filepath.Join(dir, "routes.yaml")
	if err := os.WriteFile(acctFile, []byte(accountsYAML(h.fakeURL, defaultAccounts())), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(routesFile, []byte(demoRoutes), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"SWITCHYARD_LISTEN_ADDR": "127.0.0.1:0", "SWITCHYARD_ADMIN_ADDR": "127.0.0.1:0",
		"SWITCHYARD_ACCOUNTS_FILE": acctFile, "SWITCHYARD_ROUTES_FILE": routesFile,
		"SWITCHYARD_API_KEYS": clientKey, "SWITCHYARD_ADMIN_KEY": adminKey, "SWITCHYARD_REDIS_URL": o.redisURL,
		"SWITCHYARD_FIRST_EVENT_TIMEOUT": "2s", "SWITCHYARD_STREAM_IDLE_TIMEOUT": "2s",
		"SWITCHYARD_RESPONSE_HEADER_TIMEOUT": "3s", "SWITCHYARD_RATE_LIMIT_GRACE": "3s", "SWITCHYARD_SHUTDOWN_GRACE": "5s",
		"SWITCHYARD_LOG_LEVEL":        "debug",
		"OTEL_EXPORTER_OTLP_ENDPOINT": "", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "",
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg, err := config.Load()
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	go func() {
		err := app.Run(ctx, cfg, app.Env{Stdout: pw, LookupEnv: os.LookupEnv, Version: "test", TracerProvider: tp})
		pw.Close()
		h.done <- err
	}()
	sc := bufio.NewScanner(pr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for (h.base == "" || h.admin == "") && sc.Scan() {
		line := sc.Text()
		h.logs.Write([]byte(line + "\n"))
		if a, ok := strings.CutPrefix(line, "LISTENING "); ok {
			h.base = "http://" + a
		}
		if a, ok := strings.CutPrefix(line, "ADMIN "); ok {
			h.admin = "http://" + a
		}
	}
	if h.base == "" {
		cancel()
		t.Fatalf("gateway did not start: %v\n%s", <-h.done, h.logs.String())
	}
	go func() {
		for sc.Scan() {
			h.logs.Write([]byte(sc.Text() + "\n"))
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	t.Cleanup(h.stop)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return h, rec
}
