// Package config reads the gateway's process settings from the environment.
//
// Every setting is a SWITCHYARD_* variable. The variable names and their
// defaults live in one place, the struct tags of [Config]; each field's doc
// comment is the operator's manual for it. [Load] reads the environment,
// merges the client keys file and validates everything at once, so a bad
// start reports every problem, one line per variable.
package config

import (
	"log/slog"
	"net/url"
	"time"
)

// Scheduling modes accepted by SWITCHYARD_SCHEDULING_MODE, in their canonical
// spelling.
const (
	CacheFirst       = "CacheFirst"
	Balance          = "Balance"
	PerformanceFirst = "PerformanceFirst"
)

// Redis failure modes accepted by SWITCHYARD_REDIS_FAILURE_MODE.
const (
	FailOpen   = "open"
	FailClosed = "closed"
)

// Config holds every process setting.
//
// The envconfig tags carry the full variable names (Load processes them
// without a prefix): with a prefix, envconfig would silently fall back to the
// unprefixed name, so an unrelated REDIS_URL or LOG_LEVEL in the pod's
// environment would configure the gateway.
type Config struct {
	// ListenAddr is the host:port of the client API listener (OpenAI,
	// Anthropic and Gemini routes, /healthz, /readyz). Default ":8045".
	ListenAddr string `envconfig:"SWITCHYARD_LISTEN_ADDR" default:":8045"`

	// AdminAddr is the host:port of the operator listener (/admin/..., /metrics).
	// Default "127.0.0.1:8046": loopback only, so an operator API is never
	// exposed by accident; deployments set ":8046" where a probe or a
	// Prometheus scrape needs it.
	AdminAddr string `envconfig:"SWITCHYARD_ADMIN_ADDR" default:"127.0.0.1:8046"`

	// AccountsFile is the path of the account pool file (YAML or JSON). It is
	// re-read on change. Default: none.
	AccountsFile string `envconfig:"SWITCHYARD_ACCOUNTS_FILE"`

	// RoutesFile is the path of the optional model routes file (YAML map
	// pattern: target). Default: none (no routes).
	RoutesFile string `envconfig:"SWITCHYARD_ROUTES_FILE"`

	// APIKeys are the client keys: SWITCHYARD_API_KEYS (comma list) merged with
	// the lines of APIKeysFile, trimmed and deduplicated. Empty means no client
	// authentication, which is allowed only on a loopback ListenAddr.
	APIKeys []string `envconfig:"SWITCHYARD_API_KEYS"`

	// EnvAPIKeys are the keys of SWITCHYARD_API_KEYS alone (APIKeys also
	// holds the keys file's plain secrets, for the start-up checks).
	EnvAPIKeys []string `ignored:"true"`

	// FileKeys is the number of keys in APIKeysFile when the process started
	// (a YAML file may give digests only).
	FileKeys int `ignored:"true"`

	// APIKeysFile is a file of client keys, one per line; blank lines and lines
	// starting with # are ignored. Default: none.
	APIKeysFile string `envconfig:"SWITCHYARD_API_KEYS_FILE"`

	// AdminKey is the bearer key of the admin API. Empty disables /admin.
	AdminKey string `envconfig:"SWITCHYARD_ADMIN_KEY"`

	// AllowDemoKeys accepts the placeholder credentials the examples ship
	// (demo-key, demo-admin, CHANGE-ME-…, the demo SecretsKey). Without it the
	// gateway refuses to start with one. For demos only. Default false.
	AllowDemoKeys bool `envconfig:"SWITCHYARD_ALLOW_DEMO_KEYS" default:"false"`

	// SecretsKey encrypts the OAuth access tokens and rotated refresh tokens
	// kept in Redis (AES-256-GCM): the standard base64 of 32 random bytes.
	// Empty keeps them in plain text (a warning at start when Redis is used).
	SecretsKey string `envconfig:"SWITCHYARD_SECRETS_KEY"`

	// SecretsKeyPrevious are older SecretsKeys (comma list), used only to
	// decrypt values written before a key rotation. Default: none.
	SecretsKeyPrevious []string `envconfig:"SWITCHYARD_SECRETS_KEY_PREVIOUS"`

	// RedisURL is the shared store: a redis:// or rediss:// URL, or a comma
	// list of host:port addresses (Redis Cluster, or the Sentinels when
	// RedisSentinelMaster is set). Empty selects the embedded in-process store.
	RedisURL string `envconfig:"SWITCHYARD_REDIS_URL"`

	// RedisCluster selects Redis Cluster for a single RedisURL. Default false.
	RedisCluster bool `envconfig:"SWITCHYARD_REDIS_CLUSTER" default:"false"`

	// RedisSentinelMaster is the Sentinel master name; setting it selects
	// Sentinel. Default: none.
	RedisSentinelMaster string `envconfig:"SWITCHYARD_REDIS_SENTINEL_MASTER"`

	// RedisFailureMode is what happens while Redis is unreachable: "open"
	// serves from per-replica local state, "closed" answers 503. Default "open".
	RedisFailureMode string `envconfig:"SWITCHYARD_REDIS_FAILURE_MODE" default:"open"`

	// RedisNamespace is part of the hash tag of every shared key
	// ({sy:<namespace>}): deployments with different namespaces share one
	// Redis without seeing each other, and in a cluster their state lives in
	// different slots. 1 to 32 of A-Z, a-z, 0-9, _ and -. Default: none ({sy}).
	RedisNamespace string `envconfig:"SWITCHYARD_REDIS_NAMESPACE"`

	// SchedulingMode is the initial scheduling mode: CacheFirst, Balance or
	// PerformanceFirst (matched case-insensitively, stored canonically). It can
	// be changed at runtime through the admin API. Default "Balance".
	SchedulingMode string `envconfig:"SWITCHYARD_SCHEDULING_MODE" default:"Balance"`

	// MaxWait is how long a CacheFirst request may wait for its bound account
	// to come out of cooldown; 0 never waits. Default 60s.
	MaxWait time.Duration `envconfig:"SWITCHYARD_MAX_WAIT" default:"60s"`

	// StickyTTL is the idle lifetime of a session→account binding (sliding).
	// Default 1h.
	StickyTTL time.Duration `envconfig:"SWITCHYARD_STICKY_TTL" default:"1h"`

	// LastUsedWindow is the reuse window for requests without a session id.
	// Default 60s.
	LastUsedWindow time.Duration `envconfig:"SWITCHYARD_LAST_USED_WINDOW" default:"60s"`

	// MaxAttempts is the number of attempts per request, the first included;
	// 1 to 10. Default 3.
	MaxAttempts int `envconfig:"SWITCHYARD_MAX_ATTEMPTS" default:"3"`

	// QuotaProtection skips an account for a model group when its known
	// remaining quota fraction is below this value; in [0, 1), 0 is off.
	// Default 0.
	QuotaProtection float64 `envconfig:"SWITCHYARD_QUOTA_PROTECTION" default:"0"`

	// QuotaPollInterval is how often the remaining quota of each codeassist
	// account is read from Code Assist (jittered; one replica per account at
	// a time); 0 turns the reads off. Default 5m.
	QuotaPollInterval time.Duration `envconfig:"SWITCHYARD_QUOTA_POLL_INTERVAL" default:"5m"`

	// MaxBodyBytes is the largest accepted request body, in bytes; larger
	// bodies get 413. Accepts plain bytes or a KiB, MiB, GiB, KB, MB or GB
	// suffix. Default 32MiB.
	MaxBodyBytes ByteSize `envconfig:"SWITCHYARD_MAX_BODY_BYTES" default:"32MiB"`

	// MaxInFlight caps the client requests one replica serves at once (open
	// streams included); beyond it a request gets 503 with Retry-After. 0 is
	// no cap. Default 4096.
	MaxInFlight int `envconfig:"SWITCHYARD_MAX_IN_FLIGHT" default:"4096"`

	// MaxInFlightPerKey caps the requests one client key has in flight on one
	// replica; beyond it a request gets 429 with Retry-After. 0 is no cap.
	// Default 512.
	MaxInFlightPerKey int `envconfig:"SWITCHYARD_MAX_IN_FLIGHT_PER_KEY" default:"512"`

	// LogLevel is debug, info, warn or error. Default "info".
	LogLevel string `envconfig:"SWITCHYARD_LOG_LEVEL" default:"info"`

	// LogFormat is json or text. Default "json".
	LogFormat string `envconfig:"SWITCHYARD_LOG_FORMAT" default:"json"`

	// ConnectTimeout bounds dialling an upstream (TCP and TLS). Default 10s.
	ConnectTimeout time.Duration `envconfig:"SWITCHYARD_CONNECT_TIMEOUT" default:"10s"`

	// ResponseHeaderTimeout bounds the wait for an upstream's response headers
	// after the request was sent. Default 120s.
	ResponseHeaderTimeout time.Duration `envconfig:"SWITCHYARD_RESPONSE_HEADER_TIMEOUT" default:"120s"`

	// JSONHeaderTimeout bounds the wait for the response headers of a
	// non-streaming upstream call, which come only when the whole answer is
	// generated. Default 5m.
	JSONHeaderTimeout time.Duration `envconfig:"SWITCHYARD_JSON_HEADER_TIMEOUT" default:"5m"`

	// FirstEventTimeout bounds the wait for the first meaningful stream event;
	// a timeout there is a failed attempt that can still be retried.
	// Default 60s.
	FirstEventTimeout time.Duration `envconfig:"SWITCHYARD_FIRST_EVENT_TIMEOUT" default:"60s"`

	// IdleTimeout ends a stream that has been silent this long after its first
	// event. Default 120s.
	IdleTimeout time.Duration `envconfig:"SWITCHYARD_STREAM_IDLE_TIMEOUT" default:"120s"`

	// RequestTimeout is the overall deadline of one client request, all
	// attempts and waits included. Default 10m.
	RequestTimeout time.Duration `envconfig:"SWITCHYARD_REQUEST_TIMEOUT" default:"10m"`

	// KeepAliveInterval is how often a heartbeat is sent to a streaming client
	// while the upstream is silent. Default 15s.
	KeepAliveInterval time.Duration `envconfig:"SWITCHYARD_KEEPALIVE_INTERVAL" default:"15s"`

	// ShutdownGrace is how long in-flight requests may finish after a stop
	// signal. Default 30s.
	ShutdownGrace time.Duration `envconfig:"SWITCHYARD_SHUTDOWN_GRACE" default:"30s"`

	// RateLimitGrace: when every eligible account is cooling down, a request
	// waits if the soonest one frees up within this duration, else it gets 429
	// at once; 0 never waits. Default 5s.
	RateLimitGrace time.Duration `envconfig:"SWITCHYARD_RATE_LIMIT_GRACE" default:"5s"`

	// RequestLogMax is the approximate number of records kept in the shared
	// request log (a capped Redis stream); 0 turns the request log off.
	// Default 10000.
	RequestLogMax int `envconfig:"SWITCHYARD_REQUEST_LOG_MAX" default:"10000"`

	// CaptureBodies stores the first CaptureMaxBytes of each request body and
	// answer in the request log, with credential-looking values redacted. Off
	// by default: bodies hold prompts. Default false.
	CaptureBodies bool `envconfig:"SWITCHYARD_CAPTURE_BODIES" default:"false"`

	// CaptureMaxBytes caps each captured body (256 to 1048576). Default 4096.
	CaptureMaxBytes int `envconfig:"SWITCHYARD_CAPTURE_MAX_BYTES" default:"4096"`
}

