package app_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
	"github.com/switchyard-gw/switchyard/internal/keyspace"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

// TestAPIKeyKeepsWorkingAfterRedisRestartsEmpty: two replicas on a real
// redis-server with a keys file. A key created through the admin API works
// on both; a key named as a file key is refused with a 409 that names the
// keys file. Redis dies and comes back empty: the API key never stops
// working on either replica, and the store is re-seeded with it.
func TestAPIKeyKeepsWorkingAfterRedisRestartsEmpty(t *testing.T) {
	file := filepath.Join(t.TempDir(), "keys.txt")
	if err := os.WriteFile(file, []byte("sk-file-team\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := newCluster(t, 2, fakeupstream.Options{}, "SWITCHYARD_API_KEYS_FILE="+file)
	st, out := c.on(0).adminDo("POST", "/admin/keys", `{"name":"svc","rpm":1000}`)
	if st != 201 {
		t.Fatalf("create: %d %s", st, out)
	}
	var created struct {
		Key string `json:"key"`
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.Key == "" {
		t.Fatalf("create answered %s", out)
	}
	st, out = c.on(1).adminDo("POST", "/admin/keys", `{"name":"key-1"}`)
	if st != 409 || !strings.Contains(out, "keys file") {
		t.Fatalf("create over the file's key-1: %d %s; want 409 naming the keys file", st, out)
	}
	st, out = c.on(1).adminDo("POST", "/admin/keys", `{"name":"svc"}`)
	if st != 409 {
		t.Fatalf("second create of svc: %d %s; want 409", st, out)
	}
	hdr := map[string]string{"Authorization": "Bearer " + created.Key}
	serves := func(i int) (int, string) {
		resp, body := c.on(i).do("POST", "/v1/chat/completions", oaiJSON, hdr)
		return resp.StatusCode, body
	}
	time.Sleep(1200 * time.Millisecond) // both replicas read the key and mirror the control state
	for i := range 2 {
		if st, out := serves(i); st != 200 {
			t.Fatalf("replica %d before the restart: %d %s", i, st, out)
		}
	}

	killRedis(t, c.redis)
	storetest.RestartRedis(t, c.redis)
	rdb := redis.NewClient(&redis.Options{Addr: c.redis})
	t.Cleanup(func() { rdb.Close() })
	hash := keyspace.New("").ClientKeys()
	reseeded := time.Time{}
	for start := time.Now(); time.Since(start) < 4*time.Second || reseeded.IsZero(); {
		for i := range 2 {
			if st, out := serves(i); st == 401 {
				t.Fatalf("replica %d, %v after Redis restarted empty: the API key got 401 %s", i, time.Since(start).Round(time.Millisecond), out)
			}
		}
		if reseeded.IsZero() {
			if n, _ := rdb.HLen(context.Background(), hash).Result(); n == 1 {
				reseeded = time.Now()
			}
		}
		if time.Since(start) > 8*time.Second {
			t.Fatal("the API key was not re-seeded into Redis within 8s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Once re-seeded the key is managed as before: a revoke holds.
	if st, out := c.on(1).adminDo("DELETE", "/admin/keys/svc", ""); st != 200 {
		t.Fatalf("revoke: %d %s", st, out)
	}
	time.Sleep(1200 * time.Millisecond)
	for i := range 2 {
		if st, _ := serves(i); st != 401 {
			t.Fatalf("replica %d after the revoke: %d; want 401", i, st)
		}
	}
}
