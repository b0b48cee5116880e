// Package loadtest is the logic of cmd/switchyard-bench, Switchyard's
// end-to-end load harness. It starts the fake upstream, redis-server and the
// gateway binary as separate processes on loopback, drives every setup
// (direct, the floor proxy, one gateway on the embedded store, one on a real
// Redis, three replicas on one Redis) with open-loop arrival rates in
// interleaved rounds, reads CPU and memory from /proc, heap allocations from
// each process's go_memstats_mallocs_total, Redis work from INFO
// commandstats and MONITOR, and renders BENCHMARKS.md together with the
// output of the micro-benchmarks. The targets are judged against the floor:
// a bare httputil.ReverseProxy process (cmd/floorproxy, ServeFloor) given the
// same load in the same run. It measures and reports; it never asserts a
// timing.
package loadtest
