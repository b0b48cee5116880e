package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
)

const (
	anthStream = `{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hello resilience"}]}`
	anthJSON   = `{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hello resilience"}]}`
	oaiStream  = `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hello resilience"}]}`
	oaiJSON    = `{"model":"gpt-4o","messages":[{"role":"user","content":"hello resilience"}]}`
)

var (
	anthHdr = map[string]string{"x-api-key": clientKey, "anthropic-version": "2023-06-01"}
	oaiHdr  = map[string]string{"Authorization": "Bearer " + clientKey}
)

type accountsView struct {
	Accounts []struct {
		ID        string `json:"id"`
		Cooldowns []struct {
			ModelGroup string    `json:"model_group"`
			Until      time.Time `json:"until"`
			Reason     string    `json:"reason"`
		} `json:"cooldowns"`
		Disabled bool `json:"disabled"`
	} `json:"accounts"`
}

func (h *harness) cooldowns() map[string]string {
	st, body := h.adminDo("GET", "/admin/accounts", "")
	if st != 200 {
		h.t.Fatalf("admin accounts: %d %s", st, body)
	}
	var v accountsView
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		h.t.Fatal(err)
	}
	out := map[string]string{}
	for _, a := range v.Accounts {
		for _, c := range a.Cooldowns {
			out[a.ID] = c.Reason
		}
	}
	return out
}

func TestResilienceTable(t *testing.T) {
	type want struct {
		status   int
		calls    int  // upstream calls
		same     bool // all calls on one account
		cooling  map[string]string
		bodyHas  string
		bodyNot  string
		retryHdr bool
	}
	cases := []struct {
		name   string
		faults []fakeupstream.Fault
		body   string
		hdr    map[string]string
		want   want
	}{
		{"429 short hint retries same account",
			[]fakeupstream.Fault{{Provider: "anthropic", Times: 1, Kind: "status", Status: 429, Reason: "rate_limit", RetryAfter: "1s"}},
			anthJSON, anthHdr, want{status: 200, calls: 2, same: true, bodyHas: "fake anthropic"}},
		{"429 long hint rotates and cools",
			[]fakeupstream.Fault{{Provider: "anthropic", Times: 1, Kind: "status", Status: 429, Reason: "rate_limit", RetryAfter: "30s"}},
			anthJSON, anthHdr, want{status: 200, calls: 2, cooling: map[string]string{"*first": "rate_limit"}, bodyHas: "fake anthropic"}},
		{"429 everywhere",
			[]fakeupstream.Fault{{Provider: "anthropic", Kind: "status", Status: 429, Reason: "rate_limit", RetryAfter: "40s"}},
			anthJSON, anthHdr, want{status: 429, calls: 2, retryHdr: true, bodyHas: "cooling"}},
		{"500 once",
			[]fakeupstream.Fault{{Provider: "openai", Times: 1, Kind: "status", Status: 500}},
			oaiJSON, oaiHdr, want{status: 200, calls: 2}},
		{"503 persistent",
			[]fakeupstream.Fault{{Provider: "openai", Kind: "status", Status: 503, Reason: "capacity"}},
			oaiJSON, oaiHdr, want{status: 503, calls: 3}},
		{"connection reset",
			[]fakeupstream.Fault{{Provider: "openai", Times: 1, Kind: "reset"}},
			oaiStream, oaiHdr, want{status: 200, calls: 2, bodyHas: "[DONE]"}},
		{"no answer before header timeout",
			[]fakeupstream.Fault{{Provider: "openai", Times: 1, Kind: "hang"}},
			oaiJSON, oaiHdr, want{status: 200, calls: 2}},
		{"slow first byte within limit",
			[]fakeupstream.Fault{{Provider: "openai", Times: 1, Kind: "slow_first_byte", Delay: fakeupstream.Duration(500 * time.Millisecond)}},
			oaiStream, oaiHdr, want{status: 200, calls: 1, bodyHas: "[DONE]"}},
		{"empty stream",
			[]fakeupstream.Fault{{Provider: "anthropic", Times: 1, Kind: "empty_stream"}},
			anthStream, anthHdr, want{status: 200, calls: 2, bodyHas: "message_stop"}},
		{"heartbeat only",
			[]fakeupstream.Fault{{Provider: "anthropic", Times: 1, Kind: "heartbeat_only", Delay: fakeupstream.Duration(3 * time.Second)}},
			anthStream, anthHdr, want{status: 200, calls: 2, bodyHas: "message_stop"}},
		{"stream cut after events ends with error event",
			[]fakeupstream.Fault{{Provider: "anthropic", Times: 1, Kind: "cut_after", AfterEvents: 3}},
			anthStream, anthHdr, want{status: 200, calls: 1, bodyHas: "event: error", bodyNot: "message_stop"}},
		{"stream stall past idle timeout",
			[]fakeupstream.Fault{{Provider: "openai", Times: 1, Kind: "stall", AfterEvents: 2, Delay: fakeupstream.Duration(5 * time.Second)}},
			oaiStream, oaiHdr, want{status: 200, calls: 1, bodyHas: `{"error"`, bodyNot: "[DONE]"}},
		{"stream without terminal event",
			[]fakeupstream.Fault{{Provider: "openai", Times: 1, Kind: "no_terminal"}},
			oaiStream, oaiHdr, want{status: 200, calls: 1, bodyHas: `{"error"`, bodyNot: "[DONE]"}},
		{"non-stream client: upstream stream cut, retried elsewhere",
			[]fakeupstream.Fault{{Provider: "anthropic", Times: 1, Kind: "cut_after", AfterEvents: 3}},
			anthJSON, anthHdr, want{status: 200, calls: 2, bodyHas: `"stop_reason":"end_turn"`, bodyNot: "event:"}},
		{"non-stream client: broken openai JSON answer, retried",
			[]fakeupstream.Fault{{Provider: "openai", Times: 1, Kind: "malformed_sse"}},
			oaiJSON, oaiHdr, want{status: 200, calls: 2, bodyHas: `"object":"chat.completion"`}},
		{"context length passes through",
			[]fakeupstream.Fault{{Provider: "anthropic", Times: 1, Kind: "status", Status: 400, Reason: "context_length"}},
			anthJSON, anthHdr, want{status: 400, calls: 1, bodyHas: "invalid_request_error"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{routes: demoRoutes})
			for _, f := range tc.faults {
				h.fake.AddFault(f)
			}
			start := time.Now()
			resp, body := h.do("POST", pathFor(tc.hdr), tc.body, tc.hdr)
			elapsed := time.Since(start)
			if resp.StatusCode != tc.want.status {
				t.Fatalf("status %d; want %d\n%s", resp.StatusCode, tc.want.status, body)
			}
			used := h.credentialsUsed()
			if len(used) != tc.want.calls {
				t.Fatalf("upstream calls %v; want %d", used, tc.want.calls)
			}
			if tc.want.same && used[0] != used[len(used)-1] {
				t.Errorf("calls went to %v; want one account", used)
			}
			if !tc.want.same && tc.want.calls == 2 && used[0] == used[1] {
				t.Errorf("calls went to %v; want a rotation", used)
			}
			if tc.want.bodyHas != "" && !strings.Contains(body, tc.want.bodyHas) {
				t.Errorf("body lacks %q:\n%s", tc.want.bodyHas, body)
			}
			if tc.want.bodyNot != "" && strings.Contains(body, tc.want.bodyNot) {
				t.Errorf("body has %q (a broken stream must not look finished):\n%s", tc.want.bodyNot, body)
			}
			if tc.want.retryHdr && resp.Header.Get("Retry-After") == "" {
				t.Error("Retry-After missing")
			}
			if resp.Header.Get("X-Account-Email") == "" {
				t.Error("X-Account-Email missing")
			}
			for id, reason := range tc.want.cooling {
				if id == "*first" {
					id = used[0]
				}
				if got := h.cooldowns()[id]; got != reason {
					t.Errorf("cooldown of %s = %q; want %q", id, got, reason)
				}
			}
			if tc.name == "429 long hint rotates and cools" && elapsed > 10*time.Second {
				t.Errorf("took %v: the rotation slept instead of moving on", elapsed)
			}
		})
	}
}

