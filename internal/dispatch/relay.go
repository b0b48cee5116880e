package dispatch

import (
	"context"
	"net/http"
	"time"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/retry"
	"github.com/switchyard-gw/switchyard/internal/sse"
)

// relay writes a successful answer to the client and returns the status sent.
// For streams, failures after the first byte end with the protocol's error
// event, never a clean finish.
func (at *attempt) relay(ctx context.Context, w http.ResponseWriter, pol Policy) int {
	defer at.close()
	cl := at.leg.cl
	h := w.Header()
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
	rc := http.NewResponseController(w)
	if _, err := w.Write(at.first); err != nil {
		return http.StatusOK
	}
	_ = rc.Flush()
	if at.ended {
		return http.StatusOK
	}

	ka := pol.KeepAlive
	if ka <= 0 {
		ka = 15 * time.Second
	}
	tick := time.NewTicker(ka)
	defer tick.Stop()
	keepAlive := cl.KeepAlive()
	lastWrite := time.Now()
	buf := make([]byte, 0, 1024)
	// Events are flushed when no further event is already read: a burst
	// that arrived in one read goes out in one write, a lone event at once.
	dirty := false
	flush := func() bool {
		if !dirty {
			return true
		}
		dirty = false
		return rc.Flush() == nil
	}
	write := func(b []byte, more bool) bool {
		if _, err := w.Write(b); err != nil {
			return false
		}
		lastWrite, dirty = time.Now(), true
		return more || flush()
	}
	broken := func(msg string) int {
		at.brokenMsg = msg
		_ = write(cl.StreamError(&llm.Error{Status: http.StatusBadGateway, Kind: llm.KindServer, Message: msg}), false)
		return http.StatusOK
	}
	s := at.events
	s.expect(pol.IdleTimeout, true)
	for {
		st := s.next(ctx, tick.C)
		switch st.end {
		case stepCanceled:
			return http.StatusOK
		case stepEnded:
			// After an error event the provider ends the stream: the client
			// already has the error in its own protocol.
			flush()
			return http.StatusOK
		case stepTimeout:
			return broken("upstream stream went silent past the idle timeout")
		case stepCut:
			return broken("upstream stream ended before its final event")
		case stepTick:
			if keepAlive != nil && time.Since(lastWrite) >= ka && !write(keepAlive, false) {
				return http.StatusOK
			}
			continue
		}
		switch st.kind {
		case sse.KindSkip:
			if keepAlive != nil && !write(keepAlive, st.more) || !st.more && !flush() {
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
				_ = write(cl.StreamError(e), false)
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
		if !write(buf, st.more && !done) {
			return http.StatusOK
		}
		if done {
			return http.StatusOK
		}
	}
}
