package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard-gw/switchyard/internal/keyspace"
)

// Variable names used in validation messages; the authoritative table is the
// struct tags of Config (a test keeps the two in step).
const (
	envListenAddr      = "SWITCHYARD_LISTEN_ADDR"
	envAdminAddr       = "SWITCHYARD_ADMIN_ADDR"
	envAPIKeys         = "SWITCHYARD_API_KEYS"
	envAPIKeysFile     = "SWITCHYARD_API_KEYS_FILE"
	envAdminKey        = "SWITCHYARD_ADMIN_KEY"
	envRedisURL        = "SWITCHYARD_REDIS_URL"
	envRedisCluster    = "SWITCHYARD_REDIS_CLUSTER"
	envSentinelMaster  = "SWITCHYARD_REDIS_SENTINEL_MASTER"
	envFailureMode     = "SWITCHYARD_REDIS_FAILURE_MODE"
	envRedisNamespace  = "SWITCHYARD_REDIS_NAMESPACE"
	envSchedulingMode  = "SWITCHYARD_SCHEDULING_MODE"
	envMaxWait         = "SWITCHYARD_MAX_WAIT"
	envMaxAttempts     = "SWITCHYARD_MAX_ATTEMPTS"
	envQuotaProtection = "SWITCHYARD_QUOTA_PROTECTION"
	envMaxBodyBytes    = "SWITCHYARD_MAX_BODY_BYTES"
	envLogLevel        = "SWITCHYARD_LOG_LEVEL"
	envLogFormat       = "SWITCHYARD_LOG_FORMAT"
)

// settingError is one bad setting: the variable and what is wrong with it.
type settingError struct {
	name    string
	problem string
}

func (e *settingError) Error() string { return e.name + ": " + e.problem }

// joinProblems returns nil for no problems, else one error whose text has one
// line per problem.
func joinProblems(ps []*settingError) error {
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return errors.Join(errs...)
}

// Validate checks every setting and reports all problems at once, one line
// per bad value, each naming its variable. It does no I/O: the keys file is
// read by Load.
func (c Config) Validate() error {
	return joinProblems(c.validate(true))
}

// validate lists the problems of c. keysFileOK is false when the keys file
// could not be read; the missing-keys rule is then not reported on top.
func (c Config) validate(keysFileOK bool) []*settingError {
	var ps []*settingError
	add := func(name, format string, args ...any) {
		ps = append(ps, &settingError{name, fmt.Sprintf(format, args...)})
	}

	listenOK := checkAddr(envListenAddr, c.ListenAddr, add)
	adminOK := checkAddr(envAdminAddr, c.AdminAddr, add)
	if listenOK && adminOK && c.ListenAddr == c.AdminAddr && !strings.HasSuffix(c.ListenAddr, ":0") {
		add(envAdminAddr, "must differ from %s (both %q)", envListenAddr, c.AdminAddr)
	}

	for _, k := range c.APIKeys {
		if strings.TrimSpace(k) == "" {
			add(envAPIKeys, "contains an empty key (check for stray commas)")
			break
		}
	}
	if len(c.APIKeys) == 0 && c.FileKeys == 0 && keysFileOK && listenOK && !c.Loopback() {
		add(envAPIKeys, "no client keys configured and %s %q is not loopback; set %s or %s, or listen on 127.0.0.1",
			envListenAddr, c.ListenAddr, envAPIKeys, envAPIKeysFile)
	}
	if c.AdminKey != "" && strings.TrimSpace(c.AdminKey) == "" {
		add(envAdminKey, "must not be blank (leave it unset to disable the admin API)")
	}
	c.validateSecrets(add)

	c.validateRedis(add)

	if _, ok := canonicalMode(c.SchedulingMode); !ok {
		add(envSchedulingMode, "must be %s, %s or %s, got %q", CacheFirst, Balance, PerformanceFirst, c.SchedulingMode)
	}
	if c.MaxWait < 0 {
		add(envMaxWait, "must not be negative, got %v", c.MaxWait)
	}
	for _, d := range []struct {
		name  string
		value time.Duration
	}{
		{"SWITCHYARD_STICKY_TTL", c.StickyTTL},
		{"SWITCHYARD_LAST_USED_WINDOW", c.LastUsedWindow},
		{"SWITCHYARD_CONNECT_TIMEOUT", c.ConnectTimeout},
		{"SWITCHYARD_RESPONSE_HEADER_TIMEOUT", c.ResponseHeaderTimeout},
		{"SWITCHYARD_FIRST_EVENT_TIMEOUT", c.FirstEventTimeout},
		{"SWITCHYARD_JSON_HEADER_TIMEOUT", c.JSONHeaderTimeout},
		{"SWITCHYARD_STREAM_IDLE_TIMEOUT", c.IdleTimeout},
		{"SWITCHYARD_REQUEST_TIMEOUT", c.RequestTimeout},
		{"SWITCHYARD_KEEPALIVE_INTERVAL", c.KeepAliveInterval},
		{"SWITCHYARD_SHUTDOWN_GRACE", c.ShutdownGrace},
	} {
		if d.value <= 0 {
			add(d.name, "must be positive, got %v", d.value)
		}
	}
	if c.QuotaPollInterval != 0 && c.QuotaPollInterval < 100*time.Millisecond {
		add("SWITCHYARD_QUOTA_POLL_INTERVAL", "must be 0 (off) or at least 100ms, got %v", c.QuotaPollInterval)
	}
	if c.RateLimitGrace < 0 {
		add("SWITCHYARD_RATE_LIMIT_GRACE", "must not be negative, got %v", c.RateLimitGrace)
	}
	if c.RequestLogMax < 0 || c.RequestLogMax > 10_000_000 {
		add("SWITCHYARD_REQUEST_LOG_MAX", "must be between 0 (off) and 10000000 records, got %d", c.RequestLogMax)
	}
	if c.CaptureBodies && (c.CaptureMaxBytes < 256 || c.CaptureMaxBytes > 1<<20) {
		add("SWITCHYARD_CAPTURE_MAX_BYTES", "must be between 256 and 1048576 bytes, got %d", c.CaptureMaxBytes)
	}
	if c.MaxAttempts < 1 || c.MaxAttempts > 10 {
		add(envMaxAttempts, "must be between 1 and 10, got %d", c.MaxAttempts)
	}
	if math.IsNaN(c.QuotaProtection) || c.QuotaProtection < 0 || c.QuotaProtection >= 1 {
		add(envQuotaProtection, "must be at least 0 and below 1, got %v", c.QuotaProtection)
	}
	if c.MaxInFlight < 0 {
		add("SWITCHYARD_MAX_IN_FLIGHT", "must not be negative (0 is no cap), got %d", c.MaxInFlight)
	}
	if c.MaxInFlightPerKey < 0 {
		add("SWITCHYARD_MAX_IN_FLIGHT_PER_KEY", "must not be negative (0 is no cap), got %d", c.MaxInFlightPerKey)
	}
	if c.MaxBodyBytes <= 0 {
		add(envMaxBodyBytes, "must be positive, got %d", int64(c.MaxBodyBytes))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		add(envLogLevel, "must be debug, info, warn or error, got %q", c.LogLevel)
	}
	switch c.LogFormat {
	case "json", "text":
	default:
		add(envLogFormat, "must be json or text, got %q", c.LogFormat)
	}
	return ps
}

