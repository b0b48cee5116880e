package fakeupstream

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// maxRequestBody is the largest request body the fake reads; larger bodies
// get 413 in the provider's shape.
const maxRequestBody = 64 << 20

// exchange is one provider request on its way through the fake: read,
// authenticated, recorded, possibly faulted, answered.
type exchange struct {
	s        *Server
	w        http.ResponseWriter
	r        *http.Request
	rc       *http.ResponseController
	provider string
	body     []byte
	cred     string
	reqID    string // request id sent in the provider's header and error bodies
	model    string
	rec      *Record
	fault    *Fault // applied fault; nil if none

	committed bool // response headers are out
}

// begin reads, records and authenticates a provider request. It returns
// false when the request has already been answered (with an error).
func (s *Server) begin(w http.ResponseWriter, r *http.Request, provider string) (*exchange, bool) {
	body, readErr := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	cred, kind := credential(provider, r)
	ex := &exchange{
		s:        s,
		w:        w,
		r:        r,
		rc:       http.NewResponseController(w),
		provider: provider,
		body:     body,
		cred:     cred,
		rec:      newRecord(provider, cred, r, body),
	}
	s.log.add(ex.rec)
	ex.setIDHeaders()
	switch {
	case readErr != nil:
		ex.fail(http.StatusBadRequest, ex.invalidRequestBody("could not read the request body"))
		return nil, false
	case len(body) > maxRequestBody:
		ex.fail(http.StatusRequestEntityTooLarge, ex.tooLargeBody())
		return nil, false
	}
	if status, errBody := ex.authError(kind); status != 0 {
		ex.fail(status, errBody)
		return nil, false
	}
	s.limits.take(provider, cred, estimateTokens(len(body))).setHeaders(provider, w.Header())
	return ex, true
}

func (ex *exchange) setIDHeaders() {
	h := ex.w.Header()
	switch ex.provider {
	case ProviderOpenAI:
		ex.reqID = "req_" + randomHex(16)
		h.Set("x-request-id", ex.reqID)
		h.Set("openai-processing-ms", "12")
	case ProviderAnthropic:
		ex.reqID = randomID("req_011C", 20)
		h.Set("request-id", ex.reqID)
	}
}

// start notes the model and stream flag of a parsed request and applies the
// first matching fault that replaces the whole answer. It returns false when
// the request has been answered (or dropped) that way.
func (ex *exchange) start(model string, stream bool) bool {
	ex.model = model
	f, ok := ex.s.faults.take(ex.provider, ex.cred, model)
	ex.s.log.update(ex.rec, func(r *Record) {
		r.Model = model
		r.Stream = stream
		if ok {
			r.Fault = f.Kind
		}
	})
	if !ok {
		return true
	}
	ex.fault = &f
	for k, v := range f.Headers {
		ex.w.Header().Set(k, v)
	}
	switch f.Kind {
	case KindStatus:
		status, body := ex.faultError(f)
		ex.fail(status, body)
	case KindReset:
		ex.abort(true)
	case KindHang:
		ex.waitGone(0)
		ex.abort(false)
	case KindGarbage:
		ex.send(http.StatusOK, "application/json", garbageBody)
	default:
		return true
	}
	return false
}

// faultKind returns the kind of the applied fault, or "".
func (ex *exchange) faultKind() string {
	if ex.fault == nil {
		return ""
	}
	return ex.fault.Kind
}

// noTerminal reports whether the answer must leave out its terminal marker.
func (ex *exchange) noTerminal() bool { return ex.faultKind() == KindNoTerminal }

var garbageBody = []byte("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n" +
	"<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")

// commit waits the configured latency, then sends the response headers.
// It returns false if the client went away first.
func (ex *exchange) commit(status int, contentType string) bool {
	d := ex.s.opts.Latency
	if k := ex.faultKind(); k == KindLatency || k == KindSlowFirstByte {
		d += time.Duration(ex.fault.Delay)
	}
	if !sleep(ex.r.Context(), d) {
		return false
	}
	if contentType != "" {
		ex.w.Header().Set("Content-Type", contentType)
	}
	ex.w.WriteHeader(status)
	ex.committed = true
	ex.s.log.update(ex.rec, func(r *Record) { r.Status = status })
	return true
}

// send writes a complete response with a Content-Length.
func (ex *exchange) send(status int, contentType string, body []byte) {
	ex.w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if !ex.commit(status, contentType) {
		return
	}
	_, _ = ex.w.Write(body)
}

// fail answers an error body in the provider's shape.
func (ex *exchange) fail(status int, body []byte) {
	ex.send(status, "application/json", body)
}

// write sends b and flushes it. It returns false once the client is gone.
func (ex *exchange) write(b []byte) bool {
	if _, err := ex.w.Write(b); err != nil {
		return false
	}
	return ex.rc.Flush() == nil && ex.r.Context().Err() == nil
}

// sendJSON answers a successful non-streaming request with body, or with the
// closest equivalent of the applied stream fault.
func (ex *exchange) sendJSON(body []byte) {
	const ct = "application/json"
	switch ex.faultKind() {
	case KindEmptyStream:
		ex.send(http.StatusOK, ct, nil)
	case KindHeartbeatOnly:
		if ex.commit(http.StatusOK, ct) {
			ex.heartbeats([]byte("\n"))
		}
	case KindCutAfter, KindStall:
		ex.w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		if !ex.commit(http.StatusOK, ct) || !ex.write(body[:len(body)/2]) {
			return
		}
		if ex.faultKind() == KindStall {
			ex.waitGone(time.Duration(ex.fault.Delay))
		}
		ex.abort(false)
	case KindMalformedSSE:
		ex.send(http.StatusOK, ct, append(body[:len(body)-1:len(body)-1], `,"broken":}`...))
	default:
		ex.send(http.StatusOK, ct, body)
	}
}

// heartbeats sends hb for the fault's Delay, or three times when it is 0.
func (ex *exchange) heartbeats(hb []byte) {
	d := time.Duration(ex.fault.Delay)
	if d <= 0 {
		for range 3 {
			if !ex.write(hb) || !sleep(ex.r.Context(), 50*time.Millisecond) {
				return
			}
		}
		return
	}
	step := min(max(d/5, 10*time.Millisecond), time.Second)
	for d > 0 {
		if !ex.write(hb) {
			return
		}
		wait := min(step, d)
		if !sleep(ex.r.Context(), wait) {
			return
		}
		d -= wait
	}
}

// waitGone blocks for d (forever when d is 0) or until the client goes away
// or the Server is closed.
func (ex *exchange) waitGone(d time.Duration) {
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-ex.r.Context().Done():
	case <-ex.s.closed:
	case <-timeout:
	}
}

// abort drops the connection without finishing the response: whatever was
// written is flushed, then the TCP connection is closed (with an RST when rst
// is set, otherwise a plain FIN). The client sees an unexpected EOF or a
// reset. Where the connection cannot be hijacked (HTTP/2), the handler
// aborts with http.ErrAbortHandler, which resets the stream.
func (ex *exchange) abort(rst bool) {
	if ex.committed {
		_ = ex.rc.Flush()
	}
	conn, _, err := ex.rc.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok && rst {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// sleep waits d or until ctx is done; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
