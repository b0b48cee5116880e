package server

import (
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestCheckModel(t *testing.T) {
	for _, ok := range []string{"gpt-4o", "claude-sonnet-4-5@20250929", "models/gemini-2.5-pro", "Qwen/Qwen2.5-72B-Instruct", "llama3:8b", "a+b_c.d", strings.Repeat("m", MaxModelLength)} {
		if e := checkModel(ok); e != nil {
			t.Errorf("checkModel(%q) = %v; want accepted", ok, e)
		}
	}
	for _, bad := range []string{strings.Repeat("m", MaxModelLength+1), "gpt 4o", "gpt-4o\r\nX: 1", "<script>", "gpt-4o\x00", "é"} {
		if e := checkModel(bad); e == nil || e.Status != 400 {
			t.Errorf("checkModel(%.40q) = %v; want 400", bad, e)
		}
	}
}

func TestJSONMediaType(t *testing.T) {
	for ct, want := range map[string]bool{
		"application/json": true, "application/json; charset=utf-8": true, "Application/JSON": true,
		"application/vnd.api+json": true, "text/plain;x=json": false, "text/json": false,
		"application/x-www-form-urlencoded": false, "": false, "multipart/form-data; boundary=json": false,
	} {
		if got := jsonMediaType(ct); got != want {
			t.Errorf("jsonMediaType(%q) = %v; want %v", ct, got, want)
		}
	}
}

func TestBrowserGuard(t *testing.T) {
	for _, tc := range []struct {
		host   string
		hdr    map[string]string
		refuse bool
	}{
		{"127.0.0.1:8045", nil, false},
		{"localhost:8045", map[string]string{"Origin": "http://127.0.0.1:5173"}, false},
		{"[::1]:8045", map[string]string{"Origin": "http://[::1]:3000", "Sec-Fetch-Site": "same-site"}, false},
		{"app.localhost:8045", nil, false},
		{"127.0.0.1:8045", map[string]string{"Origin": "https://evil.example"}, true},
		{"127.0.0.1:8045", map[string]string{"Origin": "null"}, true},
		{"127.0.0.1:8045", map[string]string{"Origin": "file://"}, true},
		{"127.0.0.1:8045", map[string]string{"Sec-Fetch-Site": "cross-site"}, true},
		{"evil.example:8045", nil, true},
		{"127.0.0.1.evil.example", nil, true},
	} {
		r := httptest.NewRequest("POST", "http://"+tc.host+"/v1/messages", nil)
		for k, v := range tc.hdr {
			r.Header.Set(k, v)
		}
		if got := browserGuard(r) != nil; got != tc.refuse {
			t.Errorf("host %s headers %v: refused=%v; want %v", tc.host, tc.hdr, got, tc.refuse)
		}
	}
}

func TestInFlightNeverOvershoots(t *testing.T) {
	f := &inFlight{limits: InFlightLimits{Global: 50, PerKey: 10}}
	var mu sync.Mutex
	held, max := map[string]int{}, map[string]int{}
	var wg sync.WaitGroup
	for i := range 400 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := []string{"a", "b", "c", "d", "e", "f", "g"}[i%7]
			release, e := f.acquire(key)
			if e != nil {
				if e.Status != 429 && e.Status != 503 || e.RetryAfter <= 0 {
					t.Errorf("refusal %d without Retry-After", e.Status)
				}
				return
			}
			mu.Lock()
			held[key]++
			held[""]++
			max[key] = maxOf(max[key], held[key])
			max[""] = maxOf(max[""], held[""])
			mu.Unlock()
			mu.Lock()
			held[key]--
			held[""]--
			mu.Unlock()
			release()
		}()
	}
	wg.Wait()
	for k, m := range max {
		limit := 10
		if k == "" {
			limit = 50
		}
		if m > limit {
			t.Errorf("%q had %d in flight; limit %d", k, m, limit)
		}
	}
	if n := f.total.Load(); n != 0 {
		t.Fatalf("%d slots never given back", n)
	}
}

func maxOf(a, b int) int {
	if a > b {
		return a
	}
	return b
}
