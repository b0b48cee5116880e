package console_test

import (
	"strings"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/console"
)

func TestReadConfig(t *testing.T) {
	for _, tc := range []struct {
		env, want string
		problem   bool
	}{
		{"", "", false},
		{"   ", "", false},
		{"http://jaeger:16686", "http://jaeger:16686", false},
		{"http://jaeger:16686/", "http://jaeger:16686", false},
		{" https://tracing.example.com/jaeger/?x=1#frag ", "https://tracing.example.com/jaeger", false},
		{"jaeger:16686", "", true},
		{"ftp://jaeger", "", true},
		{"javascript:alert(1)", "", true},
		{"http://user:secret@jaeger:16686", "", true},
		{"http://", "", true},
		{"http://bad host/", "", true},
	} {
		c := console.ReadConfig(func(k string) (string, bool) {
			return tc.env, k == console.EnvJaegerURL && tc.env != ""
		})
		if c.JaegerURL != tc.want || (len(c.Problems) > 0) != tc.problem {
			t.Errorf("%s=%q: jaeger_url %q, problems %q; want %q, problem %v", console.EnvJaegerURL, tc.env, c.JaegerURL, c.Problems, tc.want, tc.problem)
		}
		for _, p := range c.Problems {
			if !strings.HasPrefix(p, console.EnvJaegerURL) || strings.Contains(p, "secret") {
				t.Errorf("problem %q should name the variable and never echo the value", p)
			}
		}
		if c.Problems == nil {
			t.Errorf("problems must encode as [], not null")
		}
	}
}
