package dispatch

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/retry"
	"github.com/switchyard-gw/switchyard/internal/schedule"
	"github.com/switchyard-gw/switchyard/internal/upstream"
)

// Attempt loop tests of streams: in-stream errors before and after the
// answer is committed, silence, answers without content, client
// disconnects, and the two non-streaming paths.

// TestLoopInBandErrorBeforeCommit: an error event read before anything
// reached the client is the attempt's failure, classified by the status
// the event names, and the request moves to another account; the client
// sees only the second answer.
func TestLoopInBandErrorBeforeCommit(t *testing.T) {
	cases := []struct {
		name     string
		provider account.Provider
		req      func() *Request
		group    string
		first    []string
		second   []string
		want     schedule.Outcome
		status   int
	}{
		{
			name: "anthropic not_found_error after message_start", provider: account.Anthropic, group: claude,
			req:    func() *Request { return anthropicReq(true) },
			first:  []string{anthropicStart("msg_a1"), sseEvent("error", anthropicError("not_found_error", "model: claude-x"))},
			second: anthropicStream("msg_a2", "Hello"),
			want:   cooldown("a1", claude, schedule.ScopeGroup, retry.ReasonNotFound, 0, time.Minute, 30*time.Minute, 0),
			status: 404,
		},
		{
			name: "responses insufficient_quota after created and in_progress", provider: account.OpenAI, group: gpt,
			req: responsesReq,
			first: append(responsesOpen("resp_1"),
				responsesEvent("error", 2, `"code":"insufficient_quota","message":"You exceeded your current quota, please check your plan and billing details.","param":null`)),
			second: responsesStream("resp_2", "Hello"),
			want:   cooldown("a1", gpt, schedule.ScopeGroup, retry.ReasonQuotaExhausted, 0, 10*time.Minute, 6*time.Hour, 0),
			status: 429,
		},
		{
			name: "anthropic overloaded_error translated for a chat client", provider: account.Anthropic, group: claude,
			req:    func() *Request { return chatReq(true) },
			first:  []string{anthropicStart("msg_a1"), sseEvent("error", anthropicError("overloaded_error", "Overloaded"))},
			second: anthropicStream("msg_a2", "Hel", "lo"),
			want:   cooldown("a1", claude, schedule.ScopeGroup, retry.ReasonCapacity, 0, time.Second, time.Minute, 1),
			status: 529,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newLoopHarness(t, testRoute(tc.group, testAccount("a1", tc.provider), testAccount("a2", tc.provider)))
			h.up.on("a1", sseReply(tc.first...)).on("a2", sseReply(tc.second...))
			req := tc.req()
			res, rec := h.serve(context.Background(), req)
			if res.Status != 200 || res.Error != "" {
				t.Fatalf("result %d %q", res.Status, res.Error)
			}
			checkCalls(t, h.up, "a1", "a2")
			checkReports(t, h.sched, tc.want, success("a2", tc.group, true))
			checkSleeps(t, h.sleeps)
			if a := res.Attempts[0]; a.Status != tc.status || a.Outcome != "rotate" {
				t.Errorf("first attempt %+v; want status %d", a, tc.status)
			}
			if req.Protocol == llm.Anthropic || req.Op == upstream.OpResponses {
				checkEvents(t, rec.Body.Bytes(), parseEvents(t, tc.second...))
				if req.Op == upstream.OpResponses && h.up.Calls()[0].Op != upstream.OpResponses {
					t.Errorf("a Responses request went upstream as %s", h.up.Calls()[0].Op)
				}
				return
			}
			text, errs, done := chatText(t, readEvents(t, rec.Body.Bytes()))
			if text != "Hello" || len(errs) != 0 || !done {
				t.Errorf("chat stream: text %q, errors %q, [DONE] %t", text, errs, done)
			}
		})
	}
}

