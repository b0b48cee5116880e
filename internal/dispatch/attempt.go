package dispatch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/jsonguard"
	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/retry"
	"github.com/switchyard-gw/switchyard/internal/sse"
)

// tryResult is one attempt after its response headers (and, for a stream, its
// first meaningful event) have been read.
type tryResult struct {
	acct     *account.Account
	leg      *leg
	obs      observation
	resp     *http.Response
	cancel   context.CancelFunc
	body     []byte // error body, or the whole non-streamed answer
	stream   *pump  // committed-to-be stream, positioned after first
	first    []byte // the first meaningful event, serialized for the client
	finished bool   // Gemini: a finishReason was seen
	ended    bool   // the peek already read the terminal event: the answer is complete
	quota    quotaInfo
	errMsg   string
	err      error      // Send's error (e.g. credential.ErrInvalidGrant); not for clients
	answer   llm.Answer // usage, model and finish reasons seen so far
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
func (d *Dispatcher) try(ctx context.Context, a *account.Account, lg *leg) *tryResult {
	actx, cancel := context.WithCancel(ctx)
	tr := &tryResult{acct: a, leg: lg, cancel: cancel}
	call, up := lg.call, lg.up
	resp, err := d.Upstream.Send(actx, a, call)
	if err != nil {
		tr.err = err
		tr.obs.fail = failNetwork
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			tr.obs.fail = failTimeout
		}
		tr.errMsg = fmt.Sprintf("upstream %s: no response", a.Provider)
		return tr
	}
	tr.resp = resp
	tr.sent = resp.Request
	tr.obs.status = resp.StatusCode
	tr.quota = quotaFromHeaders(resp.Header, time.Now())
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		tr.body, _ = io.ReadAll(io.LimitReader(resp.Body, errorBodyLimit))
		tr.body = tr.scrub(tr.body)
		tr.obs.hint = retry.ParseHint(resp.StatusCode, resp.Header, tr.body, time.Now())
		tr.obs.signature = retry.IsSignatureError(resp.StatusCode, tr.body)
		tr.errMsg = fmt.Sprintf("upstream %s answered %d", a.Provider, resp.StatusCode)
		return tr
	}
	ct := resp.Header.Get("Content-Type")
	if call.Stream && strings.HasPrefix(ct, "text/event-stream") {
		d.peek(ctx, tr)
		if lg.collect && tr.obs.fail == failNone && tr.body == nil {
			d.collect(ctx, tr)
		}
		return tr
	}
	limit := d.Policy.MaxResponseBytes
	if limit <= 0 {
		limit = 64 << 20
	}
	tr.body, err = io.ReadAll(io.LimitReader(resp.Body, limit+1))
	switch {
	case err != nil:
		tr.obs.fail = failPeek
		if isTimeout(err) {
			tr.obs.fail = failTimeout
		}
		tr.errMsg = fmt.Sprintf("upstream %s: answer cut short", a.Provider)
	case int64(len(tr.body)) > limit || !jsonguard.Valid(tr.body):
		tr.obs.fail = failBadBody
		tr.errMsg = fmt.Sprintf("upstream %s: answer is not valid JSON", a.Provider)
	case call.Stream && (!lg.collect || lg.translated):
		// A stream was asked for and the provider answered JSON: not usable
		// for a stream client, nor by the translating conveyor.
		tr.obs.fail = failBadBody
		tr.errMsg = fmt.Sprintf("upstream %s: expected an event stream", a.Provider)
	case lg.parseCount != nil:
		n, err := lg.parseCount(tr.body)
		if err != nil {
			tr.obs.fail = failBadBody
			tr.errMsg = fmt.Sprintf("upstream %s: token count not understood", a.Provider)
			break
		}
		tr.body = lg.countAnswer(n)
	default:
		up.scan(tr.body, &tr.answer)
	}
	return tr
}

