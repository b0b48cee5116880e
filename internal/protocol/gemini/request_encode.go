package gemini

import (
	"encoding/json"
	"errors"
	"path"
	"strings"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol"
)

// SkipSignature is Google's documented stand-in for a missing thought
// signature on the first functionCall of a step in the current turn.
const SkipSignature = "skip_thought_signature_validator"

// maxStop is the most stopSequences Gemini takes.
const maxStop = 5

type genRequest struct {
	Model             string      `json:"model,omitempty"` // countTokens' generateContentRequest only
	Contents          []content   `json:"contents"`
	SystemInstruction *content    `json:"systemInstruction,omitempty"`
	Tools             []toolDecls `json:"tools,omitempty"`
	ToolConfig        *toolConfig `json:"toolConfig,omitempty"`
	GenerationConfig  *genConfig  `json:"generationConfig,omitempty"`
}

type toolDecls struct {
	FunctionDeclarations []funcDecl `json:"functionDeclarations"`
}

type funcDecl struct {
	Name                 string          `json:"name"`
	Description          string          `json:"description,omitempty"`
	ParametersJSONSchema json.RawMessage `json:"parametersJsonSchema,omitempty"`
}

type toolConfig struct {
	FunctionCallingConfig fcConfig `json:"functionCallingConfig"`
}

type fcConfig struct {
	Mode                 string   `json:"mode"`
	AllowedFunctionNames []string `json:"allowedFunctionNames,omitempty"`
}

type genConfig struct {
	MaxOutputTokens    int             `json:"maxOutputTokens,omitempty"`
	Temperature        *float64        `json:"temperature,omitempty"`
	TopP               *float64        `json:"topP,omitempty"`
	TopK               *int            `json:"topK,omitempty"`
	StopSequences      []string        `json:"stopSequences,omitempty"`
	ResponseMimeType   string          `json:"responseMimeType,omitempty"`
	ResponseJSONSchema json.RawMessage `json:"responseJsonSchema,omitempty"`
	ThinkingConfig     *thinkingCfg    `json:"thinkingConfig,omitempty"`
}

type thinkingCfg struct {
	ThinkingBudget  int  `json:"thinkingBudget"`
	IncludeThoughts bool `json:"includeThoughts"`
}

// EncodeRequest renders r as a Gemini streamGenerateContent body. The model
// belongs in the URL path, so model is not written. Consecutive same-role
// turns are merged, thinking text is dropped (its signature moves to the
// next functionCall part), orphan tool results are dropped and unanswered
// calls get an error response, so Gemini's pairing rules hold.
func EncodeRequest(r *llm.Request, model string) ([]byte, error) {
	return EncodeRequestFor(r, model, nil)
}

// EncodeRequestFor is EncodeRequest with the model family's capabilities
// (protocol.CapabilitiesFor, with override applied): no thinkingConfig for
// models without thinking, no sampling parameters where they are refused.
func EncodeRequestFor(r *llm.Request, model string, override map[string]bool) ([]byte, error) {
	g, err := buildRequest(r)
	if err != nil {
		return nil, err
	}
	if err := protocol.CheckToolNames(r.Tools, functionName,
		"Gemini accepts up to 64 letters, digits, _ . : and -, starting with a letter or _"); err != nil {
		return nil, err
	}
	caps := protocol.CapabilitiesFor(llm.Gemini, model, override)
	g.GenerationConfig = generation(r, caps)
	return marshal(g)
}

// functionName reports whether Gemini accepts name as a function name.
func functionName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		letter := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '.' || c == ':' || c == '-')) {
			return false
		}
	}
	return true
}

