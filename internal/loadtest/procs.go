package loadtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// proc is a child process the harness started and will stop.
type proc struct {
	name  string
	cmd   *exec.Cmd
	addr  string // LISTENING address (or the redis address)
	admin string // ADMIN address of a gateway
	log   string // file with its output (the first logCap bytes)
	done  chan struct{}
}

// logCap bounds how much of a child's output is kept: a gateway logs one
// line per request.
const logCap = 4 << 20

func (p *proc) pid() int { return p.cmd.Process.Pid }

// alive reports whether the process is still running.
func (p *proc) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM, waits up to grace, then kills the process.
func (p *proc) stop(grace time.Duration) {
	if p == nil || !p.alive() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// cappedWriter writes the first n bytes to w and drops the rest.
type cappedWriter struct {
	w io.Writer
	n int64
}

func (c *cappedWriter) Write(p []byte) (int, error) {
	if c.n > 0 {
		k := min(int64(len(p)), c.n)
		if _, err := c.w.Write(p[:k]); err != nil {
			c.n = 0
		} else {
			c.n -= k
		}
	}
	return len(p), nil
}

// childEnv is the harness's environment without any SWITCHYARD_*, OTEL_* or
// FAKEUPSTREAM_* variable, plus extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "SWITCHYARD_") || strings.HasPrefix(k, "OTEL_") || strings.HasPrefix(k, "FAKEUPSTREAM_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// startAnnounced starts bin and waits (up to timeout) until it has printed a
// line starting with every prefix in want ("LISTENING ", "ADMIN "); it
// returns the rest of each such line by prefix. Output goes to logPath.
func startAnnounced(name, bin string, env []string, logPath string, want []string, timeout time.Duration) (*proc, map[string]string, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(bin)
	cmd.Env = env
	cmd.Stderr = &cappedWriter{w: logf, n: logCap}
	out, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	found := make(chan map[string]string, 1)
	go func() {
		got := map[string]string{}
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		stdout := &cappedWriter{w: logf, n: logCap}
		announced := false
		for sc.Scan() {
			line := sc.Text()
			_, _ = stdout.Write([]byte(line + "\n"))
			if announced {
				continue
			}
			for _, w := range want {
				if rest, ok := strings.CutPrefix(line, w); ok {
					got[w] = strings.TrimSpace(rest)
				}
			}
			if len(got) == len(want) {
				announced = true
				found <- got
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	select {
	case got := <-found:
		return p, got, nil
	case <-p.done:
		return nil, nil, fmt.Errorf("%s exited before it was ready; see %s", name, logPath)
	case <-time.After(timeout):
		p.stop(time.Second)
		return nil, nil, fmt.Errorf("%s did not announce %v within %s; see %s", name, want, timeout, logPath)
	}
}

// freePort returns a loopback address that was free a moment ago.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// startRedis starts a private redis-server on a free loopback port.
func startRedis(dir, logPath string) (*proc, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, err
	}
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--loglevel", "warning", "--maxclients", "10000")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	p := &proc{name: "redis-server", cmd: cmd, addr: addr, log: logPath, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return p, nil
		}
		if time.Now().After(deadline) || !p.alive() {
			p.stop(time.Second)
			return nil, fmt.Errorf("redis-server on %s did not come up: %w", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// redisVersion is the first line of `redis-server --version`, or "".
func redisVersion() string {
	out, err := exec.Command("redis-server", "--version").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// waitReady calls check until it succeeds (at most 100 times, 50 ms apart)
// or ctx ends.
func waitReady(ctx context.Context, check func(context.Context) error) error {
	var last error
	for i := 0; i < 100; i++ {
		if last = check(ctx); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), last)
		case <-time.After(50 * time.Millisecond):
		}
	}
	return last
}
