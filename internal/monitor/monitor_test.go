package monitor_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/switchyard-gw/switchyard/internal/monitor"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

func entry(i int) *monitor.Entry {
	e := &monitor.Entry{
		Time: time.Unix(1700000000+int64(i), 0).UTC(), RequestID: fmt.Sprintf("req_%03d", i),
		Protocol: "openai", Route: "chat", Model: "gpt-4o", MappedModel: "gpt-4o-2024-08-06",
		Account: "oa-1@example.com", Status: 200, Key: "team-red",
		Attempts: []monitor.Attempt{{Account: "oa-1", Email: "oa-1@example.com", Decision: "round_robin", Status: 200, Outcome: "success"}},
		Tokens:   monitor.Tokens{Input: 10, Output: 5},
	}
	if i%3 == 0 {
		e.Key = "Team-Blue"
	}
	if i%5 == 0 {
		e.Status, e.Error, e.Account = 502, "upstream anthropic answered 500", "an-2@example.com"
		e.Attempts[0] = monitor.Attempt{Account: "an-2", Email: "an-2@example.com", Outcome: "rotate", Reason: "server_error", Status: 500}
	}
	return e
}

// logOn opens a request log on the backend: the shared Redis, or the
// embedded store (one MemStream per test, shared by its logs as replicas
// share a Redis).
func logOn(b storetest.Backend, o monitor.Options) *monitor.Log {
	if b.Embedded != nil {
		return monitor.NewEmbedded(memOf(b), o)
	}
	return monitor.New(b.Client, o)
}

func memOf(b storetest.Backend) *monitor.MemStream {
	return b.Embedded.Store(func(func() time.Time) any { return monitor.NewMemStream() }).(*monitor.MemStream)
}

