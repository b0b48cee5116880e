package app_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
)

// clientRoute is one client route with the headers of its protocol, and
// how to make its body stream.
type clientRoute struct {
	proto, path string
	hdr         map[string]string
	streamPath  string // Gemini streams by path; "" streams by body flag
}

func hostileRoutes() []clientRoute {
	auth := map[string]string{"Authorization": "Bearer " + clientKey}
	anth := map[string]string{"x-api-key": clientKey, "anthropic-version": "2023-06-01"}
	goog := map[string]string{"x-goog-api-key": clientKey}
	return []clientRoute{
		{proto: "openai", path: "/v1/chat/completions", hdr: auth},
		{proto: "openai", path: "/v1/responses", hdr: auth},
		{proto: "anthropic", path: "/v1/messages", hdr: anth},
		{proto: "anthropic", path: "/v1/messages/count_tokens", hdr: anth},
		{proto: "gemini", path: "/v1beta/models/gemini-pro-latest:generateContent", hdr: goog,
			streamPath: "/v1beta/models/gemini-pro-latest:streamGenerateContent?alt=sse"},
		{proto: "gemini", path: "/v1beta/models/gemini-pro-latest:countTokens", hdr: goog},
	}
}

// stillServes fails unless the gateway answers a normal request.
func stillServes(t *testing.T, h *harness) {
	t.Helper()
	resp, body := h.do("POST", "/v1/chat/completions", `{"model":"gpt-4o","messages":[{"role":"user","content":"still there?"}]}`,
		map[string]string{"Authorization": "Bearer " + clientKey})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the gateway no longer serves: %d %s", resp.StatusCode, body)
	}
}

// A body of millions of opening brackets overflowed gjson's recursive
// validator and killed the process (every open stream with it).
func TestNestingBombOnEveryRoute(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: demoRoutes})
	bomb := strings.Repeat("[", 6_000_000)
	for _, r := range hostileRoutes() {
		for _, stream := range []bool{false, true} {
			path, body := r.path, `{"model":"gpt-4o","stream":false,"messages":`+bomb
			if stream {
				body = `{"model":"gpt-4o","stream":true,"messages":` + bomb
				if r.streamPath != "" {
					path = r.streamPath
				}
			}
			if r.proto == "gemini" {
				body = `{"contents":` + bomb
			}
			t.Run(fmt.Sprintf("%s stream=%v", path, stream), func(t *testing.T) {
				resp, out := h.do("POST", path, body, r.hdr)
				if resp.StatusCode != http.StatusBadRequest {
					t.Fatalf("status %d; want 400: %.300s", resp.StatusCode, out)
				}
				if msg := envelope(t, r.proto, out); !strings.Contains(msg, "deeper than 256") {
					t.Errorf("message %q does not name the nesting limit", msg)
				}
			})
		}
	}
	// A bare bomb, without any object around it.
	resp, _ := h.do("POST", "/v1/chat/completions", bomb, hostileRoutes()[0].hdr)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bare bomb: status %d; want 400", resp.StatusCode)
	}
	if n := len(h.fake.Requests()); n != 0 {
		t.Fatalf("a nesting bomb reached the upstream %d times", n)
	}
	stillServes(t, h)
}

