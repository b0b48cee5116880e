package llm

import "encoding/json"

// Request is the canonical form of a generation request, the meeting point of
// every client protocol and every provider when the two differ (N+M
// converters instead of N×M). The same-protocol fast path never builds one.
type Request struct {
	Model    string
	System   []Part // text parts, in order
	Messages []Message
	Tools    []Tool
	// ToolChoice is nil when the client left it to the provider.
	ToolChoice *ToolChoice
	// ParallelToolCalls is nil when unspecified.
	ParallelToolCalls *bool

	MaxTokens   int // 0: unspecified
	Temperature *float64
	TopP        *float64
	TopK        *int
	Stop        []string
	Thinking    *Thinking       // nil: unspecified
	Format      *ResponseFormat // nil: plain text
	Stream      bool
	// User is an opaque end-user id (OpenAI user, Anthropic metadata.user_id).
	User string
	// Omitted names the tools the client offered that have no canonical form
	// (provider-hosted tools such as the Responses API's web_search), which
	// the decoder left out; the gateway tells the client which they were.
	// (omitempty: dumps of requests that omit nothing stay as they were.)
	Omitted []string `json:",omitempty"`
}

// Role of a message.
type Role string

// Roles. Tool results travel in user messages (Anthropic's convention).
const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
)

// Message is one turn.
type Message struct {
	Role  Role
	Parts []Part
}

// PartType tells which fields of a Part are set.
type PartType string

// Part types.
const (
	PartText       PartType = "text"
	PartImage      PartType = "image"       // Image
	PartThinking   PartType = "thinking"    // Text (may be empty), Signature
	PartRedacted   PartType = "redacted"    // Anthropic redacted_thinking: Signature holds its data
	PartToolCall   PartType = "tool_call"   // ToolCall
	PartToolResult PartType = "tool_result" // ToolResult
)

// Part is one piece of a message.
type Part struct {
	Type PartType
	Text string
	// Signature is the provider's continuity token of a thinking part (or, for
	// Gemini, of the part it was attached to).
	Signature  string
	Image      *Image
	ToolCall   *ToolCall
	ToolResult *ToolResult
}

// Image is inline data or a URL.
type Image struct {
	MediaType string // e.g. image/png; "" with URL when unknown
	Data      string // base64, without a data: prefix
	URL       string // http(s) URL when not inline
}

// ToolCall is a model's call of a client tool.
type ToolCall struct {
	ID   string
	Name string
	Args json.RawMessage // a JSON object; "{}" when empty
}

// ToolResult answers a ToolCall.
type ToolResult struct {
	CallID  string
	Name    string // the called tool's name when known (Gemini needs it)
	Content []Part // text and image parts
	IsError bool
}

// Tool is a function the model may call.
type Tool struct {
	Name        string
	Description string
	Schema      json.RawMessage // JSON Schema of the arguments; nil: none
	// Freeform: the client's tool takes one free text, not JSON (an OpenAI
	// Responses custom tool). Providers see a function whose only argument
	// is the string FreeformArg; calls carry {"input": text}.
	Freeform bool
	// Namespace is the client's group of the tool (a Responses API namespace
	// tool); Name is then the qualified name Namespace + NamespaceSep + the
	// tool's own name, which is what providers see.
	Namespace string
}

// NamespaceSep joins a tool's namespace and its own name into the one name
// providers without namespaces see.
const NamespaceSep = "__"

// FreeformArg is the argument that carries a freeform tool's text.
const FreeformArg = "input"

// ToolChoiceMode is how the model must use tools.
type ToolChoiceMode string

// Tool choice modes.
const (
	ToolAuto ToolChoiceMode = "auto"
	ToolNone ToolChoiceMode = "none"
	ToolAny  ToolChoiceMode = "any"  // must call some tool
	ToolName ToolChoiceMode = "tool" // must call Name
)

// ToolChoice constrains tool use.
type ToolChoice struct {
	Mode ToolChoiceMode
	Name string
}

// Thinking is the reasoning setting. Budget and Effort are both kept when
// known; converters derive the missing one with BudgetFor/EffortFor.
type Thinking struct {
	Enabled bool
	Budget  int    // tokens; 0 unknown
	Effort  string // minimal | low | medium | high; "" unknown
}

// ResponseFormat asks for structured output.
type ResponseFormat struct {
	Type   string // json_object | json_schema
	Name   string
	Schema json.RawMessage
}

// BudgetFor maps a reasoning effort to a thinking budget in tokens.
func BudgetFor(effort string) int {
	switch effort {
	case "minimal":
		return 1024
	case "low":
		return 4096
	case "high":
		return 24576
	}
	return 8192
}

// EffortFor maps a thinking budget to the nearest reasoning effort.
func EffortFor(budget int) string {
	switch {
	case budget <= 0:
		return "medium"
	case budget <= 1024:
		return "minimal"
	case budget <= 4096:
		return "low"
	case budget <= 16384:
		return "medium"
	}
	return "high"
}
