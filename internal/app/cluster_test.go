package app_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

// cluster is N gateway processes on one real Redis in front of one fake upstream.
type cluster struct {
	t        *testing.T
	fake     *fakeupstream.Server
	env      []string
	redis    string
	replicas []*replica
}

func newCluster(t *testing.T, n int, fakeOpts fakeupstream.Options, extraEnv ...string) *cluster {
	t.Helper()
	c := &cluster{t: t, redis: storetest.StartRedis(t)}
	c.fake = fakeupstream.New(fakeOpts)
	srv := httptest.NewServer(c.fake)
	t.Cleanup(func() { c.fake.Close(); srv.Close() })
	accts := filepath.Join(t.TempDir(), "accounts.yaml")
	spec := append(defaultAccounts(), acctSpec{id: "oa-3", provider: "openai", tier: "pro"})
	if err := os.WriteFile(accts, []byte(accountsYAML(srv.URL, spec)), 0o600); err != nil {
		t.Fatal(err)
	}
	c.env = append([]string{
		"SWITCHYARD_LISTEN_ADDR=127.0.0.1:0", "SWITCHYARD_ADMIN_ADDR=127.0.0.1:0",
		"SWITCHYARD_ACCOUNTS_FILE=" + accts, "SWITCHYARD_API_KEYS=" + clientKey, "SWITCHYARD_ADMIN_KEY=" + adminKey,
		"SWITCHYARD_REDIS_URL=" + storetest.URL(c.redis), "SWITCHYARD_LOG_LEVEL=warn",
		"SWITCHYARD_SHUTDOWN_GRACE=10s",
	}, extraEnv...)
	for i := 0; i < n; i++ {
		c.replicas = append(c.replicas, startReplica(t, c.env))
	}
	return c
}

// on returns a harness view bound to replica i (for do/adminDo).
func (c *cluster) on(i int) *harness {
	r := c.replicas[i%len(c.replicas)]
	return &harness{t: c.t, fake: c.fake, base: r.base, admin: r.admin}
}

func sessionBody(sid string) string {
	return `{"model":"claude-sonnet-4-5","max_tokens":32,"metadata":{"user_id":"user_abc_account__session_` + sid +
		`"},"messages":[{"role":"user","content":"a conversation that should stay put"}]}`
}

func TestClusterConcurrentFirstRequestsBindOneAccount(t *testing.T) {
	c := newCluster(t, 3, fakeupstream.Options{})
	var mu sync.Mutex
	emails := map[string]int{}
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			req, _ := http.NewRequest("POST", c.replicas[i%3].base+"/v1/messages", strings.NewReader(sessionBody("7d0c2b1e-2222-4a6b-8c7d-0e1f2a3b4c5d")))
			req.Header.Set("x-api-key", clientKey)
			req.Header.Set("anthropic-version", "2023-06-01")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				failed.Add(1)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				failed.Add(1)
				return
			}
			mu.Lock()
			emails[resp.Header.Get("X-Account-Email")]++
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	if failed.Load() != 0 || len(emails) != 1 {
		t.Fatalf("200 concurrent first requests over 3 replicas: %d failed, accounts %v; want 0 failed and one account", failed.Load(), emails)
	}
}

func TestClusterRoundRobinAndSharedCooldown(t *testing.T) {
	c := newCluster(t, 3, fakeupstream.Options{})
	if st, out := c.on(0).adminDo("PUT", "/admin/scheduling", `{"mode":"PerformanceFirst"}`); st != 200 || !strings.Contains(out, "PerformanceFirst") {
		t.Fatalf("set mode: %d %s", st, out)
	}
	for i := 1; i < 3; i++ {
		if _, out := c.on(i).adminDo("GET", "/admin/scheduling", ""); !strings.Contains(out, `"mode":"PerformanceFirst"`) {
			t.Fatalf("replica %d sees %s", i, out)
		}
	}
	counts := map[string]int{}
	for i := 0; i < 30; i++ {
		resp, body := c.on(i).do("POST", "/v1/chat/completions", oaiJSON, oaiHdr)
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, body)
		}
		counts[resp.Header.Get("X-Account-Email")]++
	}
	for _, id := range []string{"oa-1", "oa-2", "oa-3"} {
		if n := counts[id+"@example.com"]; n < 9 || n > 11 {
			t.Fatalf("round robin over replicas: %v; want 10±1 each", counts)
		}
	}
	// A 429 seen by one replica makes every replica skip that account at once.
	c.fake.ResetRequests()
	c.fake.AddFault(fakeupstream.Fault{Provider: "openai", Credential: upstreamKey("oa-1"), Kind: "status", Status: 429, Reason: "rate_limit", RetryAfter: "60s"})
	for i := 0; i < 3; i++ { // until oa-1 has been hit once
		c.on(0).do("POST", "/v1/chat/completions", oaiJSON, oaiHdr)
	}
	hits := 0
	for _, cr := range c.fake.Requests() {
		if cr.Credential == upstreamKey("oa-1") {
			hits++
		}
	}
	if hits != 1 {
		t.Fatalf("oa-1 was called %d times through replica 0; want exactly 1", hits)
	}
	c.fake.ResetRequests()
	for i := 0; i < 12; i++ {
		resp, _ := c.on(1+i%2).do("POST", "/v1/chat/completions", oaiJSON, oaiHdr)
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	for _, cr := range c.fake.Requests() {
		if cr.Credential == upstreamKey("oa-1") {
			t.Fatal("another replica sent a request to the account that is cooling down")
		}
	}
}

