package app_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

// A healthy sticky request costs one script call (one round trip) for
// selection and nothing more on success.
func TestHealthyStickyRequestCostsOneRoundTrip(t *testing.T) {
	addr := storetest.StartRedis(t)
	h := newHarness(t, harnessOpts{routes: demoRoutes, redisURL: storetest.URL(addr),
		env: map[string]string{"SWITCHYARD_REQUEST_LOG_MAX": "0"}})
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	scriptCalls := func() int64 {
		info, err := rdb.Info(context.Background(), "commandstats").Result()
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, line := range strings.Split(info, "\n") {
			if strings.HasPrefix(line, "cmdstat_evalsha:") || strings.HasPrefix(line, "cmdstat_eval:") {
				calls := strings.TrimPrefix(strings.Split(line, ",")[0], strings.Split(line, ":")[0]+":calls=")
				c, _ := strconv.ParseInt(calls, 10, 64)
				n += c
			}
		}
		return n
	}
	body := sessionBody("33333333-1111-4a6b-8c7d-0e1f2a3b4c5d")
	for i := 0; i < 2; i++ { // warm-up: candidate set, binding, first quota report
		h.do("POST", "/v1/messages", body, anthHdr)
	}
	before, start := scriptCalls(), time.Now()
	for i := 0; i < 20; i++ {
		if resp, out := h.do("POST", "/v1/messages", body, anthHdr); resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, out)
		}
	}
	// Besides one selection per request, the client key's usage is written
	// off the request path: at most one debit per key per 100 ms flush.
	flushes := int64(time.Since(start)/(100*time.Millisecond)) + 1
	if got := scriptCalls() - before; got < 20 || got > 20+flushes {
		t.Fatalf("20 healthy sticky requests made %d script calls; want 20 (one each) plus at most %d background debits", got, flushes)
	}
}
