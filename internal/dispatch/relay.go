package dispatch

import (
	"net/http"
	"sync"
	"time"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/retry"
	"github.com/switchyard-gw/switchyard/internal/sse"
)

// relay writes a successful answer to the client and returns the status sent.
// For streams, failures after the first byte end with the protocol's error
// event, never a clean finish.
func (at *attempt) relay(w http.ResponseWriter, pol Policy) int {
	defer at.close()
	cl := at.leg.cl
	h := w.Header()
	if at.leg.omitted != "" {
		h.Set(OmittedToolsHeader, at.leg.omitted)
	}
	if at.events == nil {
		h.Set("Content-Type", "application/json")
		w.WriteHeader(at.obs.status)
		_, _ = w.Write(at.body)
		return at.obs.status
	}
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	out := &clientStream{w: w, rc: http.NewResponseController(w), lastWrite: time.Now()}
	defer out.end()
	if !out.write(at.first, false) {
		return http.StatusOK
	}
	if at.ended {
		at.events.drain()
		return http.StatusOK
	}
	if ka := cl.KeepAlive(); ka != nil {
		// During upstream silence the client hears the protocol's heartbeat.
		out.keepAlive(ka, pol.KeepAlive)
	}
	broken := func(msg string) int {
		at.brokenMsg = msg
		_ = out.write(cl.StreamError(&llm.Error{Status: http.StatusBadGateway, Kind: llm.KindServer, Message: msg}), false)
		return http.StatusOK
	}
	buf := make([]byte, 0, 1024)
	s := at.events
	s.expect(pol.IdleTimeout, true)
	for {
		st := s.next()
		switch st.end {
		case stepCanceled:
			return http.StatusOK
		case stepEnded:
			// After an error event the provider ends the stream: the client
			// already has the error in its own protocol.
			out.flush()
			return http.StatusOK
		case stepTimeout:
			return broken("upstream stream went silent past the idle timeout")
		case stepCut:
			return broken("upstream stream ended before its final event")
		}
		switch st.kind {
		case sse.KindSkip:
			// An upstream heartbeat: the client's own, where it has one.
			if ka := cl.KeepAlive(); ka != nil && !out.write(ka, st.more) || !st.more && !out.flush() {
				return http.StatusOK
			}
			continue
		case sse.KindError:
			st.ev.Data = at.scrub(st.ev.Data)
			at.brokenMsg = "upstream sent an error event mid-stream"
			if at.leg.translated {
				// The provider's error event, said in the client's protocol.
				e := &llm.Error{Status: inBandStatus(st.ev.Data), Message: at.brokenMsg}
				e.Kind = llm.KindOf(e.Status)
				if m := retry.Message(st.ev.Data); m != "" {
					e.Message += ": " + m
				}
				_ = out.write(cl.StreamError(e), false)
				return http.StatusOK
			}
			// Same protocol: the error event is relayed, and so is what
			// follows it until the stream ends (error, then response.failed).
		}
		buf = buf[:0]
		if err := at.leg.conv.convey(st.ev, func(name string, data []byte) { buf = sse.AppendEvent(buf, name, data) }); err != nil {
			return broken("upstream stream event not understood")
		}
		done := st.kind == sse.KindDone
		if !out.write(buf, st.more && !done) {
			return http.StatusOK
		}
		if done {
			s.drain()
			return http.StatusOK
		}
	}
}

// clientStream is the client's side of a relayed stream. Events are flushed
// when no further event is already read, so a burst that arrived in one read
// goes out in one write and a lone event at once. Heartbeats are written by
// a timer, so writes are serialized.
type clientStream struct {
	w  http.ResponseWriter
	rc *http.ResponseController

	mu        sync.Mutex
	dirty     bool // written but not flushed
	failed    bool // a write or flush failed: the client is gone
	ended     bool // the handler is returning: nothing may be written
	lastWrite time.Time
	beat      *time.Timer
}

// write writes b, and flushes unless more follows at once; false when the
// client is gone.
func (c *clientStream) write(b []byte, more bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writeLocked(b)
	if !more {
		c.flushLocked()
	}
	return !c.failed
}

func (c *clientStream) flush() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flushLocked()
	return !c.failed
}

func (c *clientStream) writeLocked(b []byte) {
	if c.failed || c.ended {
		return
	}
	if _, err := c.w.Write(b); err != nil {
		c.failed = true
		return
	}
	c.dirty, c.lastWrite = true, time.Now()
}

func (c *clientStream) flushLocked() {
	if !c.dirty || c.failed || c.ended {
		return
	}
	c.dirty = false
	if c.rc.Flush() != nil {
		c.failed = true
	}
}

// keepAlive writes ka whenever the client heard nothing for every.
func (c *clientStream) keepAlive(ka []byte, every time.Duration) {
	if every <= 0 {
		every = 15 * time.Second
	}
	beat := func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.ended || c.failed {
			return
		}
		if wait := every - time.Since(c.lastWrite); wait > 0 {
			c.beat.Reset(wait)
			return
		}
		c.writeLocked(ka)
		c.flushLocked()
		c.beat.Reset(every)
	}
	c.mu.Lock()
	c.beat = time.AfterFunc(every, beat)
	c.mu.Unlock()
}

// end stops the heartbeat; after it nothing is written.
func (c *clientStream) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ended = true
	if c.beat != nil {
		c.beat.Stop()
	}
}
