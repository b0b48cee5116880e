package route

import (
	"strings"

	"github.com/switchyard-gw/switchyard/internal/account"
)

// Family returns the provider whose accounts serve model when they have no
// allow-list: claude-* → anthropic; gpt-*, o1*, o3*, o4*, chatgpt-*, codex-*
// → openai; gemini-* → gemini; anything else → "". Case is ignored and a
// leading "models/" is skipped.
func Family(model string) account.Provider {
	model = stripModelsPrefix(model)
	switch {
	case hasPrefixFold(model, "claude-"):
		return account.Anthropic
	case hasPrefixFold(model, "gpt-"),
		hasPrefixFold(model, "o1"),
		hasPrefixFold(model, "o3"),
		hasPrefixFold(model, "o4"),
		hasPrefixFold(model, "chatgpt-"),
		hasPrefixFold(model, "codex-"):
		return account.OpenAI
	case hasPrefixFold(model, "gemini-"):
		return account.Gemini
	}
	return ""
}

// stripModelsPrefix removes a leading "models/" in any letter case.
func stripModelsPrefix(model string) string {
	if hasPrefixFold(model, "models/") {
		return model[len("models/"):]
	}
	return model
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
