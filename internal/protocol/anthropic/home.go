package anthropic

import (
	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/sse"
)

// Protocol is the Messages API as a client protocol and as a provider: the
// one value the composition root registers with dispatch.
type Protocol struct{}

// New returns the protocol.
func New() Protocol { return Protocol{} }

// RewriteModel implements dispatch.Wire.
func (Protocol) RewriteModel(body []byte, model string) ([]byte, error) {
	return RewriteModel(body, model)
}

// Classify implements dispatch.Wire.
func (Protocol) Classify(ev sse.Event) (sse.Kind, bool) { return Classify(ev) }

// CleanEOF implements dispatch.Wire: a stream ends with message_stop.
func (Protocol) CleanEOF(bool) bool { return false }

// ScanAnswer implements dispatch.Wire.
func (Protocol) ScanAnswer(data []byte, a *llm.Answer) { ScanAnswer(data, a) }

// Signing implements dispatch.Wire: signatures belong to thinking text.
func (Protocol) Signing() llm.Signing { return llm.SigningThinking }

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

// KeepAlive implements dispatch.Client: the ping event.
func (Protocol) KeepAlive() []byte { return KeepAlive() }

// OverloadedStatus implements dispatch.Client: 529 overloaded_error.
func (Protocol) OverloadedStatus() int { return 529 }

// EncodeRequest implements dispatch.Provider.
func (Protocol) EncodeRequest(r *llm.Request, model string, caps map[string]bool) ([]byte, error) {
	return EncodeRequestFor(r, model, caps)
}

// NewStreamDecoder implements dispatch.Provider.
// The protocol's streams carry their own ids: newID is not used.
func (Protocol) NewStreamDecoder(func() string) llm.StreamDecoder { return NewStreamDecoder() }

// CountsTokens implements dispatch.Provider.
func (Protocol) CountsTokens() bool { return true }

// EncodeCountRequest implements dispatch.Provider.
func (Protocol) EncodeCountRequest(r *llm.Request, model string) ([]byte, error) {
	return EncodeCountRequest(r, model)
}

// ParseCountResponse implements dispatch.Provider.
func (Protocol) ParseCountResponse(body []byte) (int64, error) { return ParseCountResponse(body) }
