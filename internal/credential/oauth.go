// Package credential supplies upstream access tokens for refresh-token
// (OAuth) accounts, reusing each token until shortly before it expires.
package credential

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"golang.org/x/oauth2"

	"github.com/switchyard-gw/switchyard/internal/account"
)

// OAuth caches one token source per account and credential version.
type OAuth struct {
	http *http.Client
	mu   sync.Mutex
	srcs map[string]oauth2.TokenSource
}

// NewOAuth builds the token cache; refreshes go through hc.
func NewOAuth(hc *http.Client) *OAuth {
	return &OAuth{http: hc, srcs: map[string]oauth2.TokenSource{}}
}

// AccessToken returns a valid access token for a refresh-token account.
func (o *OAuth) AccessToken(ctx context.Context, a *account.Account) (string, error) {
	if a.OAuth == nil {
		return "", fmt.Errorf("account %s has no oauth credentials", a.ID)
	}
	key := a.ID + "\x00" + a.OAuth.TokenURL + "\x00" + a.OAuth.ClientID
	o.mu.Lock()
	src, ok := o.srcs[key]
	if !ok {
		cfg := &oauth2.Config{
			ClientID:     a.OAuth.ClientID,
			ClientSecret: a.OAuth.ClientSecret.Reveal(),
			Endpoint:     oauth2.Endpoint{TokenURL: a.OAuth.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
		}
		bg := context.WithValue(context.Background(), oauth2.HTTPClient, o.http)
		src = oauth2.ReuseTokenSource(nil, cfg.TokenSource(bg, &oauth2.Token{RefreshToken: a.OAuth.RefreshToken.Reveal()}))
		o.srcs[key] = src
	}
	o.mu.Unlock()
	tok, err := src.Token()
	if err != nil {
		return "", fmt.Errorf("refresh token of account %s: %w", a.ID, redact(err))
	}
	return tok.AccessToken, nil
}

// redact keeps the OAuth error code but drops bodies that could echo secrets.
func redact(err error) error {
	if re, ok := err.(*oauth2.RetrieveError); ok {
		if re.ErrorCode != "" {
			return fmt.Errorf("oauth error %s", re.ErrorCode)
		}
		return fmt.Errorf("oauth token endpoint answered %d", re.Response.StatusCode)
	}
	return err
}
