package dispatch

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/sse"
)

// events is the one iterator over an attempt's upstream stream. The peek,
// the collector and the relay all take their events from next, which
// classifies each event once with the wire protocol's table, scans it for
// usage, model and finish, keeps the silence timer and knows whether the end
// of the stream is a proper one.
type events struct {
	p        *pump
	wire     Wire
	answer   *llm.Answer
	finished bool // a finish was seen (protocols whose streams end at EOF)
	sawError bool // an error event was read: the provider ends the stream next
	held     bool // the last event is still the reader's (see pump.next)
	timer    *time.Timer
	limit    time.Duration
	perEvent bool // the timer restarts at every event (idle), else it runs once
}

// stepEnd says why next returned.
type stepEnd int

const (
	stepEvent    stepEnd = iota // ev and kind are set
	stepEnded                   // the stream ended properly
	stepCut                     // it ended before its final event (eof: at EOF)
	stepTimeout                 // the timer ran out
	stepTick                    // the caller's ticker fired
	stepCanceled                // the request's context ended
)

type step struct {
	end  stepEnd
	eof  bool
	more bool      // another event is already read: no need to flush yet
	ev   sse.Event // valid until the next call of next
	kind sse.Kind
}

func newEvents(r io.Reader, wire Wire, answer *llm.Answer, maxEvent int) *events {
	return &events{p: startPump(r, maxEvent), wire: wire, answer: answer}
}

// expect sets the timer: limit for the next event when perEvent (the idle
// timeout), else for all events from now (the first-event timeout).
func (s *events) expect(limit time.Duration, perEvent bool) {
	s.limit, s.perEvent = limit, perEvent
	if s.timer == nil {
		s.timer = time.NewTimer(limit)
		return
	}
	resetTimer(s.timer, limit)
}

// next returns the next event, or why there is none. tick may be nil.
func (s *events) next(ctx context.Context, tick <-chan time.Time) step {
	if s.held {
		s.held = false
		s.p.next()
	}
	var timeout <-chan time.Time
	if s.timer != nil {
		timeout = s.timer.C
	}
	select {
	case <-ctx.Done():
		return step{end: stepCanceled}
	case <-timeout:
		return step{end: stepTimeout}
	case <-tick:
		return step{end: stepTick}
	case it := <-s.p.events:
		if it.err != nil {
			eof := errors.Is(it.err, io.EOF)
			if eof && (s.sawError || s.wire.CleanEOF(s.finished)) {
				return step{end: stepEnded, eof: true}
			}
			return step{end: stepCut, eof: eof}
		}
		s.held = true
		if s.perEvent {
			resetTimer(s.timer, s.limit)
		}
		kind, finished := s.wire.Classify(it.ev)
		if kind != sse.KindSkip {
			s.finished = s.finished || finished
			s.sawError = s.sawError || kind == sse.KindError
			s.wire.ScanAnswer(it.ev.Data, s.answer)
		}
		return step{ev: it.ev, kind: kind, more: it.more}
	}
}

func (s *events) stop() {
	if s.timer != nil {
		s.timer.Stop()
	}
	s.p.stop()
}

// pump reads SSE events on its own goroutine so that the iterator can wait
// for an event, a heartbeat tick, a timeout and the client at once. An event
// is valid until next() is called; the reader then reuses its buffer.
type pump struct {
	events chan pumped
	ack    chan struct{}
	done   chan struct{}
}

type pumped struct {
	ev   sse.Event
	err  error
	more bool // the reader holds the next event already (sse.Reader.Buffered)
}

func startPump(r io.Reader, maxEvent int) *pump {
	if maxEvent <= 0 {
		maxEvent = 16 << 20
	}
	p := &pump{events: make(chan pumped), ack: make(chan struct{}), done: make(chan struct{})}
	go func() {
		rd := sse.NewReader(r, maxEvent)
		for {
			ev, err := rd.Next()
			select {
			case p.events <- pumped{ev: ev, err: err, more: err == nil && rd.Buffered()}:
			case <-p.done:
				return
			}
			if err != nil {
				return
			}
			select {
			case <-p.ack:
			case <-p.done:
				return
			}
		}
	}()
	return p
}

// next releases the current event and lets the reader continue.
func (p *pump) next() {
	select {
	case p.ack <- struct{}{}:
	case <-p.done:
	}
}

func (p *pump) stop() {
	select {
	case <-p.done:
	default:
		close(p.done)
	}
}

func resetTimer(t *time.Timer, d time.Duration) {
	if !t.Stop() {
		select {
		case <-t.C:
		default:
		}
	}
	t.Reset(d)
}
