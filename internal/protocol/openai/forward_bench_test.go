package openai_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/protocol/openai"
)

// fwdBody builds a coding-agent-like Chat Completions request of about size
// bytes: a long system prompt, tool definitions, and a tool loop whose tool
// messages hold escaped source code.
func fwdBody(size int) []byte {
	var b strings.Builder
	b.WriteString(`{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"system","content":`)
	b.WriteString(strconv.Quote(strings.Repeat("You are a coding agent running in the Codex CLI. ", 150)))
	b.WriteString(`},{"role":"user","content":[{"type":"text","text":"Please add retries to the HTTP client"}]}`)
	code := strconv.Quote(strings.Repeat("func f(x int) int {\n\treturn x * 2 // \"double\" \u00e9\n}\n", 40))
	for i := 0; b.Len() < size-16000; i++ {
		fmt.Fprintf(&b, `,{"role":"assistant","content":null,"tool_calls":[{"id":"call_%04d","type":"function","function":{"name":"read_file","arguments":"{\"path\":\"/src/f%d.go\"}"}}]}`, i, i)
		fmt.Fprintf(&b, `,{"role":"tool","tool_call_id":"call_%04d","content":%s}`, i, code)
	}
	b.WriteString(`],"tools":[`)
	for i := range 12 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"type":"function","function":{"name":"tool_%d","description":"does things with files","parameters":{"type":"object","properties":{"path":{"type":"string","description":"an absolute path"},"limit":{"type":"integer"}},"required":["path"]}}}`, i)
	}
	b.WriteString(`],"prompt_cache_key":"0b8f2c3e-1111-4a2b-9c3d-000000000001","temperature":0.2,"parallel_tool_calls":true}`)
	return []byte(b.String())
}

// BenchmarkForward200KB compares the same-protocol fast path (probe the
// request, rewrite the model in place) with a full decode and re-encode of
// the same 200 KB body, measured in the same run.
func BenchmarkForward200KB(b *testing.B) {
	body := fwdBody(200 << 10)
	const mapped = "gpt-4o-2024-08-06"
	if out, err := openai.RewriteModel(body, mapped); err != nil || !bytes.Contains(out[:64], []byte(mapped)) {
		b.Fatalf("rewrite failed: %v", err)
	}
	b.Run("probe", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if p, e := openai.ProbeRequest(body); e != nil || !p.Stream {
				b.Fatal("probe failed")
			}
		}
	})
	b.Run("rewrite", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := openai.RewriteModel(body, mapped); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("probe+rewrite", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			p, e := openai.ProbeRequest(body)
			if e != nil || p.Model == "" {
				b.Fatal("probe failed")
			}
			if _, err := openai.RewriteModel(body, mapped); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline_unmarshal+marshal", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			var v map[string]any
			if err := json.Unmarshal(body, &v); err != nil {
				b.Fatal(err)
			}
			v["model"] = mapped
			if _, err := json.Marshal(v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
