package console_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/console"
)

func serve(t *testing.T, h http.Handler, method, path string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := rec.Result()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func noEnv(string) (string, bool) { return "", false }

func TestServesThePageWithSecurityHeaders(t *testing.T) {
	h := console.Handler(noEnv)
	for path, ctype := range map[string]string{
		"/":                 "text/html; charset=utf-8",
		"/console.css":      "text/css; charset=utf-8",
		"/icon.svg":         "image/svg+xml",
		"/js/main.js":       "text/javascript; charset=utf-8",
		"/js/scheduling.js": "text/javascript; charset=utf-8",
		"/config.json":      "application/json; charset=utf-8",
	} {
		resp, body := serve(t, h, "GET", path, nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != ctype || body == "" {
			t.Errorf("GET %s: %d %q, %d bytes; want 200 %q", path, resp.StatusCode, resp.Header.Get("Content-Type"), len(body), ctype)
		}
		if got := resp.Header.Get("Content-Security-Policy"); got != console.ContentSecurityPolicy {
			t.Errorf("GET %s: CSP %q", path, got)
		}
		for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
			if got := resp.Header.Get(k); got != want {
				t.Errorf("GET %s: %s %q; want %q", path, k, got, want)
			}
		}
	}
	if _, body := serve(t, h, "GET", "/", nil); !strings.Contains(body, `<script type="module" src="js/main.js"></script>`) {
		t.Errorf("/ is not the page: %.200s", body)
	}
}

func TestCSPIsStrict(t *testing.T) {
	csp := console.ContentSecurityPolicy
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP lacks %q: %s", want, csp)
		}
	}
	for _, bad := range []string{"unsafe-inline", "unsafe-eval", "*", "data:", "http:", "https:"} {
		if strings.Contains(csp, bad) {
			t.Errorf("CSP allows %q: %s", bad, csp)
		}
	}
}

func TestRevalidatesWithETag(t *testing.T) {
	h := console.Handler(noEnv)
	resp, _ := serve(t, h, "GET", "/js/api.js", nil)
	etag := resp.Header.Get("ETag")
	if etag == "" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("ETag %q, Cache-Control %q", etag, resp.Header.Get("Cache-Control"))
	}
	if resp, body := serve(t, h, "GET", "/js/api.js", map[string]string{"If-None-Match": etag}); resp.StatusCode != 304 || body != "" {
		t.Errorf("revalidation: %d, %d bytes; want 304", resp.StatusCode, len(body))
	}
	if resp, _ := serve(t, h, "GET", "/config.json", nil); resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("config.json Cache-Control %q; want no-store", resp.Header.Get("Cache-Control"))
	}
}

func TestRefusesOtherPathsAndMethods(t *testing.T) {
	h := console.Handler(noEnv)
	for _, path := range []string{"/nope.js", "/js/", "/js", "/index.htm", "/../console.go", "/assets/index.html", "/console.go"} {
		resp, _ := serve(t, h, "GET", path, nil)
		if resp.StatusCode != 404 {
			t.Errorf("GET %s: %d; want 404", path, resp.StatusCode)
		}
		if resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("GET %s: no CSP on the error", path)
		}
	}
	if resp, _ := serve(t, h, "HEAD", "/js/main.js", nil); resp.StatusCode != 200 {
		t.Errorf("HEAD: %d", resp.StatusCode)
	}
	for _, m := range []string{"POST", "PUT", "DELETE"} {
		if resp, _ := serve(t, h, m, "/", nil); resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s /: %d Allow %q; want 405", m, resp.StatusCode, resp.Header.Get("Allow"))
		}
	}
}

func TestConfigJSONCarriesTheJaegerURL(t *testing.T) {
	env := func(v string) func(string) (string, bool) {
		return func(k string) (string, bool) { return v, k == console.EnvJaegerURL }
	}
	_, body := serve(t, console.Handler(env("https://jaeger.example.com:16686/ui/")), "GET", "/config.json", nil)
	if body != `{"jaeger_url":"https://jaeger.example.com:16686/ui","problems":[]}` {
		t.Errorf("config.json: %s", body)
	}
}
