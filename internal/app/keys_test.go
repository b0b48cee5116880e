package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

const (
	aliceKey = "sy-alice-team-key-2c91"
	bobKey   = "sy-bob-team-key-77d0"
	carolKey = "sy-carol-team-key-5e1a"
)

// writeWatched replaces a watched file and moves its time, so a reload sees it.
func writeWatched(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Duration(len(content)) * time.Second)
	_ = os.Chtimes(path, later, later)
}

// eventually polls cond every 50ms for up to d and reports how long it took.
func eventually(d time.Duration, cond func() bool) (time.Duration, bool) {
	start := time.Now()
	for time.Since(start) < d {
		if cond() {
			return time.Since(start), true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start), cond()
}

func chatAs(h *harness, key, model string) (*http.Response, string) {
	return h.do("POST", "/v1/chat/completions", fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":"hi"}]}`, model),
		map[string]string{"Authorization": "Bearer " + key})
}

func TestKeysFileAllowListsAndReload(t *testing.T) {
	dir := t.TempDir()
	keysFile, routesFile := filepath.Join(dir, "keys.yaml"), filepath.Join(dir, "routes.yaml")
	writeWatched(t, keysFile, fmt.Sprintf("keys:\n  - name: alice\n    key: ${ALICE_KEY}\n    models: [\"gpt-*\"]\n  - name: bob\n    key: %s\n", bobKey))
	writeWatched(t, routesFile, demoRoutes)
	t.Setenv("ALICE_KEY", aliceKey)
	h := newHarness(t, harnessOpts{routes: demoRoutes, env: map[string]string{
		"SWITCHYARD_API_KEYS": "", "SWITCHYARD_API_KEYS_FILE": keysFile, "SWITCHYARD_ROUTES_FILE": routesFile,
	}})
	if resp, body := chatAs(h, aliceKey, "gpt-4o"); resp.StatusCode != 200 {
		t.Fatalf("alice on an allowed model: %d %s", resp.StatusCode, body)
	}
	// A model outside the allow-list: 403 naming the rule, in every envelope.
	for _, c := range []struct{ proto, path, body string }{
		{"openai", "/v1/chat/completions", `{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}]}`},
		{"anthropic", "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`},
		{"gemini", "/v1beta/models/gemini-pro-latest:generateContent", `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`},
	} {
		resp, body := h.do("POST", c.path, c.body, map[string]string{"Authorization": "Bearer " + aliceKey, "x-api-key": aliceKey,
			"x-goog-api-key": aliceKey, "anthropic-version": "2023-06-01"})
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("%s: %d %s; want 403", c.proto, resp.StatusCode, body)
		}
		if msg := envelope(t, c.proto, body); !strings.Contains(msg, "alice") || !strings.Contains(msg, "gpt-*") {
			t.Errorf("%s: message %q does not name the key and its rule", c.proto, msg)
		}
	}
	if resp, _ := chatAs(h, bobKey, "claude-sonnet-4-5"); resp.StatusCode != 200 {
		t.Fatalf("bob (no allow-list): %d", resp.StatusCode)
	}
	// Reload: bob removed, carol added, a new route, without a restart.
	writeWatched(t, keysFile, fmt.Sprintf("keys:\n  - name: alice\n    key: ${ALICE_KEY}\n    models: [\"gpt-*\", \"team-*\"]\n  - name: carol\n    key: %s\n", carolKey))
	writeWatched(t, routesFile, demoRoutes+"team-default: gpt-4o-2024-08-06\n")
	if took, ok := eventually(5*time.Second, func() bool {
		r1, _ := chatAs(h, bobKey, "gpt-4o")
		r2, _ := chatAs(h, carolKey, "gpt-4o")
		return r1.StatusCode == 401 && r2.StatusCode == 200
	}); !ok {
		t.Fatalf("keys file reload not applied after %v", took)
	}
	if _, ok := eventually(5*time.Second, func() bool {
		r, _ := chatAs(h, aliceKey, "team-default")
		return r.StatusCode == 200 && r.Header.Get("X-Mapped-Model") == "gpt-4o-2024-08-06"
	}); !ok {
		t.Fatal("routes file reload not applied")
	}
	// A bad file is refused; the last good keys keep serving.
	writeWatched(t, keysFile, "keys: [ not yaml")
	time.Sleep(1200 * time.Millisecond)
	if r, _ := chatAs(h, carolKey, "gpt-4o"); r.StatusCode != 200 {
		t.Fatalf("a bad keys file broke the last good keys: %d", r.StatusCode)
	}
	for _, secret := range []string{aliceKey, bobKey, carolKey} {
		if strings.Contains(h.logs.String(), secret) {
			t.Fatal("a client key secret reached the logs")
		}
	}
}

// keyAnswer is the answer to POST /admin/keys: {"name", "key": the secret, …}.
type keyAnswer struct {
	Name        string `json:"name"`
	Fingerprint string `json:"fingerprint"`
	Secret      string `json:"key"`
}

func createKey(t *testing.T, h *harness, spec string) keyAnswer {
	t.Helper()
	st, body := h.adminDo("POST", "/admin/keys", spec)
	if st != http.StatusCreated {
		t.Fatalf("create key: %d %s", st, body)
	}
	var a keyAnswer
	if err := json.Unmarshal([]byte(body), &a); err != nil || a.Secret == "" {
		t.Fatalf("create key answer: %s", body)
	}
	return a
}

func TestKeyLimitsAcrossThreeReplicas(t *testing.T) {
	redisURL := storetest.URL(storetest.StartRedis(t))
	var hs []*harness
	for range 3 {
		hs = append(hs, newHarness(t, harnessOpts{routes: demoRoutes, redisURL: redisURL}))
	}
	// Requests per minute: a concurrent burst over every replica admits
	// exactly the limit (the check is atomic with the selection).
	rpm := createKey(t, hs[0], `{"name":"burst","rpm":6}`)
	if _, ok := eventually(2*time.Second, func() bool { r, _ := chatAs(hs[2], rpm.Secret, "gpt-4o"); return r.StatusCode == 200 }); !ok {
		t.Fatal("a key created on replica 1 is not accepted by replica 3")
	}
	var mu sync.Mutex
	codes := map[int]int{}
	var limited *http.Response
	var wg sync.WaitGroup
	for i := range 18 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, _ := chatAs(hs[i%3], rpm.Secret, "gpt-4o")
			mu.Lock()
			codes[r.StatusCode]++
			if r.StatusCode == 429 {
				limited = r
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes[200] != 5 || codes[429] != 13 {
		t.Fatalf("burst of 18 after 1 request with rpm 6: %v; want 5 served and 13 refused", codes)
	}
	if limited.Header.Get("Retry-After") == "" || limited.Header.Get("x-ratelimit-limit-requests") != "6" ||
		limited.Header.Get("x-ratelimit-remaining-requests") != "0" || limited.Header.Get("x-ratelimit-reset-requests") == "" {
		t.Fatalf("429 headers %v", limited.Header)
	}
	// Tokens per minute: debited when the answer's usage is known, refused
	// once spent, on every replica.
	tpm := createKey(t, hs[1], `{"name":"tokens","tpm":5}`)
	if _, ok := eventually(2*time.Second, func() bool { r, _ := chatAs(hs[1], tpm.Secret, "gpt-4o"); return r.StatusCode == 200 }); !ok {
		t.Fatal("tpm key not usable")
	}
	if took, ok := eventually(2*time.Second, func() bool {
		r, _ := chatAs(hs[2], tpm.Secret, "gpt-4o")
		return r.StatusCode == 429 && r.Header.Get("x-ratelimit-limit-tokens") == "5"
	}); !ok {
		t.Fatalf("tokens per minute not enforced after %v", took)
	}
	// Usage today and no secret in the admin answer.
	st, body := hs[2].adminDo("GET", "/admin/keys", "")
	if st != 200 || strings.Contains(body, rpm.Secret) || strings.Contains(body, tpm.Secret) || strings.Contains(body, clientKey) {
		t.Fatalf("GET /admin/keys: %d, or it shows a secret", st)
	}
	var list struct {
		Keys []struct {
			Name       string `json:"name"`
			UsageToday struct {
				Requests int64 `json:"requests"`
				Tokens   int64 `json:"tokens"`
			} `json:"usage_today"`
		} `json:"keys"`
	}
	_ = json.Unmarshal([]byte(body), &list)
	usage := map[string]int64{}
	for _, k := range list.Keys {
		usage[k.Name] = k.UsageToday.Requests
	}
	if usage["burst"] != 6 || usage["tokens"] != 1 {
		t.Fatalf("usage today %v; want burst 6, tokens 1", usage)
	}
	// A revoke through one replica is refused by the others within a second.
	victim := createKey(t, hs[0], `{"name":"leaver"}`)
	if _, ok := eventually(2*time.Second, func() bool {
		a, _ := chatAs(hs[1], victim.Secret, "gpt-4o")
		b, _ := chatAs(hs[2], victim.Secret, "gpt-4o")
		return a.StatusCode == 200 && b.StatusCode == 200
	}); !ok {
		t.Fatal("new key not usable everywhere")
	}
	if st, body := hs[0].adminDo("DELETE", "/admin/keys/leaver", ""); st != 200 {
		t.Fatalf("revoke: %d %s", st, body)
	}
	took, ok := eventually(3*time.Second, func() bool {
		a, _ := chatAs(hs[1], victim.Secret, "gpt-4o")
		b, _ := chatAs(hs[2], victim.Secret, "gpt-4o")
		return a.StatusCode == 401 && b.StatusCode == 401
	})
	if !ok || took > time.Second {
		t.Fatalf("revoked key refused everywhere after %v (ok=%v); want within 1s", took, ok)
	}
	// Keys of the environment cannot be changed through the API.
	if st, _ := hs[0].adminDo("PATCH", "/admin/keys/env-1", `{"rpm":1}`); st != http.StatusConflict {
		t.Fatalf("PATCH of an environment key: %d; want 409", st)
	}
	for _, h := range hs {
		_, reqlog := h.adminDo("GET", "/admin/requests?limit=1000", "")
		mresp, err := http.Get(h.admin + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		metrics, _ := io.ReadAll(mresp.Body)
		mresp.Body.Close()
		if !strings.Contains(string(metrics), `key="burst"`) || !strings.Contains(reqlog, `"key":"burst"`) {
			t.Errorf("metrics or the request log do not name the key")
		}
		for _, s := range []string{rpm.Secret, tpm.Secret, victim.Secret} {
			for where, text := range map[string]string{"logs": h.logs.String(), "request log": reqlog, "metrics": string(metrics)} {
				if strings.Contains(text, s) {
					t.Fatalf("an API key secret reached the %s", where)
				}
			}
		}
	}
}

// A key's in-flight limit holds even when its requests share a client-chosen
// request id, and a finished request gives its slot back.
func TestKeyInFlightLimit(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: demoRoutes})
	k := createKey(t, h, `{"name":"one-at-a-time","max_in_flight":1}`)
	h.fake.AddFault(fakeupstream.Fault{Provider: "openai", Times: 1, Kind: fakeupstream.KindLatency, Delay: fakeupstream.Duration(time.Second)})
	hdr := map[string]string{"Authorization": "Bearer " + k.Secret, "X-Request-Id": "same-id"}
	body := `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`
	first := make(chan int, 1)
	go func() { r, _ := h.do("POST", "/v1/chat/completions", body, hdr); first <- r.StatusCode }()
	// Wait until the first request is admitted (counted in today's usage).
	if _, ok := eventually(900*time.Millisecond, func() bool {
		_, list := h.adminDo("GET", "/admin/keys", "")
		return strings.Contains(list, `"name":"one-at-a-time"`) && strings.Contains(list, `"usage_today":{"requests":1`)
	}); !ok {
		t.Fatal("the first request was not admitted")
	}
	second, _ := h.do("POST", "/v1/chat/completions", body, hdr)
	if second.StatusCode != 429 {
		t.Fatalf("a second request while one is in flight: %d; want 429", second.StatusCode)
	}
	if second.Header.Get("x-ratelimit-limit-concurrent-requests") != "1" {
		t.Errorf("429 headers %v", second.Header)
	}
	if st := <-first; st != 200 {
		t.Fatalf("the request in flight: %d", st)
	}
	if _, ok := eventually(2*time.Second, func() bool { r, _ := h.do("POST", "/v1/chat/completions", body, hdr); return r.StatusCode == 200 }); !ok {
		t.Fatal("the slot was not given back after the request ended")
	}
}
