package account

import (
	"strings"
	"testing"
)

// fuzzEnv sets every variable except those starting with UNSET, to a value
// that marks it as expanded.
func fuzzEnv(name string) (string, bool) {
	if strings.HasPrefix(name, "UNSET") {
		return "", false
	}
	return "ENVSECRET-" + name, true
}

func FuzzParsePool(f *testing.F) {
	f.Add([]byte(contractYAML))
	f.Add([]byte(contractJSON))
	f.Add([]byte("accounts:\n  - {id: a, email: a@x, provider: '${P}', api_key: '${UNSET_K}'}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data, fuzzEnv)
		literal := strings.Contains(string(data), "ENVSECRET")
		if err != nil {
			if !literal && strings.Contains(err.Error(), "ENVSECRET") {
				t.Errorf("Parse() error quotes an expanded value:\n%v", err)
			}
			return
		}
		if len(p.Version()) != 16 {
			t.Errorf("Version() = %q; want 16 hex digits", p.Version())
		}
		again, err := Parse(data, fuzzEnv)
		if err != nil || again.Version() != p.Version() {
			t.Errorf("second Parse() = %v, %v; want the same version %q", again, err, p.Version())
		}
		for _, a := range p.Accounts() {
			if a.ID == "" || a.Email == "" || !a.Provider.Valid() || !a.Tier.Valid() {
				t.Errorf("Parse() accepted an incomplete account %+v", *a)
			}
			if (a.APIKey == "") == (a.OAuth == nil) {
				t.Errorf("account %s: want exactly one of api_key and oauth", a)
			}
		}
	})
}