// streamLen is the number of records the backend holds under key.
func streamLen(t *testing.T, b storetest.Backend, key string) int64 {
	t.Helper()
	if b.Embedded != nil {
		return int64(memOf(b).Len())
	}
	n, err := b.Client.XLen(context.Background(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func closeLog(t *testing.T, l *monitor.Log) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestWriteListGetExport(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		var dropped atomic.Int64
		w := logOn(b, monitor.Options{Replica: "r1", OnDrop: func(n int) { dropped.Add(int64(n)) }})
		for i := 1; i <= 30; i++ {
			w.Add(entry(i))
		}
		closeLog(t, w)
		if dropped.Load() != 0 {
			t.Fatalf("%d records dropped", dropped.Load())
		}
		// Another replica's log on the same store reads them.
		r := logOn(b, monitor.Options{})
		defer closeLog(t, r)

		all, err := r.List(ctx, monitor.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 30 || all[0].RequestID != "req_030" || all[29].RequestID != "req_001" {
			t.Fatalf("list: %d records, first %q, last %q; want 30, newest first", len(all), all[0].RequestID, all[len(all)-1].RequestID)
		}
		if e := all[1]; e.Replica != "r1" || e.Tokens.Input != 10 || e.Attempts[0].Decision != "round_robin" || !e.Time.Equal(entry(29).Time) {
			t.Errorf("record did not round-trip: %+v", e)
		}
		got, _ := r.List(ctx, monitor.Filter{Limit: 4})
		if len(got) != 4 || got[3].RequestID != "req_027" {
			t.Errorf("limit 4: %+v", got)
		}
		errs, _ := r.List(ctx, monitor.Filter{ErrorsOnly: true})
		if len(errs) != 6 {
			t.Errorf("errors_only: %d records; want 6", len(errs))
		}
		for _, q := range []string{"AN-2", "answered 500", "an-2@EXAMPLE"} {
			if got, _ := r.List(ctx, monitor.Filter{Query: q}); len(got) != 6 {
				t.Errorf("q=%q: %d records; want 6", q, len(got))
			}
		}
		// The key's name matches too: 10 of the 30 records are Team-Blue's.
		if got, _ := r.List(ctx, monitor.Filter{Query: "team-blue"}); len(got) != 10 || got[0].Key != "Team-Blue" {
			t.Errorf("q=team-blue: %d records; want 10 of key Team-Blue", len(got))
		}
		if got, _ := r.List(ctx, monitor.Filter{Query: "req_017"}); len(got) != 1 {
			t.Errorf("q=req_017: %d records", len(got))
		}
		e, err := r.Get(ctx, "req_017")
		if err != nil || e.RequestID != "req_017" {
			t.Fatalf("get: %+v, %v", e, err)
		}
		if _, err := r.Get(ctx, "req_999"); err != monitor.ErrNotFound {
			t.Errorf("get missing: %v; want ErrNotFound", err)
		}
		n := 0
		if err := r.Export(ctx, func(raw []byte) error {
			n++
			return nil
		}); err != nil || n != 30 {
			t.Errorf("export: %d records, %v", n, err)
		}
	})
}

func TestStreamIsCapped(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		w := logOn(b, monitor.Options{Key: "{sy}:reqlog-cap", MaxLen: 50, Batch: 64})
		for i := 0; i < 1200; i++ {
			w.Add(entry(i))
			if i%200 == 0 {
				time.Sleep(5 * time.Millisecond) // several batches
			}
		}
		closeLog(t, w)
		n := streamLen(t, b, "{sy}:reqlog-cap")
		// MAXLEN ~ trims whole macro nodes (100 entries by default) on Redis;
		// the embedded store keeps exactly the cap.
		if n < 50 || n > 250 || b.Embedded != nil && n != 50 {
			t.Errorf("stream holds %d records; want about 50", n)
		}
		// What is kept is the newest, in order.
		r := logOn(b, monitor.Options{Key: "{sy}:reqlog-cap", MaxLen: 50})
		defer closeLog(t, r)
		got, err := r.List(context.Background(), monitor.Filter{Limit: 3})
		if err != nil || len(got) != 3 || got[0].RequestID != "req_1199" || got[2].RequestID != "req_1197" {
			t.Fatalf("newest records %+v, %v", got, err)
		}
		oldest := ""
		if err := r.Export(context.Background(), func(raw []byte) error {
			if oldest == "" {
				var e monitor.Entry
				_ = json.Unmarshal(raw, &e)
				oldest = e.RequestID
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if b.Embedded != nil && oldest != "req_1150" {
			t.Errorf("oldest record kept %q; want req_1150", oldest)
		}
	})
}

// A batch of hundreds of records (a busy replica's, or the queue after a
// slow write) is written whole, in a handful of store calls on Redis (one
// script call per batch).
func TestWholeBatches(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		var dropped, writes atomic.Int64
		if b.Client != nil {
			b.Client.AddHook(countHook{&writes})
		}
		l := logOn(b, monitor.Options{Key: "{sy}:reqlog-batch", Timeout: time.Second, MaxLen: 10000,
			OnDrop: func(n int) { dropped.Add(int64(n)) }})
		for i := 0; i < 600; i++ {
			l.Add(entry(i))
		}
		closeLog(t, l)
		if n := streamLen(t, b, "{sy}:reqlog-batch"); n != 600 || dropped.Load() != 0 {
			t.Errorf("stream holds %d records, %d dropped; want 600, none", n, dropped.Load())
		}
		// 600 records in batches of at most 256 (the script loads once more
		// after NOSCRIPT).
		if w := writes.Load(); w > 10 {
			t.Errorf("%d store commands for 600 records", w)
		}
	})
}

// The embedded stream pages through more records than one page, both ways,
// and while records are being added.
func TestMemStreamPages(t *testing.T) {
	ctx := context.Background()
	m := monitor.NewMemStream()
	var recs [][]byte
	for i := range 1234 {
		recs = append(recs, []byte(fmt.Sprintf("%d", i)))
	}
	if err := m.Append(ctx, 1000, recs); err != nil {
		t.Fatal(err)
	}
	var fwd, rev []string
	if err := m.Scan(ctx, false, func(raw []byte) (bool, error) { fwd = append(fwd, string(raw)); return true, nil }); err != nil {
		t.Fatal(err)
	}
	if err := m.Scan(ctx, true, func(raw []byte) (bool, error) {
		rev = append(rev, string(raw))
		if len(rev) == 400 {
			_ = m.Append(ctx, 1000, [][]byte{[]byte("new")}) // trims the oldest while reading
		}
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(fwd) != 1000 || fwd[0] != "234" || fwd[999] != "1233" {
		t.Fatalf("forward: %d records, %q..%q", len(fwd), fwd[0], fwd[len(fwd)-1])
	}
	if len(rev) != 999 || rev[0] != "1233" || rev[998] != "235" {
		t.Fatalf("reverse: %d records, %q..%q", len(rev), rev[0], rev[len(rev)-1])
	}
	if trimmed, _ := m.Trimmed(ctx, 1000); !trimmed {
		t.Fatal("a stream that dropped records says it is untrimmed")
	}
	// A lower cap keeps the newest.
	if err := m.Append(ctx, 10, nil); err != nil || m.Len() != 10 {
		t.Fatalf("after lowering the cap: %d records, %v", m.Len(), err)
	}
	fwd = fwd[:0]
	_ = m.Scan(ctx, false, func(raw []byte) (bool, error) { fwd = append(fwd, string(raw)); return true, nil })
	if fwd[9] != "new" || fwd[0] != "1225" {
		t.Fatalf("after lowering the cap: %v", fwd)
	}
}

// A store that never answers: the writer blocks, the queue fills, and every
// record ends up counted as dropped; Add never waits.
func TestFullQueueDropsAndCounts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, c) }()
		}
	}()
	c := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), ReadTimeout: 300 * time.Millisecond, MaxRetries: -1})
	defer c.Close()
	var dropped, failed atomic.Int64
	l := monitor.New(c, monitor.Options{Queue: 2, Timeout: 300 * time.Millisecond,
		OnDrop: func(n int) { dropped.Add(int64(n)) }, OnError: func(error) { failed.Add(1) }})
	start := time.Now()
	for i := 0; i < 50; i++ {
		l.Add(entry(i))
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("Add blocked for %s", d)
	}
	closeLog(t, l)
	if dropped.Load() != 50 || failed.Load() < 1 {
		t.Errorf("dropped %d (want 50), failed writes %d (want ≥1)", dropped.Load(), failed.Load())
	}
}

