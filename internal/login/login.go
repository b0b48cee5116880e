// Package login implements `switchyard login google`: it signs a Google
// account in with the operator's own OAuth client (authorization code flow
// with PKCE and a loopback redirect, or a code pasted from another machine),
// reads the account's email, discovers its Code Assist project and tier, and
// prints a ready codeassist entry for the accounts file with the refresh
// token as a ${VAR} reference, and, separately, the value to store in the
// Secret that provides that variable.
package login

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/codeassist"
)

// Google's endpoints and the scopes Code Assist needs.
const (
	defaultAuthURL     = "https://accounts.google.com/o/oauth2/v2/auth"
	defaultUserinfoURL = "https://www.googleapis.com/oauth2/v2/userinfo"
	defaultCodeAssist  = "https://cloudcode-pa.googleapis.com"
	callbackPath       = "/oauth2callback"
)

// Scopes are the OAuth scopes of a Code Assist sign-in.
var Scopes = []string{
	"https://www.googleapis.com/auth/cloud-platform",
	"https://www.googleapis.com/auth/userinfo.email",
	"https://www.googleapis.com/auth/userinfo.profile",
}

// Env is what the command gets from its process.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	LookupEnv      func(string) (string, bool)
	// Browse opens the authorization URL in a browser; nil or an error
	// leaves it to the operator (the URL is always printed).
	Browse func(url string) error
	HTTP   *http.Client // [http.DefaultClient]
}

// options are the command's flags.
type options struct {
	clientID, clientSecret                     string
	authURL, tokenURL, codeAssistURL, userinfo string
	project, id, envVar, listen                string
	noBrowser                                  bool
	timeout                                    time.Duration
}

// Main runs `switchyard login <args>` and returns the exit code: 0 done,
// 1 failed, 2 bad usage.
func Main(ctx context.Context, args []string, env Env) int {
	if env.LookupEnv == nil {
		env.LookupEnv = func(string) (string, bool) { return "", false }
	}
	if env.HTTP == nil {
		env.HTTP = http.DefaultClient
	}
	if len(args) == 0 || args[0] != "google" {
		fmt.Fprintln(env.Stderr, "usage: switchyard login google [--client-id ID --client-secret SECRET] [--no-browser] [--project P] [--id ACCOUNT_ID]")
		return 2
	}
	o, err := parseFlags(args[1:], env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "switchyard login google: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	if err := run(ctx, o, env); err != nil {
		fmt.Fprintf(env.Stderr, "switchyard login google: %v\n", err)
		return 1
	}
	return 0
}

func parseFlags(args []string, env Env) (options, error) {
	var o options
	fs := flag.NewFlagSet("switchyard login google", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.StringVar(&o.clientID, "client-id", "", "OAuth client id (Desktop app); default $SWITCHYARD_GOOGLE_CLIENT_ID")
	fs.StringVar(&o.clientSecret, "client-secret", "", "OAuth client secret; default $SWITCHYARD_GOOGLE_CLIENT_SECRET")
	fs.BoolVar(&o.noBrowser, "no-browser", false, "print the URL and read the code (or the redirected URL) from stdin")
	fs.StringVar(&o.authURL, "auth-url", defaultAuthURL, "authorization endpoint")
	fs.StringVar(&o.tokenURL, "token-url", account.GoogleTokenURL, "token endpoint")
	fs.StringVar(&o.codeAssistURL, "codeassist-url", defaultCodeAssist, "Code Assist API root")
	fs.StringVar(&o.userinfo, "userinfo-url", defaultUserinfoURL, "userinfo endpoint (when the token has no id_token)")
	fs.StringVar(&o.project, "project", "", "Google Cloud project (needed by the standard tier; the free tier gets one)")
	fs.StringVar(&o.id, "id", "", "account id in the pool (default: google-<email name>)")
	fs.StringVar(&o.envVar, "env", "", "variable holding the refresh token (default: GOOGLE_REFRESH_TOKEN_<ID>)")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:0", "loopback address of the redirect listener")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "how long to wait for the sign-in")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.clientID == "" {
		o.clientID, _ = env.LookupEnv("SWITCHYARD_GOOGLE_CLIENT_ID")
	}
	if o.clientSecret == "" {
		o.clientSecret, _ = env.LookupEnv("SWITCHYARD_GOOGLE_CLIENT_SECRET")
	}
	if o.clientID == "" {
		return o, errors.New("no OAuth client: pass --client-id/--client-secret or set SWITCHYARD_GOOGLE_CLIENT_ID/_SECRET (see the README: a Desktop app client)")
	}
	if o.id != "" && !validID(o.id) {
		return o, fmt.Errorf("--id %q: use letters, digits, '.', '_' or '-'", o.id)
	}
	return o, nil
}

