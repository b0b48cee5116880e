package responses

import (
	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol/openai"
	"github.com/switchyard-gw/switchyard/internal/sse"
)

// Protocol is OpenAI's Responses API as a client protocol (its accounts are
// OpenAI's, so it is never a translation target): the one value the
// composition root registers with dispatch for the responses operation.
type Protocol struct{}

// New returns the protocol.
func New() Protocol { return Protocol{} }

// RewriteModel implements dispatch.Wire.
func (Protocol) RewriteModel(body []byte, model string) ([]byte, error) {
	return openai.RewriteModel(body, model)
}

// Classify implements dispatch.Wire.
func (Protocol) Classify(ev sse.Event) (sse.Kind, bool) { return Classify(ev) }

// CleanEOF implements dispatch.Wire: a stream ends with a terminal event.
func (Protocol) CleanEOF(bool) bool { return false }

// ScanAnswer implements dispatch.Wire.
func (Protocol) ScanAnswer(data []byte, a *llm.Answer) { openai.ScanAnswer(data, a) }

// Signing implements dispatch.Wire: reasoning items are OpenAI's own and
// never carried to another provider.
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

// CountAnswer implements dispatch.Client: no token count route.
func (Protocol) CountAnswer(int64) ([]byte, bool) { return nil, false }

// ErrorBody implements dispatch.Client.
func (Protocol) ErrorBody(e *llm.Error) []byte { return ErrorBody(e) }

// StreamError implements dispatch.Client.
func (Protocol) StreamError(e *llm.Error) []byte { return StreamError(e) }

// KeepAlive implements dispatch.Client: an SSE comment.
func (Protocol) KeepAlive() []byte { return KeepAlive() }

// OverloadedStatus implements dispatch.Client.
func (Protocol) OverloadedStatus() int { return 503 }
