// Package store connects Switchyard to its shared state: a real Redis
// (standalone, Cluster or Sentinel) when a URL is configured. Without one the
// store is "embedded": there is no client at all, and each package that keeps
// state runs its own in-process implementation of the same rules (the
// scheduler's schedule.NewEmbedded, monitor.NewEmbedded, credential.NewEmbedded,
// signature.NewEmbedded, clientkey.MemStore, codeassist without a client),
// chosen by the composition root (internal/app). Nothing listens on a port
// and nothing runs a Lua interpreter; miniredis is a test double only.
package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Options selects and tunes the Redis connection.
type Options struct {
	// URL is a redis:// or rediss:// URL, or a comma-separated list of
	// host:port addresses (Redis Cluster). Empty: the embedded store.
	URL string
	// Cluster forces Redis Cluster mode for a single address (managed cluster endpoints).
	Cluster bool
	// SentinelMaster selects Sentinel; the URL's host(s) are the sentinels.
	SentinelMaster string
	// ReadTimeout bounds each command; scripts are O(candidates) and fast. Default 500ms.
	ReadTimeout time.Duration
}

// Client tuning for a fast switch to the fallback when a master dies. The
// go-redis defaults (5 dial attempts 100ms apart, 3 redirects with backoff up
// to 512ms, 5s dials) multiply into seconds per request in Cluster and
// Sentinel; these keep one failed call around half a second, and the
// scheduler caps every request-path call at schedule.SharedCallTimeout.
const (
	defaultReadTimeout = 500 * time.Millisecond
	dialTimeout        = 500 * time.Millisecond
	maxRetries         = 1
	minRetryBackoff    = 8 * time.Millisecond
	maxRetryBackoff    = 64 * time.Millisecond
	maxRedirects       = 2
	dialerRetries      = 1
)

// Store is an open connection to the shared state, or the embedded store
// (no Redis: Client is nil).
type Store struct {
	// Client is the go-redis client; a plain, cluster or failover client. Nil
	// on the embedded store.
	Client redis.UniversalClient
	desc   string
}

// Open connects to Redis and checks it answers; without a URL it returns the
// embedded store, which has nothing to open.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = defaultReadTimeout
	}
	if strings.TrimSpace(o.URL) == "" {
		return &Store{desc: "embedded"}, nil
	}
	uo, desc, err := universalOptions(o)
	if err != nil {
		return nil, err
	}
	c := redis.NewUniversalClient(uo)
	s := &Store{Client: c, desc: desc}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.Ping(pctx).Err(); err != nil {
		// A shared Redis that is down at start is not fatal: failure mode
		// decides later. The caller logs it.
		return s, fmt.Errorf("ping %s: %w", desc, err)
	}
	return s, nil
}

// Embedded reports whether the state lives in this process (no Redis).
func (s *Store) Embedded() bool { return s.Client == nil }

// String describes the store without credentials.
func (s *Store) String() string { return s.desc }

// Ping checks the store answers; the embedded store always does.
func (s *Store) Ping(ctx context.Context) error {
	if s.Client == nil {
		return nil
	}
	return s.Client.Ping(ctx).Err()
}

// Close releases the connection.
func (s *Store) Close() error {
	if s.Client == nil {
		return nil
	}
	return s.Client.Close()
}

func universalOptions(o Options) (*redis.UniversalOptions, string, error) {
	raw := strings.TrimSpace(o.URL)
	uo := &redis.UniversalOptions{
		ReadTimeout:           o.ReadTimeout,
		WriteTimeout:          o.ReadTimeout,
		DialTimeout:           dialTimeout,
		DialerRetries:         dialerRetries,
		PoolSize:              64,
		IsClusterMode:         o.Cluster,
		MasterName:            o.SentinelMaster,
		MaxRetries:            maxRetries,
		MinRetryBackoff:       minRetryBackoff,
		MaxRetryBackoff:       maxRetryBackoff,
		MaxRedirects:          maxRedirects,
		ContextTimeoutEnabled: true,
	}
	parts := strings.Split(raw, ",")
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !strings.Contains(p, "://") {
			uo.Addrs = append(uo.Addrs, p)
			continue
		}
		u, err := url.Parse(p)
		if err != nil {
			return nil, "", errors.New("redis url: cannot parse")
		}
		ro, err := redis.ParseURL(p)
		if err != nil {
			return nil, "", fmt.Errorf("redis url %s://%s: %w", u.Scheme, u.Host, err)
		}
		uo.Addrs = append(uo.Addrs, ro.Addr)
		uo.Username, uo.Password, uo.DB, uo.TLSConfig = ro.Username, ro.Password, ro.DB, ro.TLSConfig
	}
	if len(uo.Addrs) == 0 {
		return nil, "", errors.New("redis url: no address")
	}
	mode := "standalone"
	switch {
	case uo.MasterName != "":
		mode = "sentinel"
		uo.SentinelUsername, uo.SentinelPassword = uo.Username, uo.Password
	case len(uo.Addrs) > 1 || uo.IsClusterMode:
		mode = "cluster"
		uo.DB = 0
	}
	return uo, fmt.Sprintf("redis %s %s", mode, strings.Join(uo.Addrs, ",")), nil
}
