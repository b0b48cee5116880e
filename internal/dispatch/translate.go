package dispatch

import (
	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol/anthropic"
	"github.com/switchyard-gw/switchyard/internal/protocol/gemini"
	"github.com/switchyard-gw/switchyard/internal/protocol/openai"
	"github.com/switchyard-gw/switchyard/internal/protocol/responses"
	"github.com/switchyard-gw/switchyard/internal/signature"
	"github.com/switchyard-gw/switchyard/internal/sse"
	"github.com/switchyard-gw/switchyard/internal/upstream"
)

// When the client's protocol differs from the account's provider, the request
// goes through the canonical model of package llm: the client's converter
// decodes it once, the provider's converter encodes it (once per provider),
// and every upstream stream event is decoded into canonical events and
// re-encoded in the client's protocol. Upstream calls always stream then; a
// non-streaming client gets the client protocol's collector over the
// re-encoded events, exactly as on the fast path.

// eventEncoder writes canonical events as client events.
type eventEncoder interface {
	Encode(ev llm.Event, emit func(name string, data []byte))
}

// eventDecoder reads provider events into canonical events.
type eventDecoder interface {
	Decode(name string, data []byte, out []llm.Event) ([]llm.Event, error)
}

// clientCodec is the client side of a protocol's converters.
type clientCodec struct {
	decode     func(body []byte) (*llm.Request, *llm.Error)
	newEncoder func(o llm.EncodeOptions) eventEncoder
	// countAnswer renders a token count; nil when the protocol cannot ask.
	countAnswer func(n int64) []byte
}

// providerCodec is the provider side of a protocol's converters.
type providerCodec struct {
	// encode renders the request for model; caps overrides the capability
	// table (protocol.CapabilitiesFor) for the account.
	encode     func(r *llm.Request, model string, caps map[string]bool) ([]byte, error)
	newDecoder func() eventDecoder
	// encodeCount and parseCount are nil when the provider cannot count.
	encodeCount func(r *llm.Request, model string) ([]byte, error)
	parseCount  func(body []byte) (int64, error)
}

func clientCodecFor(p llm.Protocol, op upstream.Op) clientCodec {
	switch {
	case p == llm.Anthropic:
		return clientCodec{decode: anthropic.DecodeRequest, countAnswer: anthropic.CountResponse,
			newEncoder: func(o llm.EncodeOptions) eventEncoder { return anthropic.NewStreamEncoder(o) }}
	case p == llm.Gemini:
		return clientCodec{decode: gemini.DecodeRequest, countAnswer: gemini.CountResponse,
			newEncoder: func(o llm.EncodeOptions) eventEncoder { return gemini.NewStreamEncoder(o) }}
	case op == upstream.OpResponses:
		return clientCodec{decode: responses.DecodeRequest,
			newEncoder: func(o llm.EncodeOptions) eventEncoder { return responses.NewStreamEncoder(o) }}
	}
	return clientCodec{decode: openai.DecodeRequest,
		newEncoder: func(o llm.EncodeOptions) eventEncoder { return openai.NewStreamEncoder(o) }}
}

func providerCodecFor(p llm.Protocol) providerCodec {
	switch p {
	case llm.Anthropic:
		return providerCodec{encode: anthropic.EncodeRequestFor,
			newDecoder:  func() eventDecoder { return anthropic.NewStreamDecoder() },
			encodeCount: anthropic.EncodeCountRequest, parseCount: anthropic.ParseCountResponse}
	case llm.Gemini:
		return providerCodec{encode: gemini.EncodeRequestFor,
			newDecoder:  func() eventDecoder { return gemini.NewStreamDecoder() },
			encodeCount: gemini.EncodeCountRequest, parseCount: gemini.ParseCountResponse}
	}
	return providerCodec{encode: openai.EncodeRequestFor,
		newDecoder: func() eventDecoder { return openai.NewStreamDecoder() }}
}

// sameProtocol reports whether a client request can be forwarded to the
// account as it is (only the model rewritten).
func sameProtocol(req *Request, a *account.Account) bool {
	return llm.Protocol(a.Provider.Wire()) == req.Protocol
}

// canCount reports whether an account can answer a token count for a client.
func canCount(client llm.Protocol, provider account.Provider) bool {
	p := llm.Protocol(provider.Wire())
	return p == client || providerCodecFor(p).encodeCount != nil
}

// conveyor turns one upstream event into the client's events: unchanged on
// the fast path, through the canonical events otherwise.
type conveyor struct {
	dec    eventDecoder // nil: same protocol
	enc    eventEncoder
	evs    []llm.Event
	sigs   *sigRecorder // nil: nothing to record
	family string       // provider: signatures shown to the client carry its tag
	// markUnsigned gives a thinking block the provider did not sign the
	// family's bare tag as its signature (Anthropic clients).
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
				c.enc.Encode(llm.Event{Type: llm.EvSignature, Index: ev.Index, Text: signature.Tag(c.family, "")}, emit)
			}
			c.thinking = -1
		case ev.Type == llm.EvSignature:
			if ev.Index == c.thinking {
				c.signed = true
			}
			ev.Text = signature.Tag(c.family, ev.Text)
		case ev.Type == llm.EvBlockStart && ev.Block != nil && ev.Block.Signature != "":
			b := *ev.Block
			b.Signature = signature.Tag(c.family, b.Signature)
			ev.Block = &b
		}
		c.enc.Encode(*ev, emit)
	}
	return err
}
