package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLoadParseErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{
			name: "duration",
			env:  map[string]string{"SWITCHYARD_MAX_WAIT": "abc"},
			want: []string{`SWITCHYARD_MAX_WAIT: invalid duration "abc" (use Go syntax such as 500ms, 90s or 1h)`},
		},
		{
			name: "duration without unit",
			env:  map[string]string{"SWITCHYARD_STREAM_IDLE_TIMEOUT": "120"},
			want: []string{`SWITCHYARD_STREAM_IDLE_TIMEOUT: invalid duration "120" (use Go syntax such as 500ms, 90s or 1h)`},
		},
		{
			name: "integer",
			env:  map[string]string{"SWITCHYARD_MAX_ATTEMPTS": "three"},
			want: []string{`SWITCHYARD_MAX_ATTEMPTS: not an integer: "three"`},
		},
		{
			name: "float",
			env:  map[string]string{"SWITCHYARD_QUOTA_PROTECTION": "10%"},
			want: []string{`SWITCHYARD_QUOTA_PROTECTION: not a number: "10%"`},
		},
		{
			name: "bool",
			env:  map[string]string{"SWITCHYARD_REDIS_CLUSTER": "maybe"},
			want: []string{`SWITCHYARD_REDIS_CLUSTER: not a boolean: "maybe" (use true or false)`},
		},
		{
			name: "byte size",
			env:  map[string]string{"SWITCHYARD_MAX_BODY_BYTES": "32 bananas"},
			want: []string{`SWITCHYARD_MAX_BODY_BYTES: invalid size "32 bananas" (use bytes, or a number with KiB, MiB, GiB, KB, MB or GB)`},
		},
		{
			name: "every bad value is reported, each once",
			env: map[string]string{
				"SWITCHYARD_MAX_WAIT":     "soon",
				"SWITCHYARD_MAX_ATTEMPTS": "x",
				"SWITCHYARD_LOG_LEVEL":    "loud",
			},
			want: []string{
				`SWITCHYARD_MAX_WAIT: invalid duration "soon" (use Go syntax such as 500ms, 90s or 1h)`,
				`SWITCHYARD_MAX_ATTEMPTS: not an integer: "x"`,
				`SWITCHYARD_LOG_LEVEL: must be debug, info, warn or error, got "loud"`,
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
		})
	}
}

func TestLoadKeysFile(t *testing.T) {
	dir := t.TempDir()
	keysPath := filepath.Join(dir, "keys")
	content := "# team keys\nfile-1\n\n  file-2  \r\nenv-1\n   # indented comment\n"
	if err := os.WriteFile(keysPath, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		env      map[string]string
		wantKeys []string
		wantErr  []string
	}{
		{
			name:     "merged with env, env first, duplicates dropped",
			env:      map[string]string{"SWITCHYARD_LISTEN_ADDR": ":8045", "SWITCHYARD_API_KEYS": "env-1,env-2", "SWITCHYARD_API_KEYS_FILE": keysPath},
			wantKeys: []string{"env-1", "env-2", "file-1", "file-2"},
		},
		{
			name:     "file alone satisfies the key rule",
			env:      map[string]string{"SWITCHYARD_LISTEN_ADDR": ":8045", "SWITCHYARD_API_KEYS_FILE": keysPath},
			wantKeys: []string{"file-1", "file-2", "env-1"},
		},
		{
			name:    "unreadable file",
			env:     map[string]string{"SWITCHYARD_LISTEN_ADDR": ":8045", "SWITCHYARD_API_KEYS_FILE": filepath.Join(dir, "missing")},
			wantErr: []string{"SWITCHYARD_API_KEYS_FILE: read keys file: open " + filepath.Join(dir, "missing") + ": no such file or directory"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.env)
			c, err := Load()
			if got := errLines(err); !slices.Equal(got, tt.wantErr) {
				t.Fatalf("Load() error lines = %q; want %q", got, tt.wantErr)
			}
			if tt.wantErr == nil && !slices.Equal(c.APIKeys, tt.wantKeys) {
				t.Errorf("APIKeys = %q; want %q", c.APIKeys, tt.wantKeys)
			}
		})
	}
}
