package responses

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

var testOpts = llm.EncodeOptions{Model: "gpt-5-codex", ID: "resp_test1", Created: 1700000000}

// encodeAll runs events through a fresh encoder and returns the SSE text,
// the Collector's JSON and each event's data.
func encodeAll(t *testing.T, o llm.EncodeOptions, evs []llm.Event) (string, []byte, [][]byte) {
	t.Helper()
	enc := NewStreamEncoder(o)
	var sse bytes.Buffer
	var col Collector
	var datas [][]byte
	for _, ev := range evs {
		enc.Encode(ev, func(name string, data []byte) {
			if typ := gjson.GetBytes(data, "type").Str; typ != name {
				t.Fatalf("event name %q but type %q", name, typ)
			}
			fmt.Fprintf(&sse, "event: %s\ndata: %s\n\n", name, data)
			col.Add(data)
			datas = append(datas, append([]byte(nil), data...))
		})
	}
	for i, d := range datas {
		if got := gjson.GetBytes(d, "sequence_number"); !got.Exists() || got.Int() != int64(i) {
			t.Fatalf("event %d: sequence_number %s", i, got.Raw)
		}
	}
	js, err := col.JSON()
	if err != nil {
		t.Fatal(err)
	}
	return sse.String(), js, datas
}

func textStream() []llm.Event {
	return []llm.Event{
		{Type: llm.EvStart, ID: "msg_01Up", Model: "claude-sonnet-4-5", Usage: &llm.Usage{InputTokens: 12}},
		{Type: llm.EvBlockStart, Index: 0, Block: &llm.BlockInfo{Type: llm.PartThinking}},
		{Type: llm.EvThinkingDelta, Index: 0, Text: "Greet "},
		{Type: llm.EvThinkingDelta, Index: 0, Text: "back."},
		{Type: llm.EvSignature, Index: 0, Text: "EpUBsig=="},
		{Type: llm.EvBlockStop, Index: 0},
		{Type: llm.EvBlockStart, Index: 1, Block: &llm.BlockInfo{Type: llm.PartText}},
		{Type: llm.EvTextDelta, Index: 1, Text: "Hello"},
		{Type: llm.EvTextDelta, Index: 1, Text: ", world!"},
		{Type: llm.EvBlockStop, Index: 1},
		{Type: llm.EvFinish, StopReason: llm.StopEnd,
			Usage: &llm.Usage{InputTokens: 12, CacheRead: 100, CacheWrite: 8, OutputTokens: 40, ReasoningTokens: 25}},
	}
}

func toolStream() []llm.Event {
	return []llm.Event{
		{Type: llm.EvStart, ID: "chatcmpl-9x", Model: "gpt-4o"},
		{Type: llm.EvBlockStart, Index: 0, Block: &llm.BlockInfo{Type: llm.PartText}},
		{Type: llm.EvTextDelta, Index: 0, Text: "Checking both."},
		{Type: llm.EvBlockStop, Index: 0},
		{Type: llm.EvBlockStart, Index: 1, Block: &llm.BlockInfo{Type: llm.PartToolCall, ID: "call_A", Name: "get_weather"}},
		{Type: llm.EvToolArgsDelta, Index: 1, Text: `{"city":`},
		{Type: llm.EvToolArgsDelta, Index: 1, Text: `"Paris"}`},
		{Type: llm.EvBlockStop, Index: 1},
		{Type: llm.EvBlockStart, Index: 2, Block: &llm.BlockInfo{Type: llm.PartToolCall, ID: "call_B", Name: "get_time"}},
		{Type: llm.EvBlockStop, Index: 2},
		{Type: llm.EvFinish, StopReason: llm.StopToolUse, Usage: &llm.Usage{InputTokens: 30, OutputTokens: 18}},
	}
}