func TestClusterBindingSurvivesReplicaRestart(t *testing.T) {
	c := newCluster(t, 2, fakeupstream.Options{})
	resp, _ := c.on(0).do("POST", "/v1/messages", sessionBody("aa0c2b1e-3333-4a6b-8c7d-0e1f2a3b4c5d"), anthHdr)
	first := resp.Header.Get("X-Account-Email")
	c.replicas[0].terminate(t)
	c.replicas[0] = startReplica(t, c.env)
	for i := 0; i < 4; i++ {
		resp, _ := c.on(i).do("POST", "/v1/messages", sessionBody("aa0c2b1e-3333-4a6b-8c7d-0e1f2a3b4c5d"), anthHdr)
		if got := resp.Header.Get("X-Account-Email"); got != first {
			t.Fatalf("after a restart the session moved from %s to %s", first, got)
		}
	}
}

func TestClusterRedisOutageLosesNoRequest(t *testing.T) {
	c := newCluster(t, 2, fakeupstream.Options{})
	var total, bad atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body := oaiJSON
				if i%2 == 0 {
					body = oaiStream
				}
				req, _ := http.NewRequest("POST", c.replicas[(w+i)%2].base+"/v1/chat/completions", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+clientKey)
				resp, err := http.DefaultClient.Do(req)
				total.Add(1)
				if err != nil {
					bad.Add(1)
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || (body == oaiStream && !strings.Contains(string(b), "[DONE]")) {
					bad.Add(1)
				}
			}
		}(w)
	}
	time.Sleep(500 * time.Millisecond)
	// Kill the shared Redis under load.
	killRedis(t, c.redis)
	time.Sleep(1500 * time.Millisecond)
	ready, _ := c.on(0).do("GET", "/readyz", "", nil)
	if ready.StatusCode != 200 {
		t.Errorf("readiness failed during a Redis outage in failure mode open: %d", ready.StatusCode)
	}
	storetest.RestartRedis(t, c.redis)
	time.Sleep(2500 * time.Millisecond)
	close(stop)
	wg.Wait()
	if bad.Load() != 0 || total.Load() < 20 {
		t.Fatalf("%d of %d requests failed across a Redis outage; want none", bad.Load(), total.Load())
	}
	// Back on the shared store (each replica notices on its next health
	// probe): a fixed account set through one replica holds on the other.
	deadline := time.Now().Add(15 * time.Second)
	for {
		st, out := c.on(0).adminDo("PUT", "/admin/fixed-account", `{"account_id":"oa-2"}`)
		if st == 200 {
			break
		}
		if st != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("admin after recovery: %d %s", st, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for {
		resp, _ := c.on(1).do("POST", "/v1/chat/completions", oaiJSON, oaiHdr)
		got := resp.Header.Get("X-Account-Email")
		if got == "oa-2@example.com" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after recovery replica 1 served %s; want the fixed account", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// killRedis stops the redis-server on addr (SHUTDOWN NOSAVE, like a crash).
func killRedis(t *testing.T, addr string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "SHUTDOWN NOSAVE\r\n")
	bufio.NewReader(conn).ReadString('\n')
	conn.Close()
}

func TestGracefulShutdownFinishesInflightStream(t *testing.T) {
	c := newCluster(t, 1, fakeupstream.Options{ChunkDelay: 300 * time.Millisecond})
	r := c.replicas[0]
	req, _ := http.NewRequest("POST", r.base+"/v1/chat/completions", strings.NewReader(oaiStream))
	req.Header.Set("Authorization", "Bearer "+clientKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	if _, err := br.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	rest, err := io.ReadAll(br)
	if err != nil || !strings.Contains(string(rest), "[DONE]") {
		t.Fatalf("in-flight stream after SIGTERM: err %v, got %q", err, rest)
	}
	if err := r.cmd.Wait(); err != nil {
		t.Fatalf("replica exit: %v", err)
	}
}

func TestRedisOutageFailureModeClosed(t *testing.T) {
	addr := storetest.StartRedis(t)
	h := newHarness(t, harnessOpts{routes: demoRoutes, redisURL: storetest.URL(addr),
		env: map[string]string{"SWITCHYARD_REDIS_FAILURE_MODE": "closed"}})
	if resp, out := h.do("POST", "/v1/chat/completions", oaiJSON, oaiHdr); resp.StatusCode != 200 {
		t.Fatalf("before the outage: %d %s", resp.StatusCode, out)
	}
	killRedis(t, addr)
	resp, out := h.do("POST", "/v1/chat/completions", oaiJSON, oaiHdr)
	if resp.StatusCode != 503 {
		t.Fatalf("failure mode closed during an outage: %d %s; want 503", resp.StatusCode, out)
	}
	envelope(t, "openai", out)
	if ready, _ := h.do("GET", "/readyz", "", nil); ready.StatusCode != 503 {
		t.Fatalf("readiness in failure mode closed during an outage: %d; want 503", ready.StatusCode)
	}
	storetest.RestartRedis(t, addr)
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, _ := h.do("POST", "/v1/chat/completions", oaiJSON, oaiHdr)
		if resp.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery within 5s after Redis came back: %d", resp.StatusCode)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
