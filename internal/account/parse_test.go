package account

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const contractYAML = `
accounts:
  - id: claude-team-1              # unique and stable
    email: alice@example.com
    provider: anthropic
    base_url: https://api.anthropic.com/
    api_key: ${ANTHROPIC_KEY_1}
    tier: pro
    models: ["claude-*"]
  - id: gemini-oauth-1
    email: bob@example.com
    provider: gemini
    oauth:
      token_url: https://oauth2.googleapis.com/token
      client_id: ${GOOGLE_CLIENT_ID}
      client_secret: ${GOOGLE_CLIENT_SECRET}
      refresh_token: ${BOB_REFRESH_TOKEN}
    tier: ultra
    disabled: false
  - id: openai.main_2
    email: carol@example.com
    provider: OpenAI
    api_key: 'literal-"quoted"-key'
    disabled: true
`

const contractJSON = `{
	"accounts": [
		{"id": "claude-team-1", "email": "alice@example.com", "provider": "anthropic",
		 "base_url": "https://api.anthropic.com/", "api_key": "${ANTHROPIC_KEY_1}", "tier": "pro", "models": ["claude-*"]},
		{"id": "gemini-oauth-1", "email": "bob@example.com", "provider": "gemini",
		 "oauth": {"token_url": "https://oauth2.googleapis.com/token", "client_id": "${GOOGLE_CLIENT_ID}",
		           "client_secret": "${GOOGLE_CLIENT_SECRET}", "refresh_token": "${BOB_REFRESH_TOKEN}"},
		 "tier": "ultra", "disabled": false},
		{"id": "openai.main_2", "email": "carol@example.com", "provider": "OpenAI",
		 "api_key": "literal-\"quoted\"-key", "disabled": true}
	]
}`

// contractEnv holds the variables the example files reference.
func contractEnv() map[string]string {
	return map[string]string{
		"ANTHROPIC_KEY_1":      "sk-ant-secret-1",
		"GOOGLE_CLIENT_ID":     "client-id-1.apps.googleusercontent.com",
		"GOOGLE_CLIENT_SECRET": "gcs-secret-2",
		"BOB_REFRESH_TOKEN":    "1//refresh-secret-3",
	}
}

func TestParseYAMLAndJSON(t *testing.T) {
	want := []*Account{
		{
			ID: "claude-team-1", Email: "alice@example.com", Provider: Anthropic,
			BaseURL: "https://api.anthropic.com", APIKey: "sk-ant-secret-1", Tier: Pro,
			Models: []string{"claude-*"}, Index: 0,
		},
		{
			ID: "gemini-oauth-1", Email: "bob@example.com", Provider: Gemini,
			BaseURL: "https://generativelanguage.googleapis.com", Tier: Ultra, Index: 1,
			OAuth: &OAuth{
				TokenURL: "https://oauth2.googleapis.com/token", ClientID: "client-id-1.apps.googleusercontent.com",
				ClientSecret: "gcs-secret-2", RefreshToken: "1//refresh-secret-3",
			},
		},
		{
			ID: "openai.main_2", Email: "carol@example.com", Provider: OpenAI,
			BaseURL: "https://api.openai.com/v1", APIKey: `literal-"quoted"-key`, Tier: Free,
			Disabled: true, Index: 2,
		},
	}
	versions := map[string]string{}
	for name, data := range map[string]string{"yaml": contractYAML, "json": contractJSON} {
		t.Run(name, func(t *testing.T) {
			p, err := Parse([]byte(data), mapEnv(contractEnv()))
			if err != nil {
				t.Fatalf("Parse() error: %v", err)
			}
			if got := p.Accounts(); !reflect.DeepEqual(got, want) {
				t.Errorf("Accounts() =\n%#v\nwant\n%#v", got, want)
			}
			versions[name] = p.Version()
		})
	}
	if versions["yaml"] != versions["json"] {
		t.Errorf("Version() yaml = %q, json = %q; want equal for the same accounts", versions["yaml"], versions["json"])
	}
}

