package signature_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchyard-gw/switchyard/internal/signature"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

var (
	geminiSig    = strings.Repeat("g", 88)
	anthropicSig = strings.Repeat("a", 120)
)

// on is a cache on the backend: the shared Redis, or the embedded store
// (one MemStore per test, on the test's clock).
func on(b storetest.Backend, namespace string) *signature.Cache {
	if b.Embedded != nil {
		return signature.NewEmbedded(memOf(b))
	}
	return signature.New(b.Client, namespace)
}

func memOf(b storetest.Backend) *signature.MemStore {
	return b.Embedded.Store(func(now func() time.Time) any { return signature.NewMemStore(now, 0) }).(*signature.MemStore)
}

// ttls lists the backend's keys with their time to live.
func ttls(t *testing.T, b storetest.Backend) map[string]time.Duration {
	t.Helper()
	if b.Embedded != nil {
		return memOf(b).TTLs()
	}
	ctx := context.Background()
	keys, err := b.Client.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]time.Duration{}
	for _, k := range keys {
		ttl, err := b.Client.TTL(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		out[k] = ttl
	}
	return out
}

func TestCacheRoundTrip(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := on(b, "")
		tool := signature.Key{ToolCall: "call_1"}
		msg := signature.Key{Scope: "team-a", Session: "sid-0123456789abcdef", Message: 3}
		short := signature.Key{ToolCall: "call_short"}
		err := c.Put(ctx, map[signature.Key]signature.Entry{
			tool:  {Family: "gemini", Signature: geminiSig},
			msg:   {Family: "anthropic", Signature: anthropicSig, Thinking: "weighing the options"},
			short: {Family: "gemini", Signature: "too-short"},
		})
		if err != nil {
			t.Fatal(err)
		}
		other := signature.Key{Scope: "team-b", Session: "sid-0123456789abcdef", Message: 3}
		found, err := c.Lookup(ctx, []signature.Key{tool, msg, short, other})
		if err != nil {
			t.Fatal(err)
		}
		if e := found[tool]; e.Family != "gemini" || e.Signature != geminiSig {
			t.Errorf("by tool call: %+v", e)
		}
		if e := found[msg]; e.Family != "anthropic" || e.Signature != anthropicSig || e.Thinking != "weighing the options" {
			t.Errorf("by message: %+v", e)
		}
		if _, ok := found[short]; ok {
			t.Error("a signature under the minimum length was kept")
		}
		if _, ok := found[other]; ok {
			t.Error("another client key's session found the entry")
		}
		// Every key expires after two hours and carries the hash tag.
		keys := ttls(t, b)
		if len(keys) != 2 {
			t.Fatalf("keys %v; want 2", keys)
		}
		for k, ttl := range keys {
			if !strings.HasPrefix(k, "{sy}:sig:") {
				t.Errorf("key %q outside the hash tag", k)
			}
			if ttl <= time.Hour || ttl > signature.TTL {
				t.Errorf("ttl of %q = %v; want about %v", k, ttl, signature.TTL)
			}
		}
		var forward func(time.Duration)
		switch {
		case b.Mini != nil:
			forward = b.Mini.FastForward
		case b.Embedded != nil:
			forward = b.Embedded.Clock.FastForward
		default:
			return // a real Redis's clock is not ours to move
		}
		forward(signature.TTL - time.Minute)
		if found, err := c.Lookup(ctx, []signature.Key{tool}); err != nil || len(found) != 1 {
			t.Errorf("entry gone before its TTL: %v %v", found, err)
		}
		forward(time.Minute + time.Second)
		found, err = c.Lookup(ctx, []signature.Key{tool})
		if err != nil || len(found) != 0 {
			t.Errorf("entry outlived its TTL: %v %v", found, err)
		}
	})
}

