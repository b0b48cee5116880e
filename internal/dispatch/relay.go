package dispatch

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/sse"
)

// pump reads SSE events on its own goroutine so that the relay can wait for
// an event, a heartbeat tick, an idle timeout and the client at once. An
// event is valid until next() is called; the reader then reuses its buffer.
type pump struct {
	events chan pumped
	ack    chan struct{}
	done   chan struct{}
}

type pumped struct {
	ev  sse.Event
	err error
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
			case p.events <- pumped{ev: ev, err: err}:
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

// relay writes a successful answer to the client and returns the status sent.
// For streams, failures after the first byte end with the protocol's error
// event, never a clean finish.
func (tr *tryResult) relay(ctx context.Context, w http.ResponseWriter, pol Policy) int {
	defer tr.close()
	up, cl := tr.leg.up, tr.leg.cl
	h := w.Header()
	if tr.stream == nil {
		h.Set("Content-Type", "application/json")
		w.WriteHeader(tr.obs.status)
		_, _ = w.Write(tr.body)
		return tr.obs.status
	}
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if _, err := w.Write(tr.first); err != nil {
		return http.StatusOK
	}
	_ = rc.Flush()
	if tr.ended {
		return http.StatusOK
	}

	idle := time.NewTimer(pol.IdleTimeout)
	defer idle.Stop()
	ka := pol.KeepAlive
	if ka <= 0 {
		ka = 15 * time.Second
	}
	tick := time.NewTicker(ka)
	defer tick.Stop()
	lastWrite := time.Now()
	finished := tr.finished
	sawError := false
	buf := make([]byte, 0, 1024)

	write := func(b []byte) bool {
		if _, err := w.Write(b); err != nil {
			return false
		}
		lastWrite = time.Now()
		return rc.Flush() == nil
	}
	broken := func(msg string) int {
		tr.brokenMsg = msg
		_ = write(cl.streamError(&llm.Error{Status: http.StatusBadGateway, Kind: llm.KindServer, Message: msg}))
		return http.StatusOK
	}
	for {
		select {
		case <-ctx.Done():
			return http.StatusOK
		case <-idle.C:
			return broken("upstream stream went silent past the idle timeout")
		case <-tick.C:
			if cl.keepAlive != nil && time.Since(lastWrite) >= ka {
				if !write(cl.keepAlive) {
					return http.StatusOK
				}
			}
		case it := <-tr.stream.events:
			if it.err != nil {
				if errors.Is(it.err, io.EOF) && (sawError || up.cleanEOF(finished)) {
					// After an error event the provider ends the stream: the
					// client already has the error in its own protocol.
					return http.StatusOK
				}
				return broken("upstream stream ended before its final event")
			}
			resetTimer(idle, pol.IdleTimeout)
			kind := up.classify(it.ev)
			if kind == sse.KindSkip {
				tr.stream.next()
				if cl.keepAlive != nil && !write(cl.keepAlive) {
					return http.StatusOK
				}
				continue
			}
			if sse.GeminiFinished(it.ev) {
				finished = true
			}
			up.scan(it.ev.Data, &tr.answer)
			if kind == sse.KindError {
				it.ev.Data = tr.scrub(it.ev.Data)
				tr.brokenMsg = "upstream sent an error event mid-stream"
				if tr.leg.translated {
					// The provider's error event, said in the client's
					// protocol (read before next() releases the event).
					e := &llm.Error{Status: inBandStatus(it.ev.Data), Message: tr.brokenMsg}
					e.Kind = llm.KindOf(e.Status)
					if m := upstreamMessage(it.ev.Data); m != "" {
						e.Message += ": " + m
					}
					tr.stream.next()
					_ = write(cl.streamError(e))
					return http.StatusOK
				}
			}
			buf = buf[:0]
			err := tr.leg.conv.convey(it.ev, func(name string, data []byte) { buf = sse.AppendEvent(buf, name, data) })
			tr.stream.next()
			if err != nil {
				return broken("upstream stream event not understood")
			}
			if !write(buf) {
				return http.StatusOK
			}
			if kind == sse.KindDone {
				return http.StatusOK
			}
			// An error event is relayed, and so is what follows it until the
			// stream ends (Responses: error, then response.failed).
			sawError = sawError || kind == sse.KindError
		}
	}
}
