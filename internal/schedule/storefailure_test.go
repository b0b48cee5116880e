package schedule

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// replyServer answers every command with one fixed RESP error line (HELLO
// and CLIENT get what a Redis 5 would say, so the client connects), so the
// test gets the exact error values go-redis builds from a server's replies.
func replyServer(t *testing.T, reply string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveReplies(c, reply)
		}
	}()
	return ln.Addr().String()
}

func serveReplies(c net.Conn, reply string) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		args, err := readCommand(r)
		if err != nil {
			return
		}
		switch strings.ToUpper(args[0]) {
		case "HELLO":
			fmt.Fprintf(c, "-ERR unknown command 'HELLO'\r\n")
		case "CLIENT", "PING":
			fmt.Fprintf(c, "+OK\r\n")
		default:
			fmt.Fprintf(c, "-%s\r\n", reply)
		}
	}
}

// readCommand reads one RESP array of bulk strings.
func readCommand(r *bufio.Reader) ([]string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "*")))
	if err != nil || n < 1 {
		return nil, fmt.Errorf("bad command header %q", line)
	}
	args := make([]string, 0, n)
	for i := 0; i < n; i++ {
		if _, err := r.ReadString('\n'); err != nil { // $len
			return nil, err
		}
		v, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		args = append(args, strings.TrimRight(v, "\r\n"))
	}
	return args, nil
}

func TestStoreFailureClassifiesRedisReplies(t *testing.T) {
	cases := []struct {
		reply  string
		outage bool
	}{
		{"CLUSTERDOWN The cluster is down", true},
		{"CLUSTERDOWN Hash slot not served", true},
		{"READONLY You can't write against a read only replica.", true},
		{"MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.", true},
		{"LOADING Redis is loading the dataset in memory", true},
		{"TRYAGAIN Multiple keys request during rehashing of slot", true},
		{"ERR user_script:12: Script attempted to access nonexistent global variable 'x'", false},
		{"ERR Error running script (call to f_0123): @user_script:1: boom", false},
		{"NOSCRIPT No matching script. Please use EVAL.", false},
		{"WRONGTYPE Operation against a key holding the wrong kind of value", false},
		{"CROSSSLOT Keys in request don't hash to the same slot", false},
	}
	for _, tc := range cases {
		t.Run(strings.Fields(tc.reply)[0], func(t *testing.T) {
			c := redis.NewClient(&redis.Options{Addr: replyServer(t, tc.reply), MaxRetries: -1, Protocol: 2})
			t.Cleanup(func() { c.Close() })
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			err := c.EvalSha(ctx, "0123456789abcdef0123456789abcdef01234567", []string{"{sy}:k"}).Err()
			var re redis.Error
			if !errors.As(err, &re) || !strings.HasPrefix(err.Error(), strings.Fields(tc.reply)[0]) {
				t.Fatalf("the fake server's reply came back as %T %v; want a redis.Error", err, err)
			}
			// The scheduler wraps store errors with context before they reach storeFailure.
			wrapped := fmt.Errorf("select account: %w", err)
			if got := storeFailure(wrapped); got != tc.outage {
				t.Fatalf("storeFailure(%q) = %v; want %v", err, got, tc.outage)
			}
		})
	}
	for _, err := range []error{nil, context.Canceled, fmt.Errorf("select account: %w", context.Canceled)} {
		if storeFailure(err) {
			t.Errorf("storeFailure(%v) = true; a cancelled request is not an outage", err)
		}
	}
	if !storeFailure(fmt.Errorf("select account: %w", context.DeadlineExceeded)) {
		t.Error("a call that ran out of its SharedCallTimeout must count as an outage")
	}
}
