package loadtest

import (
	"fmt"
	"strings"
)

// ratioTable is simpleTable with each row's time as a multiple of its
// baseline: the row named "<left side>/<base>" under the same prefix (rows are
// "a->b" or "a/<variant>").
func (r *report) ratioTable(ms *BenchSet, title, desc, prefix, base string) {
	rows := r.tableStart(ms, title, desc, prefix)
	if len(rows) == 0 {
		return
	}
	r.p("| benchmark | time/op | vs %s | B/op | allocs/op |", strings.ReplaceAll(base, "_", " "))
	r.p("|---|---|---|---|---|")
	for _, st := range rows {
		name := strings.TrimPrefix(st.Name, prefix)
		left, _, _ := strings.Cut(name, "->")
		left, _, _ = strings.Cut(left, "/")
		ratio := "-"
		if b, ok := ms.Find(prefix + left + "/" + base); ok && b.Median["ns/op"] > 0 {
			ratio = fmt.Sprintf("%.2gx", st.Median["ns/op"]/b.Median["ns/op"])
		}
		r.p("| %s | %s | %s | %s | %.0f |", name, fmtNs(st.Median["ns/op"]), ratio, fmtBytes(int64(st.Median["B/op"])), st.Median["allocs/op"])
	}
	r.p("")
}

// translation reports what serving a client from a provider of another
// protocol costs, against the same-protocol fast path of the same run.
func (r *report) translation() {
	r.p("## Protocol translation")
	r.p("")
	ms := r.in.Micro
	if ms == nil || ms.Len() == 0 {
		r.p("No micro-benchmark output was given to the report.")
		r.p("")
		return
	}
	r.p("Translated requests go through the canonical model (`internal/llm`): the client's request is decoded once and encoded for the provider, and every upstream event is decoded and re-encoded in the client's protocol. " +
		"The fast path (same protocol on both sides) is the baseline; both come from the micro-benchmarks of this run (`internal/dispatch`).")
	r.p("")
	r.ratioTable(ms, "### Request translation",
		"One op decodes a ~34 KB Claude Code-like request (system prompt, three tools, ten turns with tool calls and results) in the client's protocol and encodes it for a provider of another protocol. "+
			"Baselines on the same body, same run: `json_roundtrip` decodes and re-encodes it with `encoding/json` into generic values (what any JSON-rewriting proxy pays; the ratio column), "+
			"`fast_path` is what a same-protocol request costs, the model rewritten in place (Gemini carries the model in the URL, so its fast path copies nothing).",
		"BenchmarkTranslateRequest/", "json_roundtrip")
	r.ratioTable(ms, "### Stream translation per event",
		"One op carries one upstream SSE event of a 210-event answer (thinking with signature, text, a tool call) through the provider's decoder and the client's encoder. `fast_path` is the same-protocol baseline (the event passes unchanged).",
		"BenchmarkTranslateStream/", "fast_path")
}
