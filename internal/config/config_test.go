package config

import (
	"bytes"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// settingNames lists every variable Config reads, from its struct tags.
func settingNames(t *testing.T) []string {
	t.Helper()
	var names []string
	typ := reflect.TypeFor[Config]()
	for i := range typ.NumField() {
		if typ.Field(i).Tag.Get("ignored") == "true" {
			continue // derived in Load, not a variable
		}
		names = append(names, typ.Field(i).Tag.Get("envconfig"))
	}
	return names
}

// setEnv starts from an environment without any SWITCHYARD_ variable, then
// sets vars. Everything is restored when the test ends.
func setEnv(t *testing.T, vars map[string]string) {
	t.Helper()
	for _, name := range settingNames(t) {
		t.Setenv(name, "") // records the old value for restoring
		os.Unsetenv(name)
	}
	for k, v := range vars {
		t.Setenv(k, v)
	}
}

// errLines splits a Load error into its lines; nil gives none.
func errLines(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

func TestLoadDefaults(t *testing.T) {
	setEnv(t, map[string]string{"SWITCHYARD_LISTEN_ADDR": "127.0.0.1:8045"})
	got, err := Load()
	if err != nil {
		t.Fatalf("Load() error: %v", err)
	}
	want := Config{
		ListenAddr:            "127.0.0.1:8045",
		AdminAddr:             "127.0.0.1:8046",
		RedisFailureMode:      "open",
		SchedulingMode:        "Balance",
		MaxWait:               60 * time.Second,
		StickyTTL:             time.Hour,
		LastUsedWindow:        60 * time.Second,
		MaxAttempts:           3,
		QuotaPollInterval:     5 * time.Minute,
		MaxBodyBytes:          32 << 20,
		MaxInFlight:           4096,
		MaxInFlightPerKey:     512,
		LogLevel:              "info",
		LogFormat:             "json",
		ConnectTimeout:        10 * time.Second,
		ResponseHeaderTimeout: 120 * time.Second,
		JSONHeaderTimeout:     5 * time.Minute,
		FirstEventTimeout:     60 * time.Second,
		IdleTimeout:           120 * time.Second,
		RequestTimeout:        10 * time.Minute,
		KeepAliveInterval:     15 * time.Second,
		ShutdownGrace:         30 * time.Second,
		RateLimitGrace:        5 * time.Second,
		RequestLogMax:         10000,
		CaptureMaxBytes:       4096,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load() =\n%+v\nwant\n%+v", got, want)
	}
}

func TestLoadOverrides(t *testing.T) {
	setEnv(t, map[string]string{
		"SWITCHYARD_LISTEN_ADDR":             "0.0.0.0:9000",
		"SWITCHYARD_ADMIN_ADDR":              "127.0.0.1:9001",
		"SWITCHYARD_ACCOUNTS_FILE":           "/etc/sy/accounts.yaml",
		"SWITCHYARD_ROUTES_FILE":             "/etc/sy/routes.yaml",
		"SWITCHYARD_API_KEYS":                " k1 ,k2,k1",
		"SWITCHYARD_ADMIN_KEY":               "admin-secret\n",
		"SWITCHYARD_REDIS_URL":               "rediss://:pw@redis.example:6380/0",
		"SWITCHYARD_REDIS_CLUSTER":           "true",
		"SWITCHYARD_REDIS_FAILURE_MODE":      "CLOSED",
		"SWITCHYARD_SCHEDULING_MODE":         "cachefirst",
		"SWITCHYARD_MAX_WAIT":                "0s",
		"SWITCHYARD_STICKY_TTL":              "2h",
		"SWITCHYARD_LAST_USED_WINDOW":        "30s",
		"SWITCHYARD_MAX_ATTEMPTS":            "10",
		"SWITCHYARD_QUOTA_PROTECTION":        "0.1",
		"SWITCHYARD_MAX_BODY_BYTES":          "1048576",
		"SWITCHYARD_LOG_LEVEL":               "DEBUG",
		"SWITCHYARD_LOG_FORMAT":              "text",
		"SWITCHYARD_CONNECT_TIMEOUT":         "1s",
		"SWITCHYARD_RESPONSE_HEADER_TIMEOUT": "2s",
		"SWITCHYARD_FIRST_EVENT_TIMEOUT":     "3s",
		"SWITCHYARD_STREAM_IDLE_TIMEOUT":     "4s",
		"SWITCHYARD_REQUEST_TIMEOUT":         "5s",
		"SWITCHYARD_KEEPALIVE_INTERVAL":      "6s",
		"SWITCHYARD_SHUTDOWN_GRACE":          "7s",
		"SWITCHYARD_RATE_LIMIT_GRACE":        "0s",
		"SWITCHYARD_MAX_IN_FLIGHT":           "10",
		"SWITCHYARD_MAX_IN_FLIGHT_PER_KEY":   "0",
	})
	got, err := Load()
	if err != nil {
		t.Fatalf("Load() error: %v", err)
	}
	want := Config{
		ListenAddr:            "0.0.0.0:9000",
		AdminAddr:             "127.0.0.1:9001",
		AccountsFile:          "/etc/sy/accounts.yaml",
		RoutesFile:            "/etc/sy/routes.yaml",
		APIKeys:               []string{"k1", "k2"},
		EnvAPIKeys:            []string{"k1", "k2"},
		AdminKey:              "admin-secret",
		RedisURL:              "rediss://:pw@redis.example:6380/0",
		RedisCluster:          true,
		RedisFailureMode:      "closed",
		SchedulingMode:        "CacheFirst",
		MaxWait:               0,
		StickyTTL:             2 * time.Hour,
		LastUsedWindow:        30 * time.Second,
		MaxAttempts:           10,
		QuotaProtection:       0.1,
		QuotaPollInterval:     5 * time.Minute,
		MaxBodyBytes:          1 << 20,
		MaxInFlight:           10,
		LogLevel:              "debug",
		LogFormat:             "text",
		ConnectTimeout:        time.Second,
		ResponseHeaderTimeout: 2 * time.Second,
		JSONHeaderTimeout:     5 * time.Minute,
		FirstEventTimeout:     3 * time.Second,
		IdleTimeout:           4 * time.Second,
		RequestTimeout:        5 * time.Second,
		KeepAliveInterval:     6 * time.Second,
		ShutdownGrace:         7 * time.Second,
		RequestLogMax:         10000,
		CaptureMaxBytes:       4096,
		RateLimitGrace:        0,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load() =\n%+v\nwant\n%+v", got, want)
	}
}

func TestLoadIgnoresUnprefixedVariables(t *testing.T) {
	setEnv(t, map[string]string{"SWITCHYARD_LISTEN_ADDR": "127.0.0.1:8045"})
	t.Setenv("REDIS_URL", "redis://elsewhere:6379")
	t.Setenv("LOG_LEVEL", "debug")
	c, err := Load()
	if err != nil {
		t.Fatalf("Load() error: %v", err)
	}
	if c.RedisURL != "" || c.LogLevel != "info" {
		t.Errorf("RedisURL, LogLevel = %q, %q; want \"\", \"info\" (unprefixed variables must not count)", c.RedisURL, c.LogLevel)
	}
}

func TestValidationNamesAreSettings(t *testing.T) {
	names := settingNames(t)
	for _, n := range names {
		if !strings.HasPrefix(n, "SWITCHYARD_") {
			t.Errorf("field tag %q does not name a SWITCHYARD_ variable", n)
		}
	}
	for _, n := range []string{
		envListenAddr, envAdminAddr, envAPIKeys, envAPIKeysFile, envAdminKey, envRedisURL, envRedisCluster,
		envSentinelMaster, envFailureMode, envSchedulingMode, envMaxWait, envMaxAttempts, envQuotaProtection,
		envMaxBodyBytes, envLogLevel, envLogFormat, envRedisNamespace,
	} {
		if !slices.Contains(names, n) {
			t.Errorf("validation names %s, which no Config field reads", n)
		}
	}
}

func TestLogValueRedactsCredentials(t *testing.T) {
	c := Config{
		APIKeys:  []string{"client-key-123"},
		AdminKey: "admin-key-456",
		RedisURL: "redis://user:redis-pw-789@redis:6379/0",
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "config", c)
	out := buf.String()
	for _, secret := range []string{"client-key-123", "admin-key-456", "redis-pw-789"} {
		if strings.Contains(out, secret) {
			t.Errorf("log output %s contains %q", out, secret)
		}
	}
	if !strings.Contains(out, `"api_keys":1`) || !strings.Contains(out, "redis:6379") {
		t.Errorf("log output %s lacks the key count or the Redis host", out)
	}
}
