package openai

import (
	"errors"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/sse"
)

// Protocol is the Chat Completions API as a client protocol and as a
// provider: the one value the composition root registers with dispatch.
type Protocol struct{}

// New returns the protocol.
func New() Protocol { return Protocol{} }

// RewriteModel implements dispatch.Wire.
func (Protocol) RewriteModel(body []byte, model string) ([]byte, error) {
	return RewriteModel(body, model)
}

// Classify implements dispatch.Wire.
func (Protocol) Classify(ev sse.Event) (sse.Kind, bool) { return Classify(ev) }

// CleanEOF implements dispatch.Wire: a stream ends with [DONE].
func (Protocol) CleanEOF(bool) bool { return false }

// ScanAnswer implements dispatch.Wire.
func (Protocol) ScanAnswer(data []byte, a *llm.Answer) { ScanAnswer(data, a) }

// Signing implements dispatch.Wire: chat carries no reasoning signatures.
func (Protocol) Signing() llm.Signing { return llm.SigningNone }

// RepairSignatures implements dispatch.Wire: nothing to repair.
func (Protocol) RepairSignatures(body []byte) ([]byte, bool) { return body, false }

// DropForeignSignatures implements dispatch.Wire.
func (Protocol) DropForeignSignatures(body []byte) []byte { return DropForeignSignatures(body) }

// DecodeRequest implements dispatch.Client.
func (Protocol) DecodeRequest(body []byte) (*llm.Request, *llm.Error) { return DecodeRequest(body) }

// NewStreamEncoder implements dispatch.Client.
func (Protocol) NewStreamEncoder(o llm.EncodeOptions) llm.StreamEncoder { return NewStreamEncoder(o) }

// NewCollector implements dispatch.Client.
func (Protocol) NewCollector() llm.Collector { return &Collector{} }

// CountAnswer implements dispatch.Client: chat has no token count route.
func (Protocol) CountAnswer(int64) ([]byte, bool) { return nil, false }

// ErrorBody implements dispatch.Client.
func (Protocol) ErrorBody(e *llm.Error) []byte { return ErrorBody(e) }

// StreamError implements dispatch.Client.
func (Protocol) StreamError(e *llm.Error) []byte { return StreamError(e) }

// KeepAlive implements dispatch.Client: an SSE comment.
func (Protocol) KeepAlive() []byte { return KeepAlive() }

// OverloadedStatus implements dispatch.Client.
func (Protocol) OverloadedStatus() int { return 503 }

// EncodeRequest implements dispatch.Provider.
func (Protocol) EncodeRequest(r *llm.Request, model string, caps map[string]bool) ([]byte, error) {
	return EncodeRequestFor(r, model, caps)
}

// NewStreamDecoder implements dispatch.Provider.
// The protocol's streams carry their own ids: newID is not used.
func (Protocol) NewStreamDecoder(func() string) llm.StreamDecoder { return NewStreamDecoder() }

// errNoCount: OpenAI has no token count endpoint.
var errNoCount = errors.New("openai accounts cannot count tokens")

// CountsTokens implements dispatch.Provider: chat has no count operation.
func (Protocol) CountsTokens() bool { return false }

// EncodeCountRequest implements dispatch.Provider: OpenAI cannot count.
func (Protocol) EncodeCountRequest(*llm.Request, string) ([]byte, error) { return nil, errNoCount }

// ParseCountResponse implements dispatch.Provider.
func (Protocol) ParseCountResponse([]byte) (int64, error) { return 0, errNoCount }
