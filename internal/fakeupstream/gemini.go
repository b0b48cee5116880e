package fakeupstream

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Gemini API v1beta (protocols.md §3). Google accepts camelCase and
// snake_case field names alike, so every field read here has both spellings.

type geminiRequest struct {
	Contents        []geminiContent   `json:"contents"`
	Tools           []geminiTool      `json:"tools"`
	ToolConfig      *geminiToolConfig `json:"toolConfig"`
	ToolConfigSnake *geminiToolConfig `json:"tool_config"`
	GenConfig       *geminiGenConfig  `json:"generationConfig"`
	GenConfigSnake  *geminiGenConfig  `json:"generation_config"`
}

type geminiContent struct {
	Role  string       `json:"role"`
	Parts []geminiPart `json:"parts"`
}

type geminiPart struct {
	Text                  *string                 `json:"text"`
	Thought               bool                    `json:"thought"`
	FunctionResponse      *geminiFunctionResponse `json:"functionResponse"`
	FunctionResponseSnake *geminiFunctionResponse `json:"function_response"`
}

type geminiFunctionResponse struct {
	Name     string          `json:"name"`
	Response json.RawMessage `json:"response"`
}

type geminiTool struct {
	Declarations      []geminiDeclaration `json:"functionDeclarations"`
	DeclarationsSnake []geminiDeclaration `json:"function_declarations"`
}

type geminiDeclaration struct {
	Name            string          `json:"name"`
	Parameters      json.RawMessage `json:"parameters"`
	JSONSchema      json.RawMessage `json:"parametersJsonSchema"`
	JSONSchemaSnake json.RawMessage `json:"parameters_json_schema"`
}

type geminiToolConfig struct {
	Calling      *geminiCallingConfig `json:"functionCallingConfig"`
	CallingSnake *geminiCallingConfig `json:"function_calling_config"`
}

type geminiCallingConfig struct {
	Mode         string   `json:"mode"`
	Allowed      []string `json:"allowedFunctionNames"`
	AllowedSnake []string `json:"allowed_function_names"`
}

type geminiGenConfig struct {
	Thinking      *geminiThinkingConfig `json:"thinkingConfig"`
	ThinkingSnake *geminiThinkingConfig `json:"thinking_config"`
}

type geminiThinkingConfig struct {
	IncludeThoughts      bool `json:"includeThoughts"`
	IncludeThoughtsSnake bool `json:"include_thoughts"`
	Budget               *int `json:"thinkingBudget"`
	BudgetSnake          *int `json:"thinking_budget"`
}

// either returns a unless it is the zero value, else b.
func either[T comparable](a, b T) T {
	var zero T
	if a != zero {
		return a
	}
	return b
}

func firstNonEmpty[T any](a, b []T) []T {
	if len(a) > 0 {
		return a
	}
	return b
}

// thinking reports whether thinking is on and whether thoughts are returned.
func (req *geminiRequest) thinking() (on, include bool) {
	gc := either(req.GenConfig, req.GenConfigSnake)
	if gc == nil {
		return false, false
	}
	tc := either(gc.Thinking, gc.ThinkingSnake)
	if tc == nil {
		return false, false
	}
	budget := either(tc.Budget, tc.BudgetSnake)
	include = tc.IncludeThoughts || tc.IncludeThoughtsSnake
	return include || budget == nil || *budget != 0, include
}

func (req *geminiRequest) turn(model string, bodyLen int) turn {
	t := turn{model: model, bodyLen: bodyLen}
	t.thinking, _ = req.thinking()
	for _, tl := range req.Tools {
		for _, d := range firstNonEmpty(tl.Declarations, tl.DeclarationsSnake) {
			schema := firstNonEmpty(firstNonEmpty(d.Parameters, d.JSONSchema), d.JSONSchemaSnake)
			t.tools = append(t.tools, tool{name: d.Name, schema: schema})
		}
	}
	if tc := either(req.ToolConfig, req.ToolConfigSnake); tc != nil {
		if cc := either(tc.Calling, tc.CallingSnake); cc != nil {
			t.noTools = strings.EqualFold(cc.Mode, "NONE")
			if allowed := firstNonEmpty(cc.Allowed, cc.AllowedSnake); len(allowed) > 0 {
				t.forcedTool = allowed[0]
			}
		}
	}
	n := len(req.Contents)
	if n == 0 || req.Contents[n-1].Role == "model" {
		return t
	}
	var text strings.Builder
	for _, p := range req.Contents[n-1].Parts {
		if fr := either(p.FunctionResponse, p.FunctionResponseSnake); fr != nil && t.toolResult == nil {
			s := functionResult(fr.Response)
			t.toolResult = &s
		}
		if p.Text != nil && !p.Thought {
			text.WriteString(*p.Text)
		}
	}
	t.userText = text.String()
	return t
}

