// Package app is Switchyard's composition root: it builds every component
// from the configuration, in dependency order, starts the client and admin
// listeners, and shuts everything down when the context ends. It is the only
// package that knows the concrete types.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/errgroup"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/admin"
	"github.com/switchyard-gw/switchyard/internal/clientkey"
	"github.com/switchyard-gw/switchyard/internal/config"
	"github.com/switchyard-gw/switchyard/internal/console"
	"github.com/switchyard-gw/switchyard/internal/credential"
	"github.com/switchyard-gw/switchyard/internal/dispatch"
	"github.com/switchyard-gw/switchyard/internal/keyspace"
	"github.com/switchyard-gw/switchyard/internal/route"
	"github.com/switchyard-gw/switchyard/internal/schedule"
	"github.com/switchyard-gw/switchyard/internal/server"
	"github.com/switchyard-gw/switchyard/internal/signature"
	"github.com/switchyard-gw/switchyard/internal/store"
	"github.com/switchyard-gw/switchyard/internal/upstream"
)

// Env is what the process hands to the app.
type Env struct {
	Stdout    io.Writer // logs and the LISTENING lines
	LookupEnv func(string) (string, bool)
	Version   string
	// TracerProvider, when set, records spans instead of the OTEL_* exporter (tests).
	TracerProvider trace.TracerProvider
}

// NewLogger builds the structured logger of the settings.
func NewLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	o := &slog.HandlerOptions{Level: lv}
	if strings.EqualFold(format, "text") {
		return slog.New(slog.NewTextHandler(w, o))
	}
	return slog.New(slog.NewJSONHandler(w, o))
}

