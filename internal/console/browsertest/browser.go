// Package browsertest drives headless Chromium from Go tests: a small Node
// script (driver.cjs, embedded) on playwright-core answers one JSON command
// per line, so a test can act in the page and check the gateway's state in
// between. It is test support only; the product never imports it.
//
// Needs node, Debian's chromium and playwright-core in <repo>/bin/node, all
// installed by scripts/browser-tools.sh. When one is missing, Start fails the
// test if the environment variable CI is set and skips it otherwise.
package browsertest

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

//go:embed driver.cjs
var driverScript []byte

// Environment overrides of the tools' locations.
const (
	EnvChromium      = "SWITCHYARD_CHROMIUM"       // default /usr/bin/chromium
	EnvPlaywrightDir = "SWITCHYARD_PLAYWRIGHT_DIR" // default <repo>/bin/node/node_modules/playwright-core
)

// commandTimeout bounds one command; the page's own waits are shorter.
const commandTimeout = 30 * time.Second

// Browser is one headless Chromium with one page.
type Browser struct {
	t       testing.TB
	cmd     *exec.Cmd
	stdin   *os.File
	answers chan answer
	stderr  *lockedBuffer
	next    int
	Version string
}

type answer struct {
	ID      int             `json:"id"`
	OK      bool            `json:"ok"`
	Value   json.RawMessage `json:"value"`
	Error   string          `json:"error"`
	Ready   bool            `json:"ready"`
	Version string          `json:"version"`
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// tools finds node, chromium and playwright-core, or says what is missing.
func tools() (node, chromium, playwright string, err error) {
	var missing []string
	node, lerr := exec.LookPath("node")
	if lerr != nil {
		missing = append(missing, "node")
	}
	chromium = os.Getenv(EnvChromium)
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if st, serr := os.Stat(chromium); serr != nil || st.IsDir() {
		missing = append(missing, "chromium ("+chromium+")")
	}
	playwright = os.Getenv(EnvPlaywrightDir)
	if playwright == "" {
		root, rerr := repoRoot()
		if rerr != nil {
			return "", "", "", rerr
		}
		playwright = filepath.Join(root, "bin", "node", "node_modules", "playwright-core")
	}
	if _, serr := os.Stat(filepath.Join(playwright, "package.json")); serr != nil {
		missing = append(missing, "playwright-core ("+playwright+")")
	}
	if len(missing) > 0 {
		return "", "", "", errors.New("missing " + strings.Join(missing, ", "))
	}
	return node, chromium, playwright, nil
}

// repoRoot is the directory of go.mod above the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Start launches the browser, or skips the test (fails it under CI) when the
// tools are not installed. The browser closes when the test ends.
func Start(t testing.TB) *Browser {
	t.Helper()
	node, chromium, playwright, err := tools()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("browser test: %v: run scripts/browser-tools.sh", err)
		}
		t.Skipf("browser test skipped: %v (run scripts/browser-tools.sh)", err)
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "driver.cjs")
	if err := os.WriteFile(script, driverScript, 0o600); err != nil {
		t.Fatal(err)
	}
	profile := filepath.Join(dir, "profile")
	cmd := exec.Command(node, script)
	cmd.Env = append(os.Environ(), "PLAYWRIGHT_CORE="+playwright, "CHROMIUM="+chromium, "USER_DATA_DIR="+profile)
	// Its own process group: a forced cleanup ends the driver and the
	// browser it started, and nothing else.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdin = inR
	b := &Browser{t: t, cmd: cmd, stdin: inW, answers: make(chan answer, 1), stderr: &lockedBuffer{}}
	cmd.Stderr = b.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the browser driver: %v", err)
	}
	inR.Close()
	go b.read(outR)
	t.Cleanup(b.close)
	select {
	case a, ok := <-b.answers:
		if !ok || !a.Ready {
			t.Fatalf("the browser did not start:\n%s", b.stderr.String())
		}
		b.Version = a.Version
	case <-time.After(60 * time.Second):
		t.Fatalf("the browser did not start within 60s:\n%s", b.stderr.String())
	}
	return b
}

