package loadtest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// The harness talks to Redis with a few lines of RESP rather than go-redis,
// which the design keeps to the store and schedule packages.

// respConn is one Redis connection for INFO and MONITOR.
type respConn struct {
	c net.Conn
	r *bufio.Reader
}

func dialRedis(addr string) (*respConn, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, err
	}
	return &respConn{c: c, r: bufio.NewReader(c)}, nil
}

func (c *respConn) Close() error { return c.c.Close() }

// do sends one command and reads its reply: a string (simple or bulk), an
// int64, nil, or a []any; a Redis error reply is returned as an error.
func (c *respConn) do(args ...string) (any, error) {
	_ = c.c.SetDeadline(time.Now().Add(5 * time.Second))
	defer func() { _ = c.c.SetDeadline(time.Time{}) }()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(c.c, b.String()); err != nil {
		return nil, err
	}
	return readReply(c.r)
}

func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"), nil
}

func readReply(r *bufio.Reader) (any, error) {
	line, err := readLine(r)
	if err != nil {
		return nil, err
	}
	if line == "" {
		return nil, errors.New("resp: empty line")
	}
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return nil, fmt.Errorf("redis: %s", line[1:])
	case ':':
		return strconv.ParseInt(line[1:], 10, 64)
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, nil
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = readReply(r); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("resp: unexpected reply %q", line)
}

// ParseCommandStats reads the calls of every command from the text of
// INFO commandstats ("cmdstat_evalsha:calls=3,usec=…").
func ParseCommandStats(info string) map[string]int64 {
	out := map[string]int64{}
	for _, line := range strings.Split(info, "\n") {
		line = strings.TrimSpace(line)
		rest, ok := strings.CutPrefix(line, "cmdstat_")
		if !ok {
			continue
		}
		name, fields, ok := strings.Cut(rest, ":")
		if !ok {
			continue
		}
		for _, f := range strings.Split(fields, ",") {
			if v, ok := strings.CutPrefix(f, "calls="); ok {
				if n, err := strconv.ParseInt(v, 10, 64); err == nil {
					out[strings.ToLower(name)] = n
				}
			}
		}
	}
	return out
}

// CommandStats returns the calls per command of the Redis at addr.
func CommandStats(addr string) (map[string]int64, error) {
	c, err := dialRedis(addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	v, err := c.do("INFO", "commandstats")
	if err != nil {
		return nil, err
	}
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("INFO: unexpected reply %T", v)
	}
	return ParseCommandStats(s), nil
}

// harnessCommands are what the harness itself sends to Redis; they are left
// out of the gateway's counts.
var harnessCommands = map[string]bool{"info": true, "monitor": true, "ping": false}

// DiffCalls returns after-before per command, without the harness's own
// commands, and their sum.
func DiffCalls(before, after map[string]int64) (map[string]int64, int64) {
	out := map[string]int64{}
	var sum int64
	for k, a := range after {
		if harnessCommands[k] {
			continue
		}
		if d := a - before[k]; d > 0 {
			out[k] = d
			sum += d
		}
	}
	return out, sum
}

// ParseMonitorLine reads one MONITOR line,
//
//	+1700000000.123456 [0 127.0.0.1:53422] "evalsha" "…"
//
// and returns the command (lower case) and whether a script issued it
// ("[0 lua]"), which is no round trip of its own.
func ParseMonitorLine(line string) (cmd string, fromScript, ok bool) {
	line = strings.TrimPrefix(strings.TrimSpace(line), "+")
	open := strings.IndexByte(line, '[')
	end := strings.IndexByte(line, ']')
	if open < 0 || end < open {
		return "", false, false
	}
	src := line[open+1 : end]
	fromScript = strings.HasSuffix(src, " lua")
	rest := strings.TrimSpace(line[end+1:])
	if !strings.HasPrefix(rest, `"`) {
		return "", false, false
	}
	q := strings.IndexByte(rest[1:], '"')
	if q < 0 {
		return "", false, false
	}
	return strings.ToLower(rest[1 : 1+q]), fromScript, true
}

