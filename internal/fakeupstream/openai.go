package fakeupstream

import (
	"encoding/json"
	"net/http"
	"time"
)

// OpenAI Chat Completions (protocols.md §1) and the model list.

type chatRequest struct {
	Model         string `json:"model"`
	Stream        bool   `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Tools []struct {
		Type     string `json:"type"`
		Function struct {
			Name       string          `json:"name"`
			Parameters json.RawMessage `json:"parameters"`
		} `json:"function"`
	} `json:"tools"`
	ToolChoice      json.RawMessage `json:"tool_choice"`
	ReasoningEffort string          `json:"reasoning_effort"`
}

func (req *chatRequest) turn(bodyLen int) turn {
	t := turn{model: req.Model, bodyLen: bodyLen}
	t.thinking = req.ReasoningEffort != "" && req.ReasoningEffort != "none"
	for _, tl := range req.Tools {
		if tl.Function.Name != "" {
			t.tools = append(t.tools, tool{name: tl.Function.Name, schema: tl.Function.Parameters})
		}
	}
	t.noTools, t.forcedTool = openAIToolChoice(req.ToolChoice)
	if n := len(req.Messages); n > 0 && req.Messages[n-1].Role == "tool" {
		s := textOf(req.Messages[n-1].Content)
		t.toolResult = &s
	}
	for i := len(req.Messages) - 1; i >= 0; i-- {
		if req.Messages[i].Role == "user" {
			t.userText = textOf(req.Messages[i].Content)
			break
		}
	}
	return t
}

// openAIToolChoice reads "none" or a forced function from tool_choice, in
// its Chat Completions ({"function":{"name"}}) or Responses ({"name"}) form.
func openAIToolChoice(raw json.RawMessage) (none bool, forced string) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s == "none", ""
	}
	var c struct {
		Name     string `json:"name"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if json.Unmarshal(raw, &c) == nil {
		if c.Function.Name != "" {
			return false, c.Function.Name
		}
		return false, c.Name
	}
	return false, ""
}