func TestStreamEncodeTextGolden(t *testing.T) {
	sse, js, _ := encodeAll(t, testOpts, textStream())
	golden(t, "stream_text.sse", []byte(sse))
	golden(t, "stream_text.collected.json", append(js, '\n'))
	checks := map[string]string{
		"id": "resp_test1", "object": "response", "status": "completed", "model": "gpt-5-codex",
		"created_at":                 "1700000000",
		"output.#":                   "2",
		"output.0.type":              "reasoning",
		"output.0.id":                "rs_test1_0",
		"output.0.summary.0.text":    "Greet back.",
		"output.0.encrypted_content": "swy1.sig.EpUBsig==",
		"output.1.type":              "message",
		"output.1.id":                "msg_test1_1",
		"output.1.content.0.text":    "Hello, world!",
		"usage.input_tokens":         "120",
		"usage.input_tokens_details.cached_tokens":     "100",
		"usage.output_tokens":                          "40",
		"usage.output_tokens_details.reasoning_tokens": "25",
		"usage.total_tokens":                           "160",
		"incomplete_details":                           "",
	}
	for path, want := range checks {
		if got := gjson.GetBytes(js, path).String(); got != want {
			t.Errorf("%s = %q; want %q", path, got, want)
		}
	}
	names := eventNames(sse)
	want := "response.created response.in_progress " +
		"response.output_item.added response.reasoning_summary_part.added response.reasoning_summary_text.delta " +
		"response.reasoning_summary_text.delta response.reasoning_summary_text.done response.reasoning_summary_part.done " +
		"response.output_item.done response.output_item.added response.content_part.added response.output_text.delta " +
		"response.output_text.delta response.output_text.done response.content_part.done response.output_item.done " +
		"response.completed"
	if names != want {
		t.Fatalf("event order:\n%s\nwant\n%s", names, want)
	}
}

func eventNames(sse string) string {
	var names []string
	for _, line := range strings.Split(sse, "\n") {
		if n, ok := strings.CutPrefix(line, "event: "); ok {
			names = append(names, n)
		}
	}
	return strings.Join(names, " ")
}

func TestStreamEncodeToolCallsGolden(t *testing.T) {
	sse, js, _ := encodeAll(t, llm.EncodeOptions{Model: "gpt-4o", Created: 1700000001}, toolStream())
	golden(t, "stream_tools.sse", []byte(sse))
	golden(t, "stream_tools.collected.json", append(js, '\n'))
	checks := map[string]string{
		"id":                      "resp_chatcmpl-9x", // derived from the upstream id
		"status":                  "completed",
		"output.0.content.0.text": "Checking both.",
		"output.1.type":           "function_call",
		"output.1.id":             "fc_chatcmpl-9x_1",
		"output.1.call_id":        "call_A",
		"output.1.name":           "get_weather",
		"output.1.arguments":      `{"city":"Paris"}`,
		"output.1.status":         "completed",
		"output.2.call_id":        "call_B",
		"output.2.arguments":      "{}", // no argument deltas
		"usage.input_tokens":      "30",
		"usage.total_tokens":      "48",
	}
	for path, want := range checks {
		if got := gjson.GetBytes(js, path).String(); got != want {
			t.Errorf("%s = %q; want %q", path, got, want)
		}
	}
	if !strings.Contains(sse, `"type":"response.function_call_arguments.done","item_id":"fc_chatcmpl-9x_1","output_index":1,"arguments":"{\"city\":\"Paris\"}"`) {
		t.Fatalf("arguments.done missing:\n%s", sse)
	}
}

func TestStreamEncodeMaxTokensIsIncomplete(t *testing.T) {
	evs := []llm.Event{
		{Type: llm.EvStart, ID: "x"},
		{Type: llm.EvBlockStart, Index: 0, Block: &llm.BlockInfo{Type: llm.PartText}},
		{Type: llm.EvTextDelta, Index: 0, Text: "Once upon"},
		{Type: llm.EvFinish, StopReason: llm.StopMaxTok, Usage: &llm.Usage{InputTokens: 5, OutputTokens: 3}},
	}
	sse, js, datas := encodeAll(t, testOpts, evs)
	last := datas[len(datas)-1]
	if gjson.GetBytes(last, "type").Str != "response.incomplete" || !strings.Contains(sse, "event: response.incomplete\n") {
		t.Fatalf("terminal event: %s", last)
	}
	if gjson.GetBytes(js, "status").Str != "incomplete" || gjson.GetBytes(js, "incomplete_details.reason").Str != "max_output_tokens" ||
		gjson.GetBytes(js, "output.0.content.0.text").Str != "Once upon" {
		t.Fatalf("collected: %s", js)
	}
}