// requestLogScript is the census name of a script call on the request-log
// stream (internal/monitor's append.lua, one per batch of records).
const requestLogScript = "evalsha:reqlog"

// debitScript is the census name of a script call that ends client-key
// requests (internal/schedule's debit.lua, written by a background flush).
const debitScript = "evalsha:debit"

// controlSuffix marks the census name of a command on the control state
// ("hgetall" + controlSuffix): the replicas' background loops read and write
// it, requests do not wait for it.
const controlSuffix = ":control"

// controlKeys are the first key segments (after the hash tag) of the
// control state outside scripts: the mirror's snapshot (marker, settings,
// disabled accounts and reasons, the group index, cooldowns, learned quota),
// the client-key registry's listing and the deferred quota flush.
var controlKeys = map[string]bool{
	"ctl": true, "cfg": true, "disabled": true, "why": true, "groups": true,
	"cool": true, "quota": true, "keys": true,
}

// MonitorLabel is the census name of a MONITOR line's command: the command,
// except for what the gateway sends off the request path, named by the key
// it touches: a script call on the request-log stream is requestLogScript,
// one on a client key's usage is debitScript, and a command outside scripts
// on the control state is the command + controlSuffix. TIME, which only the
// mirror's snapshot sends in a census, is "time" + controlSuffix too.
func MonitorLabel(line, cmd string) string {
	switch cmd {
	case "evalsha", "eval", "evalsha_ro", "eval_ro":
		args := monitorArgs(line, 4)
		if len(args) < 4 || args[2] == "0" {
			return cmd
		}
		switch keyKind(args[3]) {
		case "reqlog":
			return requestLogScript
		case "ku":
			return debitScript
		}
		return cmd
	case "time":
		return cmd + controlSuffix
	}
	if args := monitorArgs(line, 2); len(args) == 2 && controlKeys[keyKind(args[1])] {
		return cmd + controlSuffix
	}
	return cmd
}

// keyKind is the first segment of a Switchyard key after its hash tag
// ("{sy}:cool:g:x" → "cool"), "" for another key.
func keyKind(key string) string {
	i := strings.Index(key, "}:")
	if !strings.HasPrefix(key, "{") || i < 0 {
		return ""
	}
	rest := key[i+2:]
	if j := strings.IndexByte(rest, ':'); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// monitorArgs returns the first n quoted arguments of a MONITOR line
// (backslash escapes kept as they are).
func monitorArgs(line string, n int) []string {
	end := strings.IndexByte(line, ']')
	if end < 0 {
		return nil
	}
	rest := line[end+1:]
	var out []string
	for len(out) < n {
		i := strings.IndexByte(rest, '"')
		if i < 0 {
			break
		}
		rest = rest[i+1:]
		j := 0
		for j < len(rest) && rest[j] != '"' {
			if rest[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(rest) {
			break
		}
		out = append(out, rest[:j])
		rest = rest[j+1:]
	}
	return out
}

// monitor records what clients send to a Redis until stop is called.
type monitor struct {
	conn    *respConn
	done    chan struct{}
	client  map[string]int64 // round trips by command
	scripts map[string]int64 // commands run inside scripts
}

func startMonitor(addr string) (*monitor, error) {
	c, err := dialRedis(addr)
	if err != nil {
		return nil, err
	}
	if v, err := c.do("MONITOR"); err != nil || v != "OK" {
		c.Close()
		return nil, fmt.Errorf("MONITOR: %v %v", v, err)
	}
	m := &monitor{conn: c, done: make(chan struct{}), client: map[string]int64{}, scripts: map[string]int64{}}
	go func() {
		defer close(m.done)
		for {
			line, err := readLine(c.r)
			if err != nil {
				return
			}
			cmd, lua, ok := ParseMonitorLine(line)
			switch {
			case !ok:
			case lua:
				m.scripts[cmd]++
			default:
				m.client[MonitorLabel(line, cmd)]++
			}
		}
	}()
	return m, nil
}

// stop ends the monitor and returns its counts.
func (m *monitor) stop() (client, scripts map[string]int64) {
	m.conn.Close()
	<-m.done
	return m.client, m.scripts
}
