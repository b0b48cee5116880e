package dispatch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/jsonguard"
	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/retry"
	"github.com/switchyard-gw/switchyard/internal/sse"
)

// attempt is the state of one upstream try: after its response headers (and,
// for a stream, its first meaningful event) have been read, until it is
// relayed or given up.
type attempt struct {
	acct   *account.Account
	leg    *leg
	obs    observation
	resp   *http.Response
	cancel context.CancelFunc
	body   []byte  // error body, or the whole non-streamed answer
	events *events // committed-to-be stream, positioned after first
	first  []byte  // the first meaningful event, serialized for the client
	ended  bool    // the peek already read the terminal event: the answer is complete
	quota  retry.Quota
	errMsg string
	err    error      // Send's error (e.g. credential.ErrInvalidGrant); not for clients
	answer llm.Answer // usage, model and finish reasons seen so far
	// firstData holds the client events made of the first meaningful
	// upstream event (for collection).
	firstData [][]byte
	// brokenMsg is set when a committed stream ended with an error event.
	brokenMsg string
	// sent is the request the upstream answered; its credentials are
	// scrubbed from upstream error text (see scrub), only when there is some.
	sent *http.Request
}

// errorBodyLimit bounds how much of an upstream error body is read.
const errorBodyLimit = 1 << 20

// try sends one attempt and reads until it is clear whether it succeeded.
func (d *Dispatcher) try(ctx context.Context, a *account.Account, lg *leg) *attempt {
	actx, cancel := context.WithCancel(ctx)
	at := &attempt{acct: a, leg: lg, cancel: cancel}
	call, up := lg.call, lg.up
	resp, err := d.Upstream.Send(actx, a, call)
	if err != nil {
		at.err = err
		at.obs.fail = failNetwork
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			at.obs.fail = failTimeout
		}
		at.errMsg = fmt.Sprintf("upstream %s: no response", a.Provider)
		return at
	}
	at.resp = resp
	at.sent = resp.Request
	at.obs.status = resp.StatusCode
	at.quota = retry.ParseQuota(resp.Header, time.Now())
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		at.body, _ = io.ReadAll(io.LimitReader(resp.Body, errorBodyLimit))
		at.body = at.scrub(at.body)
		at.obs.hint = retry.ParseHint(resp.StatusCode, resp.Header, at.body, time.Now())
		at.obs.signature = retry.IsSignatureError(resp.StatusCode, at.body)
		at.errMsg = fmt.Sprintf("upstream %s answered %d", a.Provider, resp.StatusCode)
		return at
	}
	ct := resp.Header.Get("Content-Type")
	if call.Stream && strings.HasPrefix(ct, "text/event-stream") {
		at.events = newEvents(ctx, resp.Body, up, &at.answer, d.Policy.MaxEventBytes, cancel)
		d.peek(at)
		if lg.collect && at.obs.fail == failNone && at.body == nil {
			d.collect(at)
		}
		return at
	}
	limit := d.Policy.MaxResponseBytes
	if limit <= 0 {
		limit = 64 << 20
	}
	at.body, err = io.ReadAll(io.LimitReader(resp.Body, limit+1))
	switch {
	case err != nil:
		at.obs.fail = failPeek
		if isTimeout(err) {
			at.obs.fail = failTimeout
		}
		at.errMsg = fmt.Sprintf("upstream %s: answer cut short", a.Provider)
	case int64(len(at.body)) > limit || !jsonguard.Valid(at.body):
		at.obs.fail = failBadBody
		at.errMsg = fmt.Sprintf("upstream %s: answer is not valid JSON", a.Provider)
	case call.Stream && (!lg.collect || lg.translated):
		// A stream was asked for and the provider answered JSON: not usable
		// for a stream client, nor by the translating conveyor.
		at.obs.fail = failBadBody
		at.errMsg = fmt.Sprintf("upstream %s: expected an event stream", a.Provider)
	case lg.count:
		n, err := lg.prov.ParseCountResponse(at.body)
		if err != nil {
			at.obs.fail = failBadBody
			at.errMsg = fmt.Sprintf("upstream %s: token count not understood", a.Provider)
			break
		}
		at.body, _ = lg.cl.CountAnswer(n)
	default:
		up.ScanAnswer(at.body, &at.answer)
	}
	if at.obs.fail != failNone {
		// A 2xx that is not an answer (a proxy's error page, an error
		// object where a stream was asked for) is quoted to the client
		// like an error body: it gets the same scrub.
		at.body = at.scrub(at.body)
	}
	return at
}

