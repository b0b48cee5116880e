package schedule_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/switchyard-gw/switchyard/internal/schedule"
	"github.com/switchyard-gw/switchyard/internal/store"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

// maxStall is the longest a request may wait, after the shared store's master
// stops answering, before the per-replica fallback serves it.
const maxStall = 1500 * time.Millisecond

// startServer runs redis-server with extra arguments on a free port; it is
// killed at cleanup (after a SIGCONT, in case the test froze it).
func startServer(t *testing.T, extra ...string) (string, *exec.Cmd) {
	t.Helper()
	bin := storetest.RequireRedisServer(t)
	addr := storetest.FreePort(t)
	port := addr[strings.LastIndex(addr, ":")+1:]
	args := append([]string{"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", t.TempDir(), "--loglevel", "warning"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	waitPing(t, addr)
	return addr, cmd
}

func waitPing(t *testing.T, addr string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("redis on %s did not come up", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startSingleNodeCluster is a one-master Redis Cluster owning every slot.
func startSingleNodeCluster(t *testing.T) (string, *exec.Cmd) {
	t.Helper()
	addr, cmd := startServer(t, "--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(t.TempDir(), "nodes.conf"))
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	ctx := context.Background()
	if err := c.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err(); err != nil {
		t.Fatalf("cluster addslots: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, _ := c.ClusterInfo(ctx).Result()
		if strings.Contains(info, "cluster_state:ok") {
			return addr, cmd
		}
		if time.Now().After(deadline) {
			t.Fatalf("single-node cluster not ok: %s", info)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startSentinel runs a sentinel watching the master at masterAddr as "mymaster".
func startSentinel(t *testing.T, masterAddr string) string {
	t.Helper()
	bin := storetest.RequireRedisServer(t)
	addr := storetest.FreePort(t)
	port := addr[strings.LastIndex(addr, ":")+1:]
	host, mport, _ := strings.Cut(masterAddr, ":")
	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	body := fmt.Sprintf("port %s\nbind 127.0.0.1\nsentinel monitor mymaster %s %s 1\nsentinel down-after-milliseconds mymaster 60000\n", port, host, mport)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, conf, "--sentinel")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sentinel: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitPing(t, addr)
	return addr
}

// fallbackRig is a Resilient scheduler on a store opened the way the app
// opens it, with a miniredis fallback.
func fallbackRig(t *testing.T, o store.Options) *schedule.Resilient {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, o)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	shared := schedule.New(st.Client, schedule.Options{})
	if err := shared.Preload(ctx); err != nil {
		t.Fatalf("preload: %v", err)
	}
	m := miniredis.RunT(t)
	lc := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { lc.Close() })
	local := schedule.New(lc, schedule.Options{})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r := schedule.NewResilient(shared, local, true, st.Ping, log)
	// Warm up: scripts loaded, connections pooled, cluster slots known.
	for i := 0; i < 3; i++ {
		l, err := r.Acquire(ctx, schedule.Query{Group: "g", Scope: "k", Candidates: cands("a", "b")})
		if err != nil || l.Status != schedule.StatusOK || r.Degraded() {
			t.Fatalf("warm-up on the shared store: %+v %v degraded=%v", l, err, r.Degraded())
		}
	}
	return r
}

// TestFallbackEngagesWithinASecond freezes (SIGSTOP: a master that stops
// answering, as after a crash or a partition) or kills the shared store's
// master and measures how long the next request waits before the fallback
// serves it. go-redis's retry, dial-retry and redirect defaults multiply
// into several seconds unless the store caps them.
func TestFallbackEngagesWithinASecond(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T) (store.Options, *exec.Cmd)
		how   syscall.Signal
	}{
		{"standalone frozen", func(t *testing.T) (store.Options, *exec.Cmd) {
			addr, cmd := startServer(t)
			return store.Options{URL: storetest.URL(addr)}, cmd
		}, syscall.SIGSTOP},
		{"standalone killed", func(t *testing.T) (store.Options, *exec.Cmd) {
			addr, cmd := startServer(t)
			return store.Options{URL: storetest.URL(addr)}, cmd
		}, syscall.SIGKILL},
		{"cluster master frozen", func(t *testing.T) (store.Options, *exec.Cmd) {
			addr, cmd := startSingleNodeCluster(t)
			return store.Options{URL: addr, Cluster: true}, cmd
		}, syscall.SIGSTOP},
		{"cluster master killed", func(t *testing.T) (store.Options, *exec.Cmd) {
			addr, cmd := startSingleNodeCluster(t)
			return store.Options{URL: addr, Cluster: true}, cmd
		}, syscall.SIGKILL},
		{"sentinel master frozen", func(t *testing.T) (store.Options, *exec.Cmd) {
			addr, cmd := startServer(t)
			return store.Options{URL: storetest.URL(startSentinel(t, addr)), SentinelMaster: "mymaster"}, cmd
		}, syscall.SIGSTOP},
		{"sentinel master killed", func(t *testing.T) (store.Options, *exec.Cmd) {
			addr, cmd := startServer(t)
			return store.Options{URL: storetest.URL(startSentinel(t, addr)), SentinelMaster: "mymaster"}, cmd
		}, syscall.SIGKILL},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, master := tc.setup(t)
			r := fallbackRig(t, o)
			if err := master.Process.Signal(tc.how); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			l, err := r.Acquire(context.Background(), schedule.Query{Group: "g", Scope: "k", Candidates: cands("a", "b")})
			stall := time.Since(start)
			t.Logf("%s: fallback served after %v", tc.name, stall.Round(time.Millisecond))
			if err != nil || l.Status != schedule.StatusOK {
				t.Fatalf("first request after the master died: %+v %v; want a lease from the fallback", l, err)
			}
			if !r.Degraded() {
				t.Fatal("the scheduler did not switch to the fallback")
			}
			if stall > maxStall {
				t.Fatalf("the request stalled %v before the fallback engaged; want < %v", stall, maxStall)
			}
		})
	}
}
