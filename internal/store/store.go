// Package store connects Switchyard to its shared state: a real Redis
// (standalone, Cluster or Sentinel) when a URL is configured, otherwise an
// embedded in-process Redis (miniredis) that listens on no port and expires
// keys on the real clock. (The scheduler does not run its scripts there: it
// has its own in-process store, schedule.NewEmbedded.)
package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Options selects and tunes the Redis connection.
type Options struct {
	// URL is a redis:// or rediss:// URL, or a comma-separated list of
	// host:port addresses (Redis Cluster). Empty starts the embedded store.
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

// Store is an open connection to the shared state.
type Store struct {
	// Client is the go-redis client; a plain, cluster or failover client.
	Client   redis.UniversalClient
	embedded *miniredis.Miniredis
	stop     func() // stops the embedded store's clock
	desc     string
}

// Open connects to Redis (or starts the embedded store) and checks it answers.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = defaultReadTimeout
	}
	if strings.TrimSpace(o.URL) == "" {
		return OpenEmbedded()
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

// OpenEmbedded starts an in-process Redis that opens no port: the client
// reaches it through in-memory pipes (miniredis's Dial), so no other process
// can read the state. A background clock advances its TTLs with the real
// clock (TIME already follows it), so bindings, signatures, locks and tokens
// expire; Close stops it.
func OpenEmbedded() (*Store, error) {
	m := miniredis.NewMiniRedis()
	probe, err := m.Dial() // starts the server, without a listener
	if err != nil {
		return nil, fmt.Errorf("start embedded store: %w", err)
	}
	probe.Close()
	c := redis.NewClient(&redis.Options{
		Addr: "embedded", // never dialled: every connection is a pipe
		Dialer: func(context.Context, string, string) (net.Conn, error) {
			c, err := m.Dial()
			if err != nil {
				return nil, err
			}
			return newPipeConn(c), nil
		},
		PoolSize:    64,
		ReadTimeout: 5 * time.Second,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		runClock(ctx, m, embeddedTick)
	}()
	stop := func() {
		cancel()
		<-done
	}
	return &Store{Client: c, embedded: m, stop: stop, desc: "embedded"}, nil
}

// embeddedTick is how often the embedded store's TTLs advance: a key lives
// at most this much past its end.
const embeddedTick = 100 * time.Millisecond

// runClock moves the embedded store's TTLs forward by the real time elapsed,
// every tick, until ctx ends.
func runClock(ctx context.Context, m *miniredis.Miniredis, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			now := time.Now()
			m.FastForward(now.Sub(last))
			last = now
		}
	}
}

// Embedded reports whether the store runs inside this process.
func (s *Store) Embedded() bool { return s.embedded != nil }

// String describes the store without credentials.
func (s *Store) String() string { return s.desc }

// Ping checks the store answers.
func (s *Store) Ping(ctx context.Context) error { return s.Client.Ping(ctx).Err() }

// Close releases the connection and stops the embedded store.
func (s *Store) Close() error {
	err := s.Client.Close()
	if s.stop != nil {
		s.stop()
	}
	if s.embedded != nil {
		s.embedded.Close()
	}
	return err
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
