package monitor_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/switchyard-gw/switchyard/internal/monitor"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

// usageRecord is a request at now-ago by key on model, answered by account.
func usageRecord(now time.Time, ago time.Duration, key, model, account string, status int, in, out, cached int64) *monitor.Entry {
	return &monitor.Entry{
		Time: now.Add(-ago), RequestID: "r", Key: key, Model: model, Account: account + "@example.com", Status: status,
		Attempts: []monitor.Attempt{{Account: account, Email: account + "@example.com", Outcome: "success"}},
		Tokens:   monitor.Tokens{Input: in, Output: out, CacheRead: cached},
	}
}

func TestUsageSums(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		now := time.Now().UTC()
		w := logOn(b, monitor.Options{})
		for _, e := range []*monitor.Entry{
			usageRecord(now, 30*time.Hour, "alice", "gpt-4o", "oa-1", 200, 1000, 1000, 0), // before the window
			usageRecord(now, 3*time.Hour, "alice", "gpt-4o", "oa-1", 200, 10, 5, 2),
			usageRecord(now, 2*time.Hour, "bob", "claude-sonnet-4-5", "an-1", 200, 20, 7, 0),
			usageRecord(now, time.Hour, "alice", "claude-sonnet-4-5", "an-1", 429, 0, 0, 0),
			usageRecord(now, time.Minute, "alice", "gpt-4o", "oa-2", 502, 3, 0, 1),
			{Time: now.Add(-time.Second), RequestID: "old", Model: "gpt-4o", Status: 400}, // no key, no attempt
		} {
			w.Add(e)
		}
		closeLog(t, w)
		r := logOn(b, monitor.Options{})
		defer closeLog(t, r)

		since := now.Add(-24 * time.Hour)
		u, err := r.Usage(ctx, monitor.ByKey, since, now)
		if err != nil {
			t.Fatal(err)
		}
		want := []monitor.UsageRow{
			{Name: "alice", Requests: 3, Errors: 2, InputTokens: 13, OutputTokens: 5, CachedTokens: 3},
			{Name: monitor.Unknown, Requests: 1, Errors: 1},
			{Name: "bob", Requests: 1, InputTokens: 20, OutputTokens: 7},
		}
		if !equalRows(u.Groups, want) {
			t.Errorf("by key:\n got %+v\nwant %+v", u.Groups, want)
		}
		if u.Total.Requests != 5 || u.Total.Errors != 3 || u.Total.InputTokens != 33 || u.Total.CachedTokens != 3 {
			t.Errorf("total %+v", u.Total)
		}
		if !u.Complete {
			t.Error("a log that was never trimmed covers the window: complete must be true")
		}

		u, _ = r.Usage(ctx, monitor.ByModel, since, now)
		want = []monitor.UsageRow{
			{Name: "gpt-4o", Requests: 3, Errors: 2, InputTokens: 13, OutputTokens: 5, CachedTokens: 3},
			{Name: "claude-sonnet-4-5", Requests: 2, Errors: 1, InputTokens: 20, OutputTokens: 7},
		}
		if !equalRows(u.Groups, want) {
			t.Errorf("by model:\n got %+v\nwant %+v", u.Groups, want)
		}

		u, _ = r.Usage(ctx, monitor.ByAccount, now.Add(-90*time.Minute), now)
		want = []monitor.UsageRow{
			{Name: monitor.Unknown, Requests: 1, Errors: 1},
			{Name: "an-1", Email: "an-1@example.com", Requests: 1, Errors: 1},
			{Name: "oa-2", Email: "oa-2@example.com", Requests: 1, Errors: 1, InputTokens: 3, CachedTokens: 1},
		}
		if !equalRows(u.Groups, want) {
			t.Errorf("by account, last 90 minutes:\n got %+v\nwant %+v", u.Groups, want)
		}
	})
}

// A capped log that no longer reaches back to since says so. miniredis and
// the embedded store trim MAXLEN ~ exactly, a real Redis only whole macro
// nodes (100 entries): 300 records over a cap of 5 are trimmed on all three.
func TestUsageIncompleteWhenTrimmed(t *testing.T) {
	storetest.ForEachWithEmbedded(t, usageIncompleteWhenTrimmed)
}

