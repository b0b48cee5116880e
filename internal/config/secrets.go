package config

import (
	"encoding/base64"
	"strings"
)

// Variable names of the demo flag and the encryption keys.
const (
	envAllowDemoKeys      = "SWITCHYARD_ALLOW_DEMO_KEYS"
	envSecretsKey         = "SWITCHYARD_SECRETS_KEY"
	envSecretsKeyPrevious = "SWITCHYARD_SECRETS_KEY_PREVIOUS"
)

// SecretsKeySize is the length of a decoded SWITCHYARD_SECRETS_KEY (AES-256).
const SecretsKeySize = 32

// DemoSecretsKey is the encryption key the demo deployments ship
// (docker-compose.yml, k8s/overlays/demo): public, so it is refused like a
// placeholder credential unless SWITCHYARD_ALLOW_DEMO_KEYS is set.
const DemoSecretsKey = "c3dpdGNoeWFyZC1kZW1vLXNlY3JldHMta2V5LTAwMDE=" // "switchyard-demo-secrets-key-0001"

// placeholderExact are credential values that examples, templates and
// tutorials ship, compared case-insensitively.
var placeholderExact = []string{
	"admin", "apikey", "api-key", "api_key", "changeit", "default", "demo", "example", "key", "pass",
	"password", "placeholder", "secret", "test", "todo", "token", "xxx", "your-api-key", "your-key",
}

// placeholderPrefixes start the placeholders shipped in this repository
// (CHANGE-ME-client-key, demo-key, demo-key-2, demo-admin) and their usual
// variants, compared case-insensitively.
var placeholderPrefixes = []string{
	"change-me", "changeme", "change_me", "replace-me", "replaceme", "replace_me", "demo-key", "demo-admin",
	"<", "${",
}

// IsPlaceholder reports whether a credential value is a known placeholder:
// a value the repository or common templates ship, which must never guard a
// real deployment.
func IsPlaceholder(v string) bool {
	v = strings.ToLower(strings.TrimSpace(v))
	for _, p := range placeholderExact {
		if v == p {
			return true
		}
	}
	for _, p := range placeholderPrefixes {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	return false
}

// validateSecrets checks the client and admin keys against the placeholder
// list and the encryption keys' form. Messages name the variable, never the
// value.
func (c Config) validateSecrets(add func(name, format string, args ...any)) {
	const hint = "replace it with a random value (e.g. openssl rand -hex 32), or set " + envAllowDemoKeys + "=true for a demo"
	if !c.AllowDemoKeys {
		for i, k := range c.APIKeys {
			if IsPlaceholder(k) {
				add(envAPIKeys, "client key %d (from %s or %s) is a known placeholder; %s", i+1, envAPIKeys, envAPIKeysFile, hint)
				break
			}
		}
		if IsPlaceholder(c.AdminKey) {
			add(envAdminKey, "is a known placeholder; %s", hint)
		}
	}
	if c.SecretsKey == "" {
		if len(c.SecretsKeyPrevious) > 0 {
			add(envSecretsKeyPrevious, "requires %s (the key new values are encrypted with)", envSecretsKey)
		}
		return
	}
	if problem := c.secretsKeyProblem(c.SecretsKey); problem != "" {
		add(envSecretsKey, "%s", problem)
	}
	for i, k := range c.SecretsKeyPrevious {
		if problem := c.secretsKeyProblem(k); problem != "" {
			add(envSecretsKeyPrevious, "key %d %s", i+1, problem)
		}
	}
}

// secretsKeyProblem describes what is wrong with an encryption key, or
// returns "".
func (c Config) secretsKeyProblem(k string) string {
	const generate = "head -c 32 /dev/urandom | base64"
	k = strings.TrimSpace(k)
	if IsPlaceholder(k) {
		return "is a placeholder; generate a key with: " + generate
	}
	if !c.AllowDemoKeys && k == DemoSecretsKey {
		return "is the public demo key; generate a key with: " + generate + " (or set " + envAllowDemoKeys + "=true for a demo)"
	}
	b, err := base64.StdEncoding.DecodeString(k)
	if err != nil || len(b) != SecretsKeySize {
		return "must be the standard base64 encoding of 32 random bytes (generate one with: " + generate + ")"
	}
	return ""
}