// A 1 MiB model name was copied into logs, keys, spans and a header.
func TestHugeOrOddModelRefused(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: demoRoutes})
	huge := strings.Repeat("m", 1<<20)
	for _, r := range hostileRoutes() {
		for _, model := range []string{huge, "gpt-4o\r\nX-Injected: 1", "gpt 4o<script>"} {
			for _, stream := range []bool{false, true} {
				path := r.path
				body := fmt.Sprintf(`{"model":%q,"stream":%v,"max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`, model, stream)
				if r.proto == "gemini" {
					if len(model) > 4096 {
						model = model[:4096] // a path of 1 MiB is refused by the HTTP server itself
					}
					path = strings.Replace(r.path, "gemini-pro-latest", strings.NewReplacer("\r", "%0D", "\n", "%0A", " ", "%20", "<", "%3C", ">", "%3E").Replace(model), 1)
					if stream && r.streamPath != "" {
						path = strings.Replace(r.streamPath, "gemini-pro-latest", strings.NewReplacer("\r", "%0D", "\n", "%0A", " ", "%20", "<", "%3C", ">", "%3E").Replace(model), 1)
					}
					body = `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`
				}
				resp, out := h.do("POST", path, body, r.hdr)
				if resp.StatusCode != http.StatusBadRequest {
					t.Fatalf("%s model of %d bytes: status %d; want 400: %.300s", path[:min(len(path), 60)], len(model), resp.StatusCode, out)
				}
				if msg := envelope(t, r.proto, out); !strings.Contains(msg, "model name") {
					t.Errorf("message %q does not explain the model rule", msg)
				}
				if resp.Header.Get("X-Mapped-Model") != "" || len(out) > 1024 {
					t.Errorf("the refused model was echoed: header %q, body of %d bytes", resp.Header.Get("X-Mapped-Model"), len(out))
				}
			}
		}
	}
	if n := len(h.fake.Requests()); n != 0 {
		t.Fatalf("a refused model reached the upstream %d times", n)
	}
	if strings.Contains(h.logs.String(), strings.Repeat("m", 300)) {
		t.Fatal("the huge model name reached the logs")
	}
	stillServes(t, h)
}

// One client key could hold every file descriptor of a replica.
func TestInFlightCaps(t *testing.T) {
	const k1, k2 = clientKey, "sy-second-client-key-8e1f"
	h := newHarness(t, harnessOpts{routes: demoRoutes, env: map[string]string{
		"SWITCHYARD_API_KEYS":              k1 + "," + k2,
		"SWITCHYARD_MAX_IN_FLIGHT":         "3",
		"SWITCHYARD_MAX_IN_FLIGHT_PER_KEY": "2",
	}})
	h.fake.AddFault(fakeupstream.Fault{Provider: "openai", Kind: fakeupstream.KindLatency, Delay: fakeupstream.Duration(1500 * time.Millisecond)})
	body := `{"model":"gpt-4o","messages":[{"role":"user","content":"slow"}]}`
	type answer struct {
		status     int
		retryAfter string
		body       string
	}
	burst := func(keys ...string) []answer {
		out := make([]answer, len(keys))
		var wg sync.WaitGroup
		for i, k := range keys {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Stagger so the holders are in flight before the rest arrive.
				time.Sleep(time.Duration(i) * 150 * time.Millisecond)
				resp, b := h.do("POST", "/v1/chat/completions", body, map[string]string{"Authorization": "Bearer " + k})
				out[i] = answer{resp.StatusCode, resp.Header.Get("Retry-After"), b}
			}()
		}
		wg.Wait()
		return out
	}
	// One key, five at once: two served, three refused with 429.
	got := burst(k1, k1, k1, k1, k1)
	ok, limited := 0, 0
	for _, a := range got {
		switch a.status {
		case 200:
			ok++
		case 429:
			limited++
			if a.retryAfter == "" || !strings.Contains(envelope(t, "openai", a.body), "in flight") {
				t.Errorf("429 without Retry-After or reason: %q %s", a.retryAfter, a.body)
			}
		}
	}
	if ok != 2 || limited != 3 {
		t.Fatalf("one key, burst of 5: %d served, %d refused; want 2 and 3 (%+v)", ok, limited, got)
	}
	// Two keys: the replica's cap of 3 answers the fourth with 503.
	got = burst(k1, k1, k2, k2)
	if got[0].status != 200 || got[1].status != 200 || got[2].status != 200 {
		t.Fatalf("holders: %+v; want three 200s", got[:3])
	}
	if got[3].status != 503 || got[3].retryAfter == "" {
		t.Fatalf("fourth request over the replica cap: %d Retry-After %q; want 503 with Retry-After (%s)", got[3].status, got[3].retryAfter, got[3].body)
	}
	// Slots are given back: a later request is served.
	stillServes(t, h)
}

