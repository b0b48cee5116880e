package fakeupstream

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Anthropic Messages (protocols.md §2), count_tokens and the model list.

type messagesRequest struct {
	Model     string `json:"model"`
	MaxTokens *int   `json:"max_tokens"`
	Stream    bool   `json:"stream"`
	Messages  []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Tools []struct {
		Name        string          `json:"name"`
		InputSchema json.RawMessage `json:"input_schema"`
	} `json:"tools"`
	ToolChoice *struct {
		Type string `json:"type"`
		Name string `json:"name"`
	} `json:"tool_choice"`
	Thinking *struct {
		Type string `json:"type"`
	} `json:"thinking"`
}

type anthropicBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	Thinking  string          `json:"thinking"`
	Signature string          `json:"signature"`
	Content   json.RawMessage `json:"content"`
}

// blocks reads message content given as a string or an array of blocks.
func blocks(raw json.RawMessage) []anthropicBlock {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []anthropicBlock{{Type: "text", Text: s}}
	}
	var bs []anthropicBlock
	_ = json.Unmarshal(raw, &bs)
	return bs
}

func (req *messagesRequest) turn(bodyLen int) turn {
	t := turn{model: req.Model, bodyLen: bodyLen}
	t.thinking = req.Thinking != nil && (req.Thinking.Type == "enabled" || req.Thinking.Type == "adaptive")
	for _, tl := range req.Tools {
		if tl.Name != "" {
			t.tools = append(t.tools, tool{name: tl.Name, schema: tl.InputSchema})
		}
	}
	if c := req.ToolChoice; c != nil {
		t.noTools = c.Type == "none"
		if c.Type == "tool" {
			t.forcedTool = c.Name
		}
	}
	n := len(req.Messages)
	if n == 0 || req.Messages[n-1].Role != "user" {
		return t
	}
	var text string
	for _, b := range blocks(req.Messages[n-1].Content) {
		switch b.Type {
		case "tool_result":
			s := textOf(b.Content)
			if t.toolResult == nil {
				t.toolResult = &s
			}
		case "text":
			text += b.Text
		}
	}
	t.userText = text
	return t
}

// checkSignatures finds the first replayed thinking block whose signature the
// fake did not issue for this model and thinking text.
func (req *messagesRequest) checkSignatures() error {
	for i, m := range req.Messages {
		if m.Role != "assistant" {
			continue
		}
		for j, b := range blocks(m.Content) {
			if b.Type == "thinking" && b.Signature != signature(ProviderAnthropic, req.Model, b.Thinking) {
				return fmt.Errorf("messages.%d.content.%d: Invalid `signature` in `thinking` block", i, j)
			}
		}
	}
	return nil
}

type anthropicUsage struct {
	InputTokens              int `json:"input_tokens"`
	CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int `json:"cache_read_input_tokens"`
	OutputTokens             int `json:"output_tokens"`
}

type anthropicMessage struct {
	ID           string         `json:"id"`
	Type         string         `json:"type"`
	Role         string         `json:"role"`
	Model        string         `json:"model"`
	Content      []any          `json:"content"`
	StopReason   *string        `json:"stop_reason"`
	StopSequence *string        `json:"stop_sequence"`
	Usage        anthropicUsage `json:"usage"`
}

// anthropicVersioned answers 400 unless the request carries anthropic-version.
func (ex *exchange) anthropicVersioned() bool {
	if ex.r.Header.Get("Anthropic-Version") != "" {
		return true
	}
	ex.fail(http.StatusBadRequest, anthropicError("invalid_request_error", "anthropic-version: header is required", ex.reqID))
	return false
}

func (s *Server) handleMessages(w http.ResponseWriter, r *http.Request) {
	ex, ok := s.begin(w, r, ProviderAnthropic)
	if !ok || !ex.anthropicVersioned() {
		return
	}
	var req messagesRequest
	if err := json.Unmarshal(ex.body, &req); err != nil {
		ex.fail(http.StatusBadRequest, ex.badJSON(err))
		return
	}
	switch {
	case req.Model == "":
		ex.fail(http.StatusBadRequest, ex.invalidRequestBody("model: Field required"))
		return
	case req.MaxTokens == nil:
		ex.fail(http.StatusBadRequest, ex.invalidRequestBody("max_tokens: Field required"))
		return
	}
	if !ex.start(req.Model, req.Stream) {
		return
	}
	if err := req.checkSignatures(); err != nil {
		ex.fail(http.StatusBadRequest, ex.invalidRequestBody(err.Error()))
		return
	}
	if ex.strictRefused() || ex.agentLoop(req.Stream) {
		return
	}
	a := req.turn(len(ex.body)).reply(ProviderAnthropic)
	msg := anthropicMessage{
		ID:      randomID("msg_01", 22),
		Type:    "message",
		Role:    "assistant",
		Model:   req.Model,
		Content: []any{},
		Usage:   anthropicUsage{InputTokens: a.input, OutputTokens: 1},
	}
	stop := "end_turn"
	if a.call != nil {
		stop = "tool_use"
	}
	if req.Stream {
		ex.sendStream(messageStream(msg, a, stop))
		return
	}
	if a.thinking != "" {
		msg.Content = append(msg.Content, object{
			{"type", "thinking"}, {"thinking", a.thinking}, {"signature", signature(ProviderAnthropic, req.Model, a.thinking)},
		})
	}
	if a.call != nil {
		msg.Content = append(msg.Content, object{
			{"type", "tool_use"}, {"id", randomID("toolu_01", 22)}, {"name", a.call.name}, {"input", json.RawMessage(a.call.args)},
		})
	} else {
		msg.Content = append(msg.Content, object{{"type", "text"}, {"text", a.text}})
	}
	if !ex.noTerminal() {
		msg.StopReason = &stop
	}
	msg.Usage.OutputTokens = a.outputTokens()
	ex.sendJSON(mustJSON(msg))
}

