package dispatch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/retry"
	"github.com/switchyard-gw/switchyard/internal/schedule"
	"github.com/switchyard-gw/switchyard/internal/upstream"
)

// Tests of the attempt loop (Dispatcher.Serve) over the fakes of
// fakes_test.go: one test per row of the outcome table as the loop lives it
// (what goes upstream, what is reported, what the client gets), in-stream
// errors before and after the answer is committed, answers without content,
// client disconnects, and the two non-streaming paths.

// TestLoopOutcomeRows runs every row of the outcome table that sends the
// request to another account: the first account fails as the row says, the
// second answers. The failing account is reported with the row's cooldown,
// the answering one as a success that moves the binding, nothing is slept
// (another account was eligible), the client gets only the second answer,
// and every upstream body is closed.
func TestLoopOutcomeRows(t *testing.T) {
	rateLimited := anthropicError("rate_limit_error", "Number of requests has exceeded your rate limit")
	cases := []struct {
		name   string
		stream bool
		first  reply
		policy func(p *Policy)
		status int // of a1's attempt, as Result.Attempts shows it
		want   schedule.Outcome
	}{
		// transport failure
		{name: "transport failure", first: errReply(errors.New("dial tcp 10.0.0.1:443: connect: connection refused")),
			want: cooldown("a1", claude, schedule.ScopeAccount, retry.ReasonNetwork, 0, time.Second, 2*time.Minute, 1)},
		// timeout
		{name: "timeout before headers", first: errReply(timeoutError{}),
			want: cooldown("a1", claude, schedule.ScopeAccount, retry.ReasonTimeout, 0, time.Second, 2*time.Minute, 1)},
		{name: "transport deadline exceeded", first: errReply(fmt.Errorf("round trip: %w", context.DeadlineExceeded)),
			want: cooldown("a1", claude, schedule.ScopeAccount, retry.ReasonTimeout, 0, time.Second, 2*time.Minute, 1)},
		{name: "no first event in time", stream: true, first: stallReply(), status: 200,
			policy: func(p *Policy) { p.FirstEventTimeout = 20 * time.Millisecond },
			want:   cooldown("a1", claude, schedule.ScopeAccount, retry.ReasonTimeout, 0, time.Second, 2*time.Minute, 1)},
		{name: "only pings before the first-event timeout", stream: true, status: 200,
			first:  stallReply(sseEvent("ping", `{"type":"ping"}`), sseEvent("ping", `{"type":"ping"}`)),
			policy: func(p *Policy) { p.FirstEventTimeout = 20 * time.Millisecond },
			want:   cooldown("a1", claude, schedule.ScopeAccount, retry.ReasonTimeout, 0, time.Second, 2*time.Minute, 1)},
		{name: "stream stalls after its preamble", stream: true, status: 200, first: stallReply(anthropicStart("msg_a1")),
			policy: func(p *Policy) { p.FirstEventTimeout = 20 * time.Millisecond },
			want:   cooldown("a1", claude, schedule.ScopeAccount, retry.ReasonTimeout, 0, time.Second, 2*time.Minute, 1)},
		// empty or broken stream
		{name: "empty stream", stream: true, status: 200, first: sseReply(),
			want: cooldown("a1", claude, schedule.ScopeAccount, retry.ReasonServerError, 0, time.Second, 2*time.Minute, 1)},
		{name: "stream cut after message_start", stream: true, status: 200, first: sseReply(anthropicStart("msg_a1")),
			want: cooldown("a1", claude, schedule.ScopeAccount, retry.ReasonServerError, 0, time.Second, 2*time.Minute, 1)},
		{name: "bare message_stop", stream: true, status: 200, first: sseReply(sseEvent("message_stop", `{"type":"message_stop"}`)),
			want: cooldown("a1", claude, schedule.ScopeAccount, retry.ReasonServerError, 0, time.Second, 2*time.Minute, 1)},
		{name: "JSON where a stream was asked for", stream: true, status: 200, first: jsonReply(200, anthropicAnswer("msg_a1", "x")),
			want: cooldown("a1", claude, schedule.ScopeAccount, retry.ReasonServerError, 0, time.Second, 2*time.Minute, 1)},
		{name: "2xx answer that is not JSON", status: 200, first: jsonReply(200, `{"id":"msg_a1","content":[`),
			want: cooldown("a1", claude, schedule.ScopeAccount, retry.ReasonServerError, 0, time.Second, 2*time.Minute, 1)},
		// 401, 402, 403, 404, 408
		{name: "401", status: 401, first: jsonReply(401, anthropicError("authentication_error", "invalid x-api-key")),
			want: cooldown("a1", claude, schedule.ScopeAccount, retry.ReasonAuth, 0, 30*time.Second, 10*time.Minute, 0)},
		{name: "402", status: 402, first: jsonReply(402, anthropicError("billing_error", "Your credit balance is too low")),
			want: cooldown("a1", claude, schedule.ScopeAccount, retry.ReasonQuotaExhausted, 0, time.Hour, 6*time.Hour, 0)},
		{name: "403", status: 403, first: jsonReply(403, anthropicError("permission_error", "no access to this model")),
			want: cooldown("a1", claude, schedule.ScopeAccount, retry.ReasonForbidden, 0, 10*time.Minute, 6*time.Hour, 0)},
		{name: "404", status: 404, first: jsonReply(404, anthropicError("not_found_error", "model: claude-x")),
			want: cooldown("a1", claude, schedule.ScopeGroup, retry.ReasonNotFound, 0, time.Minute, 30*time.Minute, 0)},
		{name: "408", status: 408, first: jsonReply(408, anthropicError("timeout_error", "request timed out")),
			want: cooldown("a1", claude, schedule.ScopeAccount, retry.ReasonTimeout, 0, time.Second, 2*time.Minute, 1)},
		// 429: rate limit, quota exhausted, capacity
		{name: "429 rate limit with a long hint", status: 429, first: jsonReply(429, rateLimited, "Retry-After", "30"),
			want: cooldown("a1", claude, schedule.ScopeGroup, retry.ReasonRateLimit, 30*time.Second, 5*time.Second, 5*time.Minute, 0)},
		{name: "429 rate limit without a hint", status: 429, first: jsonReply(429, rateLimited),
			want: cooldown("a1", claude, schedule.ScopeGroup, retry.ReasonRateLimit, 0, 5*time.Second, 5*time.Minute, 0)},
		{name: "429 quota exhausted", status: 429,
			first: jsonReply(429, `{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}`),
			want:  cooldown("a1", claude, schedule.ScopeGroup, retry.ReasonQuotaExhausted, 0, 10*time.Minute, 6*time.Hour, 0)},
		{name: "429 exhausted quota with a short hint rotates", status: 429,
			first: jsonReply(429, `{"error":{"message":"You exceeded your current quota","type":"insufficient_quota"}}`, "Retry-After", "1"),
			want:  cooldown("a1", claude, schedule.ScopeGroup, retry.ReasonQuotaExhausted, time.Second, 10*time.Minute, 6*time.Hour, 0)},
		{name: "429 capacity", status: 429, first: jsonReply(429, anthropicError("rate_limit_error", "No capacity available for model claude-x")),
			want: cooldown("a1", claude, schedule.ScopeGroup, retry.ReasonCapacity, 0, time.Second, time.Minute, 0)},
		// 503/529 overloaded
		{name: "503", status: 503, first: jsonReply(503, anthropicError("api_error", "service unavailable")),
			want: cooldown("a1", claude, schedule.ScopeGroup, retry.ReasonCapacity, 0, time.Second, time.Minute, 1)},
		{name: "529", status: 529, first: jsonReply(529, anthropicError("overloaded_error", "Overloaded")),
			want: cooldown("a1", claude, schedule.ScopeGroup, retry.ReasonCapacity, 0, time.Second, time.Minute, 1)},
		// other 5xx
		{name: "500", status: 500, first: jsonReply(500, anthropicError("api_error", "Internal server error")),
			want: cooldown("a1", claude, schedule.ScopeAccount, retry.ReasonServerError, 0, time.Second, 2*time.Minute, 1)},
		{name: "502 with an HTML body", status: 502,
			first: rawReply(502, "text/html", "<html><body>502 Bad Gateway</body></html>"),
			want:  cooldown("a1", claude, schedule.ScopeAccount, retry.ReasonServerError, 0, time.Second, 2*time.Minute, 1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newLoopHarness(t, testRoute(claude, testAccount("a1", account.Anthropic), testAccount("a2", account.Anthropic)))
			if tc.policy != nil {
				tc.policy(&h.d.Policy)
			}
			okStream := anthropicStream("msg_a2", "Hello")
			ok := jsonReply(200, anthropicAnswer("msg_a2", "Hello"))
			if tc.stream {
				ok = sseReply(okStream...)
			}
			h.up.on("a1", tc.first).on("a2", ok)

			res, rec := h.serve(context.Background(), anthropicReq(tc.stream))

			if res.Status != 200 || rec.Code != 200 || res.Error != "" {
				t.Fatalf("result %d %q, client %d; want 200", res.Status, res.Error, rec.Code)
			}
			checkCalls(t, h.up, "a1", "a2")
			checkReports(t, h.sched, tc.want, success("a2", claude, true))
			checkSleeps(t, h.sleeps)
			if len(res.Attempts) != 2 {
				t.Fatalf("attempts %+v", res.Attempts)
			}
			if a := res.Attempts[0]; a.Account != "a1" || a.Outcome != "rotate" || a.Reason != tc.want.Reason || a.Status != tc.status {
				t.Errorf("first attempt %+v; want a1 rotate %s status %d", a, tc.want.Reason, tc.status)
			}
			if a := res.Attempts[1]; a.Account != "a2" || a.Outcome != "success" {
				t.Errorf("second attempt %+v", a)
			}
			if got := rec.Header().Get("X-Account-Email"); got != "a2@example.com" {
				t.Errorf("X-Account-Email %q", got)
			}
			if tc.stream {
				checkEvents(t, rec.Body.Bytes(), parseEvents(t, okStream...))
			} else if got := rec.Body.String(); got != anthropicAnswer("msg_a2", "Hello") {
				t.Errorf("client body %s", got)
			}
		})
	}
}

