package dispatch

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"time"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/sse"
)

// events is the one iterator over an attempt's upstream stream. The peek,
// the collector and the relay all take their events from next, which reads
// the next event on the caller's goroutine, classifies it once with the wire
// protocol's table, scans it for usage, model and finish, and knows whether
// the end of the stream is a proper one. Waiting is bounded without a second
// goroutine: a timer that runs out, like the client going away, cancels the
// attempt's context, which ends the blocked read.
type events struct {
	rd       *sse.Reader
	wire     Wire
	answer   *llm.Answer
	ctx      context.Context    // the request's: done when the client goes away
	cancel   context.CancelFunc // ends the upstream call
	finished bool               // a finish was seen (protocols whose streams end at EOF)
	sawError bool               // an error event was read: the provider ends the stream next
	timer    *time.Timer        // runs expire; nil until expect
	limit    time.Duration
	perEvent bool        // the timer restarts at every event (idle), else it runs once
	expired  atomic.Bool // the timer ran out and cancelled the call
}

// stepEnd says why next returned.
type stepEnd int

const (
	stepEvent    stepEnd = iota // ev and kind are set
	stepEnded                   // the stream ended properly
	stepCut                     // it ended before its final event (eof: at EOF)
	stepTimeout                 // the timer ran out
	stepCanceled                // the request's context ended
)

type step struct {
	end  stepEnd
	eof  bool
	more bool      // another event is already read: no need to flush yet
	ev   sse.Event // valid until the next call of next
	kind sse.Kind
}

// newEvents reads r, the body of a call made under a context whose cancel is
// given; ctx is the request's.
func newEvents(ctx context.Context, r io.Reader, wire Wire, answer *llm.Answer, maxEvent int, cancel context.CancelFunc) *events {
	if maxEvent <= 0 {
		maxEvent = 16 << 20
	}
	return &events{rd: sse.NewReader(r, maxEvent), wire: wire, answer: answer, ctx: ctx, cancel: cancel}
}

// expect bounds the wait: limit for each next event when perEvent (the idle
// timeout), else for all events from now (the first-event timeout).
func (s *events) expect(limit time.Duration, perEvent bool) {
	s.limit, s.perEvent = limit, perEvent
	if s.timer == nil {
		s.timer = time.AfterFunc(limit, s.expire)
		return
	}
	s.timer.Reset(limit)
}

func (s *events) expire() {
	s.expired.Store(true)
	s.cancel()
}

// pause stops the timer while nobody reads (between the peek and the relay).
func (s *events) pause() {
	if s.timer != nil {
		s.timer.Stop()
	}
}

// next returns the next event, or why there is none.
func (s *events) next() step {
	ev, err := s.rd.Next()
	if err != nil {
		switch {
		case s.expired.Load():
			return step{end: stepTimeout}
		case s.ctx.Err() != nil:
			return step{end: stepCanceled}
		}
		eof := errors.Is(err, io.EOF)
		if eof && (s.sawError || s.wire.CleanEOF(s.finished)) {
			return step{end: stepEnded, eof: true}
		}
		return step{end: stepCut, eof: eof}
	}
	if s.perEvent {
		s.timer.Reset(s.limit)
	}
	kind, finished := s.wire.Classify(ev)
	if kind != sse.KindSkip {
		s.finished = s.finished || finished
		s.sawError = s.sawError || kind == sse.KindError
		s.wire.ScanAnswer(ev.Data, s.answer)
	}
	return step{ev: ev, kind: kind, more: s.rd.Buffered()}
}

// drainWait bounds how long drain waits for the end of a finished stream.
const drainWait = 100 * time.Millisecond

// drain reads what the provider still sends after the terminal event (the
// end of its chunked body, normally already on its way) so that the
// connection goes back to the pool instead of being cut: the next call then
// costs no new connection, and no TLS handshake. The client already has the
// whole answer; it waits at most drainWait more for the end of the response.
func (s *events) drain() {
	s.expect(drainWait, false)
	for range 4 {
		if st := s.next(); st.end != stepEvent {
			break
		}
	}
	s.pause()
}

func (s *events) stop() {
	s.pause()
	s.cancel()
}
