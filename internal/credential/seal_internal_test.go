package credential

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func testRing(t *testing.T, current string, previous ...string) *Keyring {
	t.Helper()
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	var prev []string
	for _, p := range previous {
		prev = append(prev, enc(p))
	}
	k, err := NewKeyring(enc(current), prev)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	k1 := testRing(t, "key-one-0123456789abcdef01234567")
	k2 := testRing(t, "key-two-0123456789abcdef01234567", "key-one-0123456789abcdef01234567")

	s1, err := k1.seal("ya29.secret", aadAccess("acct"))
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := k1.seal("ya29.secret", aadAccess("acct"))
	if s1 == s2 || strings.Contains(s1, "ya29") || !strings.HasPrefix(s1, "enc:v1:"+k1.ID()+":") {
		t.Fatalf("sealed %q, %q; want distinct prefixed values without the secret", s1, s2)
	}
	if p, stale, err := k1.open(s1, aadAccess("acct")); p != "ya29.secret" || stale || err != nil {
		t.Errorf("open with the current key = %q, %v, %v", p, stale, err)
	}
	if p, stale, err := k2.open(s1, aadAccess("acct")); p != "ya29.secret" || !stale || err != nil {
		t.Errorf("open with a previous key = %q, %v, %v; want the secret, stale", p, stale, err)
	}
	for name, try := range map[string]func() (string, bool, error){
		"another account": func() (string, bool, error) { return k1.open(s1, aadAccess("other")) },
		"another kind":    func() (string, bool, error) { return k1.open(s1, aadRefresh("acct")) },
		"unknown key": func() (string, bool, error) {
			return testRing(t, "key-3-0123456789abcdef0123456789").open(s1, aadAccess("acct"))
		},
		"no keyring":       func() (string, bool, error) { return (*Keyring)(nil).open(s1, aadAccess("acct")) },
		"plain with a key": func() (string, bool, error) { return k1.open("ya29.planted", aadAccess("acct")) },
		"truncated":        func() (string, bool, error) { return k1.open(s1[:len(s1)-4], aadAccess("acct")) },
		"no body":          func() (string, bool, error) { return k1.open("enc:v1:"+k1.ID(), aadAccess("acct")) },
	} {
		p, _, err := try()
		if p != "" || !errors.Is(err, errUnreadable) {
			t.Errorf("%s: open = %q, %v; want errUnreadable", name, p, err)
		}
	}
	if p, _, err := (*Keyring)(nil).open("ya29.plain", aadAccess("acct")); p != "ya29.plain" || err != nil {
		t.Errorf("plain text without a keyring = %q, %v", p, err)
	}
	if s, err := (*Keyring)(nil).seal("ya29.plain", aadAccess("acct")); s != "ya29.plain" || err != nil {
		t.Errorf("seal without a keyring = %q, %v", s, err)
	}
	if s, _ := k1.seal("", aadAccess("acct")); s != "" {
		t.Errorf("seal of nothing = %q; want nothing", s)
	}
}