// TestLoopInBandErrorAfterCommit: once the answer reached the client, an
// error event ends it in the client's protocol. On the same protocol every
// upstream event is relayed, the error and what follows it (a Responses
// error, then response.failed); translated, the client gets its protocol's
// error event with the status the upstream event names. Nothing is
// retried.
func TestLoopInBandErrorAfterCommit(t *testing.T) {
	t.Run("responses: every event through response.failed", func(t *testing.T) {
		h := newLoopHarness(t, testRoute(gpt, testAccount("a1", account.OpenAI), testAccount("a2", account.OpenAI)))
		evs := append(responsesOpen("resp_1"), responsesDelta(2, "Hel"),
			responsesEvent("error", 3, `"code":"server_error","message":"The server had an error","param":null`),
			responsesEvent("response.failed", 4, `"response":{"id":"resp_1","object":"response","status":"failed","error":{"code":"server_error","message":"The server had an error"}}`))
		h.up.on("a1", sseReply(evs...))
		res, rec := h.serve(context.Background(), responsesReq())
		if res.Status != 200 || rec.Code != 200 || res.Error != "upstream sent an error event mid-stream" {
			t.Fatalf("result %d %q, client %d", res.Status, res.Error, rec.Code)
		}
		checkEvents(t, rec.Body.Bytes(), parseEvents(t, evs...))
		checkCalls(t, h.up, "a1")
		checkReports(t, h.sched)
	})
	t.Run("anthropic: the error event relayed", func(t *testing.T) {
		h := newLoopHarness(t, testRoute(claude, testAccount("a1", account.Anthropic), testAccount("a2", account.Anthropic)))
		evs := []string{anthropicStart("msg_a1"), anthropicBlockStart(), anthropicDelta("Hel"),
			sseEvent("error", anthropicError("overloaded_error", "Overloaded"))}
		h.up.on("a1", sseReply(evs...))
		res, rec := h.serve(context.Background(), anthropicReq(true))
		if res.Status != 200 || res.Error != "upstream sent an error event mid-stream" {
			t.Fatalf("result %d %q", res.Status, res.Error)
		}
		checkEvents(t, rec.Body.Bytes(), parseEvents(t, evs...))
		checkCalls(t, h.up, "a1")
		checkReports(t, h.sched)
	})
	t.Run("translated: the chat client's error event", func(t *testing.T) {
		h := newLoopHarness(t, testRoute(claude, testAccount("a1", account.Anthropic), testAccount("a2", account.Anthropic)))
		h.up.on("a1", sseReply(anthropicStart("msg_a1"), anthropicBlockStart(), anthropicDelta("Hel"),
			sseEvent("error", anthropicError("overloaded_error", "Overloaded"))))
		res, rec := h.serve(context.Background(), chatReq(true))
		if res.Status != 200 || res.Error != "upstream sent an error event mid-stream" {
			t.Fatalf("result %d %q", res.Status, res.Error)
		}
		evs := readEvents(t, rec.Body.Bytes())
		text, errs, done := chatText(t, evs)
		if text != "Hel" || done || len(errs) != 1 {
			t.Fatalf("chat stream: text %q, errors %q, [DONE] %t", text, errs, done)
		}
		if last := evs[len(evs)-1].Data; last != errs[0] {
			t.Errorf("the error is not the last event: %q", evs)
		}
		e := []byte(errs[0])
		if msg := jsonAt(t, e, "error.message"); msg != "upstream sent an error event mid-stream: Overloaded" {
			t.Errorf("error message %v", msg)
		}
		if typ := jsonAt(t, e, "error.type"); typ != "server_error" {
			t.Errorf("error type %v", typ)
		}
		checkCalls(t, h.up, "a1")
		checkReports(t, h.sched)
	})
	t.Run("translated: the Gemini client's error with the named status", func(t *testing.T) {
		h := newLoopHarness(t, testRoute(claude, testAccount("a1", account.Anthropic)))
		h.up.on("a1", sseReply(anthropicStart("msg_a1"), anthropicBlockStart(), anthropicDelta("Hel"),
			sseEvent("error", anthropicError("rate_limit_error", "slow down"))))
		res, rec := h.serve(context.Background(), geminiReq(true))
		if res.Status != 200 || res.Error == "" {
			t.Fatalf("result %d %q", res.Status, res.Error)
		}
		evs := readEvents(t, rec.Body.Bytes())
		last := []byte(evs[len(evs)-1].Data)
		if code := jsonAt(t, last, "error.code"); code != float64(429) {
			t.Errorf("error code %v in %s", code, last)
		}
		if st := jsonAt(t, last, "error.status"); st != "RESOURCE_EXHAUSTED" {
			t.Errorf("error status %v", st)
		}
		if txt := jsonAt(t, []byte(evs[0].Data), "candidates.0.content.parts.0.text"); txt != "Hel" {
			t.Errorf("first chunk %s", evs[0].Data)
		}
	})
}

