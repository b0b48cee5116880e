package dispatch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/schedule"
	"github.com/switchyard-gw/switchyard/internal/sse"
	"github.com/switchyard-gw/switchyard/internal/upstream"
)

// This file holds small fakes of the loop's interfaces (Scheduler, Sender,
// Router, TokenInvalidator) and a harness that wires them into a Dispatcher.
// Nothing here sleeps: waits go through Dispatcher.Sleep, which records the
// durations and returns at once, and the only timers that run are the
// loop's own (first-event and idle timeouts), set tiny by the tests that
// exercise them.

// fakeSched is a Scheduler. Acquire hands out the scripted leases first;
// once they are spent it rotates over the route's candidates, first tier
// first, skipping the accounts of q.Attempted, and answers StatusNone when
// none is left. Every call is recorded.
type fakeSched struct {
	mu        sync.Mutex
	script    []schedule.Lease
	queries   []schedule.Query
	reports   []schedule.Outcome
	successes []string // "account|group" of NoteSuccess
	released  []string // "name|lease|tokens" of ReleaseKey
}

func (s *fakeSched) Acquire(_ context.Context, q schedule.Query) (schedule.Lease, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q.Attempted = slices.Clone(q.Attempted)
	s.queries = append(s.queries, q)
	if len(s.script) > 0 {
		l := s.script[0]
		s.script = s.script[1:]
		return l, nil
	}
	decision := "sticky"
	if q.Force {
		decision = "retry"
	}
	for _, ids := range q.Candidates.Tiers {
		for _, id := range ids {
			if !slices.Contains(q.Attempted, id) {
				return schedule.Lease{Status: schedule.StatusOK, Account: id, Decision: decision}, nil
			}
		}
	}
	return schedule.Lease{Status: schedule.StatusNone}, nil
}

func (s *fakeSched) Report(_ context.Context, o schedule.Outcome) (time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reports = append(s.reports, o)
	return time.Time{}, nil
}

func (s *fakeSched) NoteSuccess(acct, group string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.successes = append(s.successes, acct+"|"+group)
}

func (s *fakeSched) ReleaseKey(name, lease string, tokens int64, _ schedule.KeyReservation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.released = append(s.released, fmt.Sprintf("%s|%s|%d", name, lease, tokens))
}

func (s *fakeSched) Reports() []schedule.Outcome {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reports)
}

// reply is one scripted upstream answer. It runs inside Send, with the
// attempt's context.
type reply func(ctx context.Context, call upstream.Call) (*http.Response, error)

// sentCall is what one Send was asked to send.
type sentCall struct {
	Account string
	Op      upstream.Op
	Model   string
	Stream  bool
	Body    []byte
	Header  http.Header
}

// fakeSender is a Sender scripted per account id: the n-th call to an
// account gets its n-th reply. A call nobody scripted fails the test and
// answers with a transport error. Every response body is tracked so that
// the tests can check the loop closed all of them.
type fakeSender struct {
	t       testing.TB
	mu      sync.Mutex
	replies map[string][]reply
	calls   []sentCall
	bodies  []*trackedBody
}

func newFakeSender(t testing.TB) *fakeSender {
	return &fakeSender{t: t, replies: map[string][]reply{}}
}

// on scripts the next replies of account id.
func (s *fakeSender) on(id string, rs ...reply) *fakeSender {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replies[id] = append(s.replies[id], rs...)
	return s
}

func (s *fakeSender) Send(ctx context.Context, a *account.Account, call upstream.Call) (*http.Response, error) {
	s.mu.Lock()
	s.calls = append(s.calls, sentCall{Account: a.ID, Op: call.Op, Model: call.Model, Stream: call.Stream,
		Body: bytes.Clone(call.Body), Header: call.Header.Clone()})
	rs := s.replies[a.ID]
	var r reply
	if len(rs) > 0 {
		r, s.replies[a.ID] = rs[0], rs[1:]
	}
	s.mu.Unlock()
	if r == nil {
		s.t.Errorf("unscripted call to account %s", a.ID)
		return nil, errors.New("unscripted call")
	}
	resp, err := r(ctx, call)
	if resp != nil {
		tb := &trackedBody{ReadCloser: resp.Body}
		resp.Body = tb
		s.mu.Lock()
		s.bodies = append(s.bodies, tb)
		s.mu.Unlock()
	}
	return resp, err
}