func buildRequest(r *llm.Request) (*genRequest, error) {
	if r == nil {
		return nil, errors.New("gemini: nil request")
	}
	g := &genRequest{Contents: encodeMessages(r.Messages)}
	if len(g.Contents) == 0 {
		return nil, errors.New("gemini: the request has no content to send")
	}
	var sys []part
	for _, p := range r.System {
		if p.Text != "" {
			sys = append(sys, part{Text: strPtr(p.Text)})
		}
	}
	if len(sys) > 0 {
		g.SystemInstruction = &content{Parts: sys}
	}
	if len(r.Tools) > 0 {
		decls := make([]funcDecl, 0, len(r.Tools))
		for _, t := range r.Tools {
			d := funcDecl{Name: t.Name, Description: t.Description}
			if len(t.Schema) > 0 && string(t.Schema) != "null" {
				d.ParametersJSONSchema = objectOrEmpty(t.Schema)
			}
			decls = append(decls, d)
		}
		g.Tools = []toolDecls{{FunctionDeclarations: decls}}
		if tc := r.ToolChoice; tc != nil {
			switch tc.Mode {
			case llm.ToolAuto:
				g.ToolConfig = &toolConfig{fcConfig{Mode: "AUTO"}}
			case llm.ToolNone:
				g.ToolConfig = &toolConfig{fcConfig{Mode: "NONE"}}
			case llm.ToolAny:
				g.ToolConfig = &toolConfig{fcConfig{Mode: "ANY"}}
			case llm.ToolName:
				g.ToolConfig = &toolConfig{fcConfig{Mode: "ANY", AllowedFunctionNames: []string{tc.Name}}}
			}
		}
	}
	return g, nil
}

func generation(r *llm.Request, caps protocol.Capabilities) *genConfig {
	gc := &genConfig{MaxOutputTokens: r.MaxTokens}
	if caps.Sampling {
		gc.Temperature, gc.TopP, gc.TopK = r.Temperature, r.TopP, r.TopK
	}
	if gc.MaxOutputTokens < 0 {
		gc.MaxOutputTokens = 0
	}
	gc.StopSequences = r.Stop
	if len(gc.StopSequences) > maxStop {
		gc.StopSequences = gc.StopSequences[:maxStop]
	}
	if f := r.Format; f != nil && (f.Type == "json_object" || f.Type == "json_schema") {
		gc.ResponseMimeType = "application/json"
		if len(f.Schema) > 0 && string(f.Schema) != "null" {
			gc.ResponseJSONSchema = objectOrEmpty(f.Schema)
		}
	}
	if t := r.Thinking; t != nil && t.Enabled && caps.Reasoning {
		budget := t.Budget
		if budget <= 0 {
			budget = llm.BudgetFor(t.Effort)
		}
		gc.ThinkingConfig = &thinkingCfg{ThinkingBudget: budget, IncludeThoughts: true}
	}
	if gc.MaxOutputTokens == 0 && gc.Temperature == nil && gc.TopP == nil && gc.TopK == nil &&
		len(gc.StopSequences) == 0 && gc.ResponseMimeType == "" && gc.ThinkingConfig == nil {
		return nil
	}
	return gc
}

// encodeMessages turns the history into Gemini contents.
func encodeMessages(msgs []llm.Message) []content {
	calls := map[string]string{} // call id -> tool name
	answered := map[string]bool{}
	for _, m := range msgs {
		for _, p := range m.Parts {
			switch {
			case p.Type == llm.PartToolCall && p.ToolCall != nil:
				calls[p.ToolCall.ID] = p.ToolCall.Name
			case p.Type == llm.PartToolResult && p.ToolResult != nil:
				answered[p.ToolResult.CallID] = true
			}
		}
	}
	var out []content
	var missing []part // error responses owed to the previous model turn
	for i, m := range msgs {
		role := "user"
		if m.Role == llm.RoleAssistant {
			role = "model"
		}
		var parts []part
		if role == "user" && len(missing) > 0 {
			parts, missing = missing, nil
		}
		if role == "model" && len(missing) > 0 {
			out = appendContent(out, content{Role: "user", Parts: missing})
			missing = nil
		}
		sig := "" // a thinking signature waiting for the next functionCall
		for _, p := range m.Parts {
			switch p.Type {
			case llm.PartText:
				if p.Text != "" || p.Signature != "" {
					parts = append(parts, part{Text: strPtr(p.Text), ThoughtSignature: p.Signature})
				}
			case llm.PartThinking:
				if p.Signature != "" {
					sig = p.Signature
				}
			case llm.PartImage:
				if ip, ok := imagePart(p.Image); ok {
					parts = append(parts, ip)
				}
			case llm.PartToolCall:
				tc := p.ToolCall
				if tc == nil || role != "model" || (!answered[tc.ID] && i == len(msgs)-1) {
					continue // a dangling call at the end cannot be sent
				}
				fp := part{FunctionCall: &functionCall{Name: tc.Name, Args: objectOrEmpty(tc.Args), ID: tc.ID}, ThoughtSignature: p.Signature}
				if fp.ThoughtSignature == "" {
					fp.ThoughtSignature, sig = sig, ""
				}
				parts = append(parts, fp)
				if !answered[tc.ID] {
					resp := map[string]any{"error": "the tool call was not answered"}
					missing = append(missing, part{FunctionResponse: &functionResponse{Name: tc.Name, ID: tc.ID, Response: resp}})
				}
			case llm.PartToolResult:
				tr := p.ToolResult
				if tr == nil || role != "user" {
					continue
				}
				name, ok := calls[tr.CallID] // the response's name must match the call's
				if !ok {
					continue // an orphan result is rejected by Gemini
				}
				parts = append(parts, resultParts(tr, name)...)
			}
		}
		if len(parts) > 0 {
			out = appendContent(out, content{Role: role, Parts: parts})
		}
	}
	if len(missing) > 0 {
		out = appendContent(out, content{Role: "user", Parts: missing})
	}
	markCurrentTurn(out)
	return out
}