// TestLoopSuccessFirstTime: an answer on the first attempt is relayed, the
// scheduler hears of it only through NoteSuccess (no streak, no quota, no
// rebinding: no report round trip).
func TestLoopSuccessFirstTime(t *testing.T) {
	h := newLoopHarness(t, testRoute(claude, testAccount("a1", account.Anthropic), testAccount("a2", account.Anthropic)))
	h.up.on("a1", sseReply(anthropicStream("msg_a1", "Hel", "lo")...))
	res, rec := h.serve(context.Background(), anthropicReq(true))
	if res.Status != 200 || res.Error != "" || rec.Code != 200 {
		t.Fatalf("result %+v, client %d", res, rec.Code)
	}
	checkCalls(t, h.up, "a1")
	checkReports(t, h.sched)
	if got := h.sched.successes; !slices.Equal(got, []string{"a1|" + claude}) {
		t.Errorf("NoteSuccess %v", got)
	}
	checkEvents(t, rec.Body.Bytes(), parseEvents(t, anthropicStream("msg_a1", "Hel", "lo")...))
	if ct := rec.Header().Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type %q", ct)
	}
	if res.Answer.Usage.InputTokens != 5 || res.Answer.Usage.OutputTokens != 2 || !slices.Equal(res.Answer.FinishReasons, []string{"end_turn"}) {
		t.Errorf("answer %+v", res.Answer)
	}
	if c := h.up.Calls()[0]; !c.Stream || c.Op != upstream.OpGenerate || c.Model != claude || c.Header.Get("Anthropic-Version") != "2023-06-01" {
		t.Errorf("call %+v", c)
	}
}