func (b *Browser) read(r interface{ Read([]byte) (int, error) }) {
	defer close(b.answers)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var a answer
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			fmt.Fprintf(b.stderr, "driver wrote: %s\n", sc.Text())
			continue
		}
		b.answers <- a
	}
}

func (b *Browser) close() {
	_, _ = b.stdin.WriteString(`{"op":"close"}` + "\n")
	b.stdin.Close()
	// The exit status of a browser told to close is of no interest.
	done := make(chan struct{})
	go func() {
		_ = b.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// Do runs one command and returns its JSON value; a failed command fails
// the test.
func (b *Browser) Do(op string, args map[string]any) json.RawMessage {
	b.t.Helper()
	v, err := b.Try(op, args)
	if err != nil {
		b.t.Fatalf("browser %s %v: %v", op, args, err)
	}
	return v
}

// Try runs one command and returns its error instead of failing the test.
func (b *Browser) Try(op string, args map[string]any) (json.RawMessage, error) {
	b.next++
	cmd := map[string]any{"id": b.next, "op": op}
	for k, v := range args {
		cmd[k] = v
	}
	line, err := json.Marshal(cmd)
	if err != nil {
		return nil, err
	}
	if _, err := b.stdin.Write(append(line, '\n')); err != nil {
		return nil, fmt.Errorf("the browser driver is gone: %v\n%s", err, b.stderr.String())
	}
	select {
	case a, ok := <-b.answers:
		if !ok {
			return nil, fmt.Errorf("the browser driver exited:\n%s", b.stderr.String())
		}
		if a.ID != b.next {
			return nil, fmt.Errorf("answer %d to command %d", a.ID, b.next)
		}
		if !a.OK {
			return nil, errors.New(a.Error)
		}
		return a.Value, nil
	case <-time.After(commandTimeout):
		return nil, fmt.Errorf("no answer within %s:\n%s", commandTimeout, b.stderr.String())
	}
}

func (b *Browser) str(op string, args map[string]any) string {
	b.t.Helper()
	var s string
	if err := json.Unmarshal(b.Do(op, args), &s); err != nil {
		b.t.Fatalf("browser %s: %v", op, err)
	}
	return s
}

// Goto opens a URL.
func (b *Browser) Goto(url string) { b.t.Helper(); b.Do("goto", map[string]any{"url": url}) }

// Reload reloads the page.
func (b *Browser) Reload() { b.t.Helper(); b.Do("reload", nil) }

// Click clicks the only element the selector (Playwright syntax) matches.
func (b *Browser) Click(sel string) { b.t.Helper(); b.Do("click", map[string]any{"sel": sel}) }

// Fill replaces an input's value.
func (b *Browser) Fill(sel, value string) {
	b.t.Helper()
	b.Do("fill", map[string]any{"sel": sel, "value": value})
}

// Select picks the option with the value in a <select>.
func (b *Browser) Select(sel, value string) {
	b.t.Helper()
	b.Do("select", map[string]any{"sel": sel, "value": value})
}

// Check ticks or clears a checkbox.
func (b *Browser) Check(sel string, on bool) {
	b.t.Helper()
	b.Do("check", map[string]any{"sel": sel, "checked": on})
}

// Focus focuses an element.
func (b *Browser) Focus(sel string) { b.t.Helper(); b.Do("focus", map[string]any{"sel": sel}) }

// Press presses a key (Playwright names: "Tab", "Enter", "Space", "Escape").
func (b *Browser) Press(key string) { b.t.Helper(); b.Do("press", map[string]any{"key": key}) }

// Text is the element's rendered text.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	return b.str("text", map[string]any{"sel": sel})
}

// Value is an input's or select's current value.
func (b *Browser) Value(sel string) string {
	b.t.Helper()
	return b.str("value", map[string]any{"sel": sel})
}

// Attr is an attribute's value ("" when absent).
func (b *Browser) Attr(sel, name string) string {
	b.t.Helper()
	var s *string
	if err := json.Unmarshal(b.Do("attr", map[string]any{"sel": sel, "name": name}), &s); err != nil {
		b.t.Fatal(err)
	}
	if s == nil {
		return ""
	}
	return *s
}

// Count is how many elements the selector matches.
func (b *Browser) Count(sel string) int {
	b.t.Helper()
	var n int
	if err := json.Unmarshal(b.Do("count", map[string]any{"sel": sel}), &n); err != nil {
		b.t.Fatal(err)
	}
	return n
}

// AttrAll lists the attribute of every element the selector matches.
func (b *Browser) AttrAll(sel, name string) []string {
	b.t.Helper()
	var out []string
	if err := json.Unmarshal(b.Do("attrAll", map[string]any{"sel": sel, "name": name}), &out); err != nil {
		b.t.Fatal(err)
	}
	return out
}

// Enabled reports whether a control is enabled.
func (b *Browser) Enabled(sel string) bool {
	b.t.Helper()
	var on bool
	if err := json.Unmarshal(b.Do("enabled", map[string]any{"sel": sel}), &on); err != nil {
		b.t.Fatal(err)
	}
	return on
}

// Visible reports whether an element is visible.
func (b *Browser) Visible(sel string) bool {
	b.t.Helper()
	var on bool
	if err := json.Unmarshal(b.Do("visible", map[string]any{"sel": sel}), &on); err != nil {
		b.t.Fatal(err)
	}
	return on
}

// Active describes the focused element as "tag#id:text".
func (b *Browser) Active() string { b.t.Helper(); return b.str("active", nil) }

// WaitVisible waits until the selector's first match is visible.
func (b *Browser) WaitVisible(sel string) {
	b.t.Helper()
	b.Do("waitVisible", map[string]any{"sel": sel})
}

// WaitHidden waits until the selector's first match is hidden or gone.
func (b *Browser) WaitHidden(sel string) {
	b.t.Helper()
	b.Do("waitHidden", map[string]any{"sel": sel})
}

// WaitText waits until the element's text contains text, and returns the text.
func (b *Browser) WaitText(sel, text string) string {
	b.t.Helper()
	return b.str("waitText", map[string]any{"sel": sel, "text": text})
}

// WaitAttr waits until the element's attribute has the value.
func (b *Browser) WaitAttr(sel, name, value string) {
	b.t.Helper()
	b.Do("waitAttr", map[string]any{"sel": sel, "name": name, "value": value})
}

// WaitCount waits until the selector matches n elements.
func (b *Browser) WaitCount(sel string, n int) {
	b.t.Helper()
	b.Do("waitCount", map[string]any{"sel": sel, "count": n})
}

// Screenshot saves a PNG of the page (the whole page when full).
func (b *Browser) Screenshot(path string, full bool) {
	b.t.Helper()
	b.Do("screenshot", map[string]any{"path": path, "fullPage": full})
}

// Download clicks an element that starts a download, saves the file at path
// and returns the file name the page suggested.
func (b *Browser) Download(sel, path string) string {
	b.t.Helper()
	return b.str("download", map[string]any{"sel": sel, "path": path})
}

// SessionStorage is the page's sessionStorage as a JSON object.
func (b *Browser) SessionStorage() string { b.t.Helper(); return b.str("session", nil) }

// SetSessionStorage stores an item in the page's sessionStorage.
func (b *Browser) SetSessionStorage(key, value string) {
	b.t.Helper()
	b.Do("setSession", map[string]any{"key": key, "value": value})
}

// LocalStorage is the page's localStorage as a JSON object.
func (b *Browser) LocalStorage() string { b.t.Helper(); return b.str("local", nil) }

// Problems returns, and forgets, the console errors and warnings and the
// uncaught exceptions (a Content-Security-Policy violation is one) seen so far.
func (b *Browser) Problems() []string {
	b.t.Helper()
	var p []string
	if err := json.Unmarshal(b.Do("problems", nil), &p); err != nil {
		b.t.Fatal(err)
	}
	return p
}
