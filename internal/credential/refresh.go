package credential

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"

	"github.com/switchyard-gw/switchyard/internal/account"
)

// ErrInvalidGrant means the provider refused the refresh token for good
// (revoked, expired, account deleted): the account cannot serve until an
// operator gives it new credentials.
var ErrInvalidGrant = errors.New("invalid_grant: refresh token revoked or expired")

// ErrRefresh is any other failure to obtain an access token (endpoint down,
// timeout, wrong client, malformed answer). It may clear by itself.
var ErrRefresh = errors.New("oauth token refresh failed")

// Failure codes recorded in the shared store for other replicas.
const (
	codeInvalidGrant = "invalid_grant"
	codeFailed       = "failed"
)

// refreshed is the result of one call to the token endpoint.
type refreshed struct {
	access string
	life   time.Duration // remaining lifetime, measured from the end of the call
	// rotated is the new refresh token when the provider rotated it, else "".
	rotated string
}

// Bounds on the lifetime the provider announces.
const (
	defaultLifetime = time.Hour // the provider gave no expires_in
	minLifetime     = time.Second
	maxLifetime     = 24 * time.Hour
)

// refresh exchanges the refresh token rt for an access token at a's token
// endpoint (client credentials in the form body, as Google expects).
func refresh(ctx context.Context, hc *http.Client, a *account.Account, rt string) (refreshed, error) {
	if rt == "" {
		return refreshed{}, fmt.Errorf("account %s: %w: no refresh token", a.ID, ErrRefresh)
	}
	cfg := &oauth2.Config{
		ClientID:     a.OAuth.ClientID,
		ClientSecret: a.OAuth.ClientSecret.Reveal(),
		Endpoint:     oauth2.Endpoint{TokenURL: a.OAuth.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
	}
	if hc != nil {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, hc)
	}
	start := time.Now()
	tok, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: rt}).Token()
	if err != nil {
		return refreshed{}, fmt.Errorf("account %s: %w", a.ID, safeError(err))
	}
	life := defaultLifetime
	switch {
	case tok.ExpiresIn > 0:
		life = time.Duration(tok.ExpiresIn)*time.Second - time.Since(start)
	case !tok.Expiry.IsZero():
		life = time.Until(tok.Expiry)
	}
	life = min(max(life, minLifetime), maxLifetime)
	out := refreshed{access: tok.AccessToken, life: life}
	if tok.RefreshToken != "" && tok.RefreshToken != rt {
		out.rotated = tok.RefreshToken
	}
	return out, nil
}

// safeError turns an oauth2 failure into ErrInvalidGrant or ErrRefresh with a
// detail that cannot echo a secret: the RFC 6749 error code (sanitised), the
// HTTP status, or the kind of transport failure; never the response body, the
// error description or the token URL.
func safeError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		switch {
		case re.ErrorCode == codeInvalidGrant:
			return ErrInvalidGrant
		case re.ErrorCode != "":
			return fmt.Errorf("%w: token endpoint answered error %s", ErrRefresh, safeCode(re.ErrorCode))
		case re.Response != nil:
			return fmt.Errorf("%w: token endpoint answered %d", ErrRefresh, re.Response.StatusCode)
		}
		return fmt.Errorf("%w: token endpoint refused the request", ErrRefresh)
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("%w: token endpoint timed out", ErrRefresh)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%w: %w", ErrRefresh, context.Canceled)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%w: token endpoint unreachable", ErrRefresh)
	}
	// oauth2's own messages ("server response missing access_token", "cannot
	// parse json: …") may quote the body: keep only that the answer was unusable.
	return fmt.Errorf("%w: unusable answer from the token endpoint", ErrRefresh)
}

// safeCode keeps an error code only if it looks like one (RFC 6749 limits it
// to printable ASCII; real codes are short snake_case words).
func safeCode(code string) string {
	if len(code) > 40 {
		return "(unrecognised)"
	}
	for _, c := range code {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return "(unrecognised)"
		}
	}
	return code
}

// failureCode is the code recorded in the shared store for a failed refresh.
func failureCode(err error) string {
	if errors.Is(err, ErrInvalidGrant) {
		return codeInvalidGrant
	}
	return codeFailed
}

// failureError is the error a replica reports for a failure another replica
// recorded moments ago.
func failureError(id, code string) error {
	if code == codeInvalidGrant {
		return fmt.Errorf("account %s: %w", id, ErrInvalidGrant)
	}
	return fmt.Errorf("account %s: %w: failed moments ago on another replica", id, ErrRefresh)
}

// fingerprint identifies an account's credentials without revealing them, so
// a token or rotated refresh token obtained with other credentials (the
// accounts file changed) is never used.
func fingerprint(o *account.OAuth) string {
	h := sha256.New()
	for _, s := range []string{o.TokenURL, o.ClientID, o.ClientSecret.Reveal(), o.RefreshToken.Reveal()} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}
