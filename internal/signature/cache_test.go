package signature_test

import (
	"context"
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

func TestCacheRoundTrip(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := signature.New(b.Client, "")
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
		keys, err := b.Client.Keys(ctx, "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != 2 {
			t.Fatalf("keys %v; want 2", keys)
		}
		for _, k := range keys {
			if !strings.HasPrefix(k, "{sy}:sig:") {
				t.Errorf("key %q outside the hash tag", k)
			}
			ttl, err := b.Client.TTL(ctx, k).Result()
			if err != nil || ttl <= time.Hour || ttl > signature.TTL {
				t.Errorf("ttl of %q = %v (%v); want about %v", k, ttl, err, signature.TTL)
			}
		}
		if b.Mini != nil {
			b.Mini.FastForward(signature.TTL + time.Second)
			found, err := c.Lookup(ctx, []signature.Key{tool})
			if err != nil || len(found) != 0 {
				t.Errorf("entry outlived its TTL: %v %v", found, err)
			}
		}
	})
}

func TestCacheBounds(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := signature.New(b.Client, "ns")
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
		if n, _ := b.Client.DBSize(ctx).Result(); n != 1 {
			t.Errorf("db size %d; want 1", n)
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
