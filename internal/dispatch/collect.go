package dispatch

import (
	"fmt"
	"net/http"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/sse"
)

// collect reads a peeked stream to its end and turns it into the protocol's
// JSON answer for a non-streaming client. Nothing has been written to the
// client yet, so a stream that breaks here is just another failed attempt.
func (d *Dispatcher) collect(at *attempt) {
	c := at.leg.cl.NewCollector()
	var size int64
	for _, data := range at.firstData {
		c.Add(data)
		size += int64(len(data))
	}
	at.firstData = nil
	if at.ended {
		at.events.drain()
		at.finishCollect(c)
		return
	}
	add := func(_ string, data []byte) {
		size += int64(len(data))
		c.Add(data)
	}
	limit := d.Policy.MaxResponseBytes
	if limit <= 0 {
		limit = 64 << 20
	}
	fail := func(k failKind, msg string) {
		at.obs.fail = k
		at.errMsg = fmt.Sprintf("upstream %s: %s", at.acct.Provider, msg)
	}
	s := at.events
	s.expect(d.Policy.IdleTimeout, true)
	for {
		st := s.next()
		switch st.end {
		case stepCanceled:
			fail(failTimeout, "request ended while collecting the answer")
			return
		case stepTimeout:
			fail(failTimeout, "stream went silent past the idle timeout")
			return
		case stepEnded:
			at.finishCollect(c)
			return
		case stepCut:
			fail(failPeek, "stream ended before its final event")
			return
		}
		switch st.kind {
		case sse.KindSkip:
			continue
		case sse.KindError:
			at.inBand(st.ev.Data, "error event in the stream")
			return
		}
		if err := at.leg.conv.convey(st.ev, add); err != nil {
			fail(failBadBody, "stream event not understood")
			return
		}
		if size > limit {
			fail(failBadBody, "answer exceeds the response size limit")
			return
		}
		if st.kind == sse.KindDone {
			s.drain()
			at.finishCollect(c)
			return
		}
	}
}

func (at *attempt) finishCollect(c llm.Collector) {
	body, err := c.JSON()
	if err != nil {
		at.obs.fail = failBadBody
		at.errMsg = fmt.Sprintf("upstream %s: could not assemble the answer", at.acct.Provider)
		return
	}
	at.body = body
	at.events.stop()
	at.events = nil
	at.obs.status = http.StatusOK
}
