package server

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/clientkey"
	"github.com/switchyard-gw/switchyard/internal/dispatch"
	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol/anthropic"
	"github.com/switchyard-gw/switchyard/internal/protocol/gemini"
	"github.com/switchyard-gw/switchyard/internal/protocol/openai"
	"github.com/switchyard-gw/switchyard/internal/session"
	"github.com/switchyard-gw/switchyard/internal/upstream"
)

func (s *Server) openAIChat(c *gin.Context)      { s.openAI(c, upstream.OpGenerate, "chat") }
func (s *Server) openAIResponses(c *gin.Context) { s.openAI(c, upstream.OpResponses, "responses") }

func (s *Server) openAI(c *gin.Context, op upstream.Op, route string) {
	body, ok := s.readBody(c, llm.OpenAI)
	if !ok {
		return
	}
	pr, e := openai.ProbeRequest(body)
	if e != nil {
		s.writeError(c.Writer, llm.OpenAI, e)
		return
	}
	s.serve(c, &dispatch.Request{
		Protocol: llm.OpenAI, Op: op, Model: pr.Model, Body: body, Stream: pr.Stream,
		SessionID:    session.OpenAI(body, c.Request.Header),
		IncludeUsage: gjson.GetBytes(body, "stream_options.include_usage").Bool(),
	}, route)
}

// anthropicHeaders are the client headers an Anthropic upstream needs: the
// client's anthropic-version (its first value) and anthropic-beta, read by
// their canonical keys as Header.Get and Values do, sharing the client's
// values (read-only; capacity clipped, so an Add copies them).
func anthropicHeaders(r *http.Request) http.Header {
	h := make(http.Header, 2)
	if v := r.Header["Anthropic-Version"]; len(v) > 0 && v[0] != "" {
		h["Anthropic-Version"] = v[:1:1]
	}
	if v := r.Header["Anthropic-Beta"]; len(v) > 0 {
		h["Anthropic-Beta"] = slices.Clip(v)
	}
	return h
}

func (s *Server) anthropicMessages(c *gin.Context) { s.anthropic(c, upstream.OpGenerate, "messages") }
func (s *Server) anthropicCount(c *gin.Context) {
	s.anthropic(c, upstream.OpCountTokens, "count_tokens")
}

func (s *Server) anthropic(c *gin.Context, op upstream.Op, route string) {
	body, ok := s.readBody(c, llm.Anthropic)
	if !ok {
		return
	}
	pr, e := anthropic.ProbeRequest(body)
	if e != nil {
		s.writeError(c.Writer, llm.Anthropic, e)
		return
	}
	stream := pr.Stream && op == upstream.OpGenerate
	s.serve(c, &dispatch.Request{
		Protocol: llm.Anthropic, Op: op, Model: pr.Model, Body: body, Stream: stream,
		SessionID: session.Anthropic(body, c.Request.Header),
		Header:    anthropicHeaders(c.Request), Beta: c.Request.URL.RawQuery != "" && c.Query("beta") == "true",
	}, route)
}

func (s *Server) gemini(c *gin.Context) {
	model, method, ok := gemini.ParseModelPath(c.Param("action"))
	if !ok {
		s.writeError(c.Writer, llm.Gemini, llm.Errorf(llm.KindNotFound, "unknown method in %s", clip(c.Request.URL.Path, 256)))
		return
	}
	body, ok := s.readBody(c, llm.Gemini)
	if !ok {
		return
	}
	if e := gemini.ValidateBody(body); e != nil {
		s.writeError(c.Writer, llm.Gemini, e)
		return
	}
	req := &dispatch.Request{Protocol: llm.Gemini, Op: upstream.OpGenerate, Model: model, Body: body,
		SessionID: session.Gemini(body, c.Request.Header)}
	switch method {
	case gemini.MethodStreamGenerate:
		req.Stream = true
		if alt := c.Query("alt"); alt != "" && alt != "sse" {
			s.writeError(c.Writer, llm.Gemini, llm.Errorf(llm.KindInvalidRequest, "only alt=sse streaming is supported"))
			return
		}
	case gemini.MethodCountTokens:
		req.Op = upstream.OpCountTokens
	}
	s.serve(c, req, method)
}

// ModelInfo is one model a client key may use.
type ModelInfo struct {
	ID string
	// CanCount: an account that can count tokens (anthropic or gemini)
	// serves it, so countTokens and count_tokens work.
	CanCount bool
}

// modelsFor lists the models the key may use, sorted by id.
func (s *Server) modelsFor(k *clientkey.Key) []ModelInfo {
	if s.opts.Models == nil {
		return nil
	}
	ms := s.opts.Models.Models(k)
	sort.Slice(ms, func(i, j int) bool { return ms[i].ID < ms[j].ID })
	return ms
}