func TestHandler(t *testing.T) {
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	defer c.Close()
	{
		l := monitor.New(c, monitor.Options{})
		for i := 1; i <= 12; i++ {
			l.Add(entry(i))
		}
		l.Add(&monitor.Entry{RequestID: "client/id with spaces", Status: 200})
		l.Add(&monitor.Entry{RequestID: "export", Status: 200})
		closeLog(t, l)
		srv := httptest.NewServer(l.Handler("/admin", nil))
		defer srv.Close()
		get := func(path string) (int, string, http.Header) {
			resp, err := http.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(body), resp.Header
		}
		code, body, _ := get("/admin/requests?limit=3&errors_only=true")
		var list struct{ Requests []monitor.Entry }
		if err := json.Unmarshal([]byte(body), &list); err != nil || code != 200 || len(list.Requests) != 2 {
			t.Errorf("list: %d %s", code, body)
		}
		for _, bad := range []string{"limit=0", "limit=x", "errors_only=maybe"} {
			if code, _, _ := get("/admin/requests?" + bad); code != 400 {
				t.Errorf("%s: status %d; want 400", bad, code)
			}
		}
		if code, body, _ := get("/admin/requests/req_007"); code != 200 || !strings.Contains(body, `"request_id":"req_007"`) {
			t.Errorf("get: %d %s", code, body)
		}
		if code, body, _ := get("/admin/requests/client%2Fid%20with%20spaces"); code != 200 || !strings.Contains(body, "with spaces") {
			t.Errorf("get id with a slash: %d %s", code, body)
		}
		if code, _, _ := get("/admin/requests/nope"); code != 404 {
			t.Errorf("missing id: %d; want 404", code)
		}
		code, body, hdr := get("/admin/requests/export")
		if code != 200 || hdr.Get("Content-Type") != "application/x-ndjson" {
			t.Fatalf("export: %d %s", code, hdr.Get("Content-Type"))
		}
		sc := bufio.NewScanner(strings.NewReader(body))
		lines := 0
		for sc.Scan() {
			var e monitor.Entry
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatalf("export line %d: %v", lines, err)
			}
			lines++
		}
		if lines != 14 {
			t.Errorf("export: %d lines; want 14", lines)
		}
	}
}

// countHook counts the commands sent (a pipeline counts each).
type countHook struct{ n *atomic.Int64 }

func (h countHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}
func (h countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}