// Missing Start, missing BlockStart/BlockStop and events after Finish are
// tolerated; the output stays well formed.
func TestStreamEncodeRobustness(t *testing.T) {
	evs := []llm.Event{
		{Type: llm.EvTextDelta, Index: 0, Text: "a"},
		{Type: llm.EvToolArgsDelta, Index: 0, Text: "orphan"},
		{Type: llm.EvBlockStart, Index: 1, Block: &llm.BlockInfo{Type: llm.PartToolCall, Name: "f"}},
		{Type: llm.EvToolArgsDelta, Index: 1, Text: `{"x":1}`},
		{Type: llm.EvBlockStart, Index: 2, Block: &llm.BlockInfo{Type: llm.PartRedacted, Signature: "REDACTED"}},
		{Type: llm.EvThinkingDelta, Index: 3, Text: "t"},
		{Type: llm.EvFinish, StopReason: llm.StopEnd},
		{Type: llm.EvTextDelta, Index: 9, Text: "late"},
	}
	_, js, datas := encodeAll(t, testOpts, evs)
	if n := gjson.GetBytes(datas[len(datas)-1], "type").Str; n != "response.completed" {
		t.Fatalf("last event %s", n)
	}
	checks := map[string]string{
		"output.#":                   "4",
		"output.0.content.0.text":    "a",
		"output.1.call_id":           "call_test1_1", // minted when the provider gave none
		"output.1.arguments":         `{"x":1}`,
		"output.2.encrypted_content": "swy1.redacted.REDACTED",
		"output.3.summary.0.text":    "t",
		"usage":                      "",
	}
	for path, want := range checks {
		if got := gjson.GetBytes(js, path).String(); got != want {
			t.Errorf("%s = %q; want %q\n%s", path, got, want, js)
		}
	}
	var c Collector
	c.Add(datas[0])
	if _, err := c.JSON(); err == nil {
		t.Fatal("collector without a terminal event must fail")
	}
}

// The client sends the encoder's output items back as input on its next
// turn: thinking with its signature and the calls come back unchanged.
func TestStreamOutputRoundTripsAsInput(t *testing.T) {
	evs := append(textStream()[:6:6], toolStream()[4:8]...)
	evs = append(evs, llm.Event{Type: llm.EvFinish, StopReason: llm.StopToolUse})
	_, js, _ := encodeAll(t, testOpts, evs)
	body := `{"model":"m","input":[{"role":"user","content":"hi"},` +
		strings.TrimSuffix(strings.TrimPrefix(gjson.GetBytes(js, "output").Raw, "["), "]") +
		`,{"type":"function_call_output","call_id":"call_A","output":"18C"}]}`
	r := mustDecode(t, body)
	a := r.Messages[1].Parts
	if len(r.Messages) != 3 || a[0].Type != llm.PartThinking || a[0].Text != "Greet back." || a[0].Signature != "EpUBsig==" ||
		a[1].ToolCall.ID != "call_A" || string(a[1].ToolCall.Args) != `{"city":"Paris"}` ||
		r.Messages[2].Parts[0].ToolResult.Name != "get_weather" {
		t.Fatalf("round trip: %+v", r.Messages)
	}
}

func TestErrorsAndKeepAlive(t *testing.T) {
	var out bytes.Buffer
	for _, k := range []llm.ErrorKind{llm.KindInvalidRequest, llm.KindAuthentication, llm.KindRateLimit, llm.KindServer, llm.KindOverloaded} {
		e := llm.Errorf(k, "message for %s", k)
		out.Write(ErrorBody(e))
		out.WriteByte('\n')
		out.Write(StreamError(e))
	}
	golden(t, "errors.golden", out.Bytes())
	se := StreamError(llm.Errorf(llm.KindRateLimit, "slow down"))
	data := bytes.TrimSuffix(bytes.TrimPrefix(se, []byte("event: error\ndata: ")), []byte("\n\n"))
	if gjson.GetBytes(data, "type").Str != "error" || gjson.GetBytes(data, "code").Str != "rate_limit_exceeded" ||
		gjson.GetBytes(data, "message").Str != "slow down" || gjson.GetBytes(data, "param").Type != gjson.Null ||
		!gjson.GetBytes(data, "sequence_number").Exists() {
		t.Fatalf("stream error: %s", se)
	}
	if gjson.GetBytes(ErrorBody(llm.Errorf(llm.KindInvalidRequest, "bad")), "error.type").Str != "invalid_request_error" {
		t.Fatal("error body envelope")
	}
	if string(KeepAlive()) != ": keep-alive\n\n" {
		t.Fatal("keep-alive")
	}
}