// peek reads up to the first meaningful event under the first-event timeout.
func (d *Dispatcher) peek(at *attempt) {
	s := at.events
	s.expect(d.Policy.FirstEventTimeout, false)
	defer s.pause()
	opened := false // a start or content event was seen
	for {
		st := s.next()
		switch st.end {
		case stepCanceled:
			at.obs.fail = failTimeout
			at.errMsg = "request ended during the peek"
			return
		case stepTimeout:
			at.obs.fail = failTimeout
			at.errMsg = fmt.Sprintf("upstream %s: no event within %s", at.acct.Provider, d.Policy.FirstEventTimeout)
			return
		case stepEnded, stepCut:
			at.obs.fail = failPeek
			if st.eof {
				at.obs.fail = failEmpty
			}
			at.errMsg = fmt.Sprintf("upstream %s: stream ended before any content", at.acct.Provider)
			return
		}
		switch st.kind {
		case sse.KindSkip:
			continue
		case sse.KindError:
			at.inBand(st.ev.Data, "error event before any content")
			return
		}
		err := at.leg.conv.convey(st.ev, at.keepFirst)
		if st.kind == sse.KindDone {
			// A finished answer without content (a refusal, a content
			// filter, an empty end of turn) is an answer once the stream
			// had opened it; only a bare terminal event is empty.
			if err != nil || !opened || len(at.first) == 0 {
				at.obs.fail = failEmpty
				at.errMsg = fmt.Sprintf("upstream %s: stream finished without content", at.acct.Provider)
				return
			}
			at.ended = true
			return
		}
		opened = true
		if err != nil {
			at.obs.fail = failBadBody
			at.errMsg = fmt.Sprintf("upstream %s: first event not understood", at.acct.Provider)
			return
		}
		if len(at.first) == 0 || st.kind == sse.KindPreamble {
			// Translated: the event said nothing the client's protocol shows
			// (some have no start event); or it only opened the answer, and
			// an error may still follow before any content: read on.
			continue
		}
		return
	}
}

// keepFirst keeps a client event made before the attempt is committed.
func (at *attempt) keepFirst(name string, data []byte) {
	at.first = sse.AppendEvent(at.first, name, data)
	if at.leg.collect {
		at.firstData = append(at.firstData, append([]byte(nil), data...))
	}
}

// inBand records an error event read before anything reached the client as
// the attempt's failure, classified like an error status (see inBandStatus).
func (at *attempt) inBand(data []byte, msg string) {
	at.body = at.scrub(append([]byte(nil), data...))
	at.obs.status = inBandStatus(at.body)
	at.obs.hint = retry.ParseHint(at.obs.status, http.Header{}, at.body, time.Now())
	at.errMsg = fmt.Sprintf("upstream %s: %s", at.acct.Provider, msg)
}

// inBandStatus is the status an error event inside a stream stands for, read
// by the same table as error bodies (retry); 502 when it names none.
func inBandStatus(data []byte) int {
	if st := retry.InBandStatus(data); st >= 400 && st < 600 {
		return st
	}
	return http.StatusBadGateway
}

func (at *attempt) close() {
	if at.resp != nil {
		at.resp.Body.Close()
	}
	if at.events != nil {
		at.events.stop()
	}
	at.cancel()
}

// transient reports whether the failure may clear by itself soon.
func (at *attempt) transient() bool {
	return at.obs.fail != failNone || at.obs.status >= 500 || at.obs.status == 429 || at.obs.status == 408
}

// passThrough forwards the client's own error (same protocol: the provider's
// envelope is the client's envelope).
func (at *attempt) passThrough(w http.ResponseWriter) int {
	defer at.close()
	st := at.obs.status
	if st == 0 {
		st = http.StatusBadGateway
	}
	if len(at.body) == 0 || !jsonguard.Valid(at.body) || at.events != nil || at.leg.translated {
		// Not the client's own envelope: say it in the client's protocol.
		msg := at.errMsg
		if m := retry.Message(at.body); m != "" {
			msg += ": " + m
		}
		e := &llm.Error{Status: st, Kind: llm.KindOf(st), Message: msg}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(st)
		_, _ = w.Write(at.leg.cl.ErrorBody(e))
		return st
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(st)
	_, _ = w.Write(at.body)
	return st
}

// clientError is the error a client sees when the attempts are spent.
func (at *attempt) clientError(attempts int) *llm.Error {
	st := at.obs.status
	switch {
	case at.obs.fail == failTimeout:
		st = http.StatusGatewayTimeout
	case at.obs.fail != failNone || st == 0:
		st = http.StatusBadGateway
	case st == 529:
		st = at.leg.cl.OverloadedStatus() // 529 only where the protocol has it
	case st == 503 || st == 429:
	case st >= 500:
		st = http.StatusBadGateway
	case st == 401 || st == 403 || st == 404 || st == 402:
		// The account's problem, not the client's: do not echo a 401 that
		// would make the client think its own key is wrong.
		st = http.StatusBadGateway
	}
	e := &llm.Error{Status: st, Kind: llm.KindOf(st),
		Message: fmt.Sprintf("the upstream pool could not answer after %d attempt(s); last: %s", attempts, at.lastFailure())}
	if st == 429 {
		e.RetryAfter = at.obs.hint.RetryAfter
		e.Terminal = at.obs.hint.Terminal
	}
	return e
}

// lastFailure says how the attempt failed, with the provider's own message
// when it sent one.
func (at *attempt) lastFailure() string {
	if m := retry.Message(at.body); m != "" {
		return at.errMsg + ": " + m
	}
	return at.errMsg
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
