// Package loadtest is the logic of cmd/switchyard-bench, Switchyard's
// end-to-end load harness. It starts the fake upstream, redis-server and the
// gateway binary as separate processes on loopback, drives every setup
// (direct, one gateway on the embedded store, one on a real Redis, three
// replicas on one Redis) with open-loop arrival rates in interleaved rounds,
// reads CPU and memory from /proc, Redis work from INFO commandstats and
// MONITOR, and renders BENCHMARKS.md together with the output of the
// micro-benchmarks. It measures and reports; it never asserts a timing.
package loadtest