func TestCacheBounds(t *testing.T) {
	storetest.ForEachWithEmbedded(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := on(b, "ns")
		huge := strings.Repeat("x", signature.MaxLength+1)
		long := strings.Repeat("t", 70<<10)
		err := c.Put(ctx, map[signature.Key]signature.Entry{
			{ToolCall: "big"}:   {Family: "gemini", Signature: huge},
			{ToolCall: "think"}: {Family: "anthropic", Signature: anthropicSig, Thinking: long},
		})
		if err != nil {
			t.Fatal(err)
		}
		found, err := c.Lookup(ctx, []signature.Key{{ToolCall: "big"}, {ToolCall: "think"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := found[signature.Key{ToolCall: "big"}]; ok {
			t.Error("an oversized signature was kept")
		}
		if e := found[signature.Key{ToolCall: "think"}]; e.Signature != anthropicSig || e.Thinking != "" {
			t.Errorf("oversized thinking must be dropped, signature kept: %d bytes of thinking", len(e.Thinking))
		}
		if n := len(ttls(t, b)); n != 1 {
			t.Errorf("%d keys; want 1", n)
		}
	})
}

func TestNilCacheIsOff(t *testing.T) {
	var c *signature.Cache
	if err := c.Put(context.Background(), map[signature.Key]signature.Entry{{ToolCall: "x"}: {Family: "gemini", Signature: geminiSig}}); err != nil {
		t.Fatal(err)
	}
	found, err := c.Lookup(context.Background(), []signature.Key{{ToolCall: "x"}})
	if err != nil || found != nil {
		t.Fatalf("nil cache answered %v %v", found, err)
	}
}

func TestLookupFailsWhenRedisIsGone(t *testing.T) {
	c := signature.New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1}), "")
	if _, err := c.Lookup(context.Background(), []signature.Key{{ToolCall: "x"}}); err == nil {
		t.Fatal("lookup on a dead store reported no error")
	}
}

// The embedded store holds at most its byte bound: the oldest entries go
// first, the newest are found; rewriting one key does not grow it.
func TestMemStoreIsBounded(t *testing.T) {
	ctx := context.Background()
	clk := &storetest.Clock{}
	m := signature.NewMemStore(clk.Now, 64<<10)
	c := signature.NewEmbedded(m)
	sig := strings.Repeat("s", 900)
	for i := range 1000 {
		k := signature.Key{ToolCall: fmt.Sprintf("call_%04d", i)}
		if err := c.Put(ctx, map[signature.Key]signature.Entry{k: {Family: "gemini", Signature: sig}}); err != nil {
			t.Fatal(err)
		}
	}
	if n := m.Len(); n < 40 || n > 64 {
		t.Fatalf("%d entries of about 1 KiB under a 64 KiB bound", n)
	}
	found, _ := c.Lookup(ctx, []signature.Key{{ToolCall: "call_0999"}, {ToolCall: "call_0000"}})
	if _, ok := found[signature.Key{ToolCall: "call_0999"}]; !ok || len(found) != 1 {
		t.Fatalf("found %d entries; want the newest only", len(found))
	}
	for range 10000 {
		if err := c.Put(ctx, map[signature.Key]signature.Entry{{ToolCall: "same"}: {Family: "gemini", Signature: sig}}); err != nil {
			t.Fatal(err)
		}
	}
	if n := m.Len(); n > 64 {
		t.Fatalf("%d entries after rewriting one key", n)
	}
	if n := m.QueueLen(); n > 200 {
		t.Fatalf("queue of %d items after rewriting one key 10,000 times", n)
	}
	// Expired entries are let go on the next write.
	clk.FastForward(signature.TTL + time.Second)
	if err := c.Put(ctx, map[signature.Key]signature.Entry{{ToolCall: "late"}: {Family: "gemini", Signature: sig}}); err != nil {
		t.Fatal(err)
	}
	if n := m.Len(); n != 1 {
		t.Fatalf("%d entries after the TTL; want 1", n)
	}
}
