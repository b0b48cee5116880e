package protocol

import (
	"fmt"
	"strings"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

// Capabilities are the optional request parameters a provider's model
// accepts. A provider encoder leaves out what its target cannot take instead
// of sending a request the provider refuses.
type Capabilities struct {
	// Reasoning: the model takes a reasoning knob (OpenAI reasoning_effort,
	// Anthropic thinking, Gemini thinkingConfig).
	Reasoning bool
	// Sampling: the model takes temperature and top_p (and top_k where the
	// API has it) other than their defaults.
	Sampling bool
}

// Capability names, as an account's capabilities override spells them.
const (
	CapReasoning = "reasoning"
	CapSampling  = "sampling"
)

// CapabilityNames lists the names an override may set.
func CapabilityNames() []string { return []string{CapReasoning, CapSampling} }

// family is one row of the capability table: models whose lower-case name
// starts with prefix (and does not start with a more specific row's prefix
// listed before it).
type family struct {
	prefix string
	caps   Capabilities
}

// capabilityTable returns the rows of provider p, most specific first. Models
// no row names get everything: the table only takes away what a family is
// known to refuse.
func capabilityTable(p llm.Protocol) []family {
	reasoningOnly := Capabilities{Reasoning: true}
	samplingOnly := Capabilities{Sampling: true}
	everything := Capabilities{Reasoning: true, Sampling: true}
	switch p {
	case llm.OpenAI:
		return []family{
			// Reasoning models refuse temperature and top_p; the chat
			// variants of gpt-5 are not reasoning models.
			{"gpt-5-chat", samplingOnly},
			{"gpt-5", reasoningOnly},
			{"o1", reasoningOnly},
			{"o3", reasoningOnly},
			{"o4", reasoningOnly},
			{"codex", reasoningOnly},
			{"gpt-oss", reasoningOnly},
			// Non-reasoning models refuse reasoning_effort.
			{"gpt-4", samplingOnly},
			{"gpt-3.5", samplingOnly},
			{"chatgpt-", samplingOnly},
		}
	case llm.Anthropic:
		return []family{
			{"claude-3-7", everything},
			{"claude-3", samplingOnly}, // 3.5, 3 opus/sonnet/haiku: no extended thinking
			{"claude-2", samplingOnly},
			{"claude-instant", samplingOnly},
		}
	case llm.Gemini:
		return []family{
			{"gemini-1", samplingOnly},
			{"gemini-2.0", samplingOnly},
		}
	}
	return nil
}

// CapabilitiesFor is what model accepts on provider p: the table's row for
// the model's family, then each name override sets (CapReasoning,
// CapSampling) replaced by its value. Unknown override names are ignored (the
// account file refuses them).
func CapabilitiesFor(p llm.Protocol, model string, override map[string]bool) Capabilities {
	c := Capabilities{Reasoning: true, Sampling: true}
	m := strings.ToLower(model)
	m = m[strings.LastIndexByte(m, '/')+1:] // "models/gemini-…", "openai/gpt-…"
	for _, f := range capabilityTable(p) {
		if strings.HasPrefix(m, f.prefix) {
			c = f.caps
			break
		}
	}
	if strings.Contains(m, "codex") && p == llm.OpenAI {
		c = Capabilities{Reasoning: true}
	}
	if v, ok := override[CapReasoning]; ok {
		c.Reasoning = v
	}
	if v, ok := override[CapSampling]; ok {
		c.Sampling = v
	}
	return c
}

// CheckToolNames returns an error naming the first tool whose name valid
// refuses; rule words what the provider accepts. A tool the provider cannot
// take is never dropped silently: the request is refused instead.
func CheckToolNames(tools []llm.Tool, valid func(string) bool, rule string) error {
	for _, t := range tools {
		if !valid(t.Name) {
			name := t.Name
			if len(name) > 100 {
				name = name[:100] + "…"
			}
			return fmt.Errorf("tool %q cannot be offered: %s", name, rule)
		}
	}
	return nil
}

// PlainToolName reports whether name is 1 to 64 ASCII letters, digits, '_'
// and '-' (what OpenAI and Anthropic accept).
func PlainToolName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