// modelFor finds one model the key may use; a leading "models/" is ignored.
func (s *Server) modelFor(k *clientkey.Key, id string) (ModelInfo, bool) {
	if p, err := url.PathUnescape(id); err == nil {
		id = p
	}
	id = strings.TrimPrefix(id, "models/")
	for _, m := range s.modelsFor(k) {
		if m.ID == id {
			return m, true
		}
	}
	return ModelInfo{}, false
}

// modelsProtocol is the envelope of GET /v1/models: Anthropic's when the
// client sends anthropic-version (Claude Code's model discovery), else
// OpenAI's.
func modelsProtocol(r *http.Request) llm.Protocol {
	if r.Header.Get("anthropic-version") != "" {
		return llm.Anthropic
	}
	return llm.OpenAI
}

// The creation time the gateway reports for every model (it does not know
// the providers' dates): 2025-01-01T00:00:00Z.
const (
	modelCreatedAt   = "2025-01-01T00:00:00Z"
	modelCreatedUnix = 1735689600
)

func anthropicModel(id string) gin.H {
	return gin.H{"type": "model", "id": id, "display_name": id, "created_at": modelCreatedAt}
}

func openAIModel(id string) gin.H {
	return gin.H{"id": id, "object": "model", "created": modelCreatedUnix, "owned_by": ownerOf(id)}
}

func geminiModel(m ModelInfo) gin.H {
	methods := []string{"generateContent", "streamGenerateContent"}
	if m.CanCount {
		methods = append(methods, "countTokens")
	}
	return gin.H{"name": "models/" + m.ID, "baseModelId": m.ID, "displayName": m.ID, "supportedGenerationMethods": methods}
}

// listModels answers GET /v1/models with the models the calling key may
// use, in the OpenAI or the Anthropic shape.
func (s *Server) listModels(c *gin.Context) {
	p := modelsProtocol(c.Request)
	k, e := s.authenticate(c.Request)
	if e != nil {
		s.writeError(c.Writer, p, e)
		return
	}
	ms := s.modelsFor(k)
	data := make([]gin.H, 0, len(ms))
	if p == llm.Anthropic {
		for _, m := range ms {
			data = append(data, anthropicModel(m.ID))
		}
		out := gin.H{"data": data, "has_more": false, "first_id": nil, "last_id": nil}
		if len(ms) > 0 {
			out["first_id"], out["last_id"] = ms[0].ID, ms[len(ms)-1].ID
		}
		c.JSON(http.StatusOK, out)
		return
	}
	for _, m := range ms {
		data = append(data, openAIModel(m.ID))
	}
	c.JSON(http.StatusOK, gin.H{"object": "list", "data": data})
}

// getModel answers GET /v1/models/{id}: 404 in the client's envelope when
// the model is not served or not allowed for the key.
func (s *Server) getModel(c *gin.Context) {
	p := modelsProtocol(c.Request)
	k, e := s.authenticate(c.Request)
	if e != nil {
		s.writeError(c.Writer, p, e)
		return
	}
	m, ok := s.modelFor(k, c.Param("id"))
	if !ok {
		s.writeError(c.Writer, p, modelNotFound(c.Param("id")))
		return
	}
	if p == llm.Anthropic {
		c.JSON(http.StatusOK, anthropicModel(m.ID))
		return
	}
	c.JSON(http.StatusOK, openAIModel(m.ID))
}

// geminiModels answers GET /v1beta/models with the models the key may use.
func (s *Server) geminiModels(c *gin.Context) {
	ms := s.modelsFor(KeyOf(c))
	models := make([]gin.H, 0, len(ms))
	for _, m := range ms {
		models = append(models, geminiModel(m))
	}
	c.JSON(http.StatusOK, gin.H{"models": models})
}

// geminiGetModel answers GET /v1beta/models/{model}.
func (s *Server) geminiGetModel(c *gin.Context) {
	m, ok := s.modelFor(KeyOf(c), c.Param("model"))
	if !ok {
		s.writeError(c.Writer, llm.Gemini, modelNotFound(c.Param("model")))
		return
	}
	c.JSON(http.StatusOK, geminiModel(m))
}

func modelNotFound(id string) *llm.Error {
	return llm.Errorf(llm.KindNotFound, "model %q is not available to this client key on this gateway", clip(id, 256))
}

func ownerOf(id string) string {
	switch {
	case strings.HasPrefix(id, "claude"):
		return "anthropic"
	case strings.HasPrefix(id, "gemini"):
		return "google"
	}
	return "openai"
}
