package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchyard-gw/switchyard/internal/fakeupstream"

	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

// Issue 15: the scheduling defects, each seen from outside through three
// in-process replicas on one real redis-server and one fake upstream.

func schedAccounts() []acctSpec {
	return []acctSpec{
		{id: "oa-1", provider: "openai", tier: "pro"},
		{id: "oa-2", provider: "openai", tier: "pro"},
		{id: "oa-3", provider: "openai", tier: "pro"},
		{id: "an-1", provider: "anthropic", tier: "pro"},
		{id: "an-2", provider: "anthropic", tier: "pro"},
		{id: "ge-1", provider: "gemini", tier: "pro"},
	}
}

// threeReplicas starts three gateways sharing one redis-server and one fake.
func threeReplicas(t *testing.T, env map[string]string) []*harness {
	t.Helper()
	return threeReplicasWith(t, demoRoutes, env)
}

func threeReplicasWith(t *testing.T, routes string, env map[string]string) []*harness {
	t.Helper()
	redisURL := storetest.URL(storetest.StartRedis(t))
	first := newHarness(t, harnessOpts{accounts: schedAccounts(), routes: routes, redisURL: redisURL, env: env})
	hs := []*harness{first}
	for range 2 {
		hs = append(hs, newHarness(t, harnessOpts{accounts: schedAccounts(), routes: routes, redisURL: redisURL, env: env,
			fake: first.fake, fakeURL: first.fakeURL}))
	}
	return hs
}

func admin(t *testing.T, h *harness, method, path, body string) {
	t.Helper()
	if st, out := h.adminDo(method, path, body); st != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, path, st, out)
	}
}

func account(resp *http.Response) string {
	return strings.TrimSuffix(resp.Header.Get("X-Account-Email"), "@example.com")
}

func chatIn(t *testing.T, h *harness, session string) (*http.Response, string) {
	t.Helper()
	body := `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}` // too short to name a session
	if session != "" {
		body = fmt.Sprintf(`{"model":"gpt-4o","prompt_cache_key":%q,"messages":[{"role":"user","content":"hi"}]}`, session)
	}
	return h.do("POST", "/v1/chat/completions", body, map[string]string{"Authorization": "Bearer " + clientKey})
}

// Defect 6: with one of three accounts disabled, round robin gives the other
// two equal turns across every replica (it gave 20/10).
func TestRoundRobinEvenWithDisabledAccountAcrossReplicas(t *testing.T) {
	hs := threeReplicas(t, nil)
	admin(t, hs[0], "PUT", "/admin/scheduling", `{"mode":"PerformanceFirst"}`)
	admin(t, hs[1], "POST", "/admin/accounts/oa-3/disable", "")
	counts := map[string]int{}
	for i := range 30 {
		resp, out := chatIn(t, hs[i%3], "")
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, out)
		}
		counts[account(resp)]++
	}
	if counts["oa-1"] != 15 || counts["oa-2"] != 15 {
		t.Fatalf("served %v; want oa-1 and oa-2 15 each", counts)
	}
}

// Defect 5: while an account is pinned every session is served by it, and
// when the pin is removed each session is back on its own account.
func TestFixedAccountLeavesSessionsBoundAcrossReplicas(t *testing.T) {
	hs := threeReplicas(t, nil)
	own := map[string]string{}
	for i, sid := range []string{"sess-one", "sess-two", "sess-three"} {
		resp, out := chatIn(t, hs[i%3], sid)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", sid, resp.StatusCode, out)
		}
		own[sid] = account(resp)
	}
	pin := "oa-3"
	admin(t, hs[0], "PUT", "/admin/fixed-account", `{"account_id":"oa-3"}`)
	for i, sid := range []string{"sess-one", "sess-two", "sess-three", "sess-new"} {
		if resp, _ := chatIn(t, hs[(i+1)%3], sid); account(resp) != pin {
			t.Fatalf("%s while pinned: served by %s; want %s", sid, account(resp), pin)
		}
	}
	admin(t, hs[1], "DELETE", "/admin/fixed-account", "")
	for i, sid := range []string{"sess-one", "sess-two", "sess-three"} {
		if resp, _ := chatIn(t, hs[(i+2)%3], sid); account(resp) != own[sid] {
			t.Fatalf("%s after the pin: served by %s; want its own account %s (%v)", sid, account(resp), own[sid], own)
		}
	}
}