// A provider or proxy that echoes the request's key must not hand the
// account's credential to the client, in any protocol.
func TestEchoedUpstreamKeyIsScrubbed(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: demoRoutes, accounts: []acctSpec{{id: "oa-1", provider: "openai", tier: "pro"}}})
	key := upstreamKey("oa-1")
	echo := fmt.Sprintf(`{"error":{"message":"Incorrect API key provided: %s. You can find your API key at https://platform.example/account.","type":"invalid_request_error","code":"invalid_api_key"}}`, key)
	cases := []struct {
		name, path, body string
		hdr              map[string]string
		proto            string
	}{
		{"same protocol", "/v1/chat/completions", `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`,
			map[string]string{"Authorization": "Bearer " + clientKey}, "openai"},
		{"translated", "/v1/messages", `{"model":"gpt-4o","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`,
			map[string]string{"x-api-key": clientKey, "anthropic-version": "2023-06-01"}, "anthropic"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h.fake.ClearFaults()
			h.fake.AddFault(fakeupstream.Fault{Provider: "openai", Kind: fakeupstream.KindStatus, Status: 400, Body: echo})
			resp, out := h.do("POST", tc.path, tc.body, tc.hdr)
			if resp.StatusCode != 400 {
				t.Fatalf("status %d; want the provider's 400: %s", resp.StatusCode, out)
			}
			if strings.Contains(out, key) || strings.Contains(out, "upkey-secret") {
				t.Fatalf("the account's key reached the client: %s", out)
			}
			if msg := envelope(t, tc.proto, out); !strings.Contains(msg, "[REDACTED]") {
				t.Errorf("message %q: the echoed key is not marked as redacted", msg)
			}
		})
	}
}

// An upstream (or a proxy in front of it) that answers with a nesting bomb,
// as a JSON answer, an error body or a stream event, on the same-protocol
// and the translated path: every answer is a clean error in the client's
// envelope and the process keeps serving.
func TestUpstreamNestingBomb(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: demoRoutes})
	bomb := strings.Repeat("[", 6_000_000)
	oa := map[string]string{"Authorization": "Bearer " + clientKey}
	anth := map[string]string{"x-api-key": clientKey, "anthropic-version": "2023-06-01"}
	faults := []struct {
		name  string
		fault fakeupstream.Fault
	}{
		{"200 JSON", fakeupstream.Fault{Kind: fakeupstream.KindStatus, Status: 200, Body: bomb}},
		{"400 body", fakeupstream.Fault{Kind: fakeupstream.KindStatus, Status: 400, Body: `{"error":{"message":` + bomb}},
		{"500 body", fakeupstream.Fault{Kind: fakeupstream.KindStatus, Status: 500, Body: bomb}},
		{"stream event", fakeupstream.Fault{Kind: fakeupstream.KindRawStream, Body: "data: " + bomb + "\n\n"}},
	}
	clients := []struct {
		name, provider, path, proto, body string
		hdr                               map[string]string
	}{
		{"openai same", "openai", "/v1/chat/completions", "openai", `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`, oa},
		{"anthropic same", "anthropic", "/v1/messages", "anthropic", `{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`, anth},
		{"gemini same", "gemini", "/v1beta/models/gemini-pro-latest:generateContent", "gemini", `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`, map[string]string{"x-goog-api-key": clientKey}},
		{"anthropic on openai", "openai", "/v1/messages", "anthropic", `{"model":"gpt-4o","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`, anth},
		{"openai on gemini", "gemini", "/v1/chat/completions", "openai", `{"model":"gemini-pro-latest","messages":[{"role":"user","content":"hi"}]}`, oa},
	}
	for _, c := range clients {
		for _, f := range faults {
			for _, stream := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/stream=%v", c.name, f.name, stream), func(t *testing.T) {
					h.fake.ClearFaults()
					fault := f.fault
					fault.Provider = c.provider
					h.fake.AddFault(fault)
					path, body := c.path, c.body
					if stream {
						if c.proto == "gemini" {
							path = strings.Replace(path, ":generateContent", ":streamGenerateContent?alt=sse", 1)
						} else {
							body = strings.Replace(body, `{"model"`, `{"stream":true,"model"`, 1)
						}
					}
					resp, out := h.do("POST", path, body, c.hdr)
					if resp.StatusCode == http.StatusOK && stream {
						// A committed stream ends with an error event instead.
						if !strings.Contains(out, "error") {
							t.Fatalf("200 stream without an error event: %.300s", out)
						}
						return
					}
					if resp.StatusCode < 400 {
						t.Fatalf("status %d; want an error: %.300s", resp.StatusCode, out)
					}
					envelope(t, c.proto, out)
				})
			}
		}
	}
	// The accounts now cool from the 5xx answers; the process still serves.
	if resp, out := h.do("GET", "/v1/models", "", oa); resp.StatusCode != http.StatusOK {
		t.Fatalf("the gateway no longer serves: %d %.300s", resp.StatusCode, out)
	}
}

