package fakeupstream

import (
	"encoding/json"
	"net/http"
	"time"
)

// framing is how a stream's events are put on the wire.
type framing int

const (
	framingData   framing = iota // "data: {json}\n\n" (OpenAI Chat Completions)
	framingNamed                 // "event: name\ndata: {json}\n\n" (Anthropic, OpenAI Responses)
	framingGoogle                // "data: {json}\r\n\r\n" (Gemini alt=sse)
	framingArray                 // one JSON array streamed element by element (Gemini without alt=sse)
)

// sseEvent is one event of a stream.
type sseEvent struct {
	name     string // the event: line (framingNamed only)
	data     []byte
	ping     bool   // a keep-alive: not counted by after_events and sent without delay
	terminal bool   // suppressed by the no_terminal fault
	alt      []byte // what no_terminal sends instead of a terminal event; nil drops it
}

// stream is a complete streamed answer, built before anything is sent so
// that faults can be applied uniformly to every protocol.
type stream struct {
	framing   framing
	events    []sseEvent
	heartbeat []byte   // keep-alive sent in long gaps; nil for none (Gemini)
	broken    sseEvent // what malformed_sse inserts after the first event
}

// event builds an sseEvent from a value marshalled to JSON.
func event(name string, v any) sseEvent {
	data, err := json.Marshal(v)
	if err != nil {
		panic("fakeupstream: marshal " + name + ": " + err.Error())
	}
	return sseEvent{name: name, data: data}
}

func (st *stream) add(name string, v any) {
	st.events = append(st.events, event(name, v))
}

func (st *stream) contentType() string {
	if st.framing == framingArray {
		return "application/json"
	}
	return "text/event-stream"
}

// encode renders ev; first tells framingArray whether to open the array.
func (st *stream) encode(ev sseEvent, first bool) []byte {
	var b []byte
	switch st.framing {
	case framingNamed:
		b = append(b, "event: "...)
		b = append(b, ev.name...)
		b = append(b, "\ndata: "...)
		b = append(b, ev.data...)
		b = append(b, "\n\n"...)
	case framingGoogle:
		b = append(b, "data: "...)
		b = append(b, ev.data...)
		b = append(b, "\r\n\r\n"...)
	case framingArray:
		if first {
			b = append(b, '[')
		} else {
			b = append(b, ",\r\n"...)
		}
		b = append(b, ev.data...)
	default:
		b = append(b, "data: "...)
		b = append(b, ev.data...)
		b = append(b, "\n\n"...)
	}
	return b
}

// faultHeartbeat is what heartbeat_only sends.
func (st *stream) faultHeartbeat() []byte {
	switch {
	case st.heartbeat != nil:
		return st.heartbeat
	case st.framing == framingArray:
		return []byte("\r\n")
	case st.framing == framingGoogle:
		return []byte(": keep-alive\r\n\r\n")
	default:
		return []byte(": keep-alive\n\n")
	}
}

// cutPoint is how many counted events cut_after and stall send: AfterEvents,
// capped so that no terminal event goes out.
func (st *stream) cutPoint(after int) int {
	n := 0
	for _, ev := range st.events {
		if !ev.ping && !ev.terminal {
			n++
		}
	}
	return min(after, n)
}

// sendStream answers a streaming request with st, applying the stream fault.
func (ex *exchange) sendStream(st *stream) {
	h := ex.w.Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	if !ex.commit(http.StatusOK, st.contentType()) || !ex.write(nil) {
		return
	}
	kind := ex.faultKind()
	switch kind {
	case KindEmptyStream:
		return
	case KindRawStream:
		ex.write([]byte(ex.fault.Body))
		return
	case KindHeartbeatOnly:
		ex.heartbeats(st.faultHeartbeat())
		return
	}
	cut := -1
	if kind == KindCutAfter || kind == KindStall {
		cut = st.cutPoint(ex.fault.AfterEvents)
	}
	sent, wrote := 0, false
	for _, ev := range st.events {
		if ev.terminal && kind == KindNoTerminal {
			if ev.alt == nil {
				continue
			}
			ev.data = ev.alt
		}
		if !ev.ping {
			if sent == cut {
				if kind == KindStall {
					ex.waitGone(time.Duration(ex.fault.Delay))
				}
				ex.abort(false)
				return
			}
			if sent > 0 && !ex.pause(ex.s.opts.ChunkDelay, st.heartbeat) {
				return
			}
		}
		if !ex.write(st.encode(ev, !wrote)) {
			return
		}
		wrote = true
		if ev.ping {
			continue
		}
		sent++
		if sent == 1 && kind == KindMalformedSSE && !ex.write(st.encode(st.broken, false)) {
			return
		}
	}
	if st.framing == framingArray {
		if !wrote {
			ex.write([]byte("["))
		}
		ex.write([]byte("]"))
	}
}

// pause waits d between two events. When d is 1s or more and the protocol has
// a heartbeat, it sends one at least every 10s and at least once per gap.
func (ex *exchange) pause(d time.Duration, hb []byte) bool {
	ctx := ex.r.Context()
	if hb == nil || d < time.Second {
		return sleep(ctx, d)
	}
	step := min(d/2, 10*time.Second)
	for d > 0 {
		wait := min(step, d)
		if !sleep(ctx, wait) {
			return false
		}
		d -= wait
		if d > 0 && !ex.write(hb) {
			return false
		}
	}
	return true
}