// functionResult reads a functionResponse.response: its "output" or
// "content" string when there is one, else the compact JSON.
func functionResult(raw json.RawMessage) string {
	var r struct {
		Output  *string `json:"output"`
		Content *string `json:"content"`
	}
	if json.Unmarshal(raw, &r) == nil {
		if s := either(r.Output, r.Content); s != nil {
			return *s
		}
	}
	return string(raw)
}

type geminiResponse struct {
	Candidates    []geminiCandidate `json:"candidates"`
	UsageMetadata *geminiUsage      `json:"usageMetadata,omitempty"`
	ModelVersion  string            `json:"modelVersion"`
	ResponseID    string            `json:"responseId"`
}

type geminiCandidate struct {
	Content      geminiOutContent `json:"content"`
	FinishReason string           `json:"finishReason,omitempty"`
	Index        int              `json:"index"`
}

type geminiOutContent struct {
	Role  string          `json:"role"`
	Parts []geminiOutPart `json:"parts"`
}

type geminiOutPart struct {
	Text             string              `json:"text,omitempty"`
	Thought          bool                `json:"thought,omitempty"`
	FunctionCall     *geminiFunctionCall `json:"functionCall,omitempty"`
	ThoughtSignature string              `json:"thoughtSignature,omitempty"`
}

type geminiFunctionCall struct {
	Name string          `json:"name"`
	Args json.RawMessage `json:"args"`
	ID   string          `json:"id,omitempty"`
}

type geminiUsage struct {
	PromptTokenCount     int `json:"promptTokenCount"`
	CandidatesTokenCount int `json:"candidatesTokenCount,omitempty"`
	ThoughtsTokenCount   int `json:"thoughtsTokenCount,omitempty"`
	TotalTokenCount      int `json:"totalTokenCount"`
	PromptTokensDetails  []struct {
		Modality   string `json:"modality"`
		TokenCount int    `json:"tokenCount"`
	} `json:"promptTokensDetails"`
}

func (a answer) geminiUsage(final bool) *geminiUsage {
	u := &geminiUsage{PromptTokenCount: a.input}
	u.PromptTokensDetails = append(u.PromptTokensDetails, struct {
		Modality   string `json:"modality"`
		TokenCount int    `json:"tokenCount"`
	}{"TEXT", a.input})
	if final {
		u.ThoughtsTokenCount = a.thinkingTokens()
		u.CandidatesTokenCount = a.outputTokens() - u.ThoughtsTokenCount
	}
	u.TotalTokenCount = u.PromptTokenCount + u.CandidatesTokenCount + u.ThoughtsTokenCount
	return u
}

// handleGemini serves POST /v1beta/models/{model}:{method}. The method
// follows the last ':' (clients may send it as %3A); the model may hold dots.
func (s *Server) handleGemini(w http.ResponseWriter, r *http.Request) {
	ex, ok := s.begin(w, r, ProviderGemini)
	if !ok {
		return
	}
	target := r.PathValue("target")
	i := strings.LastIndex(target, ":")
	if i <= 0 {
		ex.fail(http.StatusNotFound, googleError(http.StatusNotFound, "Method not found: "+target))
		return
	}
	model, method := target[:i], target[i+1:]
	var req geminiRequest
	if err := json.Unmarshal(ex.body, &req); err != nil {
		ex.fail(http.StatusBadRequest, ex.badJSON(err))
		return
	}
	switch method {
	case "generateContent", "streamGenerateContent":
	case "countTokens":
		if ex.start(model, false) {
			n := estimateTokens(len(ex.body))
			ex.sendJSON(mustJSON(map[string]any{
				"totalTokens":         n,
				"promptTokensDetails": []map[string]any{{"modality": "TEXT", "tokenCount": n}},
			}))
		}
		return
	default:
		ex.fail(http.StatusNotFound, googleError(http.StatusNotFound, "Method not found: "+method))
		return
	}
	stream := method == "streamGenerateContent"
	if !ex.start(model, stream) || ex.strictRefused() || ex.agentLoop(stream) {
		return
	}
	a := req.turn(model, len(ex.body)).reply(ProviderGemini)
	ex.idCall(&a, model)
	_, include := req.thinking()
	resp := geminiResponse{ModelVersion: model, ResponseID: randomID("", 22)}
	if stream {
		ex.sendStream(geminiStream(resp, a, include, r.URL.Query().Get("alt") == "sse"))
		return
	}
	var parts []geminiOutPart
	if a.thinking != "" && include {
		parts = append(parts, geminiOutPart{Text: a.thinking, Thought: true})
	}
	parts = append(parts, a.geminiFinalPart(a.text, model))
	resp.Candidates = []geminiCandidate{{Content: geminiOutContent{Role: "model", Parts: parts}, FinishReason: "STOP"}}
	if ex.noTerminal() {
		resp.Candidates[0].FinishReason = ""
	}
	resp.UsageMetadata = a.geminiUsage(true)
	ex.sendJSON(mustJSON(resp))
}

