// Command fakeupstream serves the simulated OpenAI, Anthropic and Gemini APIs
// of package fakeupstream, for `make run`, docker-compose and benchmarks.
//
// Environment:
//
//	FAKEUPSTREAM_ADDR         listen address (default 127.0.0.1:8090)
//	FAKEUPSTREAM_LATENCY      delay before every response's headers (Go duration, default 0)
//	FAKEUPSTREAM_CHUNK_DELAY  delay between SSE events (Go duration, default 0)
//	FAKEUPSTREAM_STRICT       true: refuse what the real APIs refuse (fakeupstream.Options.Strict)
//
// Once listening it prints exactly one line, "LISTENING <host:port>", on
// stdout. Logs are JSON on stderr. SIGINT or SIGTERM shut it down gracefully.
//
// "fakeupstream healthcheck" instead asks the instance at FAKEUPSTREAM_ADDR
// for /_control/healthz and exits 0 when it answers (for container
// healthchecks in images without curl).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
)

const shutdownTimeout = 10 * time.Second

type config struct {
	addr string
	opts fakeupstream.Options
}

func main() {
	os.Exit(run())
}

func run() int {
	cfg, err := loadConfig(os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "fakeupstream: %v\n", err)
		return 2
	}
	if len(os.Args) > 1 {
		if os.Args[1] != "healthcheck" || len(os.Args) > 2 {
			fmt.Fprintf(os.Stderr, "fakeupstream: unknown arguments %q; the only command is \"healthcheck\"\n", os.Args[1:])
			return 2
		}
		if err := healthcheck(cfg.addr); err != nil {
			fmt.Fprintf(os.Stderr, "fakeupstream: healthcheck: %v\n", err)
			return 1
		}
		return 0
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, cfg, os.Stdout, logger); err != nil {
		logger.Error("fakeupstream stopped", "err", err)
		return 1
	}
	return 0
}

func loadConfig(getenv func(string) string) (config, error) {
	cfg := config{addr: getenv("FAKEUPSTREAM_ADDR")}
	if cfg.addr == "" {
		cfg.addr = "127.0.0.1:8090"
	}
	for _, v := range []struct {
		name string
		dst  *time.Duration
	}{
		{"FAKEUPSTREAM_LATENCY", &cfg.opts.Latency},
		{"FAKEUPSTREAM_CHUNK_DELAY", &cfg.opts.ChunkDelay},
	} {
		s := getenv(v.name)
		if s == "" {
			continue
		}
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return config{}, fmt.Errorf("%s=%q is not a non-negative Go duration such as 250ms or 1s", v.name, s)
		}
		*v.dst = d
	}
	if s := getenv("FAKEUPSTREAM_STRICT"); s != "" {
		strict, err := strconv.ParseBool(s)
		if err != nil {
			return config{}, fmt.Errorf("FAKEUPSTREAM_STRICT=%q is not a boolean such as true or false", s)
		}
		cfg.opts.Strict = strict
	}
	return cfg, nil
}

// serve listens, announces the address on stdout and serves until ctx ends.
func serve(ctx context.Context, cfg config, stdout io.Writer, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	fake := fakeupstream.New(cfg.opts)
	srv := &http.Server{
		Handler:           fake,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	if _, err := fmt.Fprintf(stdout, "LISTENING %s\n", ln.Addr()); err != nil {
		_ = ln.Close()
		return fmt.Errorf("announce address: %w", err)
	}
	logger.Info("listening", "addr", ln.Addr().String(),
		"latency", cfg.opts.Latency.String(), "chunk_delay", cfg.opts.ChunkDelay.String(), "strict", cfg.opts.Strict)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}

	logger.Info("shutting down")
	fake.Close() // release hanging and stalled requests
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// healthcheck asks a running instance listening on addr whether it is up.
func healthcheck(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("FAKEUPSTREAM_ADDR=%q: %w", addr, err)
	}
	if ip, err := netip.ParseAddr(host); host == "" || (err == nil && ip.IsUnspecified()) {
		host = "127.0.0.1" // a wildcard listener is reachable on loopback
	}
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get("http://" + net.JoinHostPort(host, port) + "/_control/healthz")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %s", resp.Status)
	}
	return nil
}
