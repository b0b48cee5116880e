package app_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The gateway binary carries no test double: without Redis its state lives
// in each package's in-process store, and miniredis (no running clock, a
// port, a Lua interpreter per call) is for tests only.
func TestBinaryDoesNotLinkMiniredis(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command on PATH to list the binary's packages: %v", err)
	}
	out, err := exec.Command(goBin, "list", "-deps", "github.com/switchyard-gw/switchyard/cmd/switchyard").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if !strings.Contains(string(out), "github.com/redis/go-redis/v9\n") {
		t.Fatalf("go list answered %d packages without go-redis: not the gateway's", len(deps))
	}
	for _, p := range deps {
		if strings.Contains(p, "miniredis") || strings.HasSuffix(p, "/storetest") {
			t.Errorf("the gateway binary links %s", p)
		}
	}
}
