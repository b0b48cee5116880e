package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoadValidationMessages(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{
			name: "listen address not host:port",
			env:  map[string]string{"SWITCHYARD_LISTEN_ADDR": "8045", "SWITCHYARD_API_KEYS": "k"},
			want: []string{`SWITCHYARD_LISTEN_ADDR: must be host:port, got "8045"`},
		},
		{
			name: "admin port out of range",
			env:  map[string]string{"SWITCHYARD_ADMIN_ADDR": ":70000"},
			want: []string{`SWITCHYARD_ADMIN_ADDR: port must be a number from 0 to 65535, got ":70000"`},
		},
		{
			name: "admin same as listen",
			env:  map[string]string{"SWITCHYARD_ADMIN_ADDR": "127.0.0.1:8045"},
			want: []string{`SWITCHYARD_ADMIN_ADDR: must differ from SWITCHYARD_LISTEN_ADDR (both "127.0.0.1:8045")`},
		},
		{
			name: "failure mode",
			env:  map[string]string{"SWITCHYARD_REDIS_FAILURE_MODE": "maybe"},
			want: []string{`SWITCHYARD_REDIS_FAILURE_MODE: must be open or closed, got "maybe"`},
		},
		{
			name: "scheduling mode",
			env:  map[string]string{"SWITCHYARD_SCHEDULING_MODE": "Fastest"},
			want: []string{`SWITCHYARD_SCHEDULING_MODE: must be CacheFirst, Balance or PerformanceFirst, got "Fastest"`},
		},
		{
			name: "negative max wait",
			env:  map[string]string{"SWITCHYARD_MAX_WAIT": "-1s"},
			want: []string{`SWITCHYARD_MAX_WAIT: must not be negative, got -1s`},
		},
		{
			name: "zero and negative durations",
			env: map[string]string{
				"SWITCHYARD_STICKY_TTL":              "0s",
				"SWITCHYARD_LAST_USED_WINDOW":        "0s",
				"SWITCHYARD_CONNECT_TIMEOUT":         "0s",
				"SWITCHYARD_RESPONSE_HEADER_TIMEOUT": "-1s",
				"SWITCHYARD_FIRST_EVENT_TIMEOUT":     "0s",
				"SWITCHYARD_STREAM_IDLE_TIMEOUT":     "0s",
				"SWITCHYARD_REQUEST_TIMEOUT":         "0s",
				"SWITCHYARD_KEEPALIVE_INTERVAL":      "0s",
				"SWITCHYARD_SHUTDOWN_GRACE":          "0s",
				"SWITCHYARD_RATE_LIMIT_GRACE":        "-5s",
			},
			want: []string{
				`SWITCHYARD_STICKY_TTL: must be positive, got 0s`,
				`SWITCHYARD_LAST_USED_WINDOW: must be positive, got 0s`,
				`SWITCHYARD_CONNECT_TIMEOUT: must be positive, got 0s`,
				`SWITCHYARD_RESPONSE_HEADER_TIMEOUT: must be positive, got -1s`,
				`SWITCHYARD_FIRST_EVENT_TIMEOUT: must be positive, got 0s`,
				`SWITCHYARD_STREAM_IDLE_TIMEOUT: must be positive, got 0s`,
				`SWITCHYARD_REQUEST_TIMEOUT: must be positive, got 0s`,
				`SWITCHYARD_KEEPALIVE_INTERVAL: must be positive, got 0s`,
				`SWITCHYARD_SHUTDOWN_GRACE: must be positive, got 0s`,
				`SWITCHYARD_RATE_LIMIT_GRACE: must not be negative, got -5s`,
			},
		},
		{
			name: "max attempts zero",
			env:  map[string]string{"SWITCHYARD_MAX_ATTEMPTS": "0"},
			want: []string{`SWITCHYARD_MAX_ATTEMPTS: must be between 1 and 10, got 0`},
		},
		{
			name: "max attempts eleven",
			env:  map[string]string{"SWITCHYARD_MAX_ATTEMPTS": "11"},
			want: []string{`SWITCHYARD_MAX_ATTEMPTS: must be between 1 and 10, got 11`},
		},
		{
			name: "quota protection one",
			env:  map[string]string{"SWITCHYARD_QUOTA_PROTECTION": "1"},
			want: []string{`SWITCHYARD_QUOTA_PROTECTION: must be at least 0 and below 1, got 1`},
		},
		{
			name: "quota protection negative",
			env:  map[string]string{"SWITCHYARD_QUOTA_PROTECTION": "-0.5"},
			want: []string{`SWITCHYARD_QUOTA_PROTECTION: must be at least 0 and below 1, got -0.5`},
		},
		{
			name: "quota protection NaN",
			env:  map[string]string{"SWITCHYARD_QUOTA_PROTECTION": "NaN"},
			want: []string{`SWITCHYARD_QUOTA_PROTECTION: must be at least 0 and below 1, got NaN`},
		},
		{
			name: "body size zero",
			env:  map[string]string{"SWITCHYARD_MAX_BODY_BYTES": "0"},
			want: []string{`SWITCHYARD_MAX_BODY_BYTES: must be positive, got 0`},
		},
		{
			name: "log level and format",
			env:  map[string]string{"SWITCHYARD_LOG_LEVEL": "verbose", "SWITCHYARD_LOG_FORMAT": "xml"},
			want: []string{
				`SWITCHYARD_LOG_LEVEL: must be debug, info, warn or error, got "verbose"`,
				`SWITCHYARD_LOG_FORMAT: must be json or text, got "xml"`,
			},
		},
		{
			name: "redis scheme",
			env:  map[string]string{"SWITCHYARD_REDIS_URL": "http://user:hunter2@redis:6379"},
			want: []string{`SWITCHYARD_REDIS_URL: scheme must be redis or rediss, got "http"`},
		},
		{
			name: "redis URL unparsable",
			env:  map[string]string{"SWITCHYARD_REDIS_URL": "redis://:hunter2@redis:port"},
			want: []string{`SWITCHYARD_REDIS_URL: not a valid URL`},
		},
		{
			name: "redis URL without host",
			env:  map[string]string{"SWITCHYARD_REDIS_URL": "redis:///0"},
			want: []string{`SWITCHYARD_REDIS_URL: missing host`},
		},
		{
			name: "redis address list",
			env:  map[string]string{"SWITCHYARD_REDIS_URL": "a:7000, b ,c:x"},
			want: []string{
				`SWITCHYARD_REDIS_URL: address 2: must be host:port (want a redis:// or rediss:// URL, or a comma list of host:port)`,
				`SWITCHYARD_REDIS_URL: address 3: port must be a number from 0 to 65535 (want a redis:// or rediss:// URL, or a comma list of host:port)`,
			},
		},
		{
			name: "cluster and sentinel without URL",
			env:  map[string]string{"SWITCHYARD_REDIS_CLUSTER": "true", "SWITCHYARD_REDIS_SENTINEL_MASTER": "mymaster"},
			want: []string{
				`SWITCHYARD_REDIS_SENTINEL_MASTER: cannot be combined with SWITCHYARD_REDIS_CLUSTER=true`,
				`SWITCHYARD_REDIS_CLUSTER: requires SWITCHYARD_REDIS_URL`,
				`SWITCHYARD_REDIS_SENTINEL_MASTER: requires SWITCHYARD_REDIS_URL`,
			},
		},
		{
			name: "empty client key",
			env:  map[string]string{"SWITCHYARD_API_KEYS": "k1,,k2"},
			want: []string{`SWITCHYARD_API_KEYS: contains an empty key (check for stray commas)`},
		},
		{
			name: "blank admin key",
			env:  map[string]string{"SWITCHYARD_ADMIN_KEY": "  "},
			want: []string{`SWITCHYARD_ADMIN_KEY: must not be blank (leave it unset to disable the admin API)`},
		},
		{
			name: "no keys on all interfaces",
			env:  map[string]string{"SWITCHYARD_LISTEN_ADDR": ":8045"},
			want: []string{`SWITCHYARD_API_KEYS: no client keys configured and SWITCHYARD_LISTEN_ADDR ":8045" is not loopback; set SWITCHYARD_API_KEYS or SWITCHYARD_API_KEYS_FILE, or listen on 127.0.0.1`},
		},
		{
			name: "several problems at once",
			env: map[string]string{
				"SWITCHYARD_MAX_ATTEMPTS":     "0",
				"SWITCHYARD_QUOTA_PROTECTION": "2",
				"SWITCHYARD_LOG_FORMAT":       "yaml",
			},
			want: []string{
				`SWITCHYARD_MAX_ATTEMPTS: must be between 1 and 10, got 0`,
				`SWITCHYARD_QUOTA_PROTECTION: must be at least 0 and below 1, got 2`,
				`SWITCHYARD_LOG_FORMAT: must be json or text, got "yaml"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"SWITCHYARD_LISTEN_ADDR": "127.0.0.1:8045"}
			for k, v := range tt.env {
				env[k] = v
			}
			setEnv(t, env)
			_, err := Load()
			if got := errLines(err); !slices.Equal(got, tt.want) {
				t.Errorf("Load() error lines =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("Load() error %q reveals the Redis password", err)
			}
		})
	}
}

func TestLoopbackRule(t *testing.T) {
	tests := []struct {
		addr     string
		loopback bool
	}{
		{"127.0.0.1:8045", true},
		{"127.1.2.3:8045", true},
		{"[::1]:8045", true},
		{"localhost:8045", true},
		{"LocalHost:8045", true},
		{":8045", false},
		{"0.0.0.0:8045", false},
		{"[::]:8045", false},
		{"10.0.0.1:8045", false},
		{"gateway.internal:8045", false},
		{"not-an-address", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if got := (Config{ListenAddr: tt.addr}).Loopback(); got != tt.loopback {
				t.Errorf("Loopback() for %q = %v; want %v", tt.addr, got, tt.loopback)
			}
			if tt.addr == "not-an-address" {
				return
			}
			setEnv(t, map[string]string{"SWITCHYARD_LISTEN_ADDR": tt.addr})
			_, err := Load()
			if gotOK := err == nil; gotOK != tt.loopback {
				t.Errorf("Load() with no keys on %q: error %v; want success = %v", tt.addr, err, tt.loopback)
			}
		})
	}
}

func TestValidateConfigBuiltInCode(t *testing.T) {
	valid := Config{
		ListenAddr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0", RedisFailureMode: FailOpen,
		SchedulingMode: "performancefirst", MaxWait: 0, StickyTTL: time.Hour, LastUsedWindow: time.Minute,
		MaxAttempts: 1, MaxBodyBytes: MiB, LogLevel: "warn", LogFormat: "text",
		ConnectTimeout: time.Second, ResponseHeaderTimeout: time.Second, FirstEventTimeout: time.Second, JSONHeaderTimeout: time.Second,
		IdleTimeout: time.Second, RequestTimeout: time.Second, KeepAliveInterval: time.Second,
		ShutdownGrace: time.Second,
	}
	if err := valid.Validate(); err != nil {
		t.Errorf("Validate() = %v; want nil", err)
	}
	err := Config{}.Validate()
	got := errLines(err)
	wantFirst := []string{
		`SWITCHYARD_LISTEN_ADDR: must be host:port, got ""`,
		`SWITCHYARD_ADMIN_ADDR: must be host:port, got ""`,
		`SWITCHYARD_REDIS_FAILURE_MODE: must be open or closed, got ""`,
	}
	if len(got) < len(wantFirst) || !slices.Equal(got[:len(wantFirst)], wantFirst) {
		t.Errorf("Config{}.Validate() lines = %q; want them to start with %q", got, wantFirst)
	}
	if len(got) != 18 {
		t.Errorf("Config{}.Validate() reported %d problems; want 18:\n%s", len(got), strings.Join(got, "\n"))
	}
}

func TestRedisNamespaceValidated(t *testing.T) {
	for _, tt := range []struct {
		ns string
		ok bool
	}{{"", true}, {"team-a_1", true}, {strings.Repeat("n", 32), true}, {strings.Repeat("n", 33), false}, {"a}b", false}, {"a:b", false}} {
		setEnv(t, map[string]string{"SWITCHYARD_REDIS_NAMESPACE": tt.ns, "SWITCHYARD_API_KEYS": "k1"})
		c, err := Load()
		if gotOK := err == nil; gotOK != tt.ok {
			t.Errorf("SWITCHYARD_REDIS_NAMESPACE=%q: error %v; want success = %v", tt.ns, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "SWITCHYARD_REDIS_NAMESPACE") {
			t.Errorf("error %q does not name the setting", err)
		}
		if err == nil && c.RedisNamespace != tt.ns {
			t.Errorf("RedisNamespace = %q; want %q", c.RedisNamespace, tt.ns)
		}
	}
}
