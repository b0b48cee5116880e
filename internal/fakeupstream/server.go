package fakeupstream

import (
	"net/http"
	"sync"
	"time"
)

// Provider names, as they appear in Record.Provider and Fault.Provider.
const (
	ProviderOpenAI    = "openai"
	ProviderAnthropic = "anthropic"
	ProviderGemini    = "gemini"
)

// Options tune the timing of every answer. The zero value answers at once.
type Options struct {
	// Latency is added before the response headers of every provider request
	// (not of the /_control/ API).
	Latency time.Duration
	// ChunkDelay is the pause between two SSE events. When it is 1s or more,
	// Anthropic streams send ping events and OpenAI streams send ": keep-alive"
	// comments inside the pauses; Gemini streams stay silent, as the real API does.
	ChunkDelay time.Duration
	// Strict refuses, with the real providers' statuses and error bodies,
	// what the real APIs refuse: parameters a model family does not take,
	// tool calls and results that do not pair up, thinking that does not
	// round-trip (see strict.go).
	Strict bool
}

// Server simulates the three providers. It is safe for concurrent use and
// implements http.Handler. Create it with New.
type Server struct {
	opts   Options
	mux    *http.ServeMux
	log    *recordLog
	faults faultList
	limits *rateLimits
	issued *issuedSignatures
	ca     *codeAssistState // codeassist.go, google.go

	closeOnce sync.Once
	closed    chan struct{}
}

var _ http.Handler = (*Server)(nil)

// New returns a Server with no recorded requests and no faults.
func New(opts Options) *Server {
	s := &Server{
		opts:   opts,
		mux:    http.NewServeMux(),
		log:    newRecordLog(maxRecords, maxRecordedBytes),
		limits: newRateLimits(),
		issued: newIssuedSignatures(),
		ca:     newCodeAssistState(),
		closed: make(chan struct{}),
	}
	s.routes()
	return s
}

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("POST /v1/chat/completions", s.handleChatCompletions)
	m.HandleFunc("POST /v1/responses", s.handleResponses)
	m.HandleFunc("GET /v1/models", s.handleModels)
	m.HandleFunc("POST /v1/messages", s.handleMessages)
	m.HandleFunc("POST /v1/messages/count_tokens", s.handleCountTokens)
	m.HandleFunc("GET /v1beta/models", s.handleGeminiModels)
	m.HandleFunc("GET /v1beta/models/{model}", s.handleGeminiModel)
	m.HandleFunc("POST /v1beta/models/{target}", s.handleGemini)
	m.HandleFunc("POST /v1/models/{target}", s.handleGemini)
	s.codeAssistRoutes(m)

	m.HandleFunc("GET /_control/healthz", s.handleHealthz)
	m.HandleFunc("GET /_control/requests", s.handleListRequests)
	m.HandleFunc("DELETE /_control/requests", s.handleResetRequests)
	m.HandleFunc("POST /_control/faults", s.handleAddFaults)
	m.HandleFunc("DELETE /_control/faults", s.handleClearFaults)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Requests returns a copy of every recorded provider request, oldest first.
// At most 10,000 records are kept (fewer when their bodies exceed 256 MiB in
// total); older ones are dropped. Each body is cut at 1 MiB.
func (s *Server) Requests() []Record {
	return s.log.snapshot()
}

// ResetRequests forgets every recorded request.
func (s *Server) ResetRequests() {
	s.log.reset()
}

// AddFault appends a scripted fault. Faults are tried in the order they were
// added and the first one that matches a request is applied to it.
// AddFault panics if f is invalid (unknown kind or reason, bad retry_after);
// the HTTP control API reports the same problems as a 400.
func (s *Server) AddFault(f Fault) {
	if err := f.validate(); err != nil {
		panic("fakeupstream: AddFault: " + err.Error())
	}
	s.faults.add(f)
}

// ClearFaults removes every scripted fault.
func (s *Server) ClearFaults() {
	s.faults.clear()
}

// Close releases the requests held by the hang and stall faults, which then
// drop their connections, so that an http.Server.Shutdown can finish. Later
// hang and stall faults drop the connection at once. Other requests are
// served as before. Close is idempotent.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
}
