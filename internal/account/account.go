// Package account loads the pool of upstream accounts the gateway spreads
// requests over.
//
// The pool comes from one YAML or JSON file (a mounted Secret in Kubernetes)
// whose string values may reference environment variables as ${VAR}. [Parse]
// validates every entry and reports all problems at once, each naming the
// entry and the field; no error message ever contains a credential. A
// [Source] keeps the current [Pool] and swaps in a new one when the file
// changes and is valid.
//
// Credentials are held as [Secret] values, which print, log and marshal as
// "[redacted]"; only [Secret.Reveal] gives the value, at the point of use.
package account

import (
	"log/slog"
	"strings"
)

// Provider is an upstream API family.
type Provider string

// The supported providers.
const (
	Anthropic Provider = "anthropic"
	OpenAI    Provider = "openai"
	Gemini    Provider = "gemini"
	// CodeAssist is a Google account as Gemini CLI's "Login with Google"
	// holds it: the Gemini protocol wrapped in Code Assist's v1internal
	// envelope (see package codeassist).
	CodeAssist Provider = "codeassist"
)

// Valid reports whether p is one of the supported providers.
func (p Provider) Valid() bool {
	switch p {
	case Anthropic, OpenAI, Gemini, CodeAssist:
		return true
	}
	return false
}

// Wire is the protocol family p's bodies and events are written in: Gemini
// for CodeAssist (its envelope is put on and taken off at the transport),
// else p itself.
func (p Provider) Wire() Provider {
	if p == CodeAssist {
		return Gemini
	}
	return p
}

// defaultBaseURL is the API root used when an account names none. It follows
// each provider SDK's convention: OpenAI's includes the version, Anthropic's
// and Gemini's are roots.
func (p Provider) defaultBaseURL() string {
	switch p {
	case Anthropic:
		return "https://api.anthropic.com"
	case OpenAI:
		return "https://api.openai.com/v1"
	case Gemini:
		return "https://generativelanguage.googleapis.com"
	case CodeAssist:
		return "https://cloudcode-pa.googleapis.com"
	}
	return ""
}

// Tier orders accounts by preference: ultra before pro before free.
type Tier string

// The supported tiers.
const (
	Ultra Tier = "ultra"
	Pro   Tier = "pro"
	Free  Tier = "free"
)

// Rank is the tier's preference order, lower first: ultra 0, pro 1, free 2.
// An unknown tier ranks after free.
func (t Tier) Rank() int {
	switch t {
	case Ultra:
		return 0
	case Pro:
		return 1
	case Free:
		return 2
	}
	return 3
}

// Valid reports whether t is one of the supported tiers.
func (t Tier) Valid() bool { return t.Rank() < 3 }

// OAuth holds refresh-token credentials, used instead of an API key.
type OAuth struct {
	TokenURL     string `json:"token_url"`
	ClientID     string `json:"client_id"`
	ClientSecret Secret `json:"client_secret"` // optional
	RefreshToken Secret `json:"refresh_token"`
}

// Account is one upstream account of the pool. Accounts are shared by every
// request and must not be modified once the pool is built.
type Account struct {
	// ID is unique within the pool and stable across reloads: all shared
	// state is keyed by it.
	ID string
	// Email identifies the account to people (X-Account-Email, logs, admin).
	Email    string
	Provider Provider
	// BaseURL is the API root, without a trailing slash; the provider's
	// default when the file gives none.
	BaseURL string
	// APIKey is set for key accounts; OAuth is set for refresh-token accounts.
	// Exactly one of the two is present.
	APIKey Secret
	OAuth  *OAuth
	// Tier defaults to free. TierAuto is set on a codeassist account whose
	// file entry names no tier: its tier is read from Code Assist, and Tier
	// is free until then.
	Tier     Tier
	TierAuto bool
	// Project is a codeassist account's Cloud AI Companion project; empty
	// means discovered (loadCodeAssist, onboardUser).
	Project string
	// Models is the allow-list of model globs; empty allows every model routed
	// to the provider.
	Models   []string
	Disabled bool
	// Capabilities overrides the gateway's table of what the account's
	// models accept when a request is translated for them: "reasoning"
	// (reasoning_effort, thinking) and "sampling" (temperature, top_p, top_k)
	// set true or false. Empty: the table decides.
	Capabilities map[string]bool
	// Index is the account's position in the file.
	Index int
}

// Allows reports whether the account's allow-list admits model: true when
// there is no allow-list, else when any glob matches (case-insensitively).
func (a *Account) Allows(model string) bool {
	if len(a.Models) == 0 {
		return true
	}
	for _, p := range a.Models {
		if MatchGlob(p, model) {
			return true
		}
	}
	return false
}

// String identifies the account without any credential:
// "claude-team-1 <alice@example.com> (anthropic)".
func (a *Account) String() string {
	var b strings.Builder
	b.WriteString(a.ID)
	b.WriteString(" <")
	b.WriteString(a.Email)
	b.WriteString("> (")
	b.WriteString(string(a.Provider))
	b.WriteString(")")
	return b.String()
}

// LogValue describes the account for structured logs, without credentials.
func (a *Account) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", a.ID),
		slog.String("email", a.Email),
		slog.String("provider", string(a.Provider)),
		slog.String("tier", string(a.Tier)),
		slog.Bool("oauth", a.OAuth != nil),
		slog.Bool("disabled", a.Disabled),
	)
}