type chatUsage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	TotalTokens         int `json:"total_tokens"`
	PromptTokensDetails struct {
		CachedTokens int `json:"cached_tokens"`
		AudioTokens  int `json:"audio_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails struct {
		ReasoningTokens          int `json:"reasoning_tokens"`
		AudioTokens              int `json:"audio_tokens"`
		AcceptedPredictionTokens int `json:"accepted_prediction_tokens"`
		RejectedPredictionTokens int `json:"rejected_prediction_tokens"`
	} `json:"completion_tokens_details"`
}

func (a answer) chatUsage() chatUsage {
	var u chatUsage
	u.PromptTokens = a.input
	u.CompletionTokens = a.outputTokens()
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	u.CompletionTokensDetails.ReasoningTokens = a.thinkingTokens()
	return u
}

type chatToolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

type chatMessage struct {
	Role             string         `json:"role"`
	Content          *string        `json:"content"`
	Refusal          *string        `json:"refusal"`
	ReasoningContent string         `json:"reasoning_content,omitempty"`
	ToolCalls        []chatToolCall `json:"tool_calls,omitempty"`
}

type chatChoice struct {
	Index        int          `json:"index"`
	Message      *chatMessage `json:"message,omitempty"`
	Delta        any          `json:"delta,omitempty"`
	Logprobs     any          `json:"logprobs"`
	FinishReason *string      `json:"finish_reason"`
}

type chatCompletion struct {
	ID                string          `json:"id"`
	Object            string          `json:"object"`
	Created           int64           `json:"created"`
	Model             string          `json:"model"`
	SystemFingerprint string          `json:"system_fingerprint"`
	Choices           []chatChoice    `json:"choices"`
	Usage             json.RawMessage `json:"usage,omitempty"`
}

func (s *Server) handleChatCompletions(w http.ResponseWriter, r *http.Request) {
	ex, ok := s.begin(w, r, ProviderOpenAI)
	if !ok {
		return
	}
	var req chatRequest
	if err := json.Unmarshal(ex.body, &req); err != nil {
		ex.fail(http.StatusBadRequest, ex.badJSON(err))
		return
	}
	if req.Model == "" {
		ex.fail(http.StatusBadRequest, openAIError("you must provide a model parameter", "invalid_request_error", "", ""))
		return
	}
	if !ex.start(req.Model, req.Stream) || ex.strictRefused() || ex.agentLoop(req.Stream) {
		return
	}
	a := req.turn(len(ex.body)).reply(ProviderOpenAI)
	c := chatCompletion{
		ID:                randomID("chatcmpl-", 29),
		Created:           time.Now().Unix(),
		Model:             req.Model,
		SystemFingerprint: "fp_fakeupstream",
	}
	finish := "stop"
	if a.call != nil {
		finish = "tool_calls"
	}
	if !req.Stream {
		ex.sendJSON(c.complete(a, finish, ex.noTerminal()))
		return
	}
	ex.sendStream(c.stream(a, finish, req.StreamOptions != nil && req.StreamOptions.IncludeUsage))
}

func (c chatCompletion) complete(a answer, finish string, noTerminal bool) []byte {
	c.Object = "chat.completion"
	msg := &chatMessage{Role: "assistant", ReasoningContent: a.thinking}
	if a.call != nil {
		tc := chatToolCall{ID: randomID("call_", 24), Type: "function"}
		tc.Function.Name, tc.Function.Arguments = a.call.name, a.call.args
		msg.ToolCalls = []chatToolCall{tc}
	} else {
		msg.Content = &a.text
	}
	choice := chatChoice{Message: msg, FinishReason: &finish}
	if noTerminal {
		choice.FinishReason = nil
	}
	c.Choices = []chatChoice{choice}
	c.Usage = mustJSON(a.chatUsage())
	return mustJSON(c)
}

func (c chatCompletion) stream(a answer, finish string, includeUsage bool) *stream {
	c.Object = "chat.completion.chunk"
	if includeUsage {
		c.Usage = json.RawMessage("null")
	}
	st := &stream{framing: framingData, heartbeat: []byte(": keep-alive\n\n")}
	chunk := func(delta any, finish *string) {
		c.Choices = []chatChoice{{Delta: delta, FinishReason: finish}}
		st.add("", c)
	}
	chunk(object{{"role", "assistant"}, {"content", ""}}, nil)
	for _, p := range split(a.thinking, 2) {
		if p != "" {
			chunk(object{{"reasoning_content", p}}, nil)
		}
	}
	if a.call != nil {
		chunk(object{{"tool_calls", []object{{
			{"index", 0}, {"id", randomID("call_", 24)}, {"type", "function"},
			{"function", object{{"name", a.call.name}, {"arguments", ""}}},
		}}}}, nil)
		for _, p := range split(a.call.args, 2) {
			chunk(object{{"tool_calls", []object{{{"index", 0}, {"function", object{{"arguments", p}}}}}}}, nil)
		}
	} else {
		for _, p := range split(a.text, 4) {
			chunk(object{{"content", p}}, nil)
		}
	}
	chunk(object{}, &finish)
	if includeUsage {
		c.Choices = []chatChoice{}
		c.Usage = mustJSON(a.chatUsage())
		st.add("", c)
	}
	st.events = append(st.events, sseEvent{data: []byte("[DONE]"), terminal: true})
	st.broken = sseEvent{data: []byte(`{"id":"` + c.ID + `","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"brok`)}
	return st
}

// handleModels serves GET /v1/models: the Anthropic list when the request
// carries anthropic-version, the OpenAI list otherwise.
func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Anthropic-Version") != "" {
		s.handleAnthropicModels(w, r)
		return
	}
	ex, ok := s.begin(w, r, ProviderOpenAI)
	if !ok || !ex.start("", false) {
		return
	}
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
	}
	list := struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}{Object: "list"}
	for _, m := range []struct {
		id      string
		created int64
	}{
		{"gpt-4o", 1715367049}, {"gpt-4o-mini", 1721172741}, {"gpt-4.1", 1744316542},
		{"o3", 1744225308}, {"o4-mini", 1744225351}, {"gpt-5", 1754425777},
	} {
		list.Data = append(list.Data, model{ID: m.id, Object: "model", Created: m.created, OwnedBy: "system"})
	}
	ex.sendJSON(mustJSON(list))
}