func (s *fakeSender) Calls() []sentCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// accounts lists the account of every call, in order.
func (s *fakeSender) accounts() []string {
	var ids []string
	for _, c := range s.Calls() {
		ids = append(ids, c.Account)
	}
	return ids
}

// unclosed counts the response bodies the loop did not close.
func (s *fakeSender) unclosed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, b := range s.bodies {
		if !b.closed.Load() {
			n++
		}
	}
	return n
}

// trackedBody records whether the loop closed a response body.
type trackedBody struct {
	io.ReadCloser
	closed atomic.Bool
}

func (b *trackedBody) Close() error {
	b.closed.Store(true)
	return b.ReadCloser.Close()
}

// stallBody yields prefix, then blocks (an upstream that went silent) until
// it is closed or its request's context ends, as net/http's transport ends a
// blocked body read: a stream that never sends, with no goroutine or sleep
// on the test's side.
type stallBody struct {
	ctx    context.Context
	prefix io.Reader
	once   sync.Once
	done   chan struct{}
}

func newStallBody(ctx context.Context, prefix string) *stallBody {
	return &stallBody{ctx: ctx, prefix: strings.NewReader(prefix), done: make(chan struct{})}
}

func (b *stallBody) Read(p []byte) (int, error) {
	if n, err := b.prefix.Read(p); n > 0 || !errors.Is(err, io.EOF) {
		return n, err
	}
	select {
	case <-b.done:
		return 0, io.ErrClosedPipe
	case <-b.ctx.Done():
		return 0, b.ctx.Err()
	}
}

func (b *stallBody) Close() error {
	b.once.Do(func() { close(b.done) })
	return nil
}

func response(status int, contentType string, body io.ReadCloser, header ...string) *http.Response {
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		h.Add(header[i], header[i+1])
	}
	return &http.Response{StatusCode: status, Status: fmt.Sprintf("%d %s", status, http.StatusText(status)),
		Header: h, Body: body, ContentLength: -1}
}

// rawReply answers status with a body of the given content type and
// optional header pairs.
func rawReply(status int, contentType, body string, header ...string) reply {
	return func(context.Context, upstream.Call) (*http.Response, error) {
		return response(status, contentType, io.NopCloser(strings.NewReader(body)), header...), nil
	}
}

// jsonReply answers status with a JSON body and optional header pairs.
func jsonReply(status int, body string, header ...string) reply {
	return rawReply(status, "application/json", body, header...)
}

// sseReply answers 200 with an event stream of the given events, then EOF.
func sseReply(events ...string) reply {
	return func(context.Context, upstream.Call) (*http.Response, error) {
		return response(http.StatusOK, "text/event-stream", io.NopCloser(strings.NewReader(strings.Join(events, "")))), nil
	}
}

// stallReply answers 200 with an event stream that sends events and then
// goes silent until the loop closes it.
func stallReply(events ...string) reply {
	return func(ctx context.Context, _ upstream.Call) (*http.Response, error) {
		return response(http.StatusOK, "text/event-stream", newStallBody(ctx, strings.Join(events, ""))), nil
	}
}

// errReply fails the send with err, as the transport does.
func errReply(err error) reply {
	return func(context.Context, upstream.Call) (*http.Response, error) { return nil, err }
}

// sseEvent is one named SSE event; sseData one event without a name.
func sseEvent(name, data string) string { return "event: " + name + "\ndata: " + data + "\n\n" }

// timeoutError is a transport error that says it timed out.
type timeoutError struct{}

