package config

import (
	"bytes"
	"encoding/base64"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A valid encryption key for the tests (32 bytes).
var testSecretsKey = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

func TestPlaceholderCredentialsRefused(t *testing.T) {
	dir := t.TempDir()
	keysFile := filepath.Join(dir, "api-keys")
	if err := os.WriteFile(keysFile, []byte("# shipped by k8s/base\nCHANGE-ME-client-key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const hint = "replace it with a random value (e.g. openssl rand -hex 32), or set SWITCHYARD_ALLOW_DEMO_KEYS=true for a demo"
	clientLine := func(n int) string {
		return "SWITCHYARD_API_KEYS: client key " + string(rune('0'+n)) +
			" (from SWITCHYARD_API_KEYS or SWITCHYARD_API_KEYS_FILE) is a known placeholder; " + hint
	}
	adminLine := "SWITCHYARD_ADMIN_KEY: is a known placeholder; " + hint
	tests := []struct {
		name   string
		env    map[string]string
		secret string // must not appear in the error
		want   []string
	}{
		{"compose client key", map[string]string{"SWITCHYARD_API_KEYS": "real-key-1f9a,demo-key"}, "demo-key", []string{clientLine(2)}},
		{"chart CI client key", map[string]string{"SWITCHYARD_API_KEYS": "demo-key-2"}, "demo-key-2", []string{clientLine(1)}},
		{"k8s base keys file", map[string]string{"SWITCHYARD_API_KEYS_FILE": keysFile}, "CHANGE-ME", []string{clientLine(1)}},
		{"k8s base admin key", map[string]string{"SWITCHYARD_ADMIN_KEY": "CHANGE-ME-admin-key"}, "CHANGE-ME", []string{adminLine}},
		{"demo admin key", map[string]string{"SWITCHYARD_ADMIN_KEY": "demo-admin"}, "demo-admin", []string{adminLine}},
		{"changeme", map[string]string{"SWITCHYARD_ADMIN_KEY": "ChangeMe"}, "ChangeMe", []string{adminLine}},
		{"secret", map[string]string{"SWITCHYARD_API_KEYS": "secret", "SWITCHYARD_ADMIN_KEY": "password"}, "secret", []string{clientLine(1), adminLine}},
		{"unexpanded variable", map[string]string{"SWITCHYARD_ADMIN_KEY": "${ADMIN_KEY}"}, "${ADMIN_KEY}", []string{adminLine}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"SWITCHYARD_LISTEN_ADDR": "127.0.0.1:8045"}
			for k, v := range tt.env {
				env[k] = v
			}
			setEnv(t, env)
			_, err := Load()
			if got := errLines(err); !slices.Equal(got, tt.want) {
				t.Errorf("Load() error lines =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if err != nil && strings.Contains(err.Error(), tt.secret) {
				t.Errorf("Load() error %q reveals the value", err)
			}

			env["SWITCHYARD_ALLOW_DEMO_KEYS"] = "true"
			setEnv(t, env)
			c, err := Load()
			if err != nil {
				t.Fatalf("with SWITCHYARD_ALLOW_DEMO_KEYS=true: Load() error: %v", err)
			}
			if !c.AllowDemoKeys {
				t.Errorf("AllowDemoKeys = false")
			}
		})
	}
}

func TestIsPlaceholder(t *testing.T) {
	for _, v := range []string{"CHANGE-ME-client-key", "change-me", "changeme", "CHANGEME_PLEASE", "demo-key", "demo-admin",
		"secret", " Secret ", "password", "<your admin key>", "${SWITCHYARD_ADMIN_KEY}", "replace-me-now"} {
		if !IsPlaceholder(v) {
			t.Errorf("IsPlaceholder(%q) = false", v)
		}
	}
	for _, v := range []string{"", "sy-client-key-7f3c9a", "k1", "admin-secret", "4f8a2c9e1b7d", "my-demo-keyring"} {
		if IsPlaceholder(v) {
			t.Errorf("IsPlaceholder(%q) = true", v)
		}
	}
}

func TestSecretsKeySettings(t *testing.T) {
	const genHint = "head -c 32 /dev/urandom | base64"
	tests := []struct {
		name   string
		env    map[string]string
		secret string
		want   []string
	}{
		{"valid key and previous", map[string]string{"SWITCHYARD_SECRETS_KEY": testSecretsKey,
			"SWITCHYARD_SECRETS_KEY_PREVIOUS": DemoSecretsKey + "," + testSecretsKey, "SWITCHYARD_ALLOW_DEMO_KEYS": "true"}, "", nil},
		{"not base64", map[string]string{"SWITCHYARD_SECRETS_KEY": "not base64 at all!"}, "base64 at all",
			[]string{"SWITCHYARD_SECRETS_KEY: must be the standard base64 encoding of 32 random bytes (generate one with: " + genHint + ")"}},
		{"16 bytes", map[string]string{"SWITCHYARD_SECRETS_KEY": base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))}, "MDEyMzQ1",
			[]string{"SWITCHYARD_SECRETS_KEY: must be the standard base64 encoding of 32 random bytes (generate one with: " + genHint + ")"}},
		{"placeholder", map[string]string{"SWITCHYARD_SECRETS_KEY": "CHANGE-ME-secrets-key"}, "CHANGE-ME",
			[]string{"SWITCHYARD_SECRETS_KEY: is a placeholder; generate a key with: " + genHint}},
		{"demo key without the flag", map[string]string{"SWITCHYARD_SECRETS_KEY": DemoSecretsKey}, DemoSecretsKey,
			[]string{"SWITCHYARD_SECRETS_KEY: is the public demo key; generate a key with: " + genHint + " (or set SWITCHYARD_ALLOW_DEMO_KEYS=true for a demo)"}},
		{"previous without a key", map[string]string{"SWITCHYARD_SECRETS_KEY_PREVIOUS": testSecretsKey}, testSecretsKey,
			[]string{"SWITCHYARD_SECRETS_KEY_PREVIOUS: requires SWITCHYARD_SECRETS_KEY (the key new values are encrypted with)"}},
		{"bad previous", map[string]string{"SWITCHYARD_SECRETS_KEY": testSecretsKey, "SWITCHYARD_SECRETS_KEY_PREVIOUS": testSecretsKey + ",short"}, "short",
			[]string{"SWITCHYARD_SECRETS_KEY_PREVIOUS: key 2 must be the standard base64 encoding of 32 random bytes (generate one with: " + genHint + ")"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"SWITCHYARD_LISTEN_ADDR": "127.0.0.1:8045"}
			for k, v := range tt.env {
				env[k] = v
			}
			setEnv(t, env)
			c, err := Load()
			if got := errLines(err); !slices.Equal(got, tt.want) {
				t.Errorf("Load() error lines =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if err != nil && strings.Contains(err.Error(), tt.secret) {
				t.Errorf("Load() error %q reveals the key", err)
			}
			if err == nil && (c.SecretsKey != testSecretsKey || len(c.SecretsKeyPrevious) != 2) {
				t.Errorf("SecretsKey, SecretsKeyPrevious = %q, %q", c.SecretsKey, c.SecretsKeyPrevious)
			}
		})
	}
}

func TestSecretsSettingNames(t *testing.T) {
	names := settingNames(t)
	for _, n := range []string{envAllowDemoKeys, envSecretsKey, envSecretsKeyPrevious} {
		if !slices.Contains(names, n) {
			t.Errorf("validation names %s, which no Config field reads", n)
		}
	}
}

func TestLogValueRedactsSecretsKey(t *testing.T) {
	c := Config{SecretsKey: testSecretsKey, SecretsKeyPrevious: []string{DemoSecretsKey}}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "config", c)
	out := buf.String()
	for _, secret := range []string{testSecretsKey, DemoSecretsKey} {
		if strings.Contains(out, secret) {
			t.Errorf("log output %s contains a secrets key", out)
		}
	}
	if !strings.Contains(out, `"secrets_key_set":true`) || !strings.Contains(out, `"secrets_keys_previous":1`) {
		t.Errorf("log output %s lacks secrets_key_set / secrets_keys_previous", out)
	}
}