// A 2xx that is not an answer (an error object where a stream was asked
// for) is quoted to the client too; so is an error event inside a stream,
// before or after the answer was committed: each gets the same scrub, and
// the key reaches neither the client nor the logs.
func TestEchoedUpstreamKeyIsScrubbedOutsideErrorStatuses(t *testing.T) {
	oa := map[string]string{"Authorization": "Bearer " + clientKey}
	anth := map[string]string{"x-api-key": clientKey, "anthropic-version": "2023-06-01"}
	t.Run("200 error object for a stream", func(t *testing.T) {
		h := newHarness(t, harnessOpts{routes: demoRoutes, accounts: []acctSpec{{id: "oa-1", provider: "openai", tier: "pro"}}})
		key := upstreamKey("oa-1")
		echo := fmt.Sprintf(`{"error":{"message":"Incorrect API key provided: %s.","type":"invalid_request_error"}}`, key)
		for _, c := range []struct{ path, proto string }{{"/v1/chat/completions", "openai"}, {"/v1/messages", "anthropic"}} {
			h.fake.ClearFaults()
			h.fake.AddFault(fakeupstream.Fault{Provider: "openai", Kind: fakeupstream.KindStatus, Status: 200, Body: echo})
			hdr := oa
			if c.proto == "anthropic" {
				hdr = anth
			}
			resp, out := h.do("POST", c.path, `{"model":"gpt-4o","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"hi"}]}`, hdr)
			if resp.StatusCode < 500 {
				t.Fatalf("%s: status %d; want a 5xx for an answer that is not a stream: %s", c.path, resp.StatusCode, out)
			}
			if strings.Contains(out, "upkey-secret") {
				t.Fatalf("%s: the account's key reached the client: %s", c.path, out)
			}
			if msg := envelope(t, c.proto, out); !strings.Contains(msg, "[REDACTED]") {
				t.Errorf("%s: message %q does not quote the redacted upstream text", c.path, msg)
			}
		}
		if strings.Contains(h.logs.String(), "upkey-secret") {
			t.Fatal("the account's key reached the logs")
		}
	})
	key := upstreamKey("an-1")
	start := sseEvent("message_start", `{"type":"message_start","message":{"id":"msg_e1","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":1}}}`) +
		sseEvent("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
	delta := sseEvent("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hello there"}}`)
	errEv := sseEvent("error", `{"type":"error","error":{"type":"invalid_request_error","message":"bad key `+key+` echoed"}}`)
	cases := []struct {
		name, raw, path, body string
		hdr                   map[string]string
	}{
		{"mid-stream same protocol", start + delta + errEv, "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"hi"}]}`, anth},
		{"mid-stream translated", start + delta + errEv, "/v1/chat/completions", `{"model":"claude-sonnet-4-5","stream":true,"messages":[{"role":"user","content":"hi"}]}`, oa},
		{"before commit same protocol", start + errEv, "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"hi"}]}`, anth},
		{"before commit translated JSON client", start + errEv, "/v1/chat/completions", `{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}]}`, oa},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{routes: demoRoutes, accounts: []acctSpec{{id: "an-1", provider: "anthropic", tier: "pro"}}})
			h.fake.AddFault(fakeupstream.Fault{Provider: "anthropic", Kind: fakeupstream.KindRawStream, Body: tc.raw})
			_, out := h.do("POST", tc.path, tc.body, tc.hdr)
			if strings.Contains(out, "upkey-secret") {
				t.Fatalf("the account's key reached the client: %s", out)
			}
			if !strings.Contains(out, "[REDACTED]") {
				t.Fatalf("the upstream's error text is not quoted, redacted: %s", out)
			}
			if strings.Contains(h.logs.String(), "upkey-secret") {
				t.Fatal("the account's key reached the logs")
			}
		})
	}
}