// Defect 2: a Claude Code session whose haiku side requests go to another
// provider keeps its main model's account (bindings are per model group).
func TestSideRequestsKeepMainBindingAcrossReplicas(t *testing.T) {
	hs := threeReplicasWith(t, demoRoutes+"claude-haiku-4-5: gemini/gemini-2.5-flash\n", nil)
	body := func(model string) string {
		return `{"model":"` + model + `","max_tokens":32,"metadata":{"user_id":"user_abc_account__session_5f0c2b1e-2222-4a6b-8c7d-0e1f2a3b4c5d"},` +
			`"messages":[{"role":"user","content":"a conversation with side requests"}]}`
	}
	var main []string
	for i := range 6 {
		resp, out := hs[i%3].do("POST", "/v1/messages", body("claude-sonnet-4-5"), anthHdr)
		if resp.StatusCode != 200 {
			t.Fatalf("main turn %d: %d %s", i, resp.StatusCode, out)
		}
		main = append(main, account(resp))
		side, out := hs[(i+1)%3].do("POST", "/v1/messages", body("claude-haiku-4-5"), anthHdr)
		if side.StatusCode != 200 || !strings.HasPrefix(account(side), "ge-") {
			t.Fatalf("side turn %d: %d %s by %s; want a gemini account", i, side.StatusCode, out, account(side))
		}
	}
	for _, a := range main[1:] {
		if a != main[0] {
			t.Fatalf("the main model was served by %v; want one account for the session", main)
		}
	}
}

// Defect 1: an account answering 429 with a short hint gets the same request
// once more after the hint, then the request rotates, and the repeated short
// hint cools the account for every replica (it took 4 s and then answered
// 429 on every request).
func TestShortHintRetriedOnceThenCooledAcrossReplicas(t *testing.T) {
	hs := threeReplicas(t, nil)
	admin(t, hs[0], "PUT", "/admin/scheduling", `{"mode":"PerformanceFirst"}`)
	hs[0].fake.AddFault(fakeupstream.Fault{Provider: "openai", Credential: upstreamKey("oa-1"), Kind: fakeupstream.KindStatus,
		Status: 429, Reason: fakeupstream.ReasonRateLimit, RetryAfter: "1s"})
	for i := range 6 {
		start := time.Now()
		resp, out := chatIn(t, hs[i%3], "")
		if resp.StatusCode != 200 || account(resp) == "oa-1" {
			t.Fatalf("request %d: %d by %s: %s", i, resp.StatusCode, account(resp), out)
		}
		if took := time.Since(start); took > 2500*time.Millisecond {
			t.Fatalf("request %d took %v; want at most one short wait", i, took)
		}
	}
	hits := 0
	for _, c := range hs[0].credentialsUsed() {
		if c == "oa-1" {
			hits++
		}
	}
	if hits != 2 {
		t.Fatalf("oa-1 was tried %d times; want 2 (the first request and its one retry), then cooled for every replica", hits)
	}
}

// Defect 4: in CacheFirst a request whose bound account answers 429 with a
// hint within max wait waits for that account and keeps the binding (it
// rotated at once and moved the session).
func TestCacheFirstWaitsForBoundAccountAcrossReplicas(t *testing.T) {
	hs := threeReplicas(t, nil)
	admin(t, hs[0], "PUT", "/admin/scheduling", `{"mode":"CacheFirst","max_wait_seconds":6}`)
	resp, out := chatIn(t, hs[0], "cache-first-session")
	if resp.StatusCode != 200 {
		t.Fatalf("first turn: %d %s", resp.StatusCode, out)
	}
	bound := account(resp)
	hs[0].fake.AddFault(fakeupstream.Fault{Provider: "openai", Credential: upstreamKey(bound), Times: 1, Kind: fakeupstream.KindStatus,
		Status: 429, Reason: fakeupstream.ReasonRateLimit, RetryAfter: "3s"})
	start := time.Now()
	resp, out = chatIn(t, hs[1], "cache-first-session")
	if resp.StatusCode != 200 || account(resp) != bound {
		t.Fatalf("turn after a 429 with a 3s hint: %d by %s (%s); want the bound %s after a wait", resp.StatusCode, account(resp), out, bound)
	}
	if took := time.Since(start); took < 2*time.Second {
		t.Fatalf("served after %v; want a wait of about the 3s hint", took)
	}
	if resp, _ := chatIn(t, hs[2], "cache-first-session"); account(resp) != bound {
		t.Fatalf("next turn on replica 3: %s; want the binding kept on %s", account(resp), bound)
	}
}