// peek reads up to the first meaningful event under the first-event timeout.
func (d *Dispatcher) peek(ctx context.Context, tr *tryResult) {
	up := tr.leg.up
	p := startPump(tr.resp.Body, d.Policy.MaxEventBytes)
	tr.stream = p
	timer := time.NewTimer(d.Policy.FirstEventTimeout)
	defer timer.Stop()
	opened := false // a start or content event was seen
	for {
		select {
		case <-ctx.Done():
			tr.obs.fail = failTimeout
			tr.errMsg = "request ended during the peek"
			return
		case <-timer.C:
			tr.obs.fail = failTimeout
			tr.errMsg = fmt.Sprintf("upstream %s: no event within %s", tr.acct.Provider, d.Policy.FirstEventTimeout)
			return
		case it := <-p.events:
			if it.err != nil {
				tr.obs.fail = failPeek
				if errors.Is(it.err, io.EOF) {
					tr.obs.fail = failEmpty
				}
				tr.errMsg = fmt.Sprintf("upstream %s: stream ended before any content", tr.acct.Provider)
				return
			}
			kind := up.classify(it.ev)
			switch kind {
			case sse.KindSkip:
				p.next()
				continue
			case sse.KindError:
				tr.body = tr.scrub(append([]byte(nil), it.ev.Data...))
				tr.obs.status = inBandStatus(tr.body)
				tr.obs.hint = retry.ParseHint(tr.obs.status, http.Header{}, tr.body, time.Now())
				tr.errMsg = fmt.Sprintf("upstream %s: error event before any content", tr.acct.Provider)
				p.next()
				return
			case sse.KindDone:
				// A finished answer without content (a refusal, a content
				// filter, an empty end of turn) is an answer once the stream
				// had opened it; only a bare terminal event is empty.
				up.scan(it.ev.Data, &tr.answer)
				err := tr.leg.conv.convey(it.ev, func(name string, data []byte) {
					tr.first = sse.AppendEvent(tr.first, name, data)
					if tr.leg.collect {
						tr.firstData = append(tr.firstData, append([]byte(nil), data...))
					}
				})
				p.next()
				if err != nil || !opened || len(tr.first) == 0 {
					tr.obs.fail = failEmpty
					tr.errMsg = fmt.Sprintf("upstream %s: stream finished without content", tr.acct.Provider)
					return
				}
				tr.ended, tr.finished = true, true
				return
			}
			opened = true
			up.scan(it.ev.Data, &tr.answer)
			tr.finished = sse.GeminiFinished(it.ev)
			err := tr.leg.conv.convey(it.ev, func(name string, data []byte) {
				tr.first = sse.AppendEvent(tr.first, name, data)
				if tr.leg.collect {
					tr.firstData = append(tr.firstData, append([]byte(nil), data...))
				}
			})
			p.next()
			if err != nil {
				tr.obs.fail = failBadBody
				tr.errMsg = fmt.Sprintf("upstream %s: first event not understood", tr.acct.Provider)
				return
			}
			if len(tr.first) == 0 || kind == sse.KindPreamble {
				// Translated: the event said nothing the client's protocol
				// shows (a Gemini client has no start event); or it only
				// opened the answer (message_start, response.created), and
				// an error may still follow before any content: read on.
				continue
			}
			return
		}
	}
}

// inBandStatus is the status an error event inside a stream stands for, read
// by the same table as error bodies (retry); 502 when it names none.
func inBandStatus(data []byte) int {
	if st := retry.InBandStatus(data); st >= 400 && st < 600 {
		return st
	}
	return http.StatusBadGateway
}

func (tr *tryResult) close() {
	if tr.resp != nil {
		tr.resp.Body.Close()
	}
	if tr.stream != nil {
		tr.stream.stop()
	}
	tr.cancel()
}

// transient reports whether the failure may clear by itself soon.
func (tr *tryResult) transient() bool {
	return tr.obs.fail != failNone || tr.obs.status >= 500 || tr.obs.status == 429 || tr.obs.status == 408
}