// appendContent adds c, merging it into the last content of the same role.
func appendContent(out []content, c content) []content {
	if n := len(out); n > 0 && out[n-1].Role == c.Role {
		out[n-1].Parts = append(out[n-1].Parts, c.Parts...)
		return out
	}
	return append(out, c)
}

// markCurrentTurn puts the dummy signature on the first functionCall of each
// model step after the last user text turn when that step has no signature.
func markCurrentTurn(cs []content) {
	start := 0
	for i, c := range cs {
		if c.Role == "user" && ordinary(c) {
			start = i + 1
		}
	}
	for i := start; i < len(cs); i++ {
		if cs[i].Role != "model" {
			continue
		}
		first, signed := -1, false
		for j, p := range cs[i].Parts {
			if p.FunctionCall != nil {
				if first < 0 {
					first = j
				}
				signed = signed || p.ThoughtSignature != ""
			}
		}
		if first >= 0 && !signed {
			cs[i].Parts[first].ThoughtSignature = SkipSignature
		}
	}
}

// ordinary tells a user turn that starts a new turn: it has text or media
// and no function responses.
func ordinary(c content) bool {
	text := false
	for _, p := range c.Parts {
		if p.FunctionResponse != nil {
			return false
		}
		text = text || p.Text != nil || p.InlineData != nil || p.FileData != nil
	}
	return text
}

func resultParts(tr *llm.ToolResult, name string) []part {
	var texts []string
	var images []part
	for _, c := range tr.Content {
		switch c.Type {
		case llm.PartText:
			texts = append(texts, c.Text)
		case llm.PartImage:
			if ip, ok := imagePart(c.Image); ok {
				images = append(images, ip)
			}
		}
	}
	key := "result"
	if tr.IsError {
		key = "error"
	}
	fr := &functionResponse{Name: name, ID: tr.CallID, Response: map[string]any{key: strings.Join(texts, "\n")}}
	return append([]part{{FunctionResponse: fr}}, images...)
}

func imagePart(img *llm.Image) (part, bool) {
	switch {
	case img == nil:
		return part{}, false
	case img.Data != "":
		mt := img.MediaType
		if mt == "" {
			mt = "image/png"
		}
		return part{InlineData: &blob{MimeType: mt, Data: img.Data}}, true
	case strings.HasPrefix(img.URL, "data:"):
		meta, data, ok := strings.Cut(strings.TrimPrefix(img.URL, "data:"), ",")
		if !ok || !strings.HasSuffix(meta, ";base64") || data == "" {
			return part{}, false
		}
		return part{InlineData: &blob{MimeType: strings.TrimSuffix(meta, ";base64"), Data: data}}, true
	case img.URL != "":
		mt := img.MediaType
		if mt == "" {
			mt = mimeFromURL(img.URL)
		}
		return part{FileData: &fileData{MimeType: mt, FileURI: img.URL}}, true
	}
	return part{}, false
}

func mimeFromURL(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	switch strings.ToLower(path.Ext(u)) {
	case ".png":
		return "image/png"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".gif":
		return "image/gif"
	case ".webp":
		return "image/webp"
	case ".pdf":
		return "application/pdf"
	}
	return ""
}
