package clientkey_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/clientkey"
)

// ValidName is the form ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$.
func TestValidNameIsTheDocumentedForm(t *testing.T) {
	form := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	names := []string{"", "a", "Z9", "team-red", "team_red.v2", "-a", ".a", "_a", "a b", "a/b", "a:b", "é", "aé",
		"a\n", strings.Repeat("a", 64), strings.Repeat("a", 65), "0" + strings.Repeat("-", 63), "A" + strings.Repeat(".", 64)}
	for c := 0; c < 256; c++ {
		names = append(names, string([]byte{byte(c)}), "a"+string([]byte{byte(c)}))
	}
	for _, n := range names {
		if got, want := clientkey.ValidName(n), form.MatchString(n); got != want {
			t.Errorf("ValidName(%q) = %v; want %v", n, got, want)
		}
	}
}
