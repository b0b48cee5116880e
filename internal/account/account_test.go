package account

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestProviderValid(t *testing.T) {
	tests := []struct {
		p    Provider
		want bool
	}{
		{Anthropic, true}, {OpenAI, true}, {Gemini, true},
		{"", false}, {"Anthropic", false}, {"azure", false},
	}
	for _, tt := range tests {
		t.Run(string(tt.p), func(t *testing.T) {
			if got := tt.p.Valid(); got != tt.want {
				t.Errorf("Provider(%q).Valid() = %v; want %v", tt.p, got, tt.want)
			}
		})
	}
}

func TestTierRank(t *testing.T) {
	tests := []struct {
		t     Tier
		rank  int
		valid bool
	}{
		{Ultra, 0, true}, {Pro, 1, true}, {Free, 2, true}, {"gold", 3, false}, {"", 3, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.t), func(t *testing.T) {
			if got := tt.t.Rank(); got != tt.rank {
				t.Errorf("Tier(%q).Rank() = %d; want %d", tt.t, got, tt.rank)
			}
			if got := tt.t.Valid(); got != tt.valid {
				t.Errorf("Tier(%q).Valid() = %v; want %v", tt.t, got, tt.valid)
			}
		})
	}
}

func TestAllows(t *testing.T) {
	tests := []struct {
		name   string
		models []string
		model  string
		want   bool
	}{
		{"no allow-list", nil, "anything", true},
		{"glob match", []string{"claude-*"}, "claude-opus-4-6", true},
		{"case-insensitive", []string{"claude-*"}, "Claude-Opus", true},
		{"second glob", []string{"gpt-4*", "o3*"}, "o3-mini", true},
		{"no match", []string{"gpt-4*", "o3*"}, "gemini-2.5-pro", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &Account{Models: tt.models}
			if got := a.Allows(tt.model); got != tt.want {
				t.Errorf("Allows(%q) with %q = %v; want %v", tt.model, tt.models, got, tt.want)
			}
		})
	}
}

// secretAccount is an account whose every credential is a recognisable secret.
func secretAccount() *Account {
	return &Account{
		ID: "acct-1", Email: "alice@example.com", Provider: Gemini, Tier: Pro,
		BaseURL: "https://generativelanguage.googleapis.com",
		APIKey:  "sk-api-secret",
		OAuth: &OAuth{
			TokenURL: "https://oauth2.googleapis.com/token", ClientID: "client-id",
			ClientSecret: "client-secret-value", RefreshToken: "refresh-secret-value",
		},
	}
}

func TestAccountNeverPrintsCredentials(t *testing.T) {
	a := secretAccount()
	credentialValues := []string{"sk-api-secret", "client-secret-value", "refresh-secret-value"}
	outputs := map[string]string{
		"String":                 a.String(),
		"%v %+v pointer":         fmt.Sprintf("%v %+v", a, a),
		"%v %+v %#v value":       fmt.Sprintf("%v %+v %#v", *a, *a, *a),
		"%v %+v %#v oauth":       fmt.Sprintf("%v %+v %#v", *a.OAuth, *a.OAuth, *a.OAuth),
		"%s %q %x secret":        fmt.Sprintf("%s %q %x", a.APIKey, a.APIKey, a.APIKey),
		"%v slice of values":     fmt.Sprintf("%v", []Account{*a}),
		"%+v struct with secret": fmt.Sprintf("%+v", struct{ K Secret }{a.APIKey}),
	}
	jsonOut, err := json.Marshal(a)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	outputs["json"] = string(jsonOut)
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	logger.Info("picked", "account", a, "key", a.APIKey, "oauth", a.OAuth)
	outputs["slog json"] = logs.String()

	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			for _, secret := range credentialValues {
				if strings.Contains(out, secret) {
					t.Errorf("output %q contains credential %q", out, secret)
				}
			}
		})
	}
	if got, want := a.String(), "acct-1 <alice@example.com> (gemini)"; got != want {
		t.Errorf("String() = %q; want %q", got, want)
	}
	if !strings.Contains(outputs["slog json"], `"account":{"id":"acct-1","email":"alice@example.com","provider":"gemini"`) {
		t.Errorf("slog output %s lacks the account's identity", outputs["slog json"])
	}
}

func TestSecret(t *testing.T) {
	tests := []struct {
		s                   Secret
		str, gostr, jsonOut string
	}{
		{"sk-1", "[redacted]", `"[redacted]"`, `"[redacted]"`},
		{"", "", `""`, `""`},
	}
	for _, tt := range tests {
		t.Run(tt.str, func(t *testing.T) {
			if got := tt.s.String(); got != tt.str {
				t.Errorf("String() = %q; want %q", got, tt.str)
			}
			if got := fmt.Sprintf("%#v", tt.s); got != tt.gostr {
				t.Errorf("%%#v = %q; want %q", got, tt.gostr)
			}
			if got, _ := json.Marshal(tt.s); string(got) != tt.jsonOut {
				t.Errorf("json = %s; want %s", got, tt.jsonOut)
			}
			if got := tt.s.Reveal(); got != string(tt.s) {
				t.Errorf("Reveal() = %q; want %q", got, string(tt.s))
			}
		})
	}
}