// Without client keys any web page could drive a developer's gateway.
func TestKeylessGatewayRefusesBrowsers(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: demoRoutes, env: map[string]string{"SWITCHYARD_API_KEYS": ""}})
	body := `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`
	cases := []struct {
		name string
		hdr  map[string]string
		want int
	}{
		{"simple content type", map[string]string{"Content-Type": "text/plain;x=json"}, 415},
		{"form content type", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415},
		{"no content type", map[string]string{"Content-Type": ""}, 415},
		{"foreign origin", map[string]string{"Origin": "https://evil.example"}, 403},
		{"opaque origin", map[string]string{"Origin": "null"}, 403},
		{"cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"rebound host name", map[string]string{"Host": "evil.example:8045"}, 403},
		{"loopback origin", map[string]string{"Origin": "http://localhost:3000"}, 200},
		{"cli client", nil, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", h.base+"/v1/chat/completions", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			for k, v := range tc.hdr {
				if k == "Host" {
					req.Host = v
					continue
				}
				if v == "" {
					req.Header.Del(k)
					continue
				}
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d; want %d: %s", resp.StatusCode, tc.want, b)
			}
			if tc.want != 200 {
				envelope(t, "openai", string(b))
			}
		})
	}
	if n := len(h.fake.Requests()); n != 2 {
		t.Fatalf("%d requests reached the upstream; want only the 2 allowed ones", n)
	}
}

// The admin listener read any body in full and logged no changes.
func TestAdminBodyLimitAndAudit(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	// 50 MB of whitespace, declared: refused before it is read.
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.admin, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /admin/accounts/an-1/disable HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", adminKey, 50<<20)
	_, _ = conn.Write([]byte(strings.Repeat(" ", 64<<10)))
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a 50 MB admin body: %v", err)
	}
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d; want 413", resp.StatusCode)
	}
	// Undeclared (chunked) and too long: cut at the limit, never applied.
	req, _ := http.NewRequest("POST", h.admin+"/admin/accounts/an-1/disable", io.MultiReader(strings.NewReader(`{"reason":"`), strings.NewReader(strings.Repeat("x", 2<<20)), strings.NewReader(`"}`)))
	req.Header.Set("Authorization", "Bearer "+adminKey)
	req.ContentLength = -1
	if r2, err := http.DefaultClient.Do(req); err == nil {
		r2.Body.Close()
	}
	if disabled, _, _ := h.accountState("an-1"); disabled {
		t.Fatal("an oversized admin body was applied")
	}
	// Every change is audited: who (a fingerprint), what, from where.
	if st, body := h.adminDo("POST", "/admin/accounts/an-2/disable", `{"reason":"maintenance"}`); st != 200 {
		t.Fatalf("disable: %d %s", st, body)
	}
	if st, _ := h.adminDo("PUT", "/admin/fixed-account", `{"account_id":"oa-1"}`); st != 200 {
		t.Fatalf("fixed account: %d", st)
	}
	var audits []string
	for _, l := range strings.Split(h.logs.String(), "\n") {
		if strings.Contains(l, `"admin change"`) {
			audits = append(audits, l)
		}
	}
	want := []string{`"path":"/admin/accounts/an-2/disable"`, `"target":"oa-1"`}
	for _, w := range want {
		found := false
		for _, l := range audits {
			if strings.Contains(l, w) && strings.Contains(l, `"who":"sha256:`) && strings.Contains(l, `"remote_addr":"127.0.0.1:`) {
				found = true
			}
		}
		if !found {
			t.Errorf("no audit line with %s, who and remote_addr in:\n%s", w, strings.Join(audits, "\n"))
		}
	}
}