// TestLoopIdleTimeoutAfterCommit: a committed stream that goes silent past
// the idle timeout ends with the client protocol's error event.
func TestLoopIdleTimeoutAfterCommit(t *testing.T) {
	h := newLoopHarness(t, testRoute(claude, testAccount("a1", account.Anthropic), testAccount("a2", account.Anthropic)))
	h.d.Policy.IdleTimeout = 50 * time.Millisecond
	h.up.on("a1", stallReply(anthropicStart("msg_a1"), anthropicBlockStart(), anthropicDelta("Hel")))
	res, rec := h.serve(context.Background(), anthropicReq(true))
	if res.Status != 200 || res.Error != "upstream stream went silent past the idle timeout" {
		t.Fatalf("result %d %q", res.Status, res.Error)
	}
	evs := readEvents(t, rec.Body.Bytes())
	if len(evs) < 3 || evs[0].Name != "message_start" || evs[1].Name != "content_block_start" {
		t.Fatalf("client events %q", evs)
	}
	last := evs[len(evs)-1]
	if last.Name != "error" || jsonAt(t, []byte(last.Data), "error.type") != "api_error" {
		t.Errorf("last event %q; want an api_error error event", last)
	}
	checkCalls(t, h.up, "a1")
	checkReports(t, h.sched)
}

// TestLoopRefusalIsAnAnswer: an Anthropic answer that finished without
// content (stop_reason refusal, message_start to message_stop, no content
// block) is an answer: served to a Gemini client once, not retried, no
// cooldown.
func TestLoopRefusalIsAnAnswer(t *testing.T) {
	refusal := []string{
		anthropicStart("msg_r"),
		sseEvent("message_delta", `{"type":"message_delta","delta":{"stop_reason":"refusal","stop_sequence":null},"usage":{"output_tokens":1}}`),
		sseEvent("message_stop", `{"type":"message_stop"}`),
	}
	for _, stream := range []bool{true, false} {
		t.Run(fmt.Sprintf("stream=%t", stream), func(t *testing.T) {
			h := newLoopHarness(t, testRoute(claude, testAccount("a1", account.Anthropic), testAccount("a2", account.Anthropic)))
			h.up.on("a1", sseReply(refusal...))
			res, rec := h.serve(context.Background(), geminiReq(stream))
			if res.Status != 200 || rec.Code != 200 || res.Error != "" {
				t.Fatalf("result %d %q, client %d", res.Status, res.Error, rec.Code)
			}
			checkCalls(t, h.up, "a1")
			checkReports(t, h.sched)
			checkSleeps(t, h.sleeps)
			if !slices.Equal(res.Answer.FinishReasons, []string{"refusal"}) {
				t.Errorf("finish reasons %v", res.Answer.FinishReasons)
			}
			if c := h.up.Calls()[0]; !c.Stream || jsonAt(t, c.Body, "stream") != true {
				t.Errorf("translated call must stream: %+v", c)
			}
			body := rec.Body.Bytes()
			if stream {
				evs := readEvents(t, body)
				if len(evs) != 1 {
					t.Fatalf("client events %q", evs)
				}
				body = []byte(evs[0].Data)
			}
			if fr := jsonAt(t, body, "candidates.0.finishReason"); fr != "SAFETY" {
				t.Errorf("finishReason %v in %s", fr, body)
			}
			if parts, _ := jsonAt(t, body, "candidates.0.content.parts").([]any); len(parts) != 0 {
				t.Errorf("a refusal has no parts: %s", body)
			}
		})
	}
}