// TestLoopSuccessWithQuotaReports: a success whose headers teach the
// account's remaining quota is reported (with the quota), once.
func TestLoopSuccessWithQuotaReports(t *testing.T) {
	h := newLoopHarness(t, testRoute(claude, testAccount("a1", account.Anthropic)))
	h.up.on("a1", jsonReply(200, anthropicAnswer("msg_a1", "Hi"),
		"anthropic-ratelimit-requests-limit", "100", "anthropic-ratelimit-requests-remaining", "10"))
	res, _ := h.serve(context.Background(), anthropicReq(false))
	if res.Status != 200 {
		t.Fatalf("status %d", res.Status)
	}
	got := h.sched.Reports()
	if len(got) != 1 || !got[0].Success || !got[0].QuotaKnown || got[0].Quota != 0.1 || got[0].Account != "a1" || got[0].Rebind {
		t.Fatalf("reports %+v; want one success with quota 0.1", got)
	}
}

// TestLoopPassThrough: the client's own errors (the "other client error"
// row) go back to the client as the provider wrote them, on the first
// attempt, with no retry and no cooldown.
func TestLoopPassThrough(t *testing.T) {
	cases := []struct {
		name   string
		stream bool
		status int
		body   string
	}{
		{"400", false, 400, anthropicError("invalid_request_error", "max_tokens: field required")},
		{"400 on a stream request", true, 400, anthropicError("invalid_request_error", "messages: at least one message is required")},
		{"400 context length", false, 400, anthropicError("invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum")},
		{"413", false, 413, anthropicError("request_too_large", "Request exceeds the maximum allowed number of bytes.")},
		{"422", false, 422, `{"error":{"message":"Unprocessable","type":"invalid_request_error"},"extra":[1,2]}`},
		// A signature error with nothing in the body to repair is the client's.
		{"signature 400 with nothing to repair", false, 400, anthropicError("invalid_request_error", "messages.1.content.0: Invalid `signature` in `thinking` block")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newLoopHarness(t, testRoute(claude, testAccount("a1", account.Anthropic), testAccount("a2", account.Anthropic)))
			h.up.on("a1", jsonReply(tc.status, tc.body))
			res, rec := h.serve(context.Background(), anthropicReq(tc.stream))
			if res.Status != tc.status || rec.Code != tc.status {
				t.Fatalf("result %d, client %d; want %d", res.Status, rec.Code, tc.status)
			}
			if got := rec.Body.String(); got != tc.body {
				t.Errorf("client body %s; want the provider's %s", got, tc.body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			checkCalls(t, h.up, "a1")
			checkReports(t, h.sched)
			checkSleeps(t, h.sleeps)
			if len(h.sched.successes) != 0 {
				t.Errorf("NoteSuccess %v", h.sched.successes)
			}
			// (A signature error that cannot be repaired is recorded as a
			// "repair" attempt although it was passed through; not checked.)
			if a := res.Attempts[0]; a.Status != tc.status || !strings.HasPrefix(tc.name, "signature") && a.Outcome != "client_error" {
				t.Errorf("attempt %+v", a)
			}
		})
	}
}

// TestLoopPassThroughTranslated: a client error of a translated request is
// said in the client's envelope, with the provider's message.
func TestLoopPassThroughTranslated(t *testing.T) {
	h := newLoopHarness(t, testRoute(claude, testAccount("a1", account.Anthropic), testAccount("a2", account.Anthropic)))
	h.up.on("a1", jsonReply(400, anthropicError("invalid_request_error", "max_tokens: too large")))
	res, rec := h.serve(context.Background(), chatReq(false))
	if res.Status != 400 || rec.Code != 400 {
		t.Fatalf("result %d, client %d", res.Status, rec.Code)
	}
	if typ := jsonAt(t, rec.Body.Bytes(), "error.type"); typ != "invalid_request_error" {
		t.Errorf("error type %v in %s", typ, rec.Body)
	}
	if msg, _ := jsonAt(t, rec.Body.Bytes(), "error.message").(string); !strings.Contains(msg, "max_tokens: too large") {
		t.Errorf("error message %q lacks the provider's", msg)
	}
	checkCalls(t, h.up, "a1")
	checkReports(t, h.sched)
}

const signedHistory = `{"model":"claude-x","max_tokens":64,"thinking":{"type":"enabled","budget_tokens":32},"messages":[` +
	`{"role":"user","content":"hi"},` +
	`{"role":"assistant","content":[{"type":"thinking","thinking":"let me think","signature":"c2lnbmF0dXJl"},{"type":"text","text":"hello"}]},` +
	`{"role":"user","content":"again"}],"x_unknown":{"kept":true}}`

const signatureError = `{"type":"error","error":{"type":"invalid_request_error","message":"messages.1.content.0: Invalid ` + "`signature`" + ` in ` + "`thinking`" + ` block"}}`

// TestLoopSignatureRepair: a thinking-signature 400 is repaired once, on the
// same account, after the row's short pause, and is not a cooldown; the
// repaired body is what goes upstream the second time. A second signature
// error goes to the client as the provider wrote it.
func TestLoopSignatureRepair(t *testing.T) {
	newReq := func() *Request {
		r := anthropicReq(false)
		r.Body = []byte(signedHistory)
		return r
	}
	t.Run("repaired once", func(t *testing.T) {
		h := newLoopHarness(t, testRoute(claude, testAccount("a1", account.Anthropic), testAccount("a2", account.Anthropic)))
		h.up.on("a1", jsonReply(400, signatureError), jsonReply(200, anthropicAnswer("msg_a1", "ok")))
		res, rec := h.serve(context.Background(), newReq())
		if res.Status != 200 || rec.Body.String() != anthropicAnswer("msg_a1", "ok") {
			t.Fatalf("result %d, client %s", res.Status, rec.Body)
		}
		checkCalls(t, h.up, "a1", "a1")
		checkSleeps(t, h.sleeps, 200*time.Millisecond)
		// No cooldown for the repair; the success on the pinned lease
		// (streak unknown) is reported.
		checkReports(t, h.sched, success("a1", claude, true))
		calls := h.up.Calls()
		if string(calls[0].Body) != signedHistory {
			t.Errorf("first body %s", calls[0].Body)
		}
		fixed := calls[1].Body
		if jsonAt(t, fixed, "thinking") != nil {
			t.Errorf("repaired body keeps thinking on: %s", fixed)
		}
		if typ := jsonAt(t, fixed, "messages.1.content.0.type"); typ != "text" {
			t.Errorf("thinking block not turned into text: %s", fixed)
		}
		if txt := jsonAt(t, fixed, "messages.1.content.0.text"); txt != "let me think" {
			t.Errorf("thinking text lost: %s", fixed)
		}
		if jsonAt(t, fixed, "x_unknown.kept") != true || jsonAt(t, fixed, "messages.2.content") != "again" {
			t.Errorf("repair dropped other fields: %s", fixed)
		}
		if a := res.Attempts[0]; a.Outcome != "repair" || a.Reason != string(retry.ReasonSignature) || res.Attempts[1].Decision != "retry_same" {
			t.Errorf("attempts %+v", res.Attempts)
		}
	})
	t.Run("second signature error is the client's", func(t *testing.T) {
		h := newLoopHarness(t, testRoute(claude, testAccount("a1", account.Anthropic), testAccount("a2", account.Anthropic)))
		h.up.on("a1", jsonReply(400, signatureError), jsonReply(400, signatureError))
		res, rec := h.serve(context.Background(), newReq())
		if res.Status != 400 || rec.Code != 400 || rec.Body.String() != signatureError {
			t.Fatalf("result %d, client %d %s", res.Status, rec.Code, rec.Body)
		}
		checkCalls(t, h.up, "a1", "a1")
		checkReports(t, h.sched)
	})
}

// TestLoopShortRateLimit: a 429 whose reset hint is short waits the hint
// and retries the same account, once per request; it is reported as a
// tolerated group failure with ShortHint. A second short 429 rotates at
// once.
func TestLoopShortRateLimit(t *testing.T) {
	short := func() reply {
		return jsonReply(429, anthropicError("rate_limit_error", "slow down"), "Retry-After", "1")
	}
	shortReport := schedule.Outcome{Account: "a1", Group: claude, Scope: scope, CooldownScope: schedule.ScopeGroup,
		Reason: string(retry.ReasonRateLimit), Hint: time.Second, Base: 5 * time.Second, Cap: 5 * time.Minute, Tolerate: 1, ShortHint: true}
	t.Run("same account after the hint", func(t *testing.T) {
		h := newLoopHarness(t, testRoute(claude, testAccount("a1", account.Anthropic), testAccount("a2", account.Anthropic)))
		h.up.on("a1", short(), jsonReply(200, anthropicAnswer("msg_a1", "ok")))
		res, rec := h.serve(context.Background(), anthropicReq(false))
		if res.Status != 200 || rec.Body.String() != anthropicAnswer("msg_a1", "ok") {
			t.Fatalf("result %d, client %s", res.Status, rec.Body)
		}
		checkCalls(t, h.up, "a1", "a1")
		checkSleeps(t, h.sleeps, time.Second)
		checkReports(t, h.sched, shortReport, success("a1", claude, true))
		if a := res.Attempts[0]; a.Outcome != "same_account" || a.Status != 429 {
			t.Errorf("first attempt %+v", a)
		}
	})
	t.Run("second short hint rotates", func(t *testing.T) {
		h := newLoopHarness(t, testRoute(claude, testAccount("a1", account.Anthropic), testAccount("a2", account.Anthropic)))
		h.up.on("a1", short(), short()).on("a2", jsonReply(200, anthropicAnswer("msg_a2", "ok")))
		res, rec := h.serve(context.Background(), anthropicReq(false))
		if res.Status != 200 || rec.Body.String() != anthropicAnswer("msg_a2", "ok") {
			t.Fatalf("result %d, client %s", res.Status, rec.Body)
		}
		checkCalls(t, h.up, "a1", "a1", "a2")
		checkSleeps(t, h.sleeps, time.Second)
		checkReports(t, h.sched, shortReport, shortReport, success("a2", claude, true))
	})
}

// TestLoopOAuthUnauthorized: an OAuth account's 401 drops its token and
// retries the same account once without a cooldown; a second 401 cools the
// account and rotates.
func TestLoopOAuthUnauthorized(t *testing.T) {
	oauth := func(id string) *account.Account {
		a := testAccount(id, account.Anthropic)
		a.APIKey = ""
		a.OAuth = &account.OAuth{TokenURL: "https://auth.invalid/token", ClientID: "client", RefreshToken: account.Secret("refresh-token-" + id)}
		return a
	}
	unauthorized := func() reply { return jsonReply(401, anthropicError("authentication_error", "OAuth token has expired")) }
	t.Run("token dropped, same account", func(t *testing.T) {
		h := newLoopHarness(t, testRoute(claude, oauth("a1"), oauth("a2")))
		tokens := &fakeTokens{}
		h.d.Tokens = tokens
		h.up.on("a1", unauthorized(), jsonReply(200, anthropicAnswer("msg_a1", "ok")))
		res, _ := h.serve(context.Background(), anthropicReq(false))
		if res.Status != 200 {
			t.Fatalf("status %d", res.Status)
		}
		checkCalls(t, h.up, "a1", "a1")
		checkSleeps(t, h.sleeps)
		checkReports(t, h.sched, success("a1", claude, true))
		if !slices.Equal(tokens.dropped, []string{"a1"}) {
			t.Errorf("tokens dropped %v", tokens.dropped)
		}
	})
	t.Run("refused again: cooldown and rotation", func(t *testing.T) {
		h := newLoopHarness(t, testRoute(claude, oauth("a1"), oauth("a2")))
		tokens := &fakeTokens{}
		h.d.Tokens = tokens
		h.up.on("a1", unauthorized(), unauthorized()).on("a2", jsonReply(200, anthropicAnswer("msg_a2", "ok")))
		res, _ := h.serve(context.Background(), anthropicReq(false))
		if res.Status != 200 {
			t.Fatalf("status %d", res.Status)
		}
		checkCalls(t, h.up, "a1", "a1", "a2")
		checkReports(t, h.sched,
			cooldown("a1", claude, schedule.ScopeAccount, retry.ReasonAuth, 0, 30*time.Second, 10*time.Minute, 0),
			success("a2", claude, true))
		if !slices.Equal(tokens.dropped, []string{"a1"}) {
			t.Errorf("tokens dropped %v", tokens.dropped)
		}
	})
}

// TestLoopPoolExhausted: when every account failed, the client gets the
// last failure in its own envelope, with the status the table gives it.
func TestLoopPoolExhausted(t *testing.T) {
	t.Run("server errors: 502", func(t *testing.T) {
		h := newLoopHarness(t, testRoute(claude, testAccount("a1", account.Anthropic), testAccount("a2", account.Anthropic)))
		h.up.on("a1", jsonReply(500, anthropicError("api_error", "boom 1"))).on("a2", jsonReply(500, anthropicError("api_error", "boom 2")))
		res, rec := h.serve(context.Background(), anthropicReq(false))
		if res.Status != 502 || rec.Code != 502 {
			t.Fatalf("result %d, client %d", res.Status, rec.Code)
		}
		if typ := jsonAt(t, rec.Body.Bytes(), "error.type"); typ != "api_error" {
			t.Errorf("error type %v", typ)
		}
		msg, _ := jsonAt(t, rec.Body.Bytes(), "error.message").(string)
		if !strings.Contains(msg, "the upstream pool could not answer after 2 attempt(s)") || !strings.Contains(msg, "last: upstream anthropic answered 500: boom 2") {
			t.Errorf("message %q", msg)
		}
		checkCalls(t, h.up, "a1", "a2")
		server := cooldown("a1", claude, schedule.ScopeAccount, retry.ReasonServerError, 0, time.Second, 2*time.Minute, 1)
		server2 := server
		server2.Account = "a2"
		checkReports(t, h.sched, server, server2)
	})
	t.Run("exhausted quota: terminal 429", func(t *testing.T) {
		h := newLoopHarness(t, testRoute(claude, testAccount("a1", account.Anthropic), testAccount("a2", account.Anthropic)))
		quota := `{"error":{"message":"You exceeded your current quota","type":"insufficient_quota"}}`
		h.up.on("a1", jsonReply(429, quota)).on("a2", jsonReply(429, quota))
		res, rec := h.serve(context.Background(), anthropicReq(false))
		if res.Status != 429 || rec.Code != 429 {
			t.Fatalf("result %d, client %d", res.Status, rec.Code)
		}
		if rec.Header().Get("x-should-retry") != "false" {
			t.Errorf("a terminal quota should tell the client not to retry: %v", rec.Header())
		}
		if typ := jsonAt(t, rec.Body.Bytes(), "error.type"); typ != "rate_limit_error" {
			t.Errorf("error type %v", typ)
		}
		checkCalls(t, h.up, "a1", "a2")
	})
}

// TestLoopPoolCoolsAfterAnAttempt: when the pool runs out after an attempt
// and the selection says every account cools from overload, the client gets
// its protocol's overloaded status with Retry-After and the last failure.
func TestLoopPoolCoolsAfterAnAttempt(t *testing.T) {
	for _, tc := range []struct {
		name   string
		req    *Request
		status int
	}{
		{"chat client: 503", chatReq(false), 503},
		{"anthropic client: 529", anthropicReq(false), 529},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newLoopHarness(t, testRoute(tc.req.Model, testAccount("a1", account.Anthropic)))
			h.up.on("a1", jsonReply(529, anthropicError("overloaded_error", "Overloaded")))
			h.sched.script = []schedule.Lease{
				{Status: schedule.StatusOK, Account: "a1", Decision: "sticky"},
				{Status: schedule.StatusNone, Reason: "capacity", Wait: 30 * time.Second},
			}
			res, rec := h.serve(context.Background(), tc.req)
			if res.Status != tc.status || rec.Code != tc.status {
				t.Fatalf("result %d, client %d; want %d", res.Status, rec.Code, tc.status)
			}
			if ra := rec.Header().Get("Retry-After"); ra != "30" {
				t.Errorf("Retry-After %q; want 30", ra)
			}
			if msg, _ := jsonAt(t, rec.Body.Bytes(), "error.message").(string); !strings.Contains(msg, "retry after 30s") || !strings.Contains(msg, "Overloaded") {
				t.Errorf("message %q", msg)
			}
		})
	}
}