func pathFor(hdr map[string]string) string {
	if _, ok := hdr["anthropic-version"]; ok {
		return "/v1/messages"
	}
	return "/v1/chat/completions"
}

func TestSignatureErrorRepairedOnce(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: demoRoutes})
	body := `{"model":"claude-sonnet-4-5","max_tokens":2048,"thinking":{"type":"enabled","budget_tokens":1024},
	"messages":[{"role":"user","content":"first question here"},
	{"role":"assistant","content":[{"type":"thinking","thinking":"old reasoning","signature":"` + strings.Repeat("Zm9yZWlnbg", 8) + `"},{"type":"text","text":"old answer"}]},
	{"role":"user","content":"second question"}]}`
	resp, out := h.do("POST", "/v1/messages", body, anthHdr)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, out)
	}
	reqs := h.fake.Requests()
	if len(reqs) != 2 || reqs[0].Credential != reqs[1].Credential {
		t.Fatalf("want 2 calls on one account, got %d", len(reqs))
	}
	if reqs[0].Status != 400 {
		t.Fatalf("first call answered %d; want the fake's 400 signature error", reqs[0].Status)
	}
	if strings.Contains(string(reqs[1].Body), `"signature"`) || !strings.Contains(string(reqs[1].Body), "old reasoning") {
		t.Fatalf("repaired body still carries the signature or lost the text: %s", reqs[1].Body)
	}
}

func TestClientDisconnectCancelsUpstream(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: demoRoutes})
	h.fake.AddFault(fakeupstream.Fault{Provider: "openai", Kind: "hang"})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", h.base+"/v1/chat/completions", strings.NewReader(oaiJSON))
	req.Header.Set("Authorization", "Bearer "+clientKey)
	errc := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		errc <- err
	}()
	time.Sleep(300 * time.Millisecond)
	cancel()
	<-errc
	deadline := time.Now().Add(2 * time.Second)
	for !strings.Contains(h.logs.String(), `"status":499`) {
		if time.Now().After(deadline) {
			t.Fatalf("gateway did not finish the request within a second of the disconnect:\n%s", h.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if c := h.cooldowns(); len(c) != 0 {
		t.Fatalf("a client disconnect cooled accounts: %v", c)
	}
	if n := len(h.fake.Requests()); n != 1 {
		t.Fatalf("%d upstream calls; want 1 (no retry after the client left)", n)
	}
}
