package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

// tokenBody is a chat request whose client caps its answer, so the
// reservation (a quarter of its bytes plus max_tokens) covers what the fake
// answer uses.
const tokenBody = `{"model":"gpt-4o","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}`

// clearOfMinuteEndApp waits while the current minute ends within 5 s, so a
// burst and the checks after it count in one minute.
func clearOfMinuteEndApp() {
	if left := time.Minute - time.Duration(time.Now().UnixMilli()%60000)*time.Millisecond; left < 5*time.Second {
		time.Sleep(left + 50*time.Millisecond)
	}
}

func chatTokens(h *harness, key string) (*http.Response, string) {
	return h.do("POST", "/v1/chat/completions", tokenBody, map[string]string{"Authorization": "Bearer " + key})
}

// knownEverywhere waits until every replica knows the key, without spending
// any of its budget: a model outside its allow-list is refused (403) before
// any admission, and an unknown key gets 401.
func knownEverywhere(t *testing.T, hs []*harness, secret string) {
	t.Helper()
	for _, h := range hs {
		if _, ok := eventually(3*time.Second, func() bool { r, _ := chatAs(h, secret, "claude-sonnet-4-5"); return r.StatusCode == 403 }); !ok {
			t.Fatal("a key created through one replica is not known by another")
		}
	}
}

// TestKeyTokenLimitsAcrossThreeReplicas: a tokens-per-minute limit holds
// under a concurrent burst over three replicas sharing one Redis (each
// admission reserves its estimate atomically with the selection), and
// sequential requests on one replica are refused once the limit is used,
// before any debit is flushed.
func TestKeyTokenLimitsAcrossThreeReplicas(t *testing.T) {
	redisURL := storetest.URL(storetest.StartRedis(t))
	var hs []*harness
	for range 3 {
		hs = append(hs, newHarness(t, harnessOpts{routes: demoRoutes, redisURL: redisURL}))
	}
	// What one such request uses, on a key without limits.
	cal := createKey(t, hs[0], `{"name":"calibrate"}`)
	var used int64
	if _, ok := eventually(3*time.Second, func() bool {
		r, body := chatTokens(hs[0], cal.Secret)
		var a struct {
			Usage struct {
				Total int64 `json:"total_tokens"`
			} `json:"usage"`
		}
		_ = json.Unmarshal([]byte(body), &a)
		used = a.Usage.Total
		return r.StatusCode == 200
	}); !ok || used <= 0 {
		t.Fatalf("calibration request: %d tokens", used)
	}
	reserve := int64((len(tokenBody)+3)/4 + 64)
	if used > reserve {
		t.Fatalf("a request uses %d tokens, more than its reservation %d: the bound below assumes it does not", used, reserve)
	}

	for _, tc := range []struct {
		name string
		tpm  int64
	}{
		{"audit", 5},          // the audit's limit: below one request
		{"several", 8 * used}, // several requests' worth
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearOfMinuteEndApp()
			k := createKey(t, hs[1], fmt.Sprintf(`{"name":"tpm-%s","tpm":%d,"models":["gpt-*"]}`, tc.name, tc.tpm))
			knownEverywhere(t, hs, k.Secret)
			var mu sync.Mutex
			codes := map[int]int{}
			var limited *http.Response
			var wg sync.WaitGroup
			for i := range 30 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r, _ := chatTokens(hs[i%3], k.Secret)
					mu.Lock()
					codes[r.StatusCode]++
					if r.StatusCode == 429 {
						limited = r
					}
					mu.Unlock()
				}()
			}
			wg.Wait()
			bound := int((tc.tpm+used-1)/used) + len(hs)
			if codes[200] > bound || codes[200] == 0 || codes[200]+codes[429] != 30 {
				t.Fatalf("burst of 30 with tpm %d (%d tokens a request): %v; want 1 to %d served, the rest refused", tc.tpm, used, codes, bound)
			}
			if limited.Header.Get("x-ratelimit-limit-tokens") != fmt.Sprint(tc.tpm) || limited.Header.Get("Retry-After") == "" {
				t.Fatalf("429 headers %v", limited.Header)
			}
		})
	}

	// Sequential requests on one replica: the reservations alone refuse
	// the request after the limit is used, however fast they follow.
	clearOfMinuteEndApp()
	tpm := 3 * used
	k := createKey(t, hs[2], fmt.Sprintf(`{"name":"tpm-seq","tpm":%d,"models":["gpt-*"]}`, tpm))
	knownEverywhere(t, hs, k.Secret)
	served := 0
	for range 10 {
		if r, _ := chatTokens(hs[0], k.Secret); r.StatusCode == 200 {
			served++
		}
	}
	if want := int((tpm + reserve - 1) / reserve); served < 1 || served > want {
		t.Fatalf("10 sequential requests with tpm %d (%d reserved each): %d served; want 1 to %d", tpm, reserve, served, want)
	}
	// The reservations are reconciled with what the answers used: the
	// unused part comes back, and more requests fit in the same minute.
	if _, ok := eventually(2*time.Second, func() bool { r, _ := chatTokens(hs[1], k.Secret); return r.StatusCode == 200 }); !ok && reserve > used {
		t.Fatal("the unused reservations never came back")
	}
}