func usageIncompleteWhenTrimmed(t *testing.T, b storetest.Backend) {
	now := time.Now().UTC()
	w := logOn(b, monitor.Options{MaxLen: 5})
	const n = 300
	for i := 0; i < n; i++ {
		w.Add(usageRecord(now, time.Duration(n-i)*time.Minute, "k", "m", "a", 200, 1, 1, 0))
	}
	closeLog(t, w)
	r := logOn(b, monitor.Options{MaxLen: 5})
	defer closeLog(t, r)
	u, err := r.Usage(context.Background(), monitor.ByKey, now.Add(-(n+60)*time.Minute), now)
	if err != nil {
		t.Fatal(err)
	}
	if u.Complete || u.Total.Requests == 0 || u.Total.Requests >= n {
		t.Errorf("trimmed log: complete=%v, %d requests; want incomplete, some but not all %d", u.Complete, u.Total.Requests, n)
	}
	// A window the remaining records cover is complete.
	if u, _ := r.Usage(context.Background(), monitor.ByKey, now.Add(-150*time.Second), now); !u.Complete || u.Total.Requests != 2 {
		t.Errorf("last 150 s: complete=%v, %d requests; want complete, 2", u.Complete, u.Total.Requests)
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"":                          now.Add(-24 * time.Hour),
		"90m":                       now.Add(-90 * time.Minute),
		" 1h ":                      now.Add(-time.Hour),
		"2026-01-01T00:00:00Z":      time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		"2026-01-02T13:00:00+02:00": time.Date(2026, 1, 2, 11, 0, 0, 0, time.UTC),
	} {
		got, err := monitor.ParseSince(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseSince(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"yesterday", "-1h", "0s", "2026-01-01"} {
		if _, err := monitor.ParseSince(bad, now); err == nil {
			t.Errorf("ParseSince(%q) accepted", bad)
		}
	}
	for in, want := range map[string]string{"": "key", "key": "key", "model": "model", "account": "account"} {
		if got, err := monitor.ParseGroupBy(in); err != nil || got != want {
			t.Errorf("ParseGroupBy(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := monitor.ParseGroupBy("provider"); err == nil {
		t.Error("group_by=provider accepted")
	}
}

func TestUsageHandler(t *testing.T) {
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	defer c.Close()
	now := time.Now().UTC()
	l := monitor.New(c, monitor.Options{})
	l.Add(usageRecord(now, 2*time.Hour, "alice", "gpt-4o", "oa-1", 200, 10, 5, 0))
	l.Add(usageRecord(now, time.Minute, "bob", "gpt-4o", "oa-1", 200, 1, 1, 0))
	closeLog(t, l)
	srv := httptest.NewServer(l.Handler("/admin", nil))
	defer srv.Close()
	get := func(q string) (int, monitor.Usage) {
		resp, err := http.Get(srv.URL + "/admin/usage?" + q)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var u monitor.Usage
		if resp.StatusCode == 200 {
			if err := json.Unmarshal(body, &u); err != nil {
				t.Fatalf("%s: %v: %s", q, err, body)
			}
		}
		return resp.StatusCode, u
	}
	if code, u := get(""); code != 200 || u.GroupBy != "key" || len(u.Groups) != 2 || u.Total.Requests != 2 {
		t.Errorf("default: %d %+v", code, u)
	}
	if code, u := get("group_by=key&since=1h"); code != 200 || len(u.Groups) != 1 || u.Groups[0].Name != "bob" {
		t.Errorf("since=1h: %d %+v", code, u)
	}
	since := now.Add(-3 * time.Hour).Format(time.RFC3339)
	if code, u := get("group_by=account&since=" + since); code != 200 || len(u.Groups) != 1 || u.Groups[0].Requests != 2 || u.Groups[0].Email != "oa-1@example.com" {
		t.Errorf("by account since %s: %d %+v", since, code, u)
	}
	for _, bad := range []string{"group_by=team", "since=yesterday", "since=-5m"} {
		if code, _ := get(bad); code != 400 {
			t.Errorf("%s: %d; want 400", bad, code)
		}
	}
}

func equalRows(a, b []monitor.UsageRow) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
