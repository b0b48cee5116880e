package app_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

// chaos fails a share of upstream calls before they answer: 500, 503, 429
// with a short hint, a connection reset, or an empty stream. Everything else
// reaches the fake upstream.
type chaos struct {
	next     http.Handler
	rate     float64
	mu       sync.Mutex
	rng      *rand.Rand
	injected atomic.Int64
}

func (c *chaos) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	hit, kind := c.rng.Float64() < c.rate, c.rng.IntN(5)
	c.mu.Unlock()
	if !hit || strings.HasPrefix(r.URL.Path, "/_control") {
		c.next.ServeHTTP(w, r)
		return
	}
	c.injected.Add(1)
	io.Copy(io.Discard, r.Body)
	switch kind {
	case 0:
		http.Error(w, `{"error":{"message":"boom","type":"server_error"}}`, http.StatusInternalServerError)
	case 1:
		http.Error(w, `{"error":{"message":"overloaded","type":"server_error"}}`, http.StatusServiceUnavailable)
	case 2:
		w.Header().Set("Retry-After", "1")
		http.Error(w, `{"error":{"message":"slow down","type":"rate_limit_error"}}`, http.StatusTooManyRequests)
	case 3:
		if hj, ok := w.(http.Hijacker); ok {
			conn, _, err := hj.Hijack()
			if err == nil {
				conn.Close()
				return
			}
		}
		http.Error(w, "reset", http.StatusBadGateway)
	default:
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
	}
}

func TestSoakMixedFailuresTwoReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test skipped in -short mode")
	}
	redisAddr := storetest.StartRedis(t)
	fake := fakeupstream.New(fakeupstream.Options{})
	ch := &chaos{next: fake, rate: 0.3, rng: rand.New(rand.NewPCG(1, 2))}
	srv := httptest.NewServer(ch)
	t.Cleanup(srv.Close)
	accts := []acctSpec{}
	for i := 1; i <= 5; i++ {
		accts = append(accts, acctSpec{id: fmt.Sprintf("oa-%d", i), provider: "openai", tier: "pro"})
	}
	opts := harnessOpts{accounts: accts, routes: demoRoutes, redisURL: storetest.URL(redisAddr), fake: fake, fakeURL: srv.URL,
		// With 30% independent failures per attempt, three attempts fail a
		// request 2.7% of the time: 99.9% needs a larger attempt budget
		// (0.3^8 ≈ 0.007%) and room to wait for short cooldowns.
		env: map[string]string{"SWITCHYARD_MAX_ATTEMPTS": "8", "SWITCHYARD_RATE_LIMIT_GRACE": "10s", "SWITCHYARD_LOG_LEVEL": "warn"}}
	r1, r2 := newHarness(t, opts), newHarness(t, opts)
	const total = 2000
	var ok, failed, truncated atomic.Int64
	var failedIDs sync.Map
	var wg sync.WaitGroup
	jobs := make(chan int)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				h := []*harness{r1, r2}[i%2]
				stream := i%4 < 2
				// One request in four is an Anthropic client on the same
				// openai pool: translated, with the same guarantees.
				translated := i%4 == 1 || i%4 == 3
				var req *http.Request
				if translated {
					body := fmt.Sprintf(`{"model":"gpt-4o","max_tokens":64,"stream":%v,"messages":[{"role":"user","content":"soak request number %d"}]}`, stream, i)
					req, _ = http.NewRequest("POST", h.base+"/v1/messages", strings.NewReader(body))
					req.Header.Set("x-api-key", clientKey)
					req.Header.Set("anthropic-version", "2023-06-01")
				} else {
					body := fmt.Sprintf(`{"model":"gpt-4o","stream":%v,"messages":[{"role":"user","content":"soak request number %d"}]}`, stream, i)
					req, _ = http.NewRequest("POST", h.base+"/v1/chat/completions", strings.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+clientKey)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				switch {
				case resp.StatusCode != 200:
					if failed.Add(1) <= 3 {
						t.Logf("failure: %d %s (request %s)", resp.StatusCode, b, resp.Header.Get("X-Request-Id"))
						failedIDs.Store(resp.Header.Get("X-Request-Id"), true)
					}
				case translated && stream && (!strings.HasSuffix(string(b), "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n") || strings.Contains(string(b), "event: error")):
					truncated.Add(1)
				case translated && !stream && !strings.Contains(string(b), `"stop_reason":"end_turn"`):
					truncated.Add(1)
				case !translated && stream && (!strings.HasSuffix(string(b), "data: [DONE]\n\n") || strings.Contains(string(b), `{"error"`)):
					truncated.Add(1)
				case !translated && !stream && !strings.Contains(string(b), `"finish_reason":"stop"`):
					truncated.Add(1)
				default:
					ok.Add(1)
				}
			}
		}()
	}
	for i := 0; i < total; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	t.Logf("soak: %d ok, %d failed, %d truncated, %d upstream failures injected", ok.Load(), failed.Load(), truncated.Load(), ch.injected.Load())
	failedIDs.Range(func(k, _ any) bool {
		for _, line := range strings.Split(r1.logs.String()+r2.logs.String(), "\n") {
			if strings.Contains(line, k.(string)) {
				t.Logf("%s", line)
			}
		}
		return true
	})
	if truncated.Load() != 0 {
		t.Fatalf("%d answers were returned truncated as a success", truncated.Load())
	}
	if ok.Load() < total*999/1000 {
		t.Fatalf("%d of %d succeeded; want at least 99.9%%", ok.Load(), total)
	}
	if ch.injected.Load() < total/5 {
		t.Fatalf("only %d failures injected; the soak did not exercise failures", ch.injected.Load())
	}
}
