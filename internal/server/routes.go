package server

import (
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/tidwall/gjson"

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
		dispatch.WriteError(c.Writer, llm.OpenAI, e)
		return
	}
	s.serve(c, &dispatch.Request{
		Protocol: llm.OpenAI, Op: op, Model: pr.Model, Body: body, Stream: pr.Stream,
		SessionID:    session.OpenAI(body, c.Request.Header),
		IncludeUsage: gjson.GetBytes(body, "stream_options.include_usage").Bool(),
	}, route)
}

// anthropicHeaders are the client headers an Anthropic upstream needs.
func anthropicHeaders(r *http.Request) http.Header {
	h := http.Header{}
	if v := r.Header.Get("anthropic-version"); v != "" {
		h.Set("anthropic-version", v)
	}
	for _, v := range r.Header.Values("anthropic-beta") {
		h.Add("anthropic-beta", v)
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
		dispatch.WriteError(c.Writer, llm.Anthropic, e)
		return
	}
	stream := pr.Stream && op == upstream.OpGenerate
	s.serve(c, &dispatch.Request{
		Protocol: llm.Anthropic, Op: op, Model: pr.Model, Body: body, Stream: stream,
		SessionID: session.Anthropic(body, c.Request.Header),
		Header:    anthropicHeaders(c.Request), Beta: c.Query("beta") == "true",
	}, route)
}

func (s *Server) gemini(c *gin.Context) {
	model, method, ok := gemini.ParseModelPath(c.Param("action"))
	if !ok {
		dispatch.WriteError(c.Writer, llm.Gemini, llm.Errorf(llm.KindNotFound, "unknown method in %s", clip(c.Request.URL.Path, 256)))
		return
	}
	body, ok := s.readBody(c, llm.Gemini)
	if !ok {
		return
	}
	if e := gemini.ValidateBody(body); e != nil {
		dispatch.WriteError(c.Writer, llm.Gemini, e)
		return
	}
	req := &dispatch.Request{Protocol: llm.Gemini, Op: upstream.OpGenerate, Model: model, Body: body,
		SessionID: session.Gemini(body, c.Request.Header)}
	switch method {
	case gemini.MethodStreamGenerate:
		req.Stream = true
		if alt := c.Query("alt"); alt != "" && alt != "sse" {
			dispatch.WriteError(c.Writer, llm.Gemini, llm.Errorf(llm.KindInvalidRequest, "only alt=sse streaming is supported"))
			return
		}
	case gemini.MethodCountTokens:
		req.Op = upstream.OpCountTokens
	}
	s.serve(c, req, method)
}

// listModels answers GET /v1/models in the OpenAI shape, or in Anthropic's
// when the client sends anthropic-version (Claude Code's model discovery).
func (s *Server) listModels(c *gin.Context) {
	p := llm.OpenAI
	if c.GetHeader("anthropic-version") != "" {
		p = llm.Anthropic
	}
	if _, e := s.authenticate(c.Request); e != nil {
		dispatch.WriteError(c.Writer, p, e)
		return
	}
	ids := s.modelIDs()
	if p == llm.Anthropic {
		data := make([]gin.H, 0, len(ids))
		for _, id := range ids {
			data = append(data, gin.H{"type": "model", "id": id, "display_name": id, "created_at": "2025-01-01T00:00:00Z"})
		}
		out := gin.H{"data": data, "has_more": false, "first_id": nil, "last_id": nil}
		if len(ids) > 0 {
			out["first_id"], out["last_id"] = ids[0], ids[len(ids)-1]
		}
		c.JSON(http.StatusOK, out)
		return
	}
	data := make([]gin.H, 0, len(ids))
	created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	for _, id := range ids {
		data = append(data, gin.H{"id": id, "object": "model", "created": created, "owned_by": ownerOf(id)})
	}
	c.JSON(http.StatusOK, gin.H{"object": "list", "data": data})
}

func (s *Server) geminiModels(c *gin.Context) {
	var models []gin.H
	for _, id := range s.modelIDs() {
		models = append(models, gin.H{"name": "models/" + id, "displayName": id,
			"supportedGenerationMethods": []string{"generateContent", "streamGenerateContent", "countTokens"}})
	}
	if models == nil {
		models = []gin.H{}
	}
	c.JSON(http.StatusOK, gin.H{"models": models})
}

func (s *Server) modelIDs() []string {
	if s.opts.Models == nil {
		return nil
	}
	ids := s.opts.Models.ModelIDs()
	sort.Strings(ids)
	return ids
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
