package login

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
	"golang.org/x/oauth2"
)

// defaultID is google-<the email's local part>, reduced to an account id.
func defaultID(email string) string {
	local, _, _ := strings.Cut(strings.ToLower(email), "@")
	var b strings.Builder
	b.WriteString("google-")
	for _, c := range local {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
			b.WriteRune(c)
		default:
			b.WriteByte('-')
		}
	}
	id := b.String()
	if len(id) > 64 {
		id = id[:64]
	}
	return id
}

// validID mirrors the accounts file's rule for ids.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i, c := range id {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || (i > 0 && (c == '.' || c == '_' || c == '-'))
		if !ok {
			return false
		}
	}
	return true
}

// envName turns an account id into the tail of a variable name.
func envName(id string) string {
	var b strings.Builder
	for _, c := range strings.ToUpper(id) {
		if c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// yamlString quotes s for YAML when a plain scalar would be misread.
func yamlString(s string) string {
	if s == "" || strings.ContainsAny(s, ":#{}[],&*!|>'\"%@`") || strings.TrimSpace(s) != s {
		return strconv.Quote(s)
	}
	return s
}

// safeWord keeps an OAuth error code only if it looks like one.
func safeWord(s string) string {
	if len(s) > 40 {
		return "an error"
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return "an error"
		}
	}
	return s
}

// safeOAuthError keeps the OAuth error code of a refused exchange, never the
// response body.
func safeOAuthError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.ErrorCode != "" {
			return fmt.Errorf("token endpoint answered %s", safeWord(re.ErrorCode))
		}
		if re.Response != nil {
			return fmt.Errorf("token endpoint answered %d", re.Response.StatusCode)
		}
	}
	return errors.New("token endpoint unreachable or its answer unusable")
}

// errorMessage is a Google error body's message, shortened.
func errorMessage(body []byte) string {
	m := gjson.GetBytes(body, "error.message").Str
	if m == "" {
		m = gjson.GetBytes(body, "0.error.message").Str
	}
	if len(m) > 300 {
		m = m[:300] + "…"
	}
	if m == "" {
		return "no message"
	}
	return m
}
