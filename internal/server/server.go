// Package server is the gin edge of the client API: request ids, client auth,
// body limits, protocol probing, and the routes of the three client protocols.
// Everything behind the edge sees context, bytes and dispatch.Request only.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/switchyard-gw/switchyard/internal/clientkey"
	"github.com/switchyard-gw/switchyard/internal/dispatch"
	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/schedule"
)

// Dispatcher serves a decoded request.
type Dispatcher interface {
	Serve(ctx context.Context, w http.ResponseWriter, req *dispatch.Request) dispatch.Result
}

// Models lists the models a client key may use (GET /v1/models, GET
// /v1beta/models): k is the calling key.
type Models interface {
	Models(k *clientkey.Key) []ModelInfo
}

// Health tells readiness.
type Health interface {
	Ready(ctx context.Context) (ok bool, detail map[string]any)
}

// Options configure the client API.
type Options struct {
	Keys         KeySource
	MaxBodyBytes int64
	Dispatch     Dispatcher
	Models       Models
	Health       Health
	Log          *slog.Logger
	// Observe is called once per served request (metrics, request log).
	Observe func(ctx context.Context, rec Record)
	// Middleware runs first on every request (tracing).
	Middleware []gin.HandlerFunc
	// CaptureBytes > 0 keeps that much of each request body in the Record
	// (operator-enabled body capture for the request log).
	CaptureBytes int
	// InFlight caps the requests served at once, in all and per client key.
	InFlight InFlightLimits
	// Errors writes an error in a client protocol's envelope.
	Errors ErrorWriter
}

// ErrorWriter writes an error response in a client protocol's envelope.
type ErrorWriter interface {
	WriteError(w http.ResponseWriter, p llm.Protocol, e *llm.Error)
}

func (s *Server) writeError(w http.ResponseWriter, p llm.Protocol, e *llm.Error) {
	s.opts.Errors.WriteError(w, p, e)
}

// Record describes one served client request for logs and the request log.
type Record struct {
	RequestID string
	Protocol  llm.Protocol
	Route     string
	Model     string
	Stream    bool
	// KeyName is the name of the client key that sent the request.
	KeyName  string
	Result   dispatch.Result
	Duration time.Duration
	// RequestBody is the start of the body, only when capture is on.
	RequestBody []byte
}

// Server is the client API handler.
type Server struct {
	opts     Options
	engine   *gin.Engine
	draining atomic.Bool
	inflight *inFlight
}

// New builds the client API.
func New(o Options) *Server {
	gin.SetMode(gin.ReleaseMode)
	s := &Server{opts: o, engine: gin.New(), inflight: &inFlight{limits: o.InFlight}}
	e := s.engine
	e.ContextWithFallback = true
	e.UseRawPath = true
	e.UnescapePathValues = false
	e.Use(o.Middleware...)
	e.Use(s.recoverer, s.requestID)
	e.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	e.GET("/readyz", s.readyz)
	e.HEAD("/", func(c *gin.Context) { c.Status(http.StatusOK) })
	e.GET("/", func(c *gin.Context) { c.String(http.StatusOK, "switchyard") })
	// Claude Code telemetry: never routed upstream.
	e.POST("/api/event_logging/batch", func(c *gin.Context) { c.Status(http.StatusOK) })

	oa := e.Group("", s.auth(llm.OpenAI), s.limit(llm.OpenAI))
	for _, p := range []string{"/v1/chat/completions", "/chat/completions"} {
		oa.POST(p, s.openAIChat)
	}
	for _, p := range []string{"/v1/responses", "/responses"} {
		oa.POST(p, s.openAIResponses)
	}
	e.GET("/v1/models", s.listModels)
	e.GET("/v1/models/:id", s.getModel)
	an := e.Group("", s.auth(llm.Anthropic), s.limit(llm.Anthropic))
	an.POST("/v1/messages", s.anthropicMessages)
	an.POST("/v1/messages/count_tokens", s.anthropicCount)
	ge := e.Group("", s.auth(llm.Gemini), s.limit(llm.Gemini))
	ge.POST("/v1beta/models/*action", s.gemini)
	ge.POST("/v1/models/*action", s.gemini)
	ge.GET("/v1beta/models", s.geminiModels)
	ge.GET("/v1beta/models/:model", s.geminiGetModel)
	e.NoRoute(func(c *gin.Context) {
		p := guessProtocol(c.Request)
		s.writeError(c.Writer, p, llm.Errorf(llm.KindNotFound, "no route for %s %s", clip(c.Request.Method, 16), clip(c.Request.URL.Path, 256)))
	})
	e.NoMethod(func(c *gin.Context) {
		s.writeError(c.Writer, guessProtocol(c.Request), llm.Errorf(llm.KindNotFound, "no route for %s %s", clip(c.Request.Method, 16), clip(c.Request.URL.Path, 256)))
	})
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }

