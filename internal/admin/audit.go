package admin

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
)

// maxBodyBytes bounds an admin request body: every admin body is a small
// JSON object, and the listener must not read 50 MB of whitespace.
const maxBodyBytes = 1 << 20

// limitBody refuses a declared oversized body at once and cuts an undeclared
// one at the limit.
func limitBody(c *gin.Context) {
	if c.Request.ContentLength > maxBodyBytes {
		c.Header("Connection", "close")
		fail(c, http.StatusRequestEntityTooLarge, "admin request bodies are limited to 1 MiB")
		return
	}
	if c.Request.Body != nil {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxBodyBytes)
	}
	c.Next()
}

// optionalJSON decodes an optional JSON body into v. An empty body is fine;
// one cut at the limit gets 413, and one that is not JSON 400.
func optionalJSON(c *gin.Context, v any) bool {
	err := json.NewDecoder(c.Request.Body).Decode(v)
	var tooLarge *http.MaxBytesError
	switch {
	case err == nil, errors.Is(err, io.EOF):
		return true
	case errors.As(err, &tooLarge):
		fail(c, http.StatusRequestEntityTooLarge, "admin request bodies are limited to 1 MiB")
	default:
		fail(c, http.StatusBadRequest, "the body is not valid JSON")
	}
	return false
}

// auditTarget is the context key under which a handler names what it
// changed when the path does not say it (the fixed account, the mode).
const auditTarget = "audit_target"

// audit writes one log line for every admin call that may change state,
// refused ones included: who (a fingerprint of the admin key presented,
// never the key), what (method, path, target, status) and from where (the
// peer address; a forwarded-for header is reported separately, as a claim).
func (h *handlers) audit(c *gin.Context) {
	if c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead {
		c.Next()
		return
	}
	c.Next()
	attrs := []slog.Attr{
		slog.String("method", c.Request.Method),
		slog.String("path", clip(c.Request.URL.Path, 256)),
		slog.Int("status", c.Writer.Status()),
		slog.String("who", keyFingerprint(bearer(c))),
		slog.String("remote_addr", c.Request.RemoteAddr),
	}
	if t := c.GetString(auditTarget); t != "" {
		attrs = append(attrs, slog.String("target", clip(t, 256)))
	}
	if f := c.GetHeader("X-Forwarded-For"); f != "" {
		attrs = append(attrs, slog.String("forwarded_for", clip(f, 256)))
	}
	h.o.Log.LogAttrs(c.Request.Context(), slog.LevelInfo, "admin change", attrs...)
}

// keyFingerprint names a key without revealing it: the first 12 hex digits
// of its SHA-256, or "none".
func keyFingerprint(key string) string {
	if key == "" {
		return "none"
	}
	d := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(d[:6])
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
