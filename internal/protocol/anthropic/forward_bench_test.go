package anthropic_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/protocol/anthropic"
)

// fwdBody builds a Claude Code-like Messages request of about size bytes:
// reminders in the first message, a long tool loop whose results hold escaped
// source code, a large system prompt, tool schemas and metadata.user_id.
func fwdBody(size int) []byte {
	var b strings.Builder
	b.WriteString(`{"model":"claude-sonnet-4-5","max_tokens":32000,"stream":true,"messages":[`)
	b.WriteString(`{"role":"user","content":[{"type":"text","text":"<system-reminder>\nAs you answer the user's questions, you can use the following context.\n</system-reminder>"},`)
	b.WriteString(`{"type":"text","text":"Please add retries to the HTTP client","cache_control":{"type":"ephemeral"}}]}`)
	code := strconv.Quote(strings.Repeat("func f(x int) int {\n\treturn x * 2 // \"double\" \u00e9\n}\n", 40))
	for i := 0; b.Len() < size-16000; i++ {
		fmt.Fprintf(&b, `,{"role":"assistant","content":[{"type":"thinking","thinking":"Let me read file %d.","signature":"EqQBCkgIARABGAIiQL%040d"},{"type":"tool_use","id":"toolu_%04d","name":"Read","input":{"file_path":"/src/f%d.go"}}]}`, i, i, i, i)
		fmt.Fprintf(&b, `,{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_%04d","content":%s}]}`, i, code)
	}
	b.WriteString(`],"system":[{"type":"text","text":`)
	b.WriteString(strconv.Quote(strings.Repeat("You are Claude Code, Anthropic's official CLI for Claude. ", 150)))
	b.WriteString(`,"cache_control":{"type":"ephemeral"}}],"tools":[`)
	for i := range 12 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"Tool%d","description":"does things with files","input_schema":{"type":"object","properties":{"path":{"type":"string","description":"an absolute path"},"limit":{"type":"integer"}},"required":["path"]}}`, i)
	}
	b.WriteString(`],"metadata":{"user_id":"user_3f9a_account__session_0b8f2c3e-1111-4a2b-9c3d-000000000001"},"temperature":1}`)
	return []byte(b.String())
}

// BenchmarkForward200KB compares the same-protocol fast path (probe the
// request, rewrite the model in place) with a full decode and re-encode of
// the same 200 KB body, measured in the same run.
func BenchmarkForward200KB(b *testing.B) {
	body := fwdBody(200 << 10)
	const mapped = "claude-sonnet-4-5-20250929"
	if out, err := anthropic.RewriteModel(body, mapped); err != nil || !bytes.Contains(out[:64], []byte(mapped)) {
		b.Fatalf("rewrite failed: %v", err)
	}
	b.Run("probe", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if p, e := anthropic.ProbeRequest(body); e != nil || !p.Stream {
				b.Fatal("probe failed")
			}
		}
	})
	b.Run("rewrite", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := anthropic.RewriteModel(body, mapped); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("probe+rewrite", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			p, e := anthropic.ProbeRequest(body)
			if e != nil || p.Model == "" {
				b.Fatal("probe failed")
			}
			if _, err := anthropic.RewriteModel(body, mapped); err != nil {
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
