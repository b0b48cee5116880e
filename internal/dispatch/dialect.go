package dispatch

import (
	"net/http"
	"strconv"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol/anthropic"
	"github.com/switchyard-gw/switchyard/internal/protocol/gemini"
	"github.com/switchyard-gw/switchyard/internal/protocol/openai"
	"github.com/switchyard-gw/switchyard/internal/protocol/responses"
	"github.com/switchyard-gw/switchyard/internal/sse"
	"github.com/switchyard-gw/switchyard/internal/upstream"
)

// dialect is what the loop needs to know about one wire protocol.
type dialect struct {
	errorBody   func(*llm.Error) []byte
	streamError func(*llm.Error) []byte
	keepAlive   []byte // nil: the protocol's clients break on heartbeats
	classify    func(sse.Event) sse.Kind
	rewrite     func(body []byte, model string) ([]byte, error)
	// cleanEOF reports whether EOF after the events seen is a proper end.
	cleanEOF func(sawFinish bool) bool
	// scan learns usage, model and finish reasons from an answer or event.
	scan func(data []byte, a *llm.Answer)
	// newCollector rebuilds the JSON answer from the events of a translated
	// call (which always streams) for a non-streaming client.
	newCollector func() collector
}

// collector rebuilds one JSON answer from stream events.
type collector interface {
	Add(data []byte)
	JSON() ([]byte, error)
}

func keepBody(body []byte, _ string) ([]byte, error) { return body, nil }

func dialectFor(p llm.Protocol) dialect {
	switch p {
	case llm.Anthropic:
		return dialect{
			errorBody: anthropic.ErrorBody, streamError: anthropic.StreamError, keepAlive: anthropic.KeepAlive(),
			classify: sse.ClassifyAnthropic, rewrite: anthropic.RewriteModel, scan: anthropic.ScanAnswer,
			newCollector: func() collector { return &anthropic.Collector{} },
			cleanEOF:     func(bool) bool { return false },
		}
	case llm.Gemini:
		return dialect{
			errorBody: gemini.ErrorBody, streamError: gemini.StreamError,
			classify: sse.ClassifyGemini, rewrite: keepBody, scan: gemini.ScanAnswer,
			newCollector: func() collector { return &gemini.Collector{} },
			cleanEOF:     func(sawFinish bool) bool { return sawFinish },
		}
	}
	return dialect{
		errorBody: openai.ErrorBody, streamError: openai.StreamError, keepAlive: openai.KeepAlive(),
		classify: sse.ClassifyOpenAI, rewrite: openai.RewriteModel, scan: openai.ScanAnswer,
		newCollector: func() collector { return &openai.Collector{} },
		cleanEOF:     func(bool) bool { return false },
	}
}

// clientDialect is the dialect a client speaks: its protocol's, except that
// OpenAI's Responses API has its own events.
func clientDialect(p llm.Protocol, op upstream.Op) dialect {
	if p == llm.OpenAI && op == upstream.OpResponses {
		return dialect{
			errorBody: responses.ErrorBody, streamError: responses.StreamError, keepAlive: responses.KeepAlive(),
			classify: sse.ClassifyResponses, rewrite: openai.RewriteModel, scan: openai.ScanAnswer,
			newCollector: func() collector { return &responses.Collector{} },
			cleanEOF:     func(bool) bool { return false },
		}
	}
	return dialectFor(p)
}

// WriteError is the one place that turns an error into a client response, in
// the client protocol's envelope, before anything else was written.
func WriteError(w http.ResponseWriter, p llm.Protocol, e *llm.Error) {
	writeError(w, dialectFor(p), e)
}

func writeError(w http.ResponseWriter, dl dialect, e *llm.Error) {
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
	_, _ = w.Write(dl.errorBody(e))
}
