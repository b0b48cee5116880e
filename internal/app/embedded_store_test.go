package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// Without SWITCHYARD_REDIS_URL the scheduler runs on the in-process store on
// the real clock: a session binding and a last-used window end when their
// TTLs say, not never.
func TestEmbeddedStoreBindingsExpire(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: demoRoutes, env: map[string]string{
		"SWITCHYARD_LAST_USED_WINDOW": "1s",
		"SWITCHYARD_STICKY_TTL":       "1s",
	}})
	n := 0
	decision := func(session string) string {
		t.Helper()
		n++
		id := fmt.Sprintf("req-embedded-%d", n)
		body := `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`
		if session != "" {
			body = fmt.Sprintf(`{"model":"gpt-4o","prompt_cache_key":%q,"messages":[{"role":"user","content":"hi"}]}`, session)
		}
		resp, out := h.do("POST", "/v1/chat/completions", body, map[string]string{"Authorization": "Bearer " + clientKey, "X-Request-Id": id})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("request %s: %d %s", id, resp.StatusCode, out)
		}
		return firstDecision(t, h, id)
	}
	// Bind a session and open a window, and see both reused at once.
	decision("sess-ttl")
	decision("")
	if d := decision("sess-ttl"); d != "sticky" {
		t.Fatalf("second turn of a session: %q; want sticky", d)
	}
	if d := decision(""); d != "window" {
		t.Fatalf("second request without a session: %q; want window", d)
	}
	time.Sleep(2 * time.Second)
	if d := decision("sess-ttl"); d == "sticky" {
		t.Fatal("a session bound with a 1s TTL is still sticky 2s later")
	}
	if d := decision(""); d == "window" {
		t.Fatal("a 1s last-used window still holds 2s later")
	}
}

// firstDecision reads the scheduling decision of a request's first attempt
// from the request log, waiting for the record to be written.
func firstDecision(t *testing.T, h *harness, id string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, body := h.adminDo("GET", "/admin/requests/"+id, "")
		if st == http.StatusOK {
			var rec struct {
				Attempts []struct {
					Decision string `json:"decision"`
				} `json:"attempts"`
			}
			if err := json.Unmarshal([]byte(body), &rec); err != nil || len(rec.Attempts) == 0 {
				t.Fatalf("record %s: %v %s", id, err, body)
			}
			return rec.Attempts[0].Decision
		}
		if time.Now().After(deadline) {
			t.Fatalf("record %s: %d %s", id, st, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
