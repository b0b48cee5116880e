package server

import (
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

// MaxModelLength bounds the model a client may name. The model reaches the
// request log, scheduler keys, log lines, span attributes and a response
// header, so it is checked before any of them sees it.
const MaxModelLength = 256

// checkModel refuses a model name that is too long or holds characters no
// provider's model names use.
func checkModel(m string) *llm.Error {
	if len(m) > MaxModelLength {
		return llm.Errorf(llm.KindInvalidRequest, "model name is %d bytes long; at most %d are allowed", len(m), MaxModelLength)
	}
	for i := 0; i < len(m); i++ {
		if !modelByte(m[i]) {
			return llm.Errorf(llm.KindInvalidRequest, "model name may hold only letters, digits and . _ - : / @ +")
		}
	}
	return nil
}

func modelByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("._-:/@+", c) >= 0
}

// jsonMediaType reports whether a Content-Type names JSON: application/json
// or a +json type, parameters allowed. "text/plain;x=json", which a browser
// sends without a preflight, is not JSON.
func jsonMediaType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// browserGuard protects a gateway without client keys (allowed on loopback
// only) from web pages: any page a developer opens could otherwise drive it
// with simple requests, or reach it through DNS rebinding. Requests from
// another origin, to a host name that is not loopback, or without a JSON
// content type are refused.
func browserGuard(r *http.Request) *llm.Error {
	if o := r.Header.Get("Origin"); o != "" && !loopbackOrigin(o) {
		return llm.Errorf(llm.KindPermission, "cross-origin browser requests are refused: this gateway has no client keys configured")
	}
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return llm.Errorf(llm.KindPermission, "cross-site browser requests are refused: this gateway has no client keys configured")
	}
	if !loopbackHost(r.Host) {
		return llm.Errorf(llm.KindPermission, "this gateway has no client keys and answers only loopback host names")
	}
	return nil
}

func loopbackOrigin(o string) bool {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false // includes the opaque origin "null"
	}
	return loopbackHost(u.Host)
}

func loopbackHost(hostport string) bool {
	h := hostport
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		h = host
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if strings.EqualFold(h, "localhost") || strings.HasSuffix(strings.ToLower(h), ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// InFlightLimits bound the requests one replica serves at once: in all, and
// per client key. Zero means no limit.
type InFlightLimits struct {
	Global int64
	PerKey int64
}

// inFlight counts requests being served, in all and per client key. Keys are
// the configured ones (or "anonymous"), so the map stays bounded.
type inFlight struct {
	limits InFlightLimits
	total  atomic.Int64
	perKey sync.Map // key id -> *atomic.Int64
}

// busyRetryAfter is the Retry-After of an answer refused for load.
const busyRetryAfter = time.Second

// acquire counts one request of key in, or says why it cannot be served.
func (f *inFlight) acquire(key string) (release func(), e *llm.Error) {
	n := f.total.Add(1)
	if f.limits.Global > 0 && n > f.limits.Global {
		f.total.Add(-1)
		e := llm.Errorf(llm.KindUnavailable, "the gateway is serving its limit of %d requests at once; retry shortly", f.limits.Global)
		e.RetryAfter = busyRetryAfter
		return nil, e
	}
	if f.limits.PerKey <= 0 {
		return func() { f.total.Add(-1) }, nil
	}
	v, ok := f.perKey.Load(key)
	if !ok {
		v, _ = f.perKey.LoadOrStore(key, new(atomic.Int64))
	}
	c := v.(*atomic.Int64)
	if c.Add(1) > f.limits.PerKey {
		c.Add(-1)
		f.total.Add(-1)
		e := llm.Errorf(llm.KindRateLimit, "this client key already has %d requests in flight, its limit; retry when one ends", f.limits.PerKey)
		e.RetryAfter = busyRetryAfter
		return nil, e
	}
	return func() { c.Add(-1); f.total.Add(-1) }, nil
}

// limit admits a request of the authenticated client key or answers 503
// (replica at its limit) or 429 (key at its limit) in the client's protocol.
func (s *Server) limit(p llm.Protocol) gin.HandlerFunc {
	return func(c *gin.Context) {
		release, e := s.inflight.acquire(c.GetString("scope"))
		if e != nil {
			s.writeError(c.Writer, p, e)
			c.Abort()
			return
		}
		defer release()
		c.Next()
	}
}

// clip bounds a client-controlled string before it reaches a log line or an
// error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
