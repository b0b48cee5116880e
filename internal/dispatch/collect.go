package dispatch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/switchyard-gw/switchyard/internal/retry"
	"github.com/switchyard-gw/switchyard/internal/sse"
)

// collect reads a peeked stream to its end and turns it into the protocol's
// JSON answer for a non-streaming client. Nothing has been written to the
// client yet, so a stream that breaks here is just another failed attempt.
func (d *Dispatcher) collect(ctx context.Context, tr *tryResult) {
	up := tr.leg.up
	c := tr.leg.cl.newCollector()
	var size int64
	for _, data := range tr.firstData {
		c.Add(data)
		size += int64(len(data))
	}
	tr.firstData = nil
	add := func(_ string, data []byte) {
		size += int64(len(data))
		c.Add(data)
	}
	limit := d.Policy.MaxResponseBytes
	if limit <= 0 {
		limit = 64 << 20
	}
	if tr.ended {
		tr.finishCollect(c)
		return
	}
	finished := tr.finished
	idle := time.NewTimer(d.Policy.IdleTimeout)
	defer idle.Stop()
	p := tr.stream
	fail := func(k failKind, msg string) {
		tr.obs.fail = k
		tr.errMsg = fmt.Sprintf("upstream %s: %s", tr.acct.Provider, msg)
	}
	for {
		select {
		case <-ctx.Done():
			fail(failTimeout, "request ended while collecting the answer")
			return
		case <-idle.C:
			fail(failTimeout, "stream went silent past the idle timeout")
			return
		case it := <-p.events:
			if it.err != nil {
				if errors.Is(it.err, io.EOF) && up.cleanEOF(finished) {
					tr.finishCollect(c)
					return
				}
				fail(failPeek, "stream ended before its final event")
				return
			}
			resetTimer(idle, d.Policy.IdleTimeout)
			kind := up.classify(it.ev)
			switch kind {
			case sse.KindSkip:
				p.next()
				continue
			case sse.KindError:
				tr.body = tr.scrub(append([]byte(nil), it.ev.Data...))
				tr.obs.status = inBandStatus(tr.body)
				tr.obs.hint = retry.ParseHint(tr.obs.status, http.Header{}, tr.body, time.Now())
				tr.errMsg = fmt.Sprintf("upstream %s: error event in the stream", tr.acct.Provider)
				p.next()
				return
			}
			if sse.GeminiFinished(it.ev) {
				finished = true
			}
			up.scan(it.ev.Data, &tr.answer)
			err := tr.leg.conv.convey(it.ev, add)
			p.next()
			if err != nil {
				fail(failBadBody, "stream event not understood")
				return
			}
			if size > limit {
				fail(failBadBody, "answer exceeds the response size limit")
				return
			}
			if kind == sse.KindDone {
				tr.finishCollect(c)
				return
			}
		}
	}
}

func (tr *tryResult) finishCollect(c collector) {
	body, err := c.JSON()
	if err != nil {
		tr.obs.fail = failBadBody
		tr.errMsg = fmt.Sprintf("upstream %s: could not assemble the answer", tr.acct.Provider)
		return
	}
	tr.body = body
	tr.stream.stop()
	tr.stream = nil
	tr.obs.status = http.StatusOK
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
