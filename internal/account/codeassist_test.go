package account

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseCodeAssistDefaults(t *testing.T) {
	p, err := Parse([]byte(`accounts:
  - id: google-login-1
    email: carol@example.com
    provider: codeassist
    oauth: {client_id: cid, client_secret: cs, refresh_token: rt}
  - id: google-login-2
    email: dan@example.com
    provider: codeassist
    project: my-project
    tier: pro
    base_url: http://127.0.0.1:9/
    models: ["gemini-2.5-*"]
    oauth: {token_url: "http://127.0.0.1:9/token", client_id: cid, refresh_token: rt}
`), mapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	a, b := p.Accounts()[0], p.Accounts()[1]
	if a.BaseURL != "https://cloudcode-pa.googleapis.com" || a.OAuth.TokenURL != GoogleTokenURL ||
		!reflect.DeepEqual(a.Models, []string{"gemini-*"}) || !a.TierAuto || a.Tier != Free || a.Project != "" {
		t.Errorf("defaults: %+v %+v", a, a.OAuth)
	}
	if b.Project != "my-project" || b.TierAuto || b.Tier != Pro || b.BaseURL != "http://127.0.0.1:9" ||
		!reflect.DeepEqual(b.Models, []string{"gemini-2.5-*"}) || b.OAuth.TokenURL != "http://127.0.0.1:9/token" {
		t.Errorf("explicit: %+v", b)
	}
	if a.Provider.Wire() != Gemini || Anthropic.Wire() != Anthropic {
		t.Error("Wire")
	}
}

func TestParseCodeAssistProblems(t *testing.T) {
	_, err := Parse([]byte(`accounts:
  - id: k
    email: k@example.com
    provider: codeassist
    api_key: abc
  - id: g
    email: g@example.com
    provider: gemini
    api_key: abc
    project: p
`), mapEnv(nil))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		`accounts[0] (id "k"): api_key: a codeassist account signs in with oauth, not an api_key`,
		`accounts[1] (id "g"): project: only a codeassist account has a project`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}
