// Command switchyard-bench is Switchyard's end-to-end load harness. It starts
// the fake upstream, redis-server, the floor proxy (cmd/floorproxy: a bare
// httputil.ReverseProxy, the baseline of the targets) and the gateway binary
// as separate processes on loopback, drives them with open-loop arrival
// rates, and writes BENCHMARKS.md (together with the micro-benchmark output
// of scripts/bench.sh).
// It never asserts anything: it only measures and reports.
//
//	switchyard-bench [-quick] [-bin bin] [-micro bench.txt] [-out BENCHMARKS.md]
//
// The logic lives in internal/loadtest.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/switchyard-gw/switchyard/internal/loadtest"
)

func main() {
	os.Exit(run())
}

func run() int {
	quick := flag.Bool("quick", false, "1-2 minute smoke run: one short round, fewer rates")
	bin := flag.String("bin", "bin", "directory with the switchyard, fakeupstream and floorproxy binaries")
	accounts := flag.String("accounts", "examples/demo/accounts.yaml", "account pool file (base_url via ${SWITCHYARD_DEMO_UPSTREAM})")
	routes := flag.String("routes", "examples/demo/routes.yaml", "routes file")
	rates := flag.String("rates", "", "JSON rate ladder in req/s, comma-separated (default depends on -quick)")
	rounds := flag.Int("rounds", 0, "rounds (default depends on -quick)")
	streams := flag.String("streams", "", "open-stream counts for the memory measurement, comma-separated; 0 for none")
	latency := flag.Duration("latency", 20*time.Millisecond, "FAKEUPSTREAM_LATENCY of the fake upstream")
	maxDur := flag.Duration("max-duration", 0, "time budget of the load run (default depends on -quick)")
	warm := flag.Duration("warm", 0, "warm-up of each step, not measured (default depends on -quick)")
	measure := flag.Duration("measure", 0, "measured part of each step (default depends on -quick)")
	streamRates := flag.String("stream-rates", "", "streaming rates in streams/s, comma-separated; 0 for none")
	work := flag.String("workdir", "", "keep logs of every process here (default: a temporary directory, removed)")
	micro := flag.String("micro", "", "`go test -bench` output to include")
	microCmd := flag.String("micro-command", "", "the command that produced -micro")
	profile := flag.String("profile", "", "`go tool pprof -top` output to include")
	profileCmd := flag.String("profile-command", "", "the command that produced -profile")
	out := flag.String("out", "", "write the Markdown report here (default: stdout)")
	jsonOut := flag.String("json", "", "also write the raw results as JSON here")
	command := flag.String("command", "", "the command to show as the one that produced the report (default: this command line)")
	fromJSON := flag.String("from-json", "", "render the report from the -json results of an earlier run instead of running the load")
	flag.Parse()

	cfg := loadtest.DefaultConfig(*quick)
	cfg.Bin, cfg.Accounts, cfg.Routes, cfg.Latency, cfg.WorkDir = *bin, *accounts, *routes, *latency, *work
	cfg.Progress = os.Stderr
	if *rates != "" {
		v, err := ints(*rates)
		if err != nil {
			fmt.Fprintf(os.Stderr, "switchyard-bench: -rates: %v\n", err)
			return 2
		}
		cfg.Rates = v
	}
	if *streams != "" {
		v, err := ints(*streams)
		if err != nil {
			fmt.Fprintf(os.Stderr, "switchyard-bench: -streams: %v\n", err)
			return 2
		}
		cfg.OpenStreams = v
	}
	if *streamRates != "" {
		v, err := ints(*streamRates)
		if err != nil {
			fmt.Fprintf(os.Stderr, "switchyard-bench: -stream-rates: %v\n", err)
			return 2
		}
		cfg.StreamRates = v
	}
	if *warm > 0 {
		cfg.Warm = *warm
	}
	if *measure > 0 {
		cfg.Measure = *measure
	}
	if *rounds > 0 {
		cfg.Rounds = *rounds
	}
	if *maxDur > 0 {
		cfg.MaxDuration = *maxDur
	}

	var res *loadtest.Results
	var err error
	if *fromJSON != "" {
		res = &loadtest.Results{}
		b, rerr := os.ReadFile(*fromJSON)
		if rerr == nil {
			rerr = json.Unmarshal(b, res)
		}
		if rerr != nil {
			fmt.Fprintf(os.Stderr, "switchyard-bench: -from-json: %v\n", rerr)
			return 1
		}
	} else {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		res, err = loadtest.Run(ctx, cfg)
		if err != nil {
			fmt.Fprintf(os.Stderr, "switchyard-bench: %v\n", err)
			if res == nil {
				return 1
			}
		}
	}

	in := loadtest.ReportInput{Results: res, MicroCommand: *microCmd, ProfileCommand: *profileCmd, Command: *command}
	if in.Command == "" {
		in.Command = strings.Join(os.Args, " ")
	}
	if *micro != "" {
		f, err := os.Open(*micro)
		if err != nil {
			fmt.Fprintf(os.Stderr, "switchyard-bench: %v\n", err)
			return 1
		}
		in.Micro = loadtest.ParseBench(f)
		f.Close()
	}
	if *profile != "" {
		b, err := os.ReadFile(*profile)
		if err != nil {
			fmt.Fprintf(os.Stderr, "switchyard-bench: %v\n", err)
			return 1
		}
		in.Profile = string(b)
	}
	if *jsonOut != "" && *fromJSON == "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(*jsonOut, b, 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "switchyard-bench: %v\n", err)
			return 1
		}
	}
	w := os.Stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintf(os.Stderr, "switchyard-bench: %v\n", err)
			return 1
		}
		defer f.Close()
		w = f
	}
	if err := loadtest.WriteMarkdown(w, in); err != nil {
		fmt.Fprintf(os.Stderr, "switchyard-bench: write report: %v\n", err)
		return 1
	}
	if err != nil {
		return 1
	}
	return 0
}

// ints parses a comma-separated list of positive integers; "0" is none.
func ints(s string) ([]int, error) {
	if strings.TrimSpace(s) == "0" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, n)
	}
	return out, nil
}