// passThrough forwards the client's own error (same protocol: the provider's
// envelope is the client's envelope).
func (tr *tryResult) passThrough(w http.ResponseWriter) int {
	defer tr.close()
	dl := tr.leg.cl
	st := tr.obs.status
	if st == 0 {
		st = http.StatusBadGateway
	}
	if len(tr.body) == 0 || !jsonguard.Valid(tr.body) || tr.stream != nil || tr.leg.translated {
		// Not the client's own envelope: say it in the client's protocol.
		msg := tr.errMsg
		if m := upstreamMessage(tr.body); m != "" {
			msg += ": " + m
		}
		e := &llm.Error{Status: st, Kind: llm.KindOf(st), Message: msg}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(st)
		_, _ = w.Write(dl.errorBody(e))
		return st
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(st)
	_, _ = w.Write(tr.body)
	return st
}

// clientError is the error a client sees when the attempts are spent.
func (tr *tryResult) clientError(attempts int) *llm.Error {
	st := tr.obs.status
	switch {
	case tr.obs.fail == failTimeout:
		st = http.StatusGatewayTimeout
	case tr.obs.fail != failNone || st == 0:
		st = http.StatusBadGateway
	case st == 529 || st == 503 || st == 429:
	case st >= 500:
		st = http.StatusBadGateway
	case st == 401 || st == 403 || st == 404 || st == 402:
		// The account's problem, not the client's: do not echo a 401 that
		// would make the client think its own key is wrong.
		st = http.StatusBadGateway
	}
	e := &llm.Error{Status: st, Kind: llm.KindOf(st),
		Message: fmt.Sprintf("the upstream pool could not answer after %d attempt(s); last: %s", attempts, tr.lastFailure())}
	if st == 429 {
		e.RetryAfter = tr.obs.hint.RetryAfter
		e.Terminal = tr.obs.hint.Terminal
	}
	return e
}

// lastFailure says how the attempt failed, with the provider's own message
// when it sent one.
func (tr *tryResult) lastFailure() string {
	if m := upstreamMessage(tr.body); m != "" {
		return tr.errMsg + ": " + m
	}
	return tr.errMsg
}

// upstreamMessage is the message of a provider error body (all three put it
// at error.message, Gemini sometimes inside an array), clipped.
func upstreamMessage(body []byte) string {
	m := gjson.GetBytes(body, "error.message")
	for _, path := range []string{"0.error.message", "response.error.message", "message"} {
		if m.Exists() {
			break
		}
		// A Gemini array body; a Responses response.failed or error event.
		m = gjson.GetBytes(body, path)
	}
	s := m.String()
	if len(s) > 512 {
		s = s[:512]
	}
	return s
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// quotaInfo is the remaining share of a provider rate limit.
type quotaInfo struct {
	Known    bool
	Fraction float64
	Reset    time.Time
}

// quotaFromHeaders learns remaining quota from Anthropic and OpenAI headers.
func quotaFromHeaders(h http.Header, now time.Time) quotaInfo {
	if rem, lim := h.Get("anthropic-ratelimit-requests-remaining"), h.Get("anthropic-ratelimit-requests-limit"); rem != "" && lim != "" {
		q := fraction(rem, lim)
		if t, err := time.Parse(time.RFC3339, h.Get("anthropic-ratelimit-requests-reset")); err == nil {
			q.Reset = t
		} else {
			q.Reset = now.Add(time.Minute)
		}
		return q
	}
	if rem, lim := h.Get("x-ratelimit-remaining-requests"), h.Get("x-ratelimit-limit-requests"); rem != "" && lim != "" {
		q := fraction(rem, lim)
		if d, ok := retry.ParseDuration(h.Get("x-ratelimit-reset-requests")); ok {
			q.Reset = now.Add(d)
		} else {
			q.Reset = now.Add(time.Minute)
		}
		return q
	}
	return quotaInfo{}
}

func fraction(rem, lim string) quotaInfo {
	r, err1 := strconv.ParseFloat(rem, 64)
	l, err2 := strconv.ParseFloat(lim, 64)
	if err1 != nil || err2 != nil || l <= 0 || r < 0 {
		return quotaInfo{}
	}
	return quotaInfo{Known: true, Fraction: r / l}
}
