package fakeupstream

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Google's OAuth endpoints as Code Assist accounts use them (protocols.md
// §3.9): the authorization endpoint of the login flow (it signs the user in
// at once and redirects with a code), the token endpoint (authorization code
// with PKCE, refresh token; refused refresh tokens get invalid_grant; every
// refresh issues a new access token) and userinfo.

// authCode is an authorization code waiting to be exchanged.
type authCode struct {
	email, redirect, challenge, clientID string
}

// SetCodeAssistLogin sets the user an email signs in as through the
// authorization endpoint (login_hint); other emails sign in as a legacy-tier
// user.
func (s *Server) SetCodeAssistLogin(email string, u CodeAssistUser) {
	s.ca.mu.Lock()
	defer s.ca.mu.Unlock()
	cp := u
	cp.Email = email
	s.ca.users["login:"+email] = &cp
}

// SetOAuthClient registers an OAuth client: once one is registered, the
// authorization and token endpoints refuse other client ids, and the token
// endpoint a wrong secret, with 401 invalid_client as Google does. Until
// then any client id is taken.
func (s *Server) SetOAuthClient(id, secret string) {
	s.ca.mu.Lock()
	defer s.ca.mu.Unlock()
	s.ca.clients[id] = secret
}

// clientKnown reports whether the authorization endpoint takes a client id.
func (c *codeAssistState) clientKnown(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.clients[id]
	return ok || len(c.clients) == 0
}

func (s *Server) googleRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /o/oauth2/v2/auth", s.handleGoogleAuth)
	m.HandleFunc("POST /token", s.handleGoogleToken)
	m.HandleFunc("GET /oauth2/v2/userinfo", s.handleGoogleUserinfo)
}

// handleGoogleAuth signs the user in (login_hint, else operator@example.com)
// and redirects to the loopback redirect_uri with a code.
func (s *Server) handleGoogleAuth(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("client_id") == "" || !s.ca.clientKnown(q.Get("client_id")):
		http.Error(w, "Error 401: invalid_client. The OAuth client was not found.", http.StatusUnauthorized)
		return
	case err != nil || redirect.Scheme == "" || q.Get("redirect_uri") == "":
		http.Error(w, "Error 400: redirect_uri_mismatch", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code":
		http.Error(w, "Error 400: unsupported_response_type", http.StatusBadRequest)
		return
	case q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		http.Error(w, "Error 400: invalid_request. Missing PKCE code_challenge (S256).", http.StatusBadRequest)
		return
	case !strings.Contains(q.Get("scope"), "https://www.googleapis.com/auth/cloud-platform"):
		http.Error(w, "Error 400: invalid_scope", http.StatusBadRequest)
		return
	}
	email := q.Get("login_hint")
	if email == "" {
		email = "operator@example.com"
	}
	code := "4/0fake-" + randomHex(12)
	s.ca.mu.Lock()
	s.ca.codes[code] = authCode{email: email, redirect: q.Get("redirect_uri"), challenge: q.Get("code_challenge"), clientID: q.Get("client_id")}
	s.ca.mu.Unlock()
	rq := redirect.Query()
	rq.Set("code", code)
	rq.Set("state", q.Get("state"))
	rq.Set("scope", q.Get("scope"))
	redirect.RawQuery = rq.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func tokenError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(mustJSON(map[string]string{"error": code, "error_description": desc}))
}

func (s *Server) handleGoogleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request", "Could not read the form.")
		return
	}
	f := r.PostForm
	if f.Get("client_id") == "" {
		tokenError(w, http.StatusUnauthorized, "invalid_client", "The OAuth client was not found.")
		return
	}
	c := s.ca
	c.mu.Lock()
	defer c.mu.Unlock()
	if secret, ok := c.clients[f.Get("client_id")]; len(c.clients) > 0 && !ok {
		tokenError(w, http.StatusUnauthorized, "invalid_client", "The OAuth client was not found.")
		return
	} else if ok && secret != f.Get("client_secret") {
		tokenError(w, http.StatusUnauthorized, "invalid_client", "Unauthorized")
		return
	}
	var refresh, email string
	switch f.Get("grant_type") {
	case "authorization_code":
		ac, ok := c.codes[f.Get("code")]
		delete(c.codes, f.Get("code"))
		sum := sha256.Sum256([]byte(f.Get("code_verifier")))
		switch {
		case !ok:
			tokenError(w, http.StatusBadRequest, "invalid_grant", "Malformed auth code.")
			return
		case ac.redirect != f.Get("redirect_uri") || ac.clientID != f.Get("client_id"):
			tokenError(w, http.StatusBadRequest, "redirect_uri_mismatch", "Bad Request")
			return
		case base64.RawURLEncoding.EncodeToString(sum[:]) != ac.challenge:
			tokenError(w, http.StatusBadRequest, "invalid_grant", "Invalid code verifier.")
			return
		}
		refresh, email = "1//0fake-"+randomHex(16), ac.email
		u := CodeAssistUser{Tier: TierLegacy}
		if preset, ok := c.users["login:"+email]; ok {
			u = *preset
		}
		u.Email = email
		c.users[refresh] = &u
	case "refresh_token":
		refresh = f.Get("refresh_token")
		if refresh == "" || strings.HasPrefix(refresh, revokedPrefix) || c.revoked[refresh] {
			tokenError(w, http.StatusBadRequest, "invalid_grant", "Token has been expired or revoked.")
			return
		}
		email = c.userLocked(refresh).Email
	default:
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type: "+f.Get("grant_type"))
		return
	}
	c.issued++
	access := fmt.Sprintf("ya29.fake-%d-%s", c.issued, randomHex(6))
	c.access[access] = accessGrant{refresh: refresh, expires: time.Now().Add(c.lifetime)}
	body := map[string]any{
		"access_token": access, "expires_in": int(c.lifetime.Seconds()), "token_type": "Bearer",
		"scope":    "https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/userinfo.email openid https://www.googleapis.com/auth/userinfo.profile",
		"id_token": idToken(email, time.Now()),
	}
	if f.Get("grant_type") == "authorization_code" {
		body["refresh_token"] = refresh
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(mustJSON(body))
}

// idToken is an unsigned JWT naming the user (clients only read it).
func idToken(email string, now time.Time) string {
	enc := base64.RawURLEncoding
	head, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT"})
	claims, _ := json.Marshal(map[string]any{"iss": "https://accounts.google.com", "email": email, "email_verified": true,
		"sub": shortHash(email), "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	return enc.EncodeToString(head) + "." + enc.EncodeToString(claims) + ".ZmFrZS1zaWduYXR1cmU"
}

func (s *Server) handleGoogleUserinfo(w http.ResponseWriter, r *http.Request) {
	tok, _ := bearer(r.Header.Get("Authorization"))
	_, u, refused := s.ca.userOf(tok)
	w.Header().Set("Content-Type", "application/json")
	if refused != "" {
		body := unauthenticated(w.Header(), refused, "")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write(body)
		return
	}
	_, _ = w.Write(mustJSON(map[string]any{"id": shortHash(u.Email), "email": u.Email, "verified_email": true}))
}
