// Package storetest runs one test body against every store Switchyard
// supports: miniredis, a real redis-server child process and (with
// ForEachWithEmbedded) an in-process store written in Go.
// Without redis-server on PATH the real-Redis half is skipped locally and
// fails under CI (CI=true), so CI can never silently lose that coverage.
package storetest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Backend is one store under test.
type Backend struct {
	Name   string
	Addr   string
	Client *redis.Client
	// Mini is set for miniredis (to move its clock).
	Mini *miniredis.Miniredis
	// Embedded is set for an in-process store written in Go (the embedded
	// scheduler store); Addr and Client are then empty.
	Embedded *Embedded
}

// Embedded is an in-process store under test: its clock, and the one store
// instance every user in the test shares, made by the test's package.
type Embedded struct {
	Clock Clock

	mu    sync.Mutex
	store any
}

// Store returns the test's store, made by mk on the first call.
func (e *Embedded) Store(mk func(now func() time.Time) any) any {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.store == nil {
		e.store = mk(e.Clock.Now)
	}
	return e.store
}

// Clock is the real clock plus an offset that FastForward moves.
type Clock struct {
	mu  sync.Mutex
	off time.Duration
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

// FastForward moves the clock forward by d.
func (c *Clock) FastForward(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// ForEachWithEmbedded runs fn on the stores of ForEach and then on an
// in-process Go store (Backend.Embedded), so one suite holds the Go store to
// the Lua scripts.
func ForEachWithEmbedded(t *testing.T, fn func(t *testing.T, b Backend)) {
	t.Helper()
	ForEach(t, fn)
	t.Run("embedded", func(t *testing.T) {
		fn(t, Backend{Name: "embedded", Embedded: &Embedded{}})
	})
}

// ForEach runs fn once on miniredis and once on a real redis-server.
func ForEach(t *testing.T, fn func(t *testing.T, b Backend)) {
	t.Helper()
	t.Run("miniredis", func(t *testing.T) {
		m := miniredis.RunT(t)
		c := redis.NewClient(&redis.Options{Addr: m.Addr()})
		t.Cleanup(func() { c.Close() })
		fn(t, Backend{Name: "miniredis", Addr: m.Addr(), Client: c, Mini: m})
	})
	t.Run("redis-server", func(t *testing.T) {
		addr := StartRedis(t)
		c := redis.NewClient(&redis.Options{Addr: addr})
		t.Cleanup(func() { c.Close() })
		fn(t, Backend{Name: "redis-server", Addr: addr, Client: c})
	})
}

// RequireRedisServer returns the redis-server path, skipping (or failing in CI) when absent.
func RequireRedisServer(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("redis-server not on PATH under CI: .ci/run must install it")
		}
		t.Skip("redis-server not on PATH; install it (apt-get install redis-server) to run the real-Redis half")
	}
	return bin
}

// StartRedis starts a private redis-server on a free loopback port, stopped at cleanup.
func StartRedis(t testing.TB) string {
	t.Helper()
	addr, _ := StartRedisProcess(t)
	return addr
}

// StartRedisProcess is StartRedis that also returns the process, for tests that kill it.
func StartRedisProcess(t testing.TB) (string, *exec.Cmd) {
	t.Helper()
	bin := RequireRedisServer(t)
	port := FreePort(t)
	return port, startOn(t, bin, port)
}

// RestartRedis starts redis-server again on addr (after a test killed it).
func RestartRedis(t testing.TB, addr string) *exec.Cmd {
	t.Helper()
	return startOn(t, RequireRedisServer(t), addr)
}

func startOn(t testing.TB, bin, addr string) *exec.Cmd {
	t.Helper()
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", t.TempDir(), "--loglevel", "warning")
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
		}
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return cmd
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not come up: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// FreePort returns a loopback host:port that was free a moment ago.
func FreePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// URL turns an address into a redis:// URL.
func URL(addr string) string {
	return fmt.Sprintf("redis://%s/0", strings.TrimPrefix(addr, "redis://"))
}