func run(ctx context.Context, o options, env Env) error {
	cfg := &oauth2.Config{
		ClientID: o.clientID, ClientSecret: o.clientSecret, Scopes: Scopes,
		Endpoint: oauth2.Endpoint{AuthURL: o.authURL, TokenURL: o.tokenURL, AuthStyle: oauth2.AuthStyleInParams},
	}
	verifier := oauth2.GenerateVerifier()
	state := randomState()
	var code string
	var err error
	if o.noBrowser {
		code, err = pastedCode(ctx, cfg, o, env, state, verifier)
	} else {
		code, err = loopbackCode(ctx, cfg, o, env, state, verifier)
	}
	if err != nil {
		return err
	}
	tok, err := cfg.Exchange(context.WithValue(ctx, oauth2.HTTPClient, env.HTTP), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return fmt.Errorf("exchange the code: %w", safeOAuthError(err))
	}
	if tok.RefreshToken == "" {
		return errors.New("Google returned no refresh token (revoke the app's access at https://myaccount.google.com/permissions and sign in again)") //nolint:staticcheck // ST1005: starts with a proper noun
	}
	email, err := emailOf(ctx, env.HTTP, o.userinfo, tok)
	if err != nil {
		return err
	}
	id := o.id
	if id == "" {
		id = defaultID(email)
	}
	a := &account.Account{ID: id, Email: email, Provider: account.CodeAssist, BaseURL: strings.TrimRight(o.codeAssistURL, "/"),
		Project: o.project, Tier: account.Free, TierAuto: true,
		OAuth: &account.OAuth{TokenURL: o.tokenURL, ClientID: o.clientID, ClientSecret: account.Secret(o.clientSecret),
			RefreshToken: account.Secret(tok.RefreshToken)}}
	fmt.Fprintf(env.Stderr, "Signed in as %s; asking Code Assist for the project and tier…\n", email)
	svc := codeassist.New(nil, codeassist.Options{HTTP: env.HTTP, Tokens: fixedToken(tok.AccessToken), UserAgent: "switchyard-login"})
	info, err := svc.Info(ctx, a)
	if err != nil {
		var ref *codeassist.Refusal
		if errors.As(err, &ref) {
			hint := ""
			if bytes.Contains(ref.Body, []byte("SERVICE_DISABLED")) {
				hint = " (the OAuth client's project cannot call Code Assist: see the README, Google accounts)"
			}
			return fmt.Errorf("Code Assist refused the account (%d): %s%s", ref.Status, errorMessage(ref.Body), hint) //nolint:staticcheck // ST1005: starts with a proper noun
		}
		return fmt.Errorf("discover the Code Assist project: %w", err)
	}
	envVar := o.envVar
	if envVar == "" {
		envVar = "GOOGLE_REFRESH_TOKEN_" + envName(id)
	}
	printEntry(env.Stdout, a, info, envVar, tok.RefreshToken, o.clientSecret != "")
	return nil
}

// printEntry writes the accounts file entry and, separately, the Secret value.
func printEntry(w io.Writer, a *account.Account, info codeassist.Info, envVar, refresh string, hasSecret bool) {
	fmt.Fprintf(w, "# Accounts file entry (SWITCHYARD_ACCOUNTS_FILE):\n")
	fmt.Fprintf(w, "  - id: %s\n    email: %s\n    provider: codeassist\n", a.ID, yamlString(a.Email))
	if a.BaseURL != defaultCodeAssist {
		fmt.Fprintf(w, "    base_url: %s\n", yamlString(a.BaseURL))
	}
	fmt.Fprintf(w, "    oauth:\n")
	if a.OAuth.TokenURL != account.GoogleTokenURL {
		fmt.Fprintf(w, "      token_url: %s\n", yamlString(a.OAuth.TokenURL))
	}
	fmt.Fprintf(w, "      client_id: %s\n", yamlString(a.OAuth.ClientID))
	if hasSecret {
		fmt.Fprintf(w, "      client_secret: ${GOOGLE_OAUTH_CLIENT_SECRET}\n")
	}
	fmt.Fprintf(w, "      refresh_token: ${%s}\n", envVar)
	fmt.Fprintf(w, "    project: %s    # Code Assist project (tier %s -> %s, read from Code Assist; set tier: to pin it)\n",
		yamlString(info.Project), info.TierID, info.Tier)
	fmt.Fprintf(w, "\n# Secret (the gateway's environment), never in the accounts file itself:\n")
	fmt.Fprintf(w, "%s=%s\n", envVar, refresh)
	if hasSecret {
		fmt.Fprintf(w, "GOOGLE_OAUTH_CLIENT_SECRET=<the OAuth client secret you signed in with>\n")
	}
}