// LogValue renders the effective settings for a log line with every
// credential redacted: client keys are counted, the admin key is only shown
// as set or not, and a Redis URL password is masked.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("listen_addr", c.ListenAddr),
		slog.String("admin_addr", c.AdminAddr),
		slog.String("accounts_file", c.AccountsFile),
		slog.String("routes_file", c.RoutesFile),
		slog.Int("api_keys", len(c.APIKeys)),
		slog.String("api_keys_file", c.APIKeysFile),
		slog.Bool("admin_key_set", c.AdminKey != ""),
		slog.Bool("allow_demo_keys", c.AllowDemoKeys),
		slog.Bool("secrets_key_set", c.SecretsKey != ""),
		slog.Int("secrets_keys_previous", len(c.SecretsKeyPrevious)),
		slog.String("redis_url", redactRedisURL(c.RedisURL)),
		slog.Bool("redis_cluster", c.RedisCluster),
		slog.String("redis_sentinel_master", c.RedisSentinelMaster),
		slog.String("redis_failure_mode", c.RedisFailureMode),
		slog.String("redis_namespace", c.RedisNamespace),
		slog.String("scheduling_mode", c.SchedulingMode),
		slog.Duration("max_wait", c.MaxWait),
		slog.Duration("sticky_ttl", c.StickyTTL),
		slog.Duration("last_used_window", c.LastUsedWindow),
		slog.Int("max_attempts", c.MaxAttempts),
		slog.Float64("quota_protection", c.QuotaProtection),
		slog.Duration("quota_poll_interval", c.QuotaPollInterval),
		slog.String("max_body_bytes", c.MaxBodyBytes.String()),
		slog.Int("max_in_flight", c.MaxInFlight),
		slog.Int("max_in_flight_per_key", c.MaxInFlightPerKey),
		slog.String("log_level", c.LogLevel),
		slog.String("log_format", c.LogFormat),
		slog.Duration("connect_timeout", c.ConnectTimeout),
		slog.Duration("response_header_timeout", c.ResponseHeaderTimeout),
		slog.Duration("json_header_timeout", c.JSONHeaderTimeout),
		slog.Duration("first_event_timeout", c.FirstEventTimeout),
		slog.Duration("stream_idle_timeout", c.IdleTimeout),
		slog.Duration("request_timeout", c.RequestTimeout),
		slog.Duration("keepalive_interval", c.KeepAliveInterval),
		slog.Duration("shutdown_grace", c.ShutdownGrace),
		slog.Duration("rate_limit_grace", c.RateLimitGrace),
	)
}

// redactRedisURL masks the password of a URL-form setting; a comma list of
// addresses carries no credentials and is returned as is.
func redactRedisURL(s string) string {
	if !isURLForm(s) {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "[unparsable]"
	}
	return u.Redacted()
}