// geminiFinalPart is the function call, or the text part that ends the
// answer, with the thought signature when thinking is on.
func (a answer) geminiFinalPart(text, model string) geminiOutPart {
	var p geminiOutPart
	if a.call != nil {
		p.FunctionCall = &geminiFunctionCall{Name: a.call.name, Args: json.RawMessage(a.call.args), ID: a.call.id}
	} else {
		p.Text = text
	}
	if a.thinking != "" {
		p.ThoughtSignature = signature(ProviderGemini, model, a.thinking)
	}
	return p
}

func geminiStream(resp geminiResponse, a answer, includeThoughts, sse bool) *stream {
	st := &stream{framing: framingArray}
	if sse {
		st.framing = framingGoogle
	}
	chunk := func(part geminiOutPart, final bool) {
		r := resp
		r.Candidates = []geminiCandidate{{Content: geminiOutContent{Role: "model", Parts: []geminiOutPart{part}}}}
		r.UsageMetadata = a.geminiUsage(final)
		if !final {
			st.add("", r)
			return
		}
		alt := mustJSON(r)
		r.Candidates[0].FinishReason = "STOP"
		st.add("", r)
		st.events[len(st.events)-1].terminal = true
		st.events[len(st.events)-1].alt = alt
	}
	if a.thinking != "" && includeThoughts {
		chunk(geminiOutPart{Text: a.thinking, Thought: true}, false)
	}
	if a.call != nil {
		chunk(a.geminiFinalPart("", resp.ModelVersion), true)
	} else {
		pieces := split(a.text, 4)
		for _, p := range pieces[:len(pieces)-1] {
			chunk(geminiOutPart{Text: p}, false)
		}
		chunk(a.geminiFinalPart(pieces[len(pieces)-1], resp.ModelVersion), true)
	}
	st.broken = sseEvent{data: []byte(`{"candidates":[{"content":{"role":"model","parts":[{"text":"brok`)}
	return st
}

var geminiModels = []map[string]any{
	geminiModel("gemini-2.5-pro", "Gemini 2.5 Pro"),
	geminiModel("gemini-2.5-flash", "Gemini 2.5 Flash"),
	geminiModel("gemini-2.0-flash", "Gemini 2.0 Flash"),
	geminiModel("gemini-3-pro-preview", "Gemini 3 Pro Preview"),
}

func geminiModel(id, name string) map[string]any {
	return map[string]any{
		"name": "models/" + id, "version": "001", "displayName": name, "description": name + " (fakeupstream)",
		"inputTokenLimit": 1048576, "outputTokenLimit": 65536,
		"supportedGenerationMethods": []string{"generateContent", "countTokens", "streamGenerateContent"},
		"temperature":                1, "topP": 0.95, "topK": 64, "maxTemperature": 2, "thinking": true,
	}
}

func (s *Server) handleGeminiModels(w http.ResponseWriter, r *http.Request) {
	ex, ok := s.begin(w, r, ProviderGemini)
	if !ok || !ex.start("", false) {
		return
	}
	ex.sendJSON(mustJSON(map[string]any{"models": geminiModels}))
}

func (s *Server) handleGeminiModel(w http.ResponseWriter, r *http.Request) {
	ex, ok := s.begin(w, r, ProviderGemini)
	if !ok {
		return
	}
	id := strings.TrimPrefix(r.PathValue("model"), "models/")
	if !ex.start(id, false) {
		return
	}
	for _, m := range geminiModels {
		if m["name"] == "models/"+id {
			ex.sendJSON(mustJSON(m))
			return
		}
	}
	ex.fail(http.StatusNotFound, googleError(http.StatusNotFound, "models/"+id+" is not found for API version v1beta."))
}
