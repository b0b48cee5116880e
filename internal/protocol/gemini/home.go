package gemini

import (
	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/sse"
)

// Protocol is the generateContent API (and Code Assist's wrapping of it) as
// a client protocol and as a provider: the one value the composition root
// registers with dispatch.
type Protocol struct{}

// New returns the protocol.
func New() Protocol { return Protocol{} }

// RewriteModel implements dispatch.Wire: the model is in the URL path, so
// the body is kept as it is.
func (Protocol) RewriteModel(body []byte, _ string) ([]byte, error) { return body, nil }

// Classify implements dispatch.Wire.
func (Protocol) Classify(ev sse.Event) (sse.Kind, bool) { return Classify(ev) }

// CleanEOF implements dispatch.Wire.
func (Protocol) CleanEOF(finished bool) bool { return CleanEOF(finished) }

// ScanAnswer implements dispatch.Wire.
func (Protocol) ScanAnswer(data []byte, a *llm.Answer) { ScanAnswer(data, a) }

// Signing implements dispatch.Wire: a thoughtSignature rides on any part.
func (Protocol) Signing() llm.Signing { return llm.SigningParts }

// RepairSignatures implements dispatch.Wire.
func (Protocol) RepairSignatures(body []byte) ([]byte, bool) { return RepairSignatures(body) }

// DropForeignSignatures implements dispatch.Wire.
func (Protocol) DropForeignSignatures(body []byte) []byte { return DropForeignSignatures(body) }

// DecodeRequest implements dispatch.Client.
func (Protocol) DecodeRequest(body []byte) (*llm.Request, *llm.Error) { return DecodeRequest(body) }

// NewStreamEncoder implements dispatch.Client.
func (Protocol) NewStreamEncoder(o llm.EncodeOptions) llm.StreamEncoder { return NewStreamEncoder(o) }

// NewCollector implements dispatch.Client.
func (Protocol) NewCollector() llm.Collector { return &Collector{} }

// CountAnswer implements dispatch.Client.
func (Protocol) CountAnswer(n int64) ([]byte, bool) { return CountResponse(n), true }

// ErrorBody implements dispatch.Client.
func (Protocol) ErrorBody(e *llm.Error) []byte { return ErrorBody(e) }

// StreamError implements dispatch.Client.
func (Protocol) StreamError(e *llm.Error) []byte { return StreamError(e) }

// KeepAlive implements dispatch.Client: Gemini clients take no heartbeat.
func (Protocol) KeepAlive() []byte { return nil }

// OverloadedStatus implements dispatch.Client: UNAVAILABLE.
func (Protocol) OverloadedStatus() int { return 503 }

// EncodeRequest implements dispatch.Provider.
func (Protocol) EncodeRequest(r *llm.Request, model string, caps map[string]bool) ([]byte, error) {
	return EncodeRequestFor(r, model, caps)
}

// NewStreamDecoder implements dispatch.Provider.
func (Protocol) NewStreamDecoder(newID func() string) llm.StreamDecoder {
	return NewStreamDecoder(newID)
}

// CountsTokens implements dispatch.Provider.
func (Protocol) CountsTokens() bool { return true }

// EncodeCountRequest implements dispatch.Provider.
func (Protocol) EncodeCountRequest(r *llm.Request, model string) ([]byte, error) {
	return EncodeCountRequest(r, model)
}

// ParseCountResponse implements dispatch.Provider.
func (Protocol) ParseCountResponse(body []byte) (int64, error) { return ParseCountResponse(body) }