// Run serves until ctx ends, then drains within cfg.ShutdownGrace.
func Run(ctx context.Context, cfg config.Config, env Env) error {
	if env.LookupEnv == nil {
		env.LookupEnv = os.LookupEnv
	}
	log := NewLogger(env.Stdout, cfg.LogLevel, cfg.LogFormat)
	store.RouteClientLogs(log)

	pools, err := openPool(cfg, env, log)
	if err != nil {
		return err
	}
	routes, err := route.NewSource(cfg.RoutesFile, log)
	if err != nil {
		return fmt.Errorf("routes file: %w", err)
	}

	st, err := store.Open(ctx, store.Options{URL: cfg.RedisURL, Cluster: cfg.RedisCluster, SentinelMaster: cfg.RedisSentinelMaster})
	if st == nil {
		return fmt.Errorf("store: %w", err)
	}
	defer st.Close()
	if err != nil {
		log.Warn("shared store unreachable at start", slog.String("store", st.String()), slog.String("error", err.Error()))
	}
	mode, _ := schedule.ParseMode(cfg.SchedulingMode)
	schedOpts := schedule.Options{
		Mode: mode, MaxWait: cfg.MaxWait, StickyTTL: cfg.StickyTTL, Window: cfg.LastUsedWindow,
		QuotaProtection: cfg.QuotaProtection, Namespace: cfg.RedisNamespace,
	}
	// Without Redis the scheduler runs on its in-process store (the rules
	// in Go, on the real clock); with Redis, as the Lua scripts.
	sched := schedule.NewEmbedded(nil, schedOpts)
	if !st.Embedded() {
		sched = schedule.New(st.Client, schedOpts)
	}
	if err := sched.Preload(ctx); err != nil {
		log.Warn("preload scripts", slog.String("error", err.Error()))
	}
	failOpen := cfg.RedisFailureMode != config.FailClosed
	var local *schedule.Scheduler
	if failOpen && !st.Embedded() {
		// Per-replica fallback state for Redis outages: the same rules on
		// the in-process store.
		local = schedule.NewEmbedded(nil, schedOpts)
	}
	resilient := schedule.NewResilient(sched, local, failOpen, st.Ping, log)
	obs, err := setupObservability(ctx, env, log, st, sched, pools, int64(cfg.RequestLogMax), cfg.RedisNamespace)
	if err != nil {
		return err
	}
	defer obs.close()
	log = obs.log
	resilient.OnChange = obs.metrics.StoreDegraded
	// Each replica mirrors the control state off the request path: the
	// fallback schedules from it during an outage, and a Redis that comes
	// back empty is re-seeded from it. Admin changes go through the mirror.
	var adminSched admin.Scheduler = sched
	var mirror *schedule.Mirror
	if !st.Embedded() {
		mirror = schedule.NewMirror(sched, local, st.Client, schedule.MirrorOptions{Log: log, Namespace: cfg.RedisNamespace})
		resilient.SetMirror(mirror)
		adminSched = mirror.Admin()
	}
	capture := 0
	if cfg.CaptureBodies {
		capture = cfg.CaptureMaxBytes
		obs.capture = capture
	}

	protocols := Protocols()
	catalog := dispatch.NewCatalog(pools, routes)
	catalog.Protocols = protocols
	transport := upstream.NewTransport(upstream.Timeouts{Connect: cfg.ConnectTimeout, ResponseHeader: cfg.ResponseHeaderTimeout})
	httpClient := &http.Client{Transport: obs.tel.Transport(transport)}
	// Non-streaming calls may take a whole generation before their headers.
	jsonTransport := transport.Clone()
	jsonTransport.ResponseHeaderTimeout = cfg.JSONHeaderTimeout
	jsonClient := &http.Client{Transport: obs.tel.Transport(jsonTransport)}
	// OAuth access tokens are shared through the same store, under the scheduler's namespace.
	// Tokens written to Redis are encrypted with SWITCHYARD_SECRETS_KEY; the embedded store keeps
	// them in this process's memory only, so plain text is fine there.
	secrets, err := credential.NewKeyring(cfg.SecretsKey, cfg.SecretsKeyPrevious)
	if err != nil {
		return fmt.Errorf("SWITCHYARD_SECRETS_KEY: %w", err)
	}
	if secrets == nil && !st.Embedded() {
		log.Warn("SWITCHYARD_SECRETS_KEY is not set: OAuth access and rotated refresh tokens are stored in Redis in plain text")
	}
	tokens := newTokens(st, credential.Options{HTTP: httpClient, Log: log, Keys: secrets, Namespace: cfg.RedisNamespace})
	// Code Assist state: on Redis, shared; without it (nil client), this replica's own.
	ca := newCodeAssist(st.Client, httpClient, tokens, sched, log, env.Version, cfg.RedisNamespace)
	catalog.Tiers = ca // codeassist accounts are ranked by the tier Code Assist names
	up := &upstream.Client{HTTP: httpClient, JSON: jsonClient, Tokens: tokens, UserAgent: "switchyard/" + env.Version, CodeAssist: ca}
	disp := &dispatch.Dispatcher{
		Router: catalog, Sched: resilient, Upstream: up, Log: log, Tokens: tokens, Disabler: sched, Observer: obs.observer,
		Protocols: protocols,
		// Thinking signatures are shared like the rest, under the same hash tag.
		Signatures: newSignatures(st, cfg.RedisNamespace),
		Policy: dispatch.Policy{
			MaxAttempts: cfg.MaxAttempts, RequestTimeout: cfg.RequestTimeout,
			FirstEventTimeout: cfg.FirstEventTimeout, IdleTimeout: cfg.IdleTimeout,
			KeepAlive: cfg.KeepAliveInterval, RateLimitGrace: cfg.RateLimitGrace,
			MaxEventBytes: 16 << 20, MaxResponseBytes: 64 << 20, CaptureBytes: capture,
		},
	}
	keys, err := clientkey.NewRegistry(cfg.EnvAPIKeys, cfg.APIKeysFile, env.LookupEnv, apiKeyStore(st, cfg.RedisNamespace), log)
	if err != nil {
		return fmt.Errorf("client keys: %w", err)
	}
	if !cfg.AllowDemoKeys {
		keys.RefuseSecrets(config.IsPlaceholder)
	}
	if mirror != nil {
		// API keys are control state: an emptied Redis is re-seeded with them.
		mirror.OnReseed(keys.Reseed)
		keys.GuardChanges(mirror.BeforeChange)
	}
	keys.Refresh(ctx)
	health := &health{store: st, failOpen: failOpen, pools: pools}
	api := server.New(server.Options{
		Keys: keys, MaxBodyBytes: int64(cfg.MaxBodyBytes), Dispatch: disp,
		Models: &modelList{pools: pools, routes: routes}, Health: health, Log: log,
		Observe: obs.observe, Middleware: obs.middleware(), CaptureBytes: capture,
		InFlight: server.InFlightLimits{Global: int64(cfg.MaxInFlight), PerKey: int64(cfg.MaxInFlightPerKey)},
		Errors:   protocols,
	})
	adm := admin.New(admin.Options{Key: cfg.AdminKey, Sched: adminSched, Pool: pools.Current, Log: log,
		Metrics: obs.metrics.Handler(), Extra: obs.adminRoutes, InFlight: obs.observer.InFlight,
		UI: console.Handler(env.LookupEnv), Keys: keys, KeyUsage: resilient, Annotate: annotateCodeAssist(ca)})

	lc := net.ListenConfig{}
	apiLn, err := lc.Listen(ctx, "tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.ListenAddr, err)
	}
	admLn, err := lc.Listen(ctx, "tcp", cfg.AdminAddr)
	if err != nil {
		apiLn.Close()
		return fmt.Errorf("listen %s: %w", cfg.AdminAddr, err)
	}
	apiSrv := &http.Server{Handler: api, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second}
	admSrv := &http.Server{Handler: adm, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 60 * time.Second,
		MaxHeaderBytes: 64 << 10}
	fmt.Fprintf(env.Stdout, "LISTENING %s\nADMIN %s\n", apiLn.Addr(), admLn.Addr())
	log.Info("switchyard serving", slog.String("version", env.Version), slog.String("listen", apiLn.Addr().String()),
		slog.String("admin", admLn.Addr().String()), slog.String("store", st.String()), slog.Int("accounts", pools.Current().Len()))

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return serve(apiSrv, apiLn) })
	g.Go(func() error { return serve(admSrv, admLn) })
	g.Go(func() error { return pools.Run(gctx, 2*time.Second) })
	g.Go(func() error { return keys.Run(gctx) })
	g.Go(func() error { return routes.Run(gctx, 2*time.Second) })
	g.Go(func() error { return sched.RunKeyDebits(gctx, keyDebitEvery, log) })
	if local != nil {
		g.Go(func() error { return local.RunKeyDebits(gctx, keyDebitEvery, log) })
	}
	g.Go(func() error { return resilient.Run(gctx, time.Second) })
	if mirror != nil {
		g.Go(func() error { return mirror.Run(gctx) })
	}
	g.Go(func() error { return ca.Run(gctx, pools.Current, cfg.QuotaPollInterval) })
	g.Go(func() error {
		<-gctx.Done()
		log.Info("shutting down", slog.Duration("grace", cfg.ShutdownGrace))
		api.Drain()
		sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
		defer cancel()
		err := errors.Join(apiSrv.Shutdown(sctx), admSrv.Shutdown(sctx))
		if err != nil {
			_ = apiSrv.Close()
			_ = admSrv.Close()
			return fmt.Errorf("shutdown: %w", err)
		}
		return nil
	})
	return g.Wait()
}

