#!/usr/bin/env bash
# Runs Switchyard's benchmarks and writes BENCHMARKS.md:
#   1. Go micro-benchmarks (-benchmem, -count 5, one package at a time);
#   2. a CPU profile of one in-process gateway benchmark (pprof top);
#   3. the end-to-end load harness (cmd/switchyard-bench), which starts the
#      fake upstream, redis-server, the floor proxy (cmd/floorproxy, a bare
#      httputil.ReverseProxy the targets are measured against) and the
#      gateway as separate processes, stops them again, and writes the report.
# Nothing here asserts a timing. The full run takes about 15-18 minutes on
# 2 cores; `./scripts/bench.sh -quick` is a 1-2 minute smoke run that writes
# bin/BENCHMARKS.quick.md instead of BENCHMARKS.md (set OUT to change it).
# Raw results are kept in bin/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
for arg in "$@"; do
  case "$arg" in
    -quick|--quick) quick=1 ;;
    *) echo "usage: $0 [-quick]" >&2; exit 2 ;;
  esac
done

GO=${GO:-go}
BIN=${BIN:-bin}
# The run's raw material stays in $BIN/bench for review: micro.txt, cpu.prof,
# pprof.txt, results.json (re-render with bin/switchyard-bench -from-json).
tmp=$BIN/bench
rm -rf "$tmp"
mkdir -p "$tmp"
start=$(date +%s)
phase() { echo "== bench.sh [$(( $(date +%s) - start ))s] $*" >&2; }

# Packages with benchmarks on the hot path.
pkgs=(
  ./internal/schedule
  ./internal/session
  ./internal/protocol
  ./internal/protocol/openai
  ./internal/protocol/anthropic
  ./internal/sse
  ./internal/dispatch
  ./internal/retry
  ./internal/app
)
if [ "$quick" = 1 ]; then
  count=1; benchtime=200ms; harness_flags=(-quick); out=${OUT:-$BIN/BENCHMARKS.quick.md}
else
  count=5; benchtime=1s; harness_flags=(); out=${OUT:-BENCHMARKS.md}
fi

phase "build"
mkdir -p "$BIN"
CGO_ENABLED=0 $GO build -trimpath -ldflags "-s -w" -o "$BIN/" ./cmd/switchyard ./cmd/fakeupstream ./cmd/floorproxy ./cmd/switchyard-bench

# -p 1: one package's benchmarks at a time, so two never share the cores.
micro_cmd="go test -p 1 -run '^\$' -bench . -benchmem -count $count -benchtime $benchtime ${pkgs[*]}"
phase "micro-benchmarks: $micro_cmd"
# A package that fails (say, mid-refactor) does not stop the run: the report
# lists the FAIL lines and the benchmarks it is missing.
if ! $GO test -p 1 -timeout 30m -run '^$' -bench . -benchmem -count "$count" -benchtime "$benchtime" "${pkgs[@]}" 2>&1 | tee "$tmp/micro.txt" >&2; then
  echo "bench.sh: some micro-benchmarks failed; see the report" >&2
fi

store=redis-server
command -v redis-server >/dev/null 2>&1 || store=embedded
prof_bench="BenchmarkGateway/$store/json_sticky\$"
prof_cmd="go test -run '^\$' -bench '$prof_bench' -benchtime 10000x -cpuprofile cpu.prof ./internal/app && go tool pprof -top ..."
phase "cpu profile: $prof_cmd"
write_profile() {
  echo "# flat: the 25 hottest functions"
  $GO tool pprof -top -nodecount=25 "$tmp/app.test" "$tmp/cpu.prof" 2>/dev/null | sed -n '/flat%/,$p'
  echo
  echo "# cumulative: the gateway's request handler and its SSE pump goroutine, gateway code and its libraries only"
  echo "# (the benchmark's HTTP client and canned upstream, net/http's connection goroutines and the GC are left out)"
  $GO tool pprof -top -cum -nodecount=50 -focus='internal/server\.\(\*Server\)\.ServeHTTP|dispatch\.startPump' \
    -show='switchyard-gw|gin-gonic|go-redis|gjson|sjson|log/slog|encoding/json|otel|prometheus|runtime\.(mallocgc|gcBgMarkWorker)' \
    "$tmp/app.test" "$tmp/cpu.prof" 2>/dev/null | sed -n '/flat%/,$p'
}
if $GO test -run '^$' -bench "$prof_bench" -benchtime 10000x -cpuprofile "$tmp/cpu.prof" -o "$tmp/app.test" ./internal/app >&2; then
  write_profile > "$tmp/pprof.txt"
else
  echo "bench.sh: the profiled benchmark failed; the report has no profile" >&2
  : > "$tmp/pprof.txt"
fi

phase "load harness: $BIN/switchyard-bench ${harness_flags[*]:-}"
"$BIN/switchyard-bench" "${harness_flags[@]}" -bin "$BIN" \
  -micro "$tmp/micro.txt" -micro-command "$micro_cmd" \
  -profile "$tmp/pprof.txt" -profile-command "$prof_cmd" \
  -command "make bench (= ./scripts/bench.sh${*:+ $*})" \
  -json "$tmp/results.json" -out "$out"
phase "done: wrote $out"
