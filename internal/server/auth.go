package server

import (
	"net/http"
	"strings"

	"github.com/switchyard-gw/switchyard/internal/clientkey"
)

// KeySource is the live set of client keys (environment, keys file, admin
// API), re-read in the background.
type KeySource interface {
	Current() *clientkey.Set
}

// presentedKey finds the client credential in every place the three SDKs put it.
func presentedKey(r *http.Request) string {
	if a := r.Header.Get("Authorization"); a != "" {
		if len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
			return strings.TrimSpace(a[7:])
		}
	}
	if v := r.Header.Get("x-api-key"); v != "" {
		return v
	}
	if v := r.Header.Get("x-goog-api-key"); v != "" {
		return v
	}
	return r.URL.Query().Get("key")
}