// Drain makes readiness fail so load balancers stop sending new requests.
func (s *Server) Drain() { s.draining.Store(true) }

func (s *Server) readyz(c *gin.Context) {
	if s.draining.Load() {
		c.JSON(http.StatusServiceUnavailable, gin.H{"ready": false, "reason": "shutting down"})
		return
	}
	ok, detail := true, map[string]any{}
	if s.opts.Health != nil {
		ok, detail = s.opts.Health.Ready(c.Request.Context())
	}
	detail["ready"] = ok
	if !ok {
		c.JSON(http.StatusServiceUnavailable, detail)
		return
	}
	c.JSON(http.StatusOK, detail)
}

func (s *Server) requestID(c *gin.Context) {
	id := c.GetHeader("X-Request-Id")
	if id == "" || len(id) > 128 || strings.ContainsAny(id, "\r\n") {
		var b [4 + 24]byte
		var r [12]byte
		_, _ = rand.Read(r[:])
		copy(b[:], "req_")
		hex.Encode(b[4:], r[:])
		id = string(b[:])
	}
	c.Set("request_id", id)
	c.Header("X-Request-Id", id)
	c.Next()
}

func (s *Server) recoverer(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.opts.Log.Error("panic serving request", slog.Any("panic", v), slog.String("path", c.FullPath()))
			if !c.Writer.Written() {
				s.writeError(c.Writer, guessProtocol(c.Request), llm.Errorf(llm.KindServer, "internal error"))
			}
			c.Abort()
		}
	}()
	c.Next()
}

func (s *Server) auth(p llm.Protocol) gin.HandlerFunc {
	return func(c *gin.Context) {
		k, e := s.authenticate(c.Request)
		if e != nil {
			s.writeError(c.Writer, p, e)
			c.Abort()
			return
		}
		scope := "anonymous"
		if k.Source != clientkey.SourceEnv || k.Name != "anonymous" {
			scope = k.Scope()
		}
		c.Set("scope", scope)
		c.Set(ctxKeyIdentity, k)
		c.Next()
	}
}

// ctxKeyIdentity holds the *clientkey.Key of the request in the gin context.
const ctxKeyIdentity = "client_key"

// KeyOf returns the client key a request was authenticated with (nil before
// authentication).
func KeyOf(c *gin.Context) *clientkey.Key {
	k, _ := c.Value(ctxKeyIdentity).(*clientkey.Key)
	return k
}

// authenticate finds the request's client key: 401 for a missing or unknown
// key, 403 for a disabled one. Without keys every request is anonymous, and
// browsers are refused.
func (s *Server) authenticate(r *http.Request) (*clientkey.Key, *llm.Error) {
	set := s.opts.Keys.Current()
	if set.Open() {
		if e := browserGuard(r); e != nil {
			return nil, e
		}
	}
	k, ok := set.Lookup(presentedKey(r))
	if !ok {
		return nil, llm.Errorf(llm.KindAuthentication, "invalid or missing API key for this gateway")
	}
	if k.Disabled {
		return nil, llm.Errorf(llm.KindPermission, "client key %q is disabled", k.Name)
	}
	return k, nil
}

// readBody reads the whole body, refusing (413) beyond the limit without
// reading further, and checking the content type and the nesting depth.
func (s *Server) readBody(c *gin.Context, p llm.Protocol) ([]byte, bool) {
	r := c.Request
	ct := r.Header.Get("Content-Type")
	if (ct != "" || s.opts.Keys.Current().Open()) && !jsonMediaType(ct) {
		// Without client keys a JSON content type is required: browsers
		// send the other types cross-origin without asking first.
		s.writeError(c.Writer, p, llm.Errorf(llm.KindUnsupportedType, "content type %q is not supported; send application/json", trimCT(ct)))
		return nil, false
	}
	limit := s.opts.MaxBodyBytes
	if r.ContentLength > limit {
		c.Header("Connection", "close")
		s.writeError(c.Writer, p, llm.Errorf(llm.KindTooLarge, "request body of %d bytes exceeds the limit of %d bytes", r.ContentLength, limit))
		return nil, false
	}
	// A client that trickles its body must not hold a connection forever.
	rc := http.NewResponseController(c.Writer)
	_ = rc.SetReadDeadline(time.Now().Add(bodyReadTimeout))
	body, err := readAll(r.ContentLength, http.MaxBytesReader(c.Writer, r.Body, limit))
	_ = rc.SetReadDeadline(time.Time{})
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			c.Header("Connection", "close")
			s.writeError(c.Writer, p, llm.Errorf(llm.KindTooLarge, "request body exceeds the limit of %d bytes", limit))
			return nil, false
		}
		s.writeError(c.Writer, p, llm.Errorf(llm.KindInvalidRequest, "could not read the request body"))
		return nil, false
	}
	if len(body) == 0 {
		s.writeError(c.Writer, p, llm.Errorf(llm.KindInvalidRequest, "request body is empty"))
		return nil, false
	}
	// Nesting depth is checked once, by the route's probe, before any
	// recursive parser reads the body.
	return body, true
}

