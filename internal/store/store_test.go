package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/store"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
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

// Without a URL the store is embedded: no client, no port, no goroutine;
// it always answers.
func TestEmbeddedOpensNothing(t *testing.T) {
	before := listeningSockets(t)
	st, err := store.Open(context.Background(), store.Options{URL: "  "})
	if err != nil {
		t.Fatal(err)
	}
	if !st.Embedded() || st.Client != nil || st.String() != "embedded" {
		t.Fatalf("store %q embedded=%v client=%v", st.String(), st.Embedded(), st.Client)
	}
	if err := st.Ping(context.Background()); err != nil {
		t.Fatalf("ping: %v", err)
	}
	for ino := range listeningSockets(t) {
		if !before[ino] {
			t.Fatalf("the embedded store listens on a TCP socket (inode %s)", ino)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}

// With a URL the store is Redis; one that is down at start is returned with
// the error (failure mode decides), and is not embedded.
func TestRedisDownAtStart(t *testing.T) {
	st, err := store.Open(context.Background(), store.Options{URL: "redis://" + storetest.FreePort(t) + "/0"})
	if err == nil || st == nil || st.Embedded() || st.Client == nil {
		t.Fatalf("store %v, err %v; want a Redis store and the ping error", st, err)
	}
	defer st.Close()
	if !strings.HasPrefix(st.String(), "redis standalone ") {
		t.Fatalf("description %q", st.String())
	}
	if err := st.Ping(context.Background()); err == nil {
		t.Fatal("ping of a Redis that is down answered")
	}
}