func TestPoolAccessors(t *testing.T) {
	p, err := Parse([]byte(contractYAML), mapEnv(contractEnv()))
	if err != nil {
		t.Fatalf("Parse() error: %v", err)
	}
	if p.Len() != 3 {
		t.Errorf("Len() = %d; want 3", p.Len())
	}
	if a, ok := p.Get("gemini-oauth-1"); !ok || a.Index != 1 {
		t.Errorf("Get(gemini-oauth-1) = %v, %v; want the account at index 1", a, ok)
	}
	if a, ok := p.Get("missing"); ok {
		t.Errorf("Get(missing) = %v, true; want false", a)
	}
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(p.Version()) {
		t.Errorf("Version() = %q; want 16 hex digits", p.Version())
	}
}

func TestParseEmptyAndMissingList(t *testing.T) {
	tests := []struct {
		name, data string
		wantLen    int
		wantErr    string
	}{
		{name: "empty list", data: "accounts: []\n"},
		{name: "null list", data: "accounts:\n"},
		{name: "empty file", data: "", wantErr: "the file must be a mapping with an accounts list"},
		{name: "no accounts key", data: "{}", wantErr: "accounts: missing (the file must have a top-level accounts list)"},
		{name: "misspelled key", data: "acounts: []", wantErr: "unknown top-level field \"acounts\"\naccounts: missing (the file must have a top-level accounts list)"},
		{name: "list at top level", data: "- id: a\n", wantErr: "the file must be a mapping with an accounts list"},
		{name: "accounts not a list", data: "accounts: {id: a}\n", wantErr: "accounts: must be a list"},
		{name: "not YAML", data: "accounts: [\n", wantErr: "parse: yaml: line 1: did not find expected node content"},
		{name: "duplicate key", data: "accounts: []\naccounts: []\n", wantErr: "parse: yaml: unmarshal errors:\n  line 2: key \"accounts\" already set in map"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.data), mapEnv(nil))
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.wantErr {
				t.Fatalf("Parse() error = %q; want %q", gotErr, tt.wantErr)
			}
			if err == nil && p.Len() != tt.wantLen {
				t.Errorf("Len() = %d; want %d", p.Len(), tt.wantLen)
			}
		})
	}
}