// TestLoopClientDisconnect: when the client goes away mid-attempt, the
// result is 499, nothing is written to the client, no account is blamed
// and nothing is retried.
func TestLoopClientDisconnect(t *testing.T) {
	cases := []struct {
		name  string
		req   func() *Request
		reply func(cancel context.CancelFunc) reply
	}{
		{"during the peek", func() *Request { return anthropicReq(true) }, func(cancel context.CancelFunc) reply {
			return func(ctx context.Context, c upstream.Call) (*http.Response, error) {
				cancel()
				return stallReply(anthropicStart("msg_a1"))(ctx, c)
			}
		}},
		{"before the response headers", func() *Request { return anthropicReq(false) }, func(cancel context.CancelFunc) reply {
			return func(ctx context.Context, _ upstream.Call) (*http.Response, error) {
				cancel()
				<-ctx.Done()
				return nil, fmt.Errorf("round trip: %w", ctx.Err())
			}
		}},
		{"while collecting a translated answer", func() *Request { return chatReq(false) }, func(cancel context.CancelFunc) reply {
			return func(ctx context.Context, c upstream.Call) (*http.Response, error) {
				cancel()
				return stallReply(anthropicStart("msg_a1"), anthropicBlockStart(), anthropicDelta("Hel"))(ctx, c)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newLoopHarness(t, testRoute(claude, testAccount("a1", account.Anthropic), testAccount("a2", account.Anthropic)))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			h.up.on("a1", tc.reply(cancel))
			res, rec := h.serve(ctx, tc.req())
			if res.Status != 499 || res.Error != "client disconnected" {
				t.Fatalf("result %d %q; want 499", res.Status, res.Error)
			}
			if rec.Body.Len() != 0 {
				t.Errorf("wrote to a client that left: %q", rec.Body)
			}
			checkCalls(t, h.up, "a1")
			checkReports(t, h.sched)
			checkSleeps(t, h.sleeps)
			if len(h.sched.successes) != 0 {
				t.Errorf("NoteSuccess %v", h.sched.successes)
			}
		})
	}
}

// TestLoopJSONSameProtocol: a non-streaming request on the client's own
// protocol goes upstream as JSON with only the model rewritten, and its
// answer reaches the client byte for byte, fields the gateway does not
// know included. The client key is released with the answer's tokens.
func TestLoopJSONSameProtocol(t *testing.T) {
	h := newLoopHarness(t, testRoute("claude-x-20250101", testAccount("a1", account.Anthropic)))
	reqBody := `{"model":"claude-x","max_tokens":64,"messages":[{"role":"user","content":"hi"}],"x_future_request":{"n":[1, 2]}}`
	answer := "{\n  \"id\": \"msg_1\", \"type\": \"message\", \"role\": \"assistant\", \"model\": \"claude-x-20250101\",\n" +
		`  "content": [{"type": "text", "text": "Hi \u00e9", "x_block_extra": true}], "stop_reason": "end_turn", "stop_sequence": null,` +
		"\n  \"usage\": {\"input_tokens\": 7, \"output_tokens\": 3, \"x_usage_future\": 1}, \"x_future\": {\"a\": [1, 2.50, null]}\n}"
	h.up.on("a1", jsonReply(200, answer))
	req := anthropicReq(false)
	req.Body = []byte(reqBody)
	req.KeyName = "team-a"
	res, rec := h.serve(context.Background(), req)
	if res.Status != 200 || rec.Code != 200 {
		t.Fatalf("result %d, client %d", res.Status, rec.Code)
	}
	if got := rec.Body.String(); got != answer {
		t.Errorf("client body\n%s\nwant byte for byte\n%s", got, answer)
	}
	if rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("X-Mapped-Model") != "claude-x-20250101" {
		t.Errorf("headers %v", rec.Header())
	}
	c := h.up.Calls()[0]
	if c.Stream || c.Op != upstream.OpGenerate || c.Model != "claude-x-20250101" {
		t.Errorf("call %+v", c)
	}
	if jsonAt(t, c.Body, "model") != "claude-x-20250101" {
		t.Errorf("model not rewritten: %s", c.Body)
	}
	if want := strings.Replace(reqBody, `"claude-x"`, `"claude-x-20250101"`, 1); string(c.Body) != want {
		t.Errorf("upstream body %s; want only the model changed: %s", c.Body, want)
	}
	if res.Answer.Usage.InputTokens != 7 || res.Answer.Usage.OutputTokens != 3 {
		t.Errorf("answer %+v", res.Answer)
	}
	if got := h.sched.released; !slices.Equal(got, []string{"team-a||10"}) {
		t.Errorf("ReleaseKey %v", got)
	}
	if q := h.sched.queries[0]; q.Key.Name != "team-a" {
		t.Errorf("the first selection does not admit the key: %+v", q.Key)
	}
	checkReports(t, h.sched)
}

// TestLoopCollectTranslated: a non-streaming Chat Completions client on an
// Anthropic account is served from a streamed call, collected into one
// chat.completion.
func TestLoopCollectTranslated(t *testing.T) {
	h := newLoopHarness(t, testRoute(claude, testAccount("a1", account.Anthropic)))
	h.up.on("a1", sseReply(anthropicStream("msg_1", "Hello", " world")...))
	res, rec := h.serve(context.Background(), chatReq(false))
	if res.Status != 200 || rec.Code != 200 || res.Error != "" {
		t.Fatalf("result %d %q, client %d", res.Status, res.Error, rec.Code)
	}
	c := h.up.Calls()[0]
	if !c.Stream || c.Op != upstream.OpGenerate || c.Model != claude {
		t.Errorf("call %+v", c)
	}
	if jsonAt(t, c.Body, "stream") != true || jsonAt(t, c.Body, "model") != claude || jsonAt(t, c.Body, "messages.0.role") != "user" {
		t.Errorf("upstream body is not an Anthropic stream request: %s", c.Body)
	}
	body := rec.Body.Bytes()
	if rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type %q", rec.Header().Get("Content-Type"))
	}
	for path, want := range map[string]any{
		"object":                    "chat.completion",
		"choices.0.message.role":    "assistant",
		"choices.0.message.content": "Hello world",
		"choices.0.finish_reason":   "stop",
		"usage.prompt_tokens":       float64(5),
		"usage.completion_tokens":   float64(2),
	} {
		if got := jsonAt(t, body, path); got != want {
			t.Errorf("%s = %v; want %v in %s", path, got, want, body)
		}
	}
	checkCalls(t, h.up, "a1")
	checkReports(t, h.sched)
}

// TestLoopCollectIdleTimeout: a translated answer being collected for a
// non-streaming client that goes silent is a timeout before anything was
// written: the next account answers.
func TestLoopCollectIdleTimeout(t *testing.T) {
	h := newLoopHarness(t, testRoute(claude, testAccount("a1", account.Anthropic), testAccount("a2", account.Anthropic)))
	h.d.Policy.IdleTimeout = 30 * time.Millisecond
	h.up.on("a1", stallReply(anthropicStart("msg_a1"), anthropicBlockStart(), anthropicDelta("Hel"))).
		on("a2", sseReply(anthropicStream("msg_a2", "Hello")...))
	res, rec := h.serve(context.Background(), chatReq(false))
	if res.Status != 200 || res.Error != "" {
		t.Fatalf("result %d %q", res.Status, res.Error)
	}
	if got := jsonAt(t, rec.Body.Bytes(), "choices.0.message.content"); got != "Hello" {
		t.Errorf("content %v", got)
	}
	checkCalls(t, h.up, "a1", "a2")
	checkReports(t, h.sched,
		cooldown("a1", claude, schedule.ScopeAccount, retry.ReasonTimeout, 0, time.Second, 2*time.Minute, 1),
		success("a2", claude, true))
}
