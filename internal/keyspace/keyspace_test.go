package keyspace_test

import (
	"strings"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/keyspace"
)

func TestKeys(t *testing.T) {
	if got := keyspace.New("").Key("sess", "k", "s1"); got != "{sy}:sess:k:s1" {
		t.Fatalf("default space: %q", got)
	}
	if got := keyspace.New("team-a").Key("reqlog"); got != "{sy:team-a}:reqlog" {
		t.Fatalf("namespaced: %q", got)
	}
	if got := keyspace.New("x").Tag(); got != "{sy:x}" {
		t.Fatalf("tag: %q", got)
	}
}

func TestValidate(t *testing.T) {
	for _, ok := range []string{"", "a", "team_A-1", strings.Repeat("z", 32)} {
		if err := keyspace.Validate(ok); err != nil {
			t.Errorf("Validate(%q) = %v; want ok", ok, err)
		}
	}
	for _, bad := range []string{strings.Repeat("z", 33), "a}b", "a:b", "a b", "é", "{sy}"} {
		if err := keyspace.Validate(bad); err == nil {
			t.Errorf("Validate(%q) accepted", bad)
		}
	}
}
