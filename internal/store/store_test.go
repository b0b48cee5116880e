package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchyard-gw/switchyard/internal/store"
)

// listeningSockets returns the inodes of the TCP sockets in LISTEN state
// that this process holds.
func listeningSockets(t *testing.T) map[string]bool {
	t.Helper()
	mine := map[string]bool{}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("read fds: %v", err)
	}
	for _, fd := range fds {
		l, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(l, "socket:[") {
			mine[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	out := map[string]bool{}
	for _, f := range []string{"/proc/self/net/tcp", "/proc/self/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fs := strings.Fields(line)
			// sl local rem st tx:rx tr:when retrnsmt uid timeout inode
			if len(fs) > 9 && fs[3] == "0A" && mine[fs[9]] {
				out[fs[9]] = true
			}
		}
	}
	return out
}

func TestEmbeddedOpensNoPort(t *testing.T) {
	before := listeningSockets(t)
	st, err := store.OpenEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	for i := 0; i < 3; i++ { // a few connections of the pool
		if err := st.Client.Set(ctx, "k", "v", 0).Err(); err != nil {
			t.Fatalf("SET on the embedded store: %v", err)
		}
	}
	if v, err := st.Client.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("GET = %q, %v", v, err)
	}
	after := listeningSockets(t)
	for ino := range after {
		if !before[ino] {
			t.Fatalf("the embedded store listens on a TCP socket (inode %s)", ino)
		}
	}
	if !st.Embedded() || st.String() != "embedded" {
		t.Fatalf("store %q embedded=%v", st.String(), st.Embedded())
	}
}

func TestEmbeddedExpiresOnTheRealClock(t *testing.T) {
	st, err := store.OpenEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := st.Client.Set(ctx, "short", "1", 300*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	if err := st.Client.Set(ctx, "long", "1", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	now, err := st.Client.Time(ctx).Result()
	if err != nil || time.Since(now).Abs() > time.Second {
		t.Fatalf("TIME = %v, %v; want the real clock", now, err)
	}
	time.Sleep(600 * time.Millisecond)
	if err := st.Client.Get(ctx, "short").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("a 300 ms key after 600 ms: %v; want it expired", err)
	}
	if ttl, err := st.Client.PTTL(ctx, "long").Result(); err != nil || ttl > time.Hour-500*time.Millisecond || ttl < time.Hour-5*time.Second {
		t.Fatalf("PTTL of a 1 h key after 600 ms = %v, %v; want it counting down", ttl, err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Client.Ping(ctx).Err(); err == nil {
		t.Fatal("the client still answers after Close")
	}
}

// A pipelined batch larger than the client's write buffer completes on the
// embedded store (a synchronous pipe deadlocked it: the client still
// writing, the store blocked on the replies).
func TestEmbeddedTakesLargePipelines(t *testing.T) {
	s, err := store.OpenEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	val := strings.Repeat("v", 1024)
	for _, n := range []int{4, 64, 2048} {
		pipe := s.Client.Pipeline()
		for i := range n {
			pipe.Set(ctx, fmt.Sprintf("k%d", i), val, 0)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatalf("pipeline of %d 1 KiB SETs: %v", n, err)
		}
		if got, err := s.Client.Get(ctx, fmt.Sprintf("k%d", n-1)).Result(); err != nil || got != val {
			t.Fatalf("after %d: %q %v", n, got[:min(len(got), 8)], err)
		}
	}
}