// readAll is io.ReadAll into a buffer sized by the declared length (the
// server has already refused one beyond the limit, and net/http never reads
// past it): a body of known length is read into one allocation instead of
// growing from 512 bytes by doubling.
func readAll(length int64, r io.Reader) ([]byte, error) {
	b := make([]byte, 0, max(length+1, 512))
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// maxLoggedError bounds the error text of a request in logs and the request log.
const maxLoggedError = 512

// bodyReadTimeout bounds reading one request body.
const bodyReadTimeout = 2 * time.Minute

func trimCT(ct string) string {
	if len(ct) > 64 {
		return ct[:64]
	}
	return ct
}

// guessProtocol picks the envelope for requests that matched no route.
func guessProtocol(r *http.Request) llm.Protocol {
	switch {
	case strings.HasPrefix(r.URL.Path, "/v1beta/"), r.Header.Get("x-goog-api-key") != "":
		return llm.Gemini
	case r.Header.Get("anthropic-version") != "", strings.HasPrefix(r.URL.Path, "/v1/messages"):
		return llm.Anthropic
	}
	return llm.OpenAI
}

// serve runs the dispatcher and records the request.
func (s *Server) serve(c *gin.Context, req *dispatch.Request, route string) {
	if e := checkModel(req.Model); e != nil {
		s.writeError(c.Writer, req.Protocol, e)
		return
	}
	k := KeyOf(c)
	if k != nil && !k.Allows(req.Model) {
		s.writeError(c.Writer, req.Protocol, llm.Errorf(llm.KindPermission,
			"model %q is not allowed for client key %q (its allow-list: %s)", req.Model, k.Name, k.AllowList()))
		return
	}
	if k != nil {
		req.KeyName = k.Name
		req.KeyLimits = schedule.KeyLimits{RPM: k.Limits.RPM, TPM: k.Limits.TPM, MaxInFlight: k.Limits.MaxInFlight, DailyTokens: k.Limits.DailyTokens}
	}
	start := time.Now()
	req.RequestID = c.GetString("request_id")
	req.Scope = c.GetString("scope")
	res := s.opts.Dispatch.Serve(c.Request.Context(), c.Writer, req)
	// Error texts may quote client input (a field value a decoder refused):
	// bounded before they reach the log line and the request log.
	res.Error = clip(res.Error, maxLoggedError)
	rec := Record{RequestID: req.RequestID, Protocol: req.Protocol, Route: route, Model: req.Model, Stream: req.Stream,
		KeyName: req.KeyName, Result: res, Duration: time.Since(start)}
	if n := s.opts.CaptureBytes; n > 0 {
		rec.RequestBody = req.Body[:min(n+1, len(req.Body))]
	}
	s.logRequest(c.Request.Context(), rec)
	if s.opts.Observe != nil {
		s.opts.Observe(c.Request.Context(), rec)
	}
}

// slowRequest is the duration from which a served request is logged at
// info even when it went well.
const slowRequest = 10 * time.Second

// requestLevel is the level of a request's log line: a healthy request (an
// answer below 400 on the first attempt, without error, faster than
// slowRequest) is logged at debug, so the default info level writes no line
// per healthy request (SWITCHYARD_LOG_LEVEL=debug shows them; the request log
// and the metrics keep every request); other requests at info, server
// errors at warn.
func requestLevel(rec *Record) slog.Level {
	switch res := &rec.Result; {
	case res.Status >= 500:
		return slog.LevelWarn
	case res.Status >= 400 || res.Status == 0 || len(res.Attempts) > 1 || res.Error != "" || rec.Duration >= slowRequest:
		return slog.LevelInfo
	}
	return slog.LevelDebug
}

func (s *Server) logRequest(ctx context.Context, rec Record) {
	lvl := requestLevel(&rec)
	if !s.opts.Log.Enabled(ctx, lvl) {
		return
	}
	s.opts.Log.LogAttrs(ctx, lvl, "request",
		slog.String("request_id", rec.RequestID),
		slog.String("protocol", string(rec.Protocol)),
		slog.String("route", rec.Route),
		slog.String("model", rec.Model),
		slog.String("mapped_model", rec.Result.Mapped),
		slog.String("account", rec.Result.Email),
		slog.Int("status", rec.Result.Status),
		slog.Int("attempts", len(rec.Result.Attempts)),
		slog.Bool("stream", rec.Stream),
		slog.Duration("duration", rec.Duration),
		slog.String("error", rec.Result.Error),
	)
}