func (timeoutError) Error() string   { return "dial tcp 10.0.0.1:443: i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// fakeRouter resolves every model to one route.
type fakeRouter struct{ rt *Route }

func (r fakeRouter) Resolve(string, llm.Protocol, upstream.Op) (*Route, *llm.Error) { return r.rt, nil }

// testRoute is a route to mapped over accts, all in one tier, in order.
func testRoute(mapped string, accts ...*account.Account) *Route {
	ids := make([]string, len(accts))
	m := make(map[string]*account.Account, len(accts))
	for i, a := range accts {
		ids[i] = a.ID
		m[a.ID] = a
	}
	return &Route{Mapped: mapped, Group: strings.ToLower(mapped),
		Candidates: schedule.NewCandidates(ids, func(int) int { return 1 }), accounts: m}
}

func testAccount(id string, p account.Provider) *account.Account {
	return &account.Account{ID: id, Email: id + "@example.com", Provider: p, BaseURL: "https://upstream.invalid",
		APIKey: account.Secret("sk-test-" + id + "-0123456789"), Tier: account.Pro}
}

// sleepRecorder is Dispatcher.Sleep: it records each wait and returns at
// once, false when the context has ended.
type sleepRecorder struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleepRecorder) sleep(ctx context.Context, d time.Duration) bool {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err() == nil
}

func (s *sleepRecorder) waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.d)
}

// fakeTokens is a TokenInvalidator that records the accounts it dropped.
type fakeTokens struct {
	mu      sync.Mutex
	dropped []string
}

func (f *fakeTokens) Invalidate(_ context.Context, a *account.Account) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dropped = append(f.dropped, a.ID)
	return nil
}

// loopHarness is a Dispatcher over the fakes.
type loopHarness struct {
	t      *testing.T
	d      *Dispatcher
	sched  *fakeSched
	up     *fakeSender
	sleeps *sleepRecorder
}

// testPolicy has generous timeouts: only the tests of the timeout rows make
// them tiny.
func testPolicy() Policy {
	return Policy{MaxAttempts: 3, RequestTimeout: 30 * time.Second, FirstEventTimeout: 10 * time.Second,
		IdleTimeout: 10 * time.Second, KeepAlive: time.Hour, RateLimitGrace: time.Second,
		MaxEventBytes: 1 << 20, MaxResponseBytes: 1 << 20}
}

func newLoopHarness(t *testing.T, rt *Route) *loopHarness {
	t.Helper()
	h := &loopHarness{t: t, sched: &fakeSched{}, up: newFakeSender(t), sleeps: &sleepRecorder{}}
	h.d = &Dispatcher{
		Router:    fakeRouter{rt},
		Sched:     h.sched,
		Upstream:  h.up,
		Policy:    testPolicy(),
		Log:       slog.New(slog.DiscardHandler),
		Protocols: testProtocols(),
		Sleep:     h.sleeps.sleep,
	}
	t.Cleanup(func() {
		if n := h.up.unclosed(); n > 0 {
			t.Errorf("%d upstream response bodies left open", n)
		}
	})
	return h
}

func (h *loopHarness) serve(ctx context.Context, req *Request) (Result, *httptest.ResponseRecorder) {
	h.t.Helper()
	rec := httptest.NewRecorder()
	res := h.d.Serve(ctx, rec, req)
	return res, rec
}

// clientEvent is one SSE event as the client read it.
type clientEvent struct {
	Name string
	Data string
}

// readEvents parses the SSE events a client received; comments are dropped.
func readEvents(t *testing.T, body []byte) []clientEvent {
	t.Helper()
	rd := sse.NewReader(bytes.NewReader(body), 1<<20)
	var out []clientEvent
	for {
		ev, err := rd.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("client stream: %v", err)
			}
			return out
		}
		if ev.Comment {
			continue
		}
		out = append(out, clientEvent{Name: ev.Name, Data: string(ev.Data)})
	}
}

// parseEvents reads the events of an upstream script, for comparing what a
// same-protocol client received with what the upstream sent.
func parseEvents(t *testing.T, events ...string) []clientEvent {
	t.Helper()
	return readEvents(t, []byte(strings.Join(events, "")))
}
