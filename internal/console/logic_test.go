package console

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestScriptLogic runs testdata/logic.test.mjs with Node's test runner on a
// copy of the embedded scripts (stats, charts' scale, formats, records,
// sign-in messages). Node is installed by scripts/browser-tools.sh: without
// it the test fails under CI and is skipped otherwise.
func TestScriptLogic(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node is not installed: run scripts/browser-tools.sh")
		}
		t.Skip("node is not installed (run scripts/browser-tools.sh)")
	}
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "js"), mustSub(t, "assets/js")); err != nil {
		t.Fatal(err)
	}
	// The scripts are ES modules; tell Node so.
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"type": "module"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join("testdata", "logic.test.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "logic.test.mjs")
	if err := os.WriteFile(script, src, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, "--test", script).CombinedOutput()
	if err != nil {
		t.Fatalf("node --test: %v\n%s", err, out)
	}
}

func mustSub(t *testing.T, dir string) fs.FS {
	t.Helper()
	sub, err := fs.Sub(assets, dir)
	if err != nil {
		t.Fatal(err)
	}
	return sub
}
