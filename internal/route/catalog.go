package route

import "github.com/switchyard-gw/switchyard/internal/account"

// KnownModel is a model id a provider serves under that name.
type KnownModel struct {
	ID       string
	Provider account.Provider // anthropic, openai or gemini (a codeassist account serves gemini's)
}

// Catalog is the built-in list of the providers' current model ids, the
// ones clients discover with GET /v1/models. A model is offered to clients
// only when an account of the pool serves it (see Serves); the list is for
// discovery and does not limit what may be routed. It is a function, not a
// package variable, so no caller can change it.
func Catalog() []KnownModel {
	ids := map[account.Provider][]string{
		account.Anthropic: {
			"claude-opus-4-5", "claude-opus-4-5-20251101",
			"claude-opus-4-1", "claude-opus-4-1-20250805",
			"claude-opus-4-0", "claude-opus-4-20250514",
			"claude-sonnet-4-5", "claude-sonnet-4-5-20250929",
			"claude-sonnet-4-0", "claude-sonnet-4-20250514",
			"claude-haiku-4-5", "claude-haiku-4-5-20251001",
			"claude-3-7-sonnet-latest", "claude-3-5-haiku-latest",
		},
		account.OpenAI: {
			"gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-5-codex", "gpt-5-chat-latest",
			"gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano",
			"gpt-4o", "gpt-4o-mini",
			"o3", "o3-mini", "o4-mini", "o1",
		},
		account.Gemini: {
			"gemini-3-pro-preview",
			"gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite",
			"gemini-2.0-flash", "gemini-2.0-flash-lite",
		},
	}
	var out []KnownModel
	for _, p := range []account.Provider{account.Anthropic, account.OpenAI, account.Gemini} {
		for _, id := range ids[p] {
			out = append(out, KnownModel{ID: id, Provider: p})
		}
	}
	return out
}

// Serves reports whether account a serves model under its own name: its
// allow-list admits the model, or it has none and the model is of its
// provider's family. Routing is not applied; disabled accounts are not
// special here.
func Serves(a *account.Account, model string) bool {
	if len(a.Models) > 0 {
		return a.Allows(model)
	}
	return Family(model) == a.Provider
}