// Without SWITCHYARD_REDIS_URL (the embedded store) each kind of state
// lives in this process, in its package's in-memory implementation of the
// shared store's rules; with Redis, in Redis. (The scheduler and the request
// log are chosen the same way above and in setupObservability.)

// newTokens is the OAuth token store: shared through Redis, or in memory.
func newTokens(st *store.Store, o credential.Options) *credential.Store {
	if st.Embedded() {
		return credential.NewEmbedded(nil, o)
	}
	return credential.NewStore(st.Client, o)
}

// newSignatures is the thinking signature cache: shared through Redis, or
// in memory (bounded).
func newSignatures(st *store.Store, namespace string) *signature.Cache {
	if st.Embedded() {
		return signature.NewEmbedded(nil)
	}
	return signature.New(st.Client, namespace)
}

// apiKeyStore is where API-created client keys are kept: this process's
// memory, or Redis, where they are control state: listed under the mirror's
// control marker, so that a Redis restarted empty is re-seeded with them.
func apiKeyStore(st *store.Store, namespace string) clientkey.APIStore {
	if st.Embedded() {
		return clientkey.NewMemStore()
	}
	ks := keyspace.New(namespace)
	return clientkey.NewRedisStore(st.Client, ks).FollowMarker(ks.ControlMarker())
}

// keyDebitEvery is how often the ends of client key requests (tokens used,
// in-flight leases) are written to the store, off the request path.
const keyDebitEvery = 100 * time.Millisecond

func serve(s *http.Server, ln net.Listener) error {
	if err := s.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func openPool(cfg config.Config, env Env, log *slog.Logger) (*account.Source, error) {
	if cfg.AccountsFile == "" {
		log.Warn("no SWITCHYARD_ACCOUNTS_FILE: the pool is empty and every model answers 404")
		p, err := account.Parse([]byte(`{"accounts": []}`), env.LookupEnv)
		if err != nil {
			return nil, err
		}
		return account.StaticSource(p), nil
	}
	src, err := account.NewSource(cfg.AccountsFile, env.LookupEnv, log)
	if err != nil {
		return nil, fmt.Errorf("accounts file: %w", err)
	}
	return src, nil
}

// health answers readiness: the pool is loaded; a store outage is reported
// and fails readiness only in failure mode closed.
type health struct {
	store    *store.Store
	failOpen bool
	pools    *account.Source
}

func (h *health) Ready(ctx context.Context) (bool, map[string]any) {
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	d := map[string]any{"accounts": h.pools.Current().Len(), "store": "ok"}
	if err := h.store.Ping(pctx); err != nil {
		d["store"] = "unreachable"
		return h.failOpen, d
	}
	return true, d
}
