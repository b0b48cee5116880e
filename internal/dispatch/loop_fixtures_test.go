package dispatch

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/retry"
	"github.com/switchyard-gw/switchyard/internal/schedule"
	"github.com/switchyard-gw/switchyard/internal/upstream"
)

// Fixtures and checks shared by the attempt loop tests (loop_test.go,
// loop_stream_test.go).

const (
	claude = "claude-x" // mapped model of the Anthropic routes (and their group)
	gpt    = "gpt-x"
	scope  = "key-1"
)

// Anthropic Messages fixtures.

const anthropicRequest = `{"model":"claude-x","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}`

func anthropicAnswer(id, text string) string {
	return `{"id":"` + id + `","type":"message","role":"assistant","model":"claude-x","content":[{"type":"text","text":"` + text +
		`"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":2}}`
}

func anthropicStart(id string) string {
	return sseEvent("message_start", `{"type":"message_start","message":{"id":"`+id+`","type":"message","role":"assistant","model":"claude-x","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":1}}}`)
}

func anthropicBlockStart() string {
	return sseEvent("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
}

func anthropicDelta(text string) string {
	return sseEvent("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"`+text+`"}}`)
}

func anthropicStream(id string, texts ...string) []string {
	evs := []string{anthropicStart(id), anthropicBlockStart()}
	for _, t := range texts {
		evs = append(evs, anthropicDelta(t))
	}
	return append(evs,
		sseEvent("content_block_stop", `{"type":"content_block_stop","index":0}`),
		sseEvent("message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":2}}`),
		sseEvent("message_stop", `{"type":"message_stop"}`),
	)
}

func anthropicError(typ, msg string) string {
	return `{"type":"error","error":{"type":"` + typ + `","message":"` + msg + `"}}`
}

// OpenAI Responses fixtures.

const responsesRequest = `{"model":"gpt-x","input":"hi","stream":true}`

func responsesEvent(typ string, seq int, rest string) string {
	return sseEvent(typ, fmt.Sprintf(`{"type":%q,"sequence_number":%d,%s}`, typ, seq, rest))
}

func responsesOpen(id string) []string {
	r := `"response":{"id":"` + id + `","object":"response","created_at":1,"status":"in_progress","model":"gpt-x","output":[]}`
	return []string{responsesEvent("response.created", 0, r), responsesEvent("response.in_progress", 1, r)}
}

func responsesDelta(seq int, text string) string {
	return responsesEvent("response.output_text.delta", seq, `"item_id":"msg_1","output_index":0,"content_index":0,"delta":"`+text+`"`)
}

func responsesStream(id, text string) []string {
	return append(responsesOpen(id), responsesDelta(2, text),
		responsesEvent("response.completed", 3, `"response":{"id":"`+id+`","object":"response","created_at":1,"status":"completed","model":"gpt-x","output":[],"usage":{"input_tokens":3,"output_tokens":1,"total_tokens":4}}`))
}

// Requests.

func anthropicReq(stream bool) *Request {
	body := anthropicRequest
	if stream {
		body = strings.TrimSuffix(body, "}") + `,"stream":true}`
	}
	return &Request{Protocol: llm.Anthropic, Op: upstream.OpGenerate, Model: claude, Body: []byte(body), Stream: stream,
		Scope: scope, Header: http.Header{"Anthropic-Version": {"2023-06-01"}}}
}

func responsesReq() *Request {
	return &Request{Protocol: llm.OpenAI, Op: upstream.OpResponses, Model: gpt, Body: []byte(responsesRequest), Stream: true, Scope: scope}
}

func chatReq(stream bool) *Request {
	body := fmt.Sprintf(`{"model":"gpt-x","messages":[{"role":"user","content":"hi"}],"stream":%t}`, stream)
	return &Request{Protocol: llm.OpenAI, Op: upstream.OpGenerate, Model: gpt, Body: []byte(body), Stream: stream, Scope: scope}
}

func geminiReq(stream bool) *Request {
	return &Request{Protocol: llm.Gemini, Op: upstream.OpGenerate, Model: "gemini-x", Stream: stream, Scope: scope,
		Body: []byte(`{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`)}
}

// Expected reports.

func cooldown(acct, group string, sc schedule.Scope, r retry.Reason, hint, base, capacity time.Duration, tolerate int) schedule.Outcome {
	return schedule.Outcome{Account: acct, Group: group, Scope: scope, CooldownScope: sc, Reason: string(r),
		Hint: hint, Base: base, Cap: capacity, Tolerate: tolerate}
}

func success(acct, group string, rebind bool) schedule.Outcome {
	return schedule.Outcome{Account: acct, Group: group, Scope: scope, Success: true, Rebind: rebind}
}

func checkReports(t *testing.T, s *fakeSched, want ...schedule.Outcome) {
	t.Helper()
	got := s.Reports()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("reports:\n got %+v\nwant %+v", got, want)
	}
}

func checkCalls(t *testing.T, up *fakeSender, want ...string) {
	t.Helper()
	if got := up.accounts(); !slices.Equal(got, want) {
		t.Errorf("upstream calls went to %v; want %v", got, want)
	}
}

func checkSleeps(t *testing.T, s *sleepRecorder, want ...time.Duration) {
	t.Helper()
	if got := s.waits(); !slices.Equal(got, want) {
		t.Errorf("sleeps %v; want %v", got, want)
	}
}

func checkEvents(t *testing.T, body []byte, want []clientEvent) {
	t.Helper()
	if got := readEvents(t, body); !reflect.DeepEqual(got, want) {
		t.Errorf("client events:\n got %q\nwant %q", got, want)
	}
}

// jsonAt reads a value out of a JSON document by a dotted path of object
// keys and array indexes.
func jsonAt(t *testing.T, doc []byte, path string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatalf("not JSON: %v: %q", err, doc)
	}
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			var i int
			if _, err := fmt.Sscan(k, &i); err != nil || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// chatText joins the content deltas of a Chat Completions stream; errs
// lists its error events.
func chatText(t *testing.T, evs []clientEvent) (text string, errs []string, done bool) {
	t.Helper()
	for _, ev := range evs {
		if ev.Data == "[DONE]" {
			done = true
			continue
		}
		if m := jsonAt(t, []byte(ev.Data), "error"); m != nil {
			errs = append(errs, ev.Data)
			continue
		}
		if s, ok := jsonAt(t, []byte(ev.Data), "choices.0.delta.content").(string); ok {
			text += s
		}
	}
	return text, errs, done
}
