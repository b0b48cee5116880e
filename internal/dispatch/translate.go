package dispatch

import (
	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/sse"
)

// conveyor turns one upstream event into the client's events: unchanged on
// the fast path, through the canonical events otherwise.
type conveyor struct {
	dec    llm.StreamDecoder // nil: same protocol
	enc    llm.StreamEncoder
	evs    []llm.Event
	sigs   *sigRecorder // nil: nothing to record
	family string       // provider: signatures shown to the client carry its tag
	// markUnsigned gives a thinking block the provider did not sign the
	// family's bare tag as its signature (clients whose protocol signs
	// thinking text need a signature on every thinking block).
	markUnsigned bool
	thinking     int  // index of the open thinking block, -1 none
	signed       bool // the open thinking block got a signature
}

func (c *conveyor) convey(ev sse.Event, emit func(name string, data []byte)) error {
	if c.dec == nil {
		emit(ev.Name, ev.Data)
		return nil
	}
	evs, err := c.dec.Decode(ev.Name, ev.Data, c.evs[:0])
	c.evs = evs
	for i := range evs {
		ev := &evs[i]
		c.sigs.see(ev)
		switch {
		case ev.Type == llm.EvBlockStart && ev.Block != nil && ev.Block.Type == llm.PartThinking:
			c.thinking, c.signed = ev.Index, false
		case ev.Type == llm.EvBlockStop && ev.Index == c.thinking:
			if c.markUnsigned && !c.signed {
				c.enc.Encode(llm.Event{Type: llm.EvSignature, Index: ev.Index, Text: llm.TagSignature(c.family, "")}, emit)
			}
			c.thinking = -1
		case ev.Type == llm.EvSignature:
			if ev.Index == c.thinking {
				c.signed = true
			}
			ev.Text = llm.TagSignature(c.family, ev.Text)
		case ev.Type == llm.EvBlockStart && ev.Block != nil && ev.Block.Signature != "":
			b := *ev.Block
			b.Signature = llm.TagSignature(c.family, b.Signature)
			ev.Block = &b
		}
		c.enc.Encode(*ev, emit)
	}
	return err
}
