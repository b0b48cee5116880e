package clientkey

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/switchyard-gw/switchyard/internal/account"
)

// ValidName reports whether s may name a key: the form
// ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ (it appears in logs, metrics labels and
// store keys). Checked by hand: the metrics check every request's key name.
func ValidName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// fileEntry is one key of the YAML form.
type fileEntry struct {
	Name        string   `json:"name"`
	Key         string   `json:"key"`
	KeySHA256   string   `json:"key_sha256"`
	Models      []string `json:"models"`
	RPM         int64    `json:"rpm"`
	TPM         int64    `json:"tpm"`
	MaxInFlight int64    `json:"max_in_flight"`
	DailyTokens int64    `json:"daily_tokens"`
	Disabled    bool     `json:"disabled"`
}

// ParseFile reads a keys file: YAML (keys: [{name, key | key_sha256, models,
// rpm, tpm, max_in_flight, daily_tokens, disabled}], with ${VAR} expansion as
// in the accounts file) or the plain form (one key per line, # comments),
// whose keys are named key-1, key-2, …. It also returns the plain secrets it
// read (for the start-up placeholder check). Errors name the entry and the
// field, never a secret.
func ParseFile(data []byte, lookupEnv func(string) (string, bool)) (keys []*Key, secrets []string, err error) {
	if !isYAML(data) {
		n := 0
		for line := range strings.Lines(string(data)) {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			n++
			keys = append(keys, &Key{Name: fmt.Sprintf("key-%d", n), Digest: Digest(line), Source: SourceFile})
			secrets = append(secrets, line)
		}
		return keys, secrets, nil
	}
	var doc struct {
		Keys []fileEntry `json:"keys"`
	}
	if err := yaml.UnmarshalStrict(data, &doc); err != nil {
		return nil, nil, fmt.Errorf("keys file is not valid YAML of the form keys: [{name, key, …}]: %s", firstLine(err.Error()))
	}
	seen := map[string]bool{}
	for i, e := range doc.Keys {
		where := fmt.Sprintf("keys[%d]", i)
		if e.Name != "" {
			where += fmt.Sprintf(" (name %q)", e.Name)
		}
		k, secret, err := e.key(lookupEnv)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", where, err)
		}
		if seen[k.Name] {
			return nil, nil, fmt.Errorf("%s: name: given twice", where)
		}
		seen[k.Name] = true
		keys = append(keys, k)
		if secret != "" {
			secrets = append(secrets, secret)
		}
	}
	return keys, secrets, nil
}

func (e fileEntry) key(lookupEnv func(string) (string, bool)) (*Key, string, error) {
	if !ValidName(e.Name) {
		return nil, "", errors.New("name: required, 1-64 letters, digits, '.', '_' or '-'")
	}
	k := &Key{Name: e.Name, Models: e.Models, Disabled: e.Disabled, Source: SourceFile,
		Limits: Limits{RPM: e.RPM, TPM: e.TPM, MaxInFlight: e.MaxInFlight, DailyTokens: e.DailyTokens}}
	if k.Limits.RPM < 0 || k.Limits.TPM < 0 || k.Limits.MaxInFlight < 0 || k.Limits.DailyTokens < 0 {
		return nil, "", errors.New("limits must not be negative (0 is no limit)")
	}
	for _, g := range e.Models {
		if strings.TrimSpace(g) == "" {
			return nil, "", errors.New("models: empty pattern")
		}
	}
	switch {
	case e.Key != "" && e.KeySHA256 != "":
		return nil, "", errors.New("give key or key_sha256, not both")
	case e.Key != "":
		secret, err := account.ExpandEnv(e.Key, lookupEnv)
		if err != nil {
			return nil, "", fmt.Errorf("key: %w", err)
		}
		if strings.TrimSpace(secret) == "" {
			return nil, "", errors.New("key: empty after expansion")
		}
		k.Digest = Digest(secret)
		return k, secret, nil
	case e.KeySHA256 != "":
		d, err := hex.DecodeString(strings.TrimSpace(e.KeySHA256))
		if err != nil || len(d) != 32 {
			return nil, "", errors.New("key_sha256: must be 64 hex digits (sha256sum of the key)")
		}
		copy(k.Digest[:], d)
		return k, "", nil
	}
	return nil, "", errors.New("key or key_sha256: required")
}

// isYAML tells the YAML form by its first meaningful line: "keys:".
func isYAML(data []byte) bool {
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || line == "---" {
			continue
		}
		return strings.HasPrefix(line, "keys:") || strings.HasPrefix(line, "{")
	}
	return false
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
