package fakeupstream

import (
	"encoding/json"
	"net/http"
	"time"
)

// OpenAI Responses API (protocols.md §1.8), kept simple: one message or one
// function call per response, and no reasoning items.

type responsesRequest struct {
	Model  string          `json:"model"`
	Stream bool            `json:"stream"`
	Input  json.RawMessage `json:"input"`
	Tools  []struct {
		Type       string          `json:"type"`
		Name       string          `json:"name"`
		Parameters json.RawMessage `json:"parameters"`
	} `json:"tools"`
	ToolChoice json.RawMessage `json:"tool_choice"`
}

type responsesItem struct {
	Type    string          `json:"type"`
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
	Output  json.RawMessage `json:"output"`
}

func (req *responsesRequest) turn(bodyLen int) turn {
	t := turn{model: req.Model, bodyLen: bodyLen}
	for _, tl := range req.Tools {
		if tl.Type == "function" && tl.Name != "" {
			t.tools = append(t.tools, tool{name: tl.Name, schema: tl.Parameters})
		}
	}
	t.noTools, t.forcedTool = openAIToolChoice(req.ToolChoice)
	var items []responsesItem
	if json.Unmarshal(req.Input, &items) != nil {
		t.userText = textOf(req.Input)
		return t
	}
	if n := len(items); n > 0 && items[n-1].Type == "function_call_output" {
		s := textOf(items[n-1].Output)
		t.toolResult = &s
	}
	for i := len(items) - 1; i >= 0; i-- {
		if items[i].Role == "user" && (items[i].Type == "" || items[i].Type == "message") {
			t.userText = textOf(items[i].Content)
			break
		}
	}
	return t
}

type responseObject struct {
	ID                string         `json:"id"`
	Object            string         `json:"object"`
	CreatedAt         int64          `json:"created_at"`
	Status            string         `json:"status"`
	Error             any            `json:"error"`
	IncompleteDetails any            `json:"incomplete_details"`
	Model             string         `json:"model"`
	Output            []any          `json:"output"`
	ParallelToolCalls bool           `json:"parallel_tool_calls"`
	Usage             *responseUsage `json:"usage"`
}

type responseUsage struct {
	InputTokens        int `json:"input_tokens"`
	InputTokensDetails struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"input_tokens_details"`
	OutputTokens        int `json:"output_tokens"`
	OutputTokensDetails struct {
		ReasoningTokens int `json:"reasoning_tokens"`
	} `json:"output_tokens_details"`
	TotalTokens int `json:"total_tokens"`
}

func (s *Server) handleResponses(w http.ResponseWriter, r *http.Request) {
	ex, ok := s.begin(w, r, ProviderOpenAI)
	if !ok {
		return
	}
	var req responsesRequest
	if err := json.Unmarshal(ex.body, &req); err != nil {
		ex.fail(http.StatusBadRequest, ex.badJSON(err))
		return
	}
	if req.Model == "" {
		ex.fail(http.StatusBadRequest, openAIError("Missing required parameter: 'model'.", "invalid_request_error", "model", "missing_required_parameter"))
		return
	}
	if !ex.start(req.Model, req.Stream) || ex.strictRefused() || ex.agentLoop(req.Stream) {
		return
	}
	a := req.turn(len(ex.body)).reply(ProviderOpenAI)
	resp := responseObject{
		ID:                randomID("resp_", 32),
		Object:            "response",
		CreatedAt:         time.Now().Unix(),
		Status:            "in_progress",
		Model:             req.Model,
		Output:            []any{},
		ParallelToolCalls: true,
	}
	item := responseItem(a)
	if !req.Stream {
		if !ex.noTerminal() {
			resp.Status = "completed"
			resp.Usage = a.responseUsage()
		}
		resp.Output = []any{item}
		ex.sendJSON(mustJSON(resp))
		return
	}
	ex.sendStream(responseStream(resp, item, a))
}

func (a answer) responseUsage() *responseUsage {
	u := &responseUsage{InputTokens: a.input, OutputTokens: a.outputTokens()}
	u.TotalTokens = u.InputTokens + u.OutputTokens
	return u
}

// responseItem is the completed output item of a.
func responseItem(a answer) object {
	if a.call != nil {
		return object{
			{"id", randomID("fc_", 32)}, {"type", "function_call"}, {"status", "completed"},
			{"arguments", a.call.args}, {"call_id", randomID("call_", 24)}, {"name", a.call.name},
		}
	}
	return object{
		{"id", randomID("msg_", 32)}, {"type", "message"}, {"status", "completed"},
		{"content", []any{outputText(a.text)}}, {"role", "assistant"},
	}
}

func outputText(text string) object {
	return object{{"type", "output_text"}, {"annotations", []any{}}, {"text", text}}
}

// responseStream renders the named events of a streamed response.
func responseStream(resp responseObject, item object, a answer) *stream {
	st := &stream{framing: framingNamed, heartbeat: []byte(": keep-alive\n\n")}
	seq := 0
	emit := func(typ string, fields ...field) *sseEvent {
		o := append(object{{"type", typ}, {"sequence_number", seq}}, fields...)
		seq++
		st.add(typ, o)
		return &st.events[len(st.events)-1]
	}
	emit("response.created", field{"response", resp})
	emit("response.in_progress", field{"response", resp})

	added := item.with("status", "in_progress")
	var id any
	for _, f := range item {
		if f.key == "id" {
			id = f.value
		}
	}
	at := []field{{"item_id", id}, {"output_index", 0}}
	if a.call != nil {
		emit("response.output_item.added", field{"output_index", 0}, field{"item", added.with("arguments", "")})
		for _, p := range split(a.call.args, 2) {
			emit("response.function_call_arguments.delta", append(at, field{"delta", p})...)
		}
		emit("response.function_call_arguments.done", append(at, field{"arguments", a.call.args})...)
	} else {
		emit("response.output_item.added", field{"output_index", 0}, field{"item", added.with("content", []any{})})
		at = append(at, field{"content_index", 0})
		emit("response.content_part.added", append(at, field{"part", outputText("")})...)
		for _, p := range split(a.text, 4) {
			emit("response.output_text.delta", append(at, field{"delta", p})...)
		}
		emit("response.output_text.done", append(at, field{"text", a.text})...)
		emit("response.content_part.done", append(at, field{"part", outputText(a.text)})...)
	}
	emit("response.output_item.done", field{"output_index", 0}, field{"item", item})

	resp.Status = "completed"
	resp.Output = []any{item}
	resp.Usage = a.responseUsage()
	emit("response.completed", field{"response", resp}).terminal = true

	st.broken = sseEvent{name: "response.output_text.delta", data: []byte(`{"type":"response.output_text.delta","delta":"brok`)}
	return st
}