// TestLoopAttemptsSpentOverloaded: a client whose protocol has no 529 never
// sees one when the last attempt was overloaded.
func TestLoopAttemptsSpentOverloaded(t *testing.T) {
	h := newLoopHarness(t, testRoute(gpt, testAccount("a1", account.Anthropic), testAccount("a2", account.Anthropic), testAccount("a3", account.Anthropic)))
	for _, id := range []string{"a1", "a2", "a3"} {
		h.up.on(id, jsonReply(529, anthropicError("overloaded_error", "Overloaded")))
	}
	res, rec := h.serve(context.Background(), chatReq(false))
	if res.Status != 503 || rec.Code != 503 {
		t.Fatalf("result %d, client %d; want 503", res.Status, rec.Code)
	}
	checkCalls(t, h.up, "a1", "a2", "a3")
}

// TestLoopClientGoneWhileWaiting: a client that leaves while the request
// waits for an account is a 499 with nothing written, not a 504.
func TestLoopClientGoneWhileWaiting(t *testing.T) {
	h := newLoopHarness(t, testRoute(claude, testAccount("a1", account.Anthropic)))
	h.sched.script = []schedule.Lease{{Status: schedule.StatusWait, Decision: "pool", Wait: time.Second}}
	ctx, cancel := context.WithCancel(context.Background())
	h.d.Sleep = func(context.Context, time.Duration) bool { cancel(); return false }
	res, rec := h.serve(ctx, anthropicReq(false))
	if res.Status != 499 || rec.Body.Len() != 0 {
		t.Fatalf("result %d, client wrote %q; want 499 and nothing", res.Status, rec.Body.String())
	}
	checkReports(t, h.sched)
}

// TestLoopWaitsForAnAccount: a StatusWait selection is slept (with jitter of
// at most a fifth) and counted in the next query's Waited.
func TestLoopWaitsForAnAccount(t *testing.T) {
	h := newLoopHarness(t, testRoute(claude, testAccount("a1", account.Anthropic)))
	h.sched.script = []schedule.Lease{{Status: schedule.StatusWait, Decision: "pool", Wait: 300 * time.Millisecond}}
	h.up.on("a1", jsonReply(200, anthropicAnswer("msg_a1", "ok")))
	res, _ := h.serve(context.Background(), anthropicReq(false))
	if res.Status != 200 {
		t.Fatalf("status %d", res.Status)
	}
	w := h.sleeps.waits()
	if len(w) != 1 || w[0] < 300*time.Millisecond || w[0] > 360*time.Millisecond {
		t.Fatalf("sleeps %v; want one of 300ms plus at most 20%%", w)
	}
	if q := h.sched.queries; len(q) != 2 || q[0].Waited != 0 || q[1].Waited != w[0] {
		t.Errorf("queries %+v", q)
	}
}