// loopbackCode listens on a loopback port, sends the operator to Google and
// waits for the redirect.
func loopbackCode(ctx context.Context, cfg *oauth2.Config, o options, env Env, state, verifier string) (string, error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", o.listen)
	if err != nil {
		return "", fmt.Errorf("listen for the redirect: %w", err)
	}
	defer ln.Close()
	cfg.RedirectURL = "http://" + ln.Addr().String() + callbackPath
	type result struct {
		code string
		err  error
	}
	got := make(chan result, 1)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != callbackPath {
			http.NotFound(w, r)
			return
		}
		code, err := codeFrom(r.URL.Query(), state)
		if err != nil {
			http.Error(w, "Sign-in failed: "+err.Error(), http.StatusBadRequest)
		} else {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = io.WriteString(w, "<!doctype html><title>Switchyard</title><p>Signed in. You can close this window and return to the terminal.</p>")
		}
		select {
		case got <- result{code, err}:
		default:
		}
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	u := authURL(cfg, state, verifier)
	fmt.Fprintf(env.Stderr, "Open this URL in a browser and sign in with the Google account to add:\n\n  %s\n\n", u)
	if env.Browse != nil {
		if err := env.Browse(u); err != nil {
			fmt.Fprintf(env.Stderr, "(could not open a browser: %v)\n", err)
		}
	}
	select {
	case r := <-got:
		return r.code, r.err
	case <-ctx.Done():
		return "", fmt.Errorf("no sign-in within the time allowed: %w", ctx.Err())
	}
}

// pastedCode prints the URL and reads the code, or the whole redirected URL,
// from stdin (for a machine without a browser).
func pastedCode(ctx context.Context, cfg *oauth2.Config, o options, env Env, state, verifier string) (string, error) {
	host := o.listen
	if strings.HasSuffix(host, ":0") {
		host = strings.TrimSuffix(host, ":0") + ":8085"
	}
	cfg.RedirectURL = "http://" + host + callbackPath
	u := authURL(cfg, state, verifier)
	fmt.Fprintf(env.Stderr, "Open this URL in a browser on any machine and sign in:\n\n  %s\n\n"+
		"The browser then fails to load http://%s…: copy that whole address (or its code= value) and paste it here:\n", u, host)
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(env.Stdin)
		sc.Buffer(make([]byte, 64<<10), 64<<10)
		for sc.Scan() {
			if s := strings.TrimSpace(sc.Text()); s != "" {
				lines <- s
				return
			}
		}
		close(lines)
	}()
	select {
	case s, ok := <-lines:
		if !ok {
			return "", errors.New("no code on stdin")
		}
		if !strings.Contains(s, "://") && !strings.Contains(s, "code=") {
			return s, nil
		}
		if i := strings.Index(s, "?"); i >= 0 {
			s = s[i+1:]
		}
		q, err := url.ParseQuery(s)
		if err != nil {
			return "", errors.New("the pasted address is not a redirect URL")
		}
		return codeFrom(q, state)
	case <-ctx.Done():
		return "", fmt.Errorf("no code within the time allowed: %w", ctx.Err())
	}
}

func authURL(cfg *oauth2.Config, state, verifier string) string {
	return cfg.AuthCodeURL(state, oauth2.AccessTypeOffline, oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("prompt", "consent"))
}

// codeFrom reads the redirect's code after checking its state.
func codeFrom(q url.Values, state string) (string, error) {
	if e := q.Get("error"); e != "" {
		return "", fmt.Errorf("Google answered %s", safeWord(e)) //nolint:staticcheck // ST1005: starts with a proper noun
	}
	if q.Get("state") != state {
		return "", errors.New("the redirect's state does not match this sign-in")
	}
	if q.Get("code") == "" {
		return "", errors.New("the redirect carries no code")
	}
	return q.Get("code"), nil
}

// emailOf reads the account's email from the id_token, else from userinfo.
func emailOf(ctx context.Context, hc *http.Client, userinfo string, tok *oauth2.Token) (string, error) {
	if idt, ok := tok.Extra("id_token").(string); ok {
		if parts := strings.Split(idt, "."); len(parts) == 3 {
			if payload, err := base64.RawURLEncoding.DecodeString(parts[1]); err == nil {
				var c struct {
					Email string `json:"email"`
				}
				if json.Unmarshal(payload, &c) == nil && c.Email != "" {
					return c.Email, nil
				}
			}
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, userinfo, nil)
	if err != nil {
		return "", fmt.Errorf("userinfo: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("userinfo: %w", err)
	}
	defer resp.Body.Close()
	var u struct {
		Email string `json:"email"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&u) != nil || u.Email == "" {
		return "", fmt.Errorf("userinfo answered %d without an email", resp.StatusCode)
	}
	return u.Email, nil
}

// fixedToken serves the access token of the sign-in to the discovery calls.
type fixedToken string

func (f fixedToken) AccessToken(context.Context, *account.Account) (string, error) {
	return string(f), nil
}

func randomState() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
