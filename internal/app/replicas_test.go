package app_test

import (
	"bufio"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// gatewayBinary builds cmd/switchyard once per test run.
func gatewayBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "switchyard-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "switchyard")
		out, err := exec.Command("go", "build", "-o", binPath, "../../cmd/switchyard").CombinedOutput()
		if err != nil {
			buildErr = err
			t.Logf("%s", out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build gateway: %v", buildErr)
	}
	return binPath
}

// replica is one gateway process.
type replica struct {
	base, admin string
	cmd         *exec.Cmd
}

func startReplica(t *testing.T, env []string) *replica {
	t.Helper()
	cmd := exec.Command(gatewayBinary(t))
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &replica{cmd: cmd}
	sc := bufio.NewScanner(out)
	deadline := time.AfterFunc(20*time.Second, func() { cmd.Process.Kill() })
	for (r.base == "" || r.admin == "") && sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "LISTENING "); ok {
			r.base = "http://" + a
		}
		if a, ok := strings.CutPrefix(sc.Text(), "ADMIN "); ok {
			r.admin = "http://" + a
		}
	}
	deadline.Stop()
	if r.base == "" {
		t.Fatal("replica did not start")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	t.Cleanup(func() { r.terminate(t) })
	return r
}

func (r *replica) terminate(t *testing.T) {
	if r.cmd.ProcessState != nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("replica exited with %v after SIGTERM", err)
		}
	case <-time.After(10 * time.Second):
		r.cmd.Process.Kill()
		t.Error("replica did not stop within 10s of SIGTERM")
	}
}

func TestTwoReplicasShareBindingOnRealRedis(t *testing.T) {
	redisAddr := storetest.StartRedis(t)
	fake := fakeupstream.New(fakeupstream.Options{})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	dir := t.TempDir()
	accts := filepath.Join(dir, "accounts.yaml")
	if err := os.WriteFile(accts, []byte(accountsYAML(srv.URL, defaultAccounts())), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"SWITCHYARD_LISTEN_ADDR=127.0.0.1:0", "SWITCHYARD_ADMIN_ADDR=127.0.0.1:0",
		"SWITCHYARD_ACCOUNTS_FILE=" + accts, "SWITCHYARD_API_KEYS=" + clientKey, "SWITCHYARD_ADMIN_KEY=" + adminKey,
		"SWITCHYARD_REDIS_URL=" + storetest.URL(redisAddr),
	}
	r1, r2 := startReplica(t, env), startReplica(t, env)
	h := &harness{t: t, fake: fake}
	body := `{"model":"claude-sonnet-4-5","max_tokens":32,"metadata":{"user_id":"user_abc_account__session_5f0c2b1e-1111-4a6b-8c7d-0e1f2a3b4c5d"},"messages":[{"role":"user","content":"a conversation that should stay put"}]}`
	var emails []string
	for i := 0; i < 6; i++ {
		h.base = []string{r1.base, r2.base}[i%2]
		resp, out := h.do("POST", "/v1/messages", body, anthHdr)
		if resp.StatusCode != 200 {
			t.Fatalf("turn %d: %d %s", i, resp.StatusCode, out)
		}
		emails = append(emails, resp.Header.Get("X-Account-Email"))
	}
	for _, e := range emails[1:] {
		if e != emails[0] {
			t.Fatalf("one session was served by %v across two replicas; want one account", emails)
		}
	}
	// The fixed account set through replica 1 holds on replica 2.
	h.admin = r1.admin
	if st, out := h.adminDo("PUT", "/admin/fixed-account", `{"account_id":"oa-2"}`); st != 200 {
		t.Fatalf("set fixed: %d %s", st, out)
	}
	h.base = r2.base
	for i := 0; i < 3; i++ {
		resp, _ := h.do("POST", "/v1/chat/completions", oaiJSON, oaiHdr)
		if got := resp.Header.Get("X-Account-Email"); got != "oa-2@example.com" {
			t.Fatalf("replica 2 served %s; want the fixed account oa-2", got)
		}
	}
}
