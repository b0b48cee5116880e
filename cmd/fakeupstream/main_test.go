package main

import (
	"strings"
	"testing"
)

func TestLoadConfigStrict(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cfg, err := loadConfig(env(map[string]string{"FAKEUPSTREAM_STRICT": "true"}))
	if err != nil || !cfg.opts.Strict {
		t.Fatalf("strict not set: %+v %v", cfg.opts, err)
	}
	cfg, err = loadConfig(env(nil))
	if err != nil || cfg.opts.Strict || cfg.addr != "127.0.0.1:8090" {
		t.Fatalf("defaults: %+v %v", cfg, err)
	}
	if _, err := loadConfig(env(map[string]string{"FAKEUPSTREAM_STRICT": "sometimes"})); err == nil ||
		!strings.Contains(err.Error(), "FAKEUPSTREAM_STRICT") {
		t.Fatalf("want an error naming the variable, got %v", err)
	}
}
