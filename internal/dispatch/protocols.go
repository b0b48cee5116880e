package dispatch

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/sse"
	"github.com/switchyard-gw/switchyard/internal/upstream"
)

// Wire is what the loop reads and writes of one protocol's upstream
// traffic: on the fast path the client's own protocol, translated the
// provider's. Each protocol package implements it; the loop names none.
type Wire interface {
	// RewriteModel returns body with its model replaced, every other byte
	// kept (a protocol whose model is in the URL returns body).
	RewriteModel(body []byte, model string) ([]byte, error)
	// Classify says what one upstream stream event means, and whether it
	// carries a finish for a protocol whose streams end at EOF.
	Classify(ev sse.Event) (kind sse.Kind, finished bool)
	// CleanEOF reports whether EOF is a proper end of a stream, given
	// whether a finish was seen.
	CleanEOF(finished bool) bool
	// ScanAnswer learns usage, model and finish reasons from a JSON answer
	// or one stream event.
	ScanAnswer(data []byte, a *llm.Answer)
	// Signing says how the protocol signs reasoning.
	Signing() llm.Signing
	// RepairSignatures strips what a signature error complains about from
	// a request body; ok is false when there was nothing to strip.
	RepairSignatures(body []byte) ([]byte, bool)
	// DropForeignSignatures keeps signatures another provider made (tagged,
	// see llm.TagSignature) out of a request body in this protocol.
	DropForeignSignatures(body []byte) []byte
}

// Client is the side of a protocol that clients speak.
type Client interface {
	Wire
	// DecodeRequest reads a request into the canonical model (translation).
	DecodeRequest(body []byte) (*llm.Request, *llm.Error)
	// NewStreamEncoder writes canonical events as the client's events.
	NewStreamEncoder(o llm.EncodeOptions) llm.StreamEncoder
	// NewCollector rebuilds one JSON answer from the client's stream events.
	NewCollector() llm.Collector
	// CountAnswer renders a token count; ok is false when the protocol has
	// no token count operation.
	CountAnswer(n int64) (body []byte, ok bool)
	// ErrorBody is the protocol's error envelope; StreamError the same error
	// as an event inside a committed stream.
	ErrorBody(e *llm.Error) []byte
	StreamError(e *llm.Error) []byte
	// KeepAlive is the protocol's heartbeat event; nil when its clients
	// break on one.
	KeepAlive() []byte
	// OverloadedStatus is the status a client of the protocol expects when
	// the upstream is overloaded (some protocols have their own).
	OverloadedStatus() int
}

// Provider is the side of a protocol that accounts speak when the gateway
// translates a client's request to it.
type Provider interface {
	Wire
	// EncodeRequest renders a canonical request for model; caps overrides
	// the model family's capability table for an account.
	EncodeRequest(r *llm.Request, model string, caps map[string]bool) ([]byte, error)
	// NewStreamDecoder reads the provider's stream into canonical events;
	// newID mints ids the provider's stream does not carry.
	NewStreamDecoder(newID func() string) llm.StreamDecoder
	// CountsTokens reports whether the provider has a token count
	// operation; EncodeCountRequest and ParseCountResponse serve it.
	CountsTokens() bool
	EncodeCountRequest(r *llm.Request, model string) ([]byte, error)
	ParseCountResponse(body []byte) (int64, error)
}

// Protocols is the set of wire protocols the gateway speaks, registered once
// by the composition root.
type Protocols struct {
	clients   map[clientKey]Client
	providers map[llm.Protocol]Provider
}

type clientKey struct {
	p  llm.Protocol
	op upstream.Op
}

// NewProtocols returns an empty set.
func NewProtocols() *Protocols {
	return &Protocols{clients: map[clientKey]Client{}, providers: map[llm.Protocol]Provider{}}
}

// Add registers a protocol that clients and accounts both speak.
func (ps *Protocols) Add(p llm.Protocol, both interface {
	Client
	Provider
}) {
	ps.AddClient(p, "", both)
	ps.AddProvider(p, both)
}

// AddClient registers what clients of p speak; a non-empty op registers it
// for that operation only (an API that shares its provider with another).
func (ps *Protocols) AddClient(p llm.Protocol, op upstream.Op, c Client) {
	ps.clients[clientKey{p, op}] = c
}

// AddProvider registers what accounts of wire protocol p speak.
func (ps *Protocols) AddProvider(p llm.Protocol, pr Provider) { ps.providers[p] = pr }

// Client returns the client side for a request of protocol p and operation
// op; ok is false for a protocol nobody registered.
func (ps *Protocols) Client(p llm.Protocol, op upstream.Op) (Client, bool) {
	if c, ok := ps.clients[clientKey{p, op}]; ok {
		return c, true
	}
	c, ok := ps.clients[clientKey{p, ""}]
	return c, ok
}

// Provider returns the provider side of wire protocol p.
func (ps *Protocols) Provider(p llm.Protocol) (Provider, bool) {
	pr, ok := ps.providers[p]
	return pr, ok
}

// canCount reports whether accounts of provider can answer a token count
// for clients of client: in their own protocol, or translated.
func (ps *Protocols) canCount(client llm.Protocol, provider llm.Protocol) bool {
	if provider == client {
		return true
	}
	pr, ok := ps.Provider(provider)
	return ok && pr.CountsTokens()
}

// WriteError is the one place that turns an error into a client response, in
// the client protocol's envelope, before anything else was written.
func (ps *Protocols) WriteError(w http.ResponseWriter, p llm.Protocol, e *llm.Error) {
	var env envelope = plainEnvelope{}
	if c, ok := ps.Client(p, ""); ok {
		env = c
	}
	writeError(w, env, e)
}

// envelope renders an error in a protocol's envelope.
type envelope interface{ ErrorBody(e *llm.Error) []byte }

// plainEnvelope is the envelope for a protocol nobody registered.
type plainEnvelope struct{}

func (plainEnvelope) ErrorBody(e *llm.Error) []byte {
	b, _ := json.Marshal(map[string]map[string]any{"error": {"message": e.Message, "status": e.Status}})
	return b
}

func writeError(w http.ResponseWriter, c envelope, e *llm.Error) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Del("Content-Length")
	if e.RetryAfter > 0 {
		secs := int64((e.RetryAfter + 999_999_999) / 1_000_000_000)
		h.Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	if e.Terminal {
		h.Set("x-should-retry", "false")
	}
	for k, v := range e.Headers {
		h.Set(k, v)
	}
	w.WriteHeader(e.Status)
	_, _ = w.Write(c.ErrorBody(e))
}
