package app_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The real agent CLIs, as scripts/cli-tools.sh installs them.
const (
	cliClaude = "claude"
	cliGemini = "gemini"
	cliCodex  = "codex"
)

// cliTimeout bounds one CLI run (a three-step loop takes a few seconds).
const cliTimeout = 150 * time.Second

// cliPaths finds every CLI under <repo>/bin/cli. A missing one fails the test
// under CI and skips it elsewhere, naming the install script.
func cliPaths(t *testing.T) map[string]string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	paths := map[string]string{}
	var missing []string
	for _, name := range []string{cliClaude, cliGemini, cliCodex} {
		p := filepath.Join(root, "bin", "cli", name, "node_modules", ".bin", name)
		if _, err := os.Stat(p); err != nil {
			missing = append(missing, p)
			continue
		}
		paths[name] = p
	}
	if _, err := exec.LookPath("node"); err != nil {
		missing = append(missing, "node on PATH")
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("agent CLIs missing: %s (install them with scripts/cli-tools.sh)", strings.Join(missing, ", "))
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return paths
}

// cliRun is one CLI invocation in an isolated home and working directory.
type cliRun struct {
	bin     string
	args    []string
	env     map[string]string
	workDir string
	tmpDir  string // the CLI's TMPDIR
}

type cliResult struct {
	stdout, stderr string
	err            error
	took           time.Duration
}

func (r cliRun) run(ctx context.Context) cliResult {
	if err := os.MkdirAll(r.tmpDir, 0o700); err != nil {
		return cliResult{err: fmt.Errorf("tmp dir: %w", err)}
	}
	ctx, cancel := context.WithTimeout(ctx, cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.bin, r.args...)
	cmd.Dir = r.workDir
	cmd.Stdin = nil // /dev/null: no CLI waits for input
	env := []string{"PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8", "TERM=dumb", "NO_COLOR=1", "CI=true",
		"TMPDIR=" + r.tmpDir}
	for k, v := range r.env {
		env = append(env, k+"="+v)
	}
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	if ctx.Err() != nil {
		err = errors.Join(err, fmt.Errorf("no exit within %s", cliTimeout))
	}
	return cliResult{stdout: stdout.String(), stderr: stderr.String(), err: err, took: time.Since(start)}
}

func randomToken(t *testing.T) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// claudeRun runs Claude Code headless (-p) against the gateway's Anthropic
// API: base URL and client key from the environment, nothing but the loop's
// read tool allowed, no telemetry or update traffic.
func claudeRun(bin, gateway, model, home, workDir, prompt string) cliRun {
	return cliRun{
		bin:     bin,
		workDir: workDir,
		args:    []string{"-p", prompt, "--model", model, "--allowedTools", "Read", "--output-format", "text"},
		env: map[string]string{
			"HOME":                                     home,
			"CLAUDE_CONFIG_DIR":                        filepath.Join(home, ".claude"),
			"ANTHROPIC_BASE_URL":                       gateway,
			"ANTHROPIC_API_KEY":                        clientKey,
			"ANTHROPIC_SMALL_FAST_MODEL":               model,
			"ANTHROPIC_DEFAULT_HAIKU_MODEL":            model,
			"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
			"DISABLE_TELEMETRY":                        "1",
			"DISABLE_ERROR_REPORTING":                  "1",
			"DISABLE_AUTOUPDATER":                      "1",
		},
	}
}

// geminiSettings is Gemini CLI's ~/.gemini/settings.json for the tests: API
// key auth, no telemetry, usage statistics or update checks.
const geminiSettings = `{
  "security": {"auth": {"selectedType": "gemini-api-key"}},
  "telemetry": {"enabled": false},
  "privacy": {"usageStatisticsEnabled": false},
  "general": {"disableAutoUpdate": true, "disableUpdateNag": true}
}
`

// geminiRun runs Gemini CLI headless (-p) against the gateway's Gemini API,
// tools approved (yolo), the working directory trusted.
func geminiRun(t *testing.T, bin, gateway, model, home, workDir, prompt string) cliRun {
	writeFile(t, filepath.Join(home, ".gemini", "settings.json"), geminiSettings)
	return cliRun{
		bin:     bin,
		workDir: workDir,
		args:    []string{"-p", prompt, "-m", model, "--approval-mode", "yolo", "--output-format", "text"},
		env: map[string]string{
			"HOME":                       home,
			"GEMINI_API_KEY":             clientKey,
			"GOOGLE_GEMINI_BASE_URL":     gateway,
			"GEMINI_CLI_TRUST_WORKSPACE": "true",
			"GEMINI_CLI_NO_RELAUNCH":     "true", // no second Node process with a larger heap
		},
	}
}

// codexConfig is $CODEX_HOME/config.toml: the gateway as a Responses API
// provider whose key comes from SWITCHYARD_API_KEY.
func codexConfig(gateway, model string) string {
	return fmt.Sprintf(`model = %q
model_provider = "switchyard"
model_reasoning_effort = "medium"
check_for_update_on_startup = false

[model_providers.switchyard]
name = "Switchyard"
base_url = "%s/v1"
env_key = "SWITCHYARD_API_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0

[analytics]
enabled = false
`, model, gateway)
}

// codexRun runs `codex exec` against the gateway's Responses API, without
// approvals or sandbox (the test's working directory is throwaway).
func codexRun(t *testing.T, bin, gateway, model, home, workDir, prompt string) cliRun {
	codexHome := filepath.Join(home, ".codex")
	writeFile(t, filepath.Join(codexHome, "config.toml"), codexConfig(gateway, model))
	return cliRun{
		bin:     bin,
		workDir: workDir,
		args:    []string{"exec", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox", prompt},
		env: map[string]string{
			"HOME":               home,
			"CODEX_HOME":         codexHome,
			"SWITCHYARD_API_KEY": clientKey,
		},
	}
}