// messageStream renders the full event sequence of protocols.md §2.5.
func messageStream(msg anthropicMessage, a answer, stop string) *stream {
	st := &stream{framing: framingNamed, heartbeat: []byte("event: ping\ndata: {\"type\": \"ping\"}\n\n")}
	st.add("message_start", object{{"type", "message_start"}, {"message", msg}})
	st.events = append(st.events, sseEvent{name: "ping", data: []byte(`{"type": "ping"}`), ping: true})

	index := 0
	block := func(start object, deltas ...object) {
		st.add("content_block_start", object{{"type", "content_block_start"}, {"index", index}, {"content_block", start}})
		for _, d := range deltas {
			st.add("content_block_delta", object{{"type", "content_block_delta"}, {"index", index}, {"delta", d}})
		}
		st.add("content_block_stop", object{{"type", "content_block_stop"}, {"index", index}})
		index++
	}
	if a.thinking != "" {
		var deltas []object
		for _, p := range split(a.thinking, 2) {
			deltas = append(deltas, object{{"type", "thinking_delta"}, {"thinking", p}})
		}
		deltas = append(deltas, object{{"type", "signature_delta"}, {"signature", signature(ProviderAnthropic, msg.Model, a.thinking)}})
		block(object{{"type", "thinking"}, {"thinking", ""}}, deltas...)
	}
	if a.call != nil {
		deltas := []object{{{"type", "input_json_delta"}, {"partial_json", ""}}}
		for _, p := range split(a.call.args, 2) {
			deltas = append(deltas, object{{"type", "input_json_delta"}, {"partial_json", p}})
		}
		block(object{{"type", "tool_use"}, {"id", randomID("toolu_01", 22)}, {"name", a.call.name}, {"input", object{}}}, deltas...)
	} else {
		var deltas []object
		for _, p := range split(a.text, 4) {
			deltas = append(deltas, object{{"type", "text_delta"}, {"text", p}})
		}
		block(object{{"type", "text"}, {"text", ""}}, deltas...)
	}
	usage := msg.Usage
	usage.OutputTokens = a.outputTokens()
	st.add("message_delta", object{
		{"type", "message_delta"},
		{"delta", object{{"stop_reason", stop}, {"stop_sequence", nil}}},
		{"usage", usage},
	})
	st.add("message_stop", object{{"type", "message_stop"}})
	st.events[len(st.events)-1].terminal = true
	st.broken = sseEvent{name: "content_block_delta", data: []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"brok`)}
	return st
}

func (s *Server) handleCountTokens(w http.ResponseWriter, r *http.Request) {
	ex, ok := s.begin(w, r, ProviderAnthropic)
	if !ok || !ex.anthropicVersioned() {
		return
	}
	var req messagesRequest
	if err := json.Unmarshal(ex.body, &req); err != nil {
		ex.fail(http.StatusBadRequest, ex.badJSON(err))
		return
	}
	if req.Model == "" {
		ex.fail(http.StatusBadRequest, ex.invalidRequestBody("model: Field required"))
		return
	}
	if !ex.start(req.Model, false) {
		return
	}
	ex.sendJSON(mustJSON(map[string]int{"input_tokens": estimateTokens(len(ex.body))}))
}

func (s *Server) handleAnthropicModels(w http.ResponseWriter, r *http.Request) {
	ex, ok := s.begin(w, r, ProviderAnthropic)
	if !ok || !ex.start("", false) {
		return
	}
	type model struct {
		Type        string `json:"type"`
		ID          string `json:"id"`
		DisplayName string `json:"display_name"`
		CreatedAt   string `json:"created_at"`
	}
	models := []model{
		{"model", "claude-opus-4-1-20250805", "Claude Opus 4.1", "2025-08-05T00:00:00Z"},
		{"model", "claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", "2025-09-29T00:00:00Z"},
		{"model", "claude-haiku-4-5-20251001", "Claude Haiku 4.5", "2025-10-01T00:00:00Z"},
	}
	ex.sendJSON(mustJSON(object{
		{"data", models}, {"has_more", false}, {"first_id", models[0].ID}, {"last_id", models[len(models)-1].ID},
	}))
}