func TestParseValidation(t *testing.T) {
	env := mapEnv(map[string]string{"KEY": "sk-secret-value", "EMPTY": ""})
	tests := []struct {
		name    string
		entries string // YAML list items under accounts:
		want    []string
	}{
		{
			name:    "missing id, email, provider and credentials",
			entries: "  - tier: pro\n",
			want: []string{
				"accounts[0]: id: missing",
				"accounts[0]: email: missing",
				"accounts[0]: provider: missing (anthropic, openai, gemini or codeassist)",
				"accounts[0]: api_key: missing credentials (set api_key or oauth)",
			},
		},
		{
			name:    "bad id",
			entries: "  - {id: -leading-dash, email: a@x, provider: openai, api_key: k}\n  - {id: 'has space', email: a@x, provider: openai, api_key: k}\n",
			want: []string{
				`accounts[0] (id "-leading-dash"): id: must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
				`accounts[1] (id "has space"): id: must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
			},
		},
		{
			name:    "duplicate id ignoring case",
			entries: "  - {id: acct-1, email: a@x, provider: openai, api_key: k}\n  - {id: ACCT-1, email: b@x, provider: openai, api_key: k}\n",
			want:    []string{`accounts[1] (id "ACCT-1"): id: duplicate of accounts[0] (ids are compared ignoring case)`},
		},
		{
			name:    "bad email",
			entries: "  - {id: a, email: 'alice @example.com', provider: openai, api_key: k}\n",
			want:    []string{`accounts[0] (id "a"): email: must be printable ASCII without spaces`},
		},
		{
			name:    "unknown provider and tier",
			entries: "  - {id: a, email: a@x, provider: antropic, api_key: k, tier: gold}\n",
			want: []string{
				`accounts[0] (id "a"): provider: unknown provider "antropic" (want anthropic, openai, gemini or codeassist)`,
				`accounts[0] (id "a"): tier: unknown tier "gold" (want ultra, pro or free)`,
			},
		},
		{
			name:    "unknown fields",
			entries: "  - {id: a, email: a@x, provider: openai, api_key: k, tierr: pro, oauth_: x}\n",
			want: []string{
				`accounts[0] (id "a"): oauth_: unknown field`,
				`accounts[0] (id "a"): tierr: unknown field`,
			},
		},
		{
			name:    "field names are case-sensitive",
			entries: "  - {id: a, email: a@x, provider: openai, API_KEY: k}\n",
			want: []string{
				`accounts[0] (id "a"): API_KEY: unknown field`,
				`accounts[0] (id "a"): api_key: missing credentials (set api_key or oauth)`,
			},
		},
		{
			name:    "both credentials",
			entries: "  - {id: a, email: a@x, provider: gemini, api_key: k, oauth: {token_url: 'https://t', client_id: c, refresh_token: r}}\n",
			want:    []string{`accounts[0] (id "a"): api_key: set either api_key or oauth, not both`},
		},
		{
			name:    "empty api key",
			entries: "  - {id: a, email: a@x, provider: openai, api_key: ''}\n  - {id: b, email: b@x, provider: openai, api_key: '${EMPTY}'}\n",
			want: []string{
				`accounts[0] (id "a"): api_key: is empty`,
				`accounts[1] (id "b"): api_key: is empty`,
			},
		},
		{
			name:    "incomplete oauth",
			entries: "  - {id: a, email: a@x, provider: gemini, oauth: {client_secret: s, extra: 1}}\n",
			want: []string{
				`accounts[0] (id "a"): oauth.extra: unknown field`,
				`accounts[0] (id "a"): oauth.token_url: missing`,
				`accounts[0] (id "a"): oauth.client_id: missing`,
				`accounts[0] (id "a"): oauth.refresh_token: missing`,
			},
		},
		{
			name:    "oauth token url not http",
			entries: "  - {id: a, email: a@x, provider: gemini, oauth: {token_url: 'ftp://t/token', client_id: c, refresh_token: r}}\n",
			want:    []string{`accounts[0] (id "a"): oauth.token_url: must be an http or https URL`},
		},
		{
			name: "bad base urls",
			entries: "  - {id: a, email: a@x, provider: openai, api_key: k, base_url: 'api.openai.com/v1'}\n" +
				"  - {id: b, email: b@x, provider: openai, api_key: k, base_url: 'https:///v1'}\n" +
				"  - {id: c, email: c@x, provider: openai, api_key: k, base_url: 'https://x/v1?key=sk-leak'}\n" +
				"  - {id: d, email: d@x, provider: openai, api_key: k, base_url: 'https://x:port'}\n",
			want: []string{
				`accounts[0] (id "a"): base_url: must be an http or https URL`,
				`accounts[1] (id "b"): base_url: missing host`,
				`accounts[2] (id "c"): base_url: must not have a query or fragment`,
				`accounts[3] (id "d"): base_url: not a valid URL`,
			},
		},
		{
			name:    "bad globs",
			entries: "  - {id: a, email: a@x, provider: openai, api_key: k, models: ['gpt-*', '', 'gpt 4', 'o[1-3]*']}\n",
			want: []string{
				`accounts[0] (id "a"): models[1]: empty pattern`,
				`accounts[0] (id "a"): models[2]: invalid character ' ' (allowed: letters, digits and . _ : / @ * -)`,
				`accounts[0] (id "a"): models[3]: invalid character '[' (allowed: letters, digits and . _ : / @ * -)`,
			},
		},
		{
			// A value of the wrong type is reported once, not again as missing.
			name:    "wrong value types",
			entries: "  - {id: a, email: [x], provider: openai, api_key: 12345, models: gpt-*, disabled: 'yes', oauth: nope}\n",
			want: []string{
				`accounts[0] (id "a"): api_key: must be a string`,
				`accounts[0] (id "a"): disabled: must be true or false`,
				`accounts[0] (id "a"): email: must be a string`,
				`accounts[0] (id "a"): models: must be a list of strings`,
				`accounts[0] (id "a"): oauth: must be a mapping with token_url, client_id, client_secret and refresh_token`,
			},
		},
		{
			name:    "entry not a mapping",
			entries: "  - just-a-string\n",
			want:    []string{`accounts[0]: must be a mapping with id, email, provider and credentials`},
		},
		{
			name: "unset variables name entry, field and variable",
			entries: "  - {id: ok-1, email: a@x, provider: openai, api_key: '${KEY}'}\n" +
				"  - {id: gemini-oauth-1, email: '${BOB_EMAIL}', provider: gemini, oauth: {token_url: 'https://t', client_id: c, refresh_token: '${BOB_REFRESH_TOKEN}'}}\n",
			want: []string{
				`accounts[1] (id "gemini-oauth-1"): email: environment variable BOB_EMAIL is not set`,
				`accounts[1] (id "gemini-oauth-1"): oauth.refresh_token: environment variable BOB_REFRESH_TOKEN is not set`,
			},
		},
		{
			name:    "expanded values are never quoted",
			entries: "  - {id: a, email: a@x, provider: '${KEY}', api_key: k, tier: '${KEY}'}\n",
			want: []string{
				`accounts[0] (id "a"): provider: unknown provider "${KEY}" (want anthropic, openai, gemini or codeassist)`,
				`accounts[0] (id "a"): tier: unknown tier "${KEY}" (want ultra, pro or free)`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte("accounts:\n"+tt.entries), env)
			var got []string
			if err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Parse() error lines =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if err != nil && strings.Contains(err.Error(), "sk-secret-value") {
				t.Errorf("Parse() error reveals an expanded credential: %v", err)
			}
		})
	}
}

