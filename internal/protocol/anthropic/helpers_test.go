package anthropic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

type sseEvent struct {
	name string
	data []byte
}

// parseSSE splits a recorded stream into events (event: and data: lines).
func parseSSE(t *testing.T, text string) []sseEvent {
	t.Helper()
	var out []sseEvent
	for _, chunk := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if strings.TrimSpace(chunk) == "" {
			continue
		}
		var ev sseEvent
		for _, line := range strings.Split(chunk, "\n") {
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = append(ev.data, strings.TrimPrefix(line, "data: ")...)
			}
		}
		out = append(out, ev)
	}
	return out
}

// dumpEvents renders canonical events one per line.
func dumpEvents(evs []llm.Event) []byte {
	var b bytes.Buffer
	for _, ev := range evs {
		switch ev.Type {
		case llm.EvStart:
			fmt.Fprintf(&b, "start id=%q model=%q usage=%s\n", ev.ID, ev.Model, dumpUsage(ev.Usage))
		case llm.EvBlockStart:
			fmt.Fprintf(&b, "block_start %d %+v\n", ev.Index, *ev.Block)
		case llm.EvTextDelta:
			fmt.Fprintf(&b, "text %d %q\n", ev.Index, ev.Text)
		case llm.EvThinkingDelta:
			fmt.Fprintf(&b, "thinking %d %q\n", ev.Index, ev.Text)
		case llm.EvSignature:
			fmt.Fprintf(&b, "signature %d %q\n", ev.Index, ev.Text)
		case llm.EvToolArgsDelta:
			fmt.Fprintf(&b, "args %d %q\n", ev.Index, ev.Text)
		case llm.EvBlockStop:
			fmt.Fprintf(&b, "block_stop %d\n", ev.Index)
		case llm.EvFinish:
			fmt.Fprintf(&b, "finish %s usage=%s\n", ev.StopReason, dumpUsage(ev.Usage))
		default:
			fmt.Fprintf(&b, "unknown %d\n", ev.Type)
		}
	}
	return b.Bytes()
}

func dumpUsage(u *llm.Usage) string {
	if u == nil {
		return "nil"
	}
	return fmt.Sprintf("{in:%d out:%d cache_read:%d cache_write:%d reasoning:%d}", u.InputTokens, u.OutputTokens, u.CacheRead, u.CacheWrite, u.ReasoningTokens)
}

// indent pretty-prints JSON for goldens.
func indent(t *testing.T, raw []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		t.Fatalf("invalid JSON %v: %s", err, raw)
	}
	b.WriteByte('\n')
	return b.Bytes()
}

func ptr[T any](v T) *T { return &v }