// validateRedis checks the store settings. Messages never repeat a URL,
// which may carry a password.
func (c Config) validateRedis(add func(name, format string, args ...any)) {
	switch c.RedisFailureMode {
	case FailOpen, FailClosed:
	default:
		add(envFailureMode, "must be %s or %s, got %q", FailOpen, FailClosed, c.RedisFailureMode)
	}
	if err := keyspace.Validate(c.RedisNamespace); err != nil {
		add(envRedisNamespace, "%s", err.Error())
	}
	if c.RedisCluster && c.RedisSentinelMaster != "" {
		add(envSentinelMaster, "cannot be combined with %s=true", envRedisCluster)
	}
	if c.RedisURL == "" {
		if c.RedisCluster {
			add(envRedisCluster, "requires %s", envRedisURL)
		}
		if c.RedisSentinelMaster != "" {
			add(envSentinelMaster, "requires %s", envRedisURL)
		}
		return
	}
	if isURLForm(c.RedisURL) {
		u, err := url.Parse(c.RedisURL)
		switch {
		case err != nil:
			add(envRedisURL, "not a valid URL")
		case u.Scheme != "redis" && u.Scheme != "rediss":
			add(envRedisURL, "scheme must be redis or rediss, got %q", u.Scheme)
		case u.Host == "":
			add(envRedisURL, "missing host")
		}
		return
	}
	for i, a := range strings.Split(c.RedisURL, ",") {
		if _, _, err := splitHostPort(strings.TrimSpace(a)); err != nil {
			add(envRedisURL, "address %d: %v (want a redis:// or rediss:// URL, or a comma list of host:port)", i+1, err)
		}
	}
}

// isURLForm reports whether a Redis setting is a URL rather than a list of
// addresses.
func isURLForm(s string) bool { return strings.Contains(s, "://") }

// checkAddr validates a listener address and reports whether it is usable.
func checkAddr(name, addr string, add func(name, format string, args ...any)) bool {
	if _, _, err := splitHostPort(addr); err != nil {
		add(name, "%v, got %q", err, addr)
		return false
	}
	return true
}

// splitHostPort splits host:port and requires a numeric port.
func splitHostPort(addr string) (host string, port int, err error) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, errors.New("must be host:port")
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return "", 0, errors.New("port must be a number from 0 to 65535")
	}
	return h, int(n), nil
}

// Loopback reports whether ListenAddr only accepts local connections: its
// host is "localhost", in 127.0.0.0/8, or ::1. An empty host (":8045")
// listens on every interface and is not loopback.
func (c Config) Loopback() bool {
	host, _, err := splitHostPort(c.ListenAddr)
	if err != nil || host == "" {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