func TestParseErrorsNeverRevealCredentials(t *testing.T) {
	env := map[string]string{
		"K1": "sk-env-secret-1", "K2": "cs-env-secret-2", "K3": "rt-env-secret-3",
	}
	data := `accounts:
  - {id: a, email: a@x, provider: openai, api_key: 'sk-literal-secret-0', tier: nope}
  - {id: b, email: b@x, provider: openai, api_key: '${K1}', base_url: 'https://user:pw-secret-4@x/v1?k=q'}
  - {id: c, email: c@x, provider: gemini, api_key: '${K1}', oauth: {token_url: 'https://t', client_secret: '${K2}', refresh_token: '${K3}'}}
  - {id: d, email: d@x, provider: gemini, oauth: {token_url: '${K2}', client_id: '${K3}', client_secret: '${K2}x${MISSING}', refresh_token: '${K3'}}
`
	_, err := Parse([]byte(data), mapEnv(env))
	if err == nil {
		t.Fatal("Parse() error = nil; want validation errors")
	}
	for _, secret := range []string{"sk-literal-secret-0", "sk-env-secret-1", "cs-env-secret-2", "rt-env-secret-3", "pw-secret-4"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("Parse() error contains credential %q:\n%v", secret, err)
		}
	}
}

func TestVersion(t *testing.T) {
	base := "accounts:\n  - {id: a, email: a@x, provider: openai, api_key: '${KEY}', tier: pro}\n"
	parse := func(t *testing.T, data, key string) string {
		t.Helper()
		p, err := Parse([]byte(data), mapEnv(map[string]string{"KEY": key}))
		if err != nil {
			t.Fatalf("Parse() error: %v", err)
		}
		return p.Version()
	}
	v0 := parse(t, base, "k1")
	tests := []struct {
		name, data, key string
		same            bool
	}{
		{"identical", base, "k1", true},
		{"comments and layout", "# pool\naccounts:\n  - id: a\n    email: a@x\n    provider: openai\n    api_key: '${KEY}'\n    tier: pro\n", "k1", true},
		{"key rotated", base, "k2", false},
		{"tier changed", strings.Replace(base, "tier: pro", "tier: ultra", 1), "k1", false},
		{"disabled", strings.Replace(base, "tier: pro", "tier: pro, disabled: true", 1), "k1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := parse(t, tt.data, tt.key)
			if (v == v0) != tt.same {
				t.Errorf("Version() = %q, base %q; want same = %v", v, v0, tt.same)
			}
		})
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "accounts.yaml")
	if err := os.WriteFile(path, []byte(contractYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := LoadFile(path, mapEnv(contractEnv()))
	if err != nil || p.Len() != 3 {
		t.Fatalf("LoadFile() = %v, %v; want a pool of 3", p, err)
	}
	_, err = LoadFile(filepath.Join(dir, "missing.yaml"), mapEnv(nil))
	if err == nil || !strings.HasPrefix(err.Error(), "read accounts file: ") || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadFile(missing) error = %v; want a wrapped not-exist error", err)
	}
}
