package gemini

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

// sseData returns the data payloads of an SSE recording, in order.
func sseData(t *testing.T, name string) [][]byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	raw = bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
	var out [][]byte
	for _, ev := range bytes.Split(raw, []byte("\n\n")) {
		var data []string
		for _, line := range strings.Split(string(ev), "\n") {
			if v, ok := strings.CutPrefix(line, "data:"); ok {
				data = append(data, strings.TrimPrefix(v, " "))
			}
		}
		if len(data) > 0 {
			out = append(out, []byte(strings.Join(data, "\n")))
		}
	}
	return out
}

var evNames = map[llm.EventType]string{
	llm.EvStart: "start", llm.EvBlockStart: "block_start", llm.EvTextDelta: "text", llm.EvThinkingDelta: "thinking",
	llm.EvSignature: "signature", llm.EvToolArgsDelta: "args", llm.EvBlockStop: "block_stop", llm.EvFinish: "finish",
}

// dumpEvents renders events one per line for goldens.
func dumpEvents(evs []llm.Event) []byte {
	var b bytes.Buffer
	for _, ev := range evs {
		fmt.Fprintf(&b, "%s", evNames[ev.Type])
		switch ev.Type {
		case llm.EvStart:
			fmt.Fprintf(&b, " id=%q model=%q", ev.ID, ev.Model)
		case llm.EvBlockStart:
			fmt.Fprintf(&b, " #%d %s", ev.Index, ev.Block.Type)
			if ev.Block.ID != "" || ev.Block.Name != "" {
				fmt.Fprintf(&b, " id=%q name=%q", ev.Block.ID, ev.Block.Name)
			}
			if ev.Block.Signature != "" {
				fmt.Fprintf(&b, " sig=%q", ev.Block.Signature)
			}
		case llm.EvTextDelta, llm.EvThinkingDelta, llm.EvSignature, llm.EvToolArgsDelta:
			fmt.Fprintf(&b, " #%d %q", ev.Index, ev.Text)
		case llm.EvBlockStop:
			fmt.Fprintf(&b, " #%d", ev.Index)
		case llm.EvFinish:
			fmt.Fprintf(&b, " %s", ev.StopReason)
		}
		if ev.Usage != nil {
			fmt.Fprintf(&b, " usage=%+v", *ev.Usage)
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func indentJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}