// Defect 3: when every account cools after server errors the client gets 503
// (an Anthropic client 529 overloaded_error when the upstream said
// overloaded) with Retry-After, not a 429 that SDKs read as its own limit.
func TestServerErrorOutageAnswers503AcrossReplicas(t *testing.T) {
	hs := threeReplicas(t, map[string]string{"SWITCHYARD_RATE_LIMIT_GRACE": "50ms"})
	hs[0].fake.AddFault(fakeupstream.Fault{Provider: "openai", Kind: fakeupstream.KindStatus, Status: 500})
	hs[0].fake.AddFault(fakeupstream.Fault{Provider: "anthropic", Kind: fakeupstream.KindStatus, Status: 529, Reason: fakeupstream.ReasonCapacity})
	anth := `{"model":"claude-sonnet-4-5","max_tokens":32,"messages":[{"role":"user","content":"hi"}]}`
	// Two failing requests per pool: each account's second failure cools it.
	for i := range 2 {
		chatIn(t, hs[i], "")
		hs[i].do("POST", "/v1/messages", anth, anthHdr)
	}
	resp, out := chatIn(t, hs[2], "")
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(out, "server_error") {
		t.Fatalf("OpenAI client during the outage: %d Retry-After %q %s; want 503 with Retry-After naming server errors",
			resp.StatusCode, resp.Header.Get("Retry-After"), out)
	}
	resp, out = hs[2].do("POST", "/v1/messages", anth, anthHdr)
	if resp.StatusCode != 529 || resp.Header.Get("Retry-After") == "" || !strings.Contains(out, "overloaded_error") {
		t.Fatalf("Anthropic client during the outage: %d Retry-After %q %s; want 529 overloaded_error with Retry-After",
			resp.StatusCode, resp.Header.Get("Retry-After"), out)
	}
}

// SWITCHYARD_REDIS_NAMESPACE: two deployments on one Redis keep apart (a pin
// in one does not reach the other), and every key either writes carries its
// namespace's hash tag.
func TestRedisNamespacesKeepDeploymentsApart(t *testing.T) {
	addr := storetest.StartRedis(t)
	start := func(ns string, fake *harness) *harness {
		o := harnessOpts{accounts: schedAccounts(), routes: demoRoutes, redisURL: storetest.URL(addr),
			env: map[string]string{"SWITCHYARD_REDIS_NAMESPACE": ns}}
		if fake != nil {
			o.fake, o.fakeURL = fake.fake, fake.fakeURL
		}
		return newHarness(t, o)
	}
	a1 := start("team-a", nil)
	a2, b := start("team-a", a1), start("team-b", a1)
	admin(t, a1, "PUT", "/admin/fixed-account", `{"account_id":"oa-3"}`)
	if resp, _ := chatIn(t, a2, "ns-session"); account(resp) != "oa-3" {
		t.Fatalf("team-a's other replica served %s; want its pin oa-3", account(resp))
	}
	for i := range 2 { // round robin of a fresh deployment: oa-1, oa-2
		if resp, _ := chatIn(t, b, fmt.Sprintf("ns-session-%d", i)); resp.StatusCode != 200 || account(resp) == "oa-3" {
			t.Fatalf("team-b: %d by %s; team-a's pin leaked into it", resp.StatusCode, account(resp))
		}
	}
	b.do("POST", "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":32,"messages":[{"role":"user","content":"a conversation to log"}]}`, anthHdr)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	// The request log is written off the request path.
	if _, ok := eventually(3*time.Second, func() bool { return rdb.Exists(context.Background(), "{sy:team-b}:reqlog").Val() == 1 }); !ok {
		t.Fatal("team-b's request log is not under its hash tag")
	}
	keys, err := rdb.Keys(context.Background(), "*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys: %v %v", keys, err)
	}
	seen := map[string]bool{}
	for _, k := range keys {
		switch {
		case strings.HasPrefix(k, "{sy:team-a}:"):
			seen["a"] = true
		case strings.HasPrefix(k, "{sy:team-b}:"):
			seen["b"] = true
		default:
			t.Errorf("key %q carries neither namespace's hash tag", k)
		}
	}
	if !seen["a"] || !seen["b"] {
		t.Fatalf("keys %v; want both namespaces", keys)
	}
}
