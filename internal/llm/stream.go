package llm

// Stop reasons in the canonical vocabulary (Anthropic's words).
const (
	StopEnd      = "end_turn"
	StopMaxTok   = "max_tokens"
	StopToolUse  = "tool_use"
	StopSequence = "stop_sequence"
	StopRefusal  = "refusal" // content filter, safety
)

// EventType tells which fields of an Event are set.
type EventType int

// The canonical stream vocabulary. A translated answer is always a sequence
//
//	Start (BlockStart delta* BlockStop)* Finish
//
// whatever the provider's own framing; a non-streamed answer is the same
// sequence, collected by the client protocol.
const (
	EvStart         EventType = iota + 1 // ID, Model, Usage (input side, when known)
	EvBlockStart                         // Index, Block (Type, and ID/Name for tool calls)
	EvTextDelta                          // Index, Text
	EvThinkingDelta                      // Index, Text
	EvSignature                          // Index, Text = signature of the open thinking (or tool call) block
	EvToolArgsDelta                      // Index, Text = a fragment of the arguments' JSON
	EvBlockStop                          // Index
	EvFinish                             // StopReason, Usage (final numbers)
)

// Event is one step of a canonical answer stream.
type Event struct {
	Type       EventType
	Index      int // block index, from 0, in order of BlockStart
	Text       string
	Block      *BlockInfo
	ID         string
	Model      string
	StopReason string
	Usage      *Usage
}

// BlockInfo describes a block as it starts.
type BlockInfo struct {
	Type PartType // PartText, PartThinking, PartRedacted or PartToolCall
	ID   string   // tool call id
	Name string   // tool name
	// Signature is known at start for some providers (Gemini parts, Anthropic
	// redacted thinking data).
	Signature string
}

// EncodeOptions configure a client-side stream encoder.
type EncodeOptions struct {
	Model        string // the model name shown to the client
	IncludeUsage bool   // OpenAI stream_options.include_usage
	ID           string // response id to present; "" derives one
	Created      int64  // unix seconds
	// Freeform names the request's freeform tools, whose calls the client
	// protocol shows as text rather than JSON arguments.
	Freeform []string
	// Namespaced maps the provider-side name of each namespaced tool of the
	// request (Tool.Name) to its namespace: the client is shown a call of it
	// as the tool's own name in that namespace.
	Namespaced map[string]string
	// InputTokens is an estimate of the request's input tokens, shown where
	// the client protocol reports them before the provider does; 0: unknown.
	InputTokens int64
	// NewID returns a fresh random id (24 hex digits) for an answer whose
	// upstream brought none; the caller owns the randomness, so encoders
	// stay pure. nil: a fixed id (tests).
	NewID func() string
}

// FreshID is o.NewID's id, or a fixed one when there is no source.
func (o EncodeOptions) FreshID() string {
	if o.NewID != nil {
		return o.NewID()
	}
	return "000000000000000000000000"
}

// StreamEncoder writes canonical events as one protocol's client events.
type StreamEncoder interface {
	Encode(ev Event, emit func(name string, data []byte))
}

// StreamDecoder reads one protocol's provider events into canonical events,
// appended to out.
type StreamDecoder interface {
	Decode(name string, data []byte, out []Event) ([]Event, error)
}

// Collector rebuilds one JSON answer from a protocol's client stream events.
type Collector interface {
	Add(data []byte)
	JSON() ([]byte, error)
}

// Signing is how a protocol signs its reasoning, which decides what of a
// history translated from elsewhere it can be sent.
type Signing int

const (
	// SigningNone: the protocol carries no reasoning signatures.
	SigningNone Signing = iota
	// SigningParts: a signature rides on any part (text, tool call) and is
	// checked without the reasoning text.
	SigningParts
	// SigningThinking: a signature belongs to a thinking block's text; a
	// replayed signature needs its text, and with thinking on a tool turn must
	// start with signed thinking.
	SigningThinking
)
