package fakeupstream

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Code Assist (cloudcode-pa v1internal, protocols.md §3.8): the Gemini
// protocol in an envelope, for Google accounts signed in the way Gemini CLI's
// "Login with Google" does. Users are known by their refresh token; the
// access tokens the fake's token endpoint (google.go) issues lead back to it.

// ProviderCodeAssist is Record.Provider of Code Assist requests. Faults
// match them as gemini requests (Fault.Provider "gemini" or empty).
const ProviderCodeAssist = "codeassist"

// Code Assist tier ids.
const (
	TierFree     = "free-tier"
	TierLegacy   = "legacy-tier"
	TierStandard = "standard-tier"
)

// CodeAssistUser is how a Google user looks to Code Assist.
type CodeAssistUser struct {
	Email string `json:"email,omitempty"`
	// Tier is the current tier; "" means not onboarded yet: loadCodeAssist
	// names no current tier and onboardUser assigns the default allowed
	// tier (free-tier).
	Tier string `json:"tier,omitempty"`
	// PaidTier is the paid tier id loadCodeAssist names (e.g. g1-ultra-tier).
	PaidTier string `json:"paid_tier,omitempty"`
	// Project is the user's Cloud AI Companion project; "" gets one derived
	// from the refresh token.
	Project string `json:"project,omitempty"`
	// Models lists the models the tier has (exact ids); empty means all.
	// Others answer 404 NOT_FOUND.
	Models []string `json:"models,omitempty"`
	// Quota is the remaining fraction per model retrieveUserQuota reports
	// (models not listed: 1); at 0 the model answers 429 QUOTA_EXHAUSTED.
	Quota map[string]float64 `json:"quota,omitempty"`
	// VerifyRequired makes generate calls answer 403 VALIDATION_REQUIRED.
	VerifyRequired bool `json:"verify_required,omitempty"`
	// OnboardPolls is how many times the onboarding operation is read
	// unfinished before it is done (default 1).
	OnboardPolls int `json:"onboard_polls,omitempty"`
}

// codeAssistState holds the fake's Google users and their sign-ins.
type codeAssistState struct {
	mu       sync.Mutex
	users    map[string]*CodeAssistUser // refresh token -> user
	access   map[string]accessGrant     // access token -> its grant
	revoked  map[string]bool            // refresh tokens refused with invalid_grant
	ops      map[string]*onboardOp      // operation name -> operation
	codes    map[string]authCode        // authorization code -> grant
	clients  map[string]string          // OAuth client id -> secret; empty: any client
	issued   int
	lifetime time.Duration // of access tokens
}

// accessGrant is an issued access token: the refresh token it leads back to
// and when it expires. As at Google, a refresh does not end the access tokens
// issued before it; each one lives until its own expiry.
type accessGrant struct {
	refresh string
	expires time.Time
}

type onboardOp struct {
	refresh string
	left    int
}

func newCodeAssistState() *codeAssistState {
	return &codeAssistState{
		users: map[string]*CodeAssistUser{}, access: map[string]accessGrant{}, revoked: map[string]bool{},
		ops: map[string]*onboardOp{}, codes: map[string]authCode{}, clients: map[string]string{}, lifetime: time.Hour,
	}
}

// SetCodeAssistUser defines (or replaces) the user a refresh token signs in
// as. A refresh token the fake was never told about is a legacy-tier user.
func (s *Server) SetCodeAssistUser(refreshToken string, u CodeAssistUser) {
	s.ca.mu.Lock()
	defer s.ca.mu.Unlock()
	cp := u
	s.ca.users[refreshToken] = &cp
}

// SetCodeAssistQuota changes the remaining fraction retrieveUserQuota
// reports for one model of a user.
func (s *Server) SetCodeAssistQuota(refreshToken, model string, remaining float64) {
	s.ca.mu.Lock()
	defer s.ca.mu.Unlock()
	u := s.ca.userLocked(refreshToken)
	if u.Quota == nil {
		u.Quota = map[string]float64{}
	}
	u.Quota[model] = remaining
}

// RevokeRefreshToken makes the token endpoint refuse a refresh token with
// invalid_grant, and Code Assist refuse the access tokens it issued.
func (s *Server) RevokeRefreshToken(refreshToken string) {
	s.ca.mu.Lock()
	defer s.ca.mu.Unlock()
	s.ca.revoked[refreshToken] = true
}

// SetAccessTokenLifetime sets the lifetime of the access tokens issued from
// now on (default 1h): expires_in announces it in whole seconds, and Code
// Assist and userinfo refuse a token once it has passed (401 UNAUTHENTICATED,
// ACCESS_TOKEN_EXPIRED).
func (s *Server) SetAccessTokenLifetime(d time.Duration) {
	s.ca.mu.Lock()
	defer s.ca.mu.Unlock()
	s.ca.lifetime = d
}

// ExpireAccessTokens ends every access token issued so far, as if their
// lifetime had passed: the next call with one is refused with 401
// ACCESS_TOKEN_EXPIRED. Refresh tokens keep working.
func (s *Server) ExpireAccessTokens() {
	s.ca.mu.Lock()
	defer s.ca.mu.Unlock()
	now := time.Now()
	for tok, g := range s.ca.access {
		if g.expires.After(now) {
			g.expires = now
			s.ca.access[tok] = g
		}
	}
}

// AccessTokensIssued is how many access tokens the token endpoint has issued
// for a refresh token (the authorization-code exchange that created it
// included).
func (s *Server) AccessTokensIssued(refreshToken string) int {
	s.ca.mu.Lock()
	defer s.ca.mu.Unlock()
	n := 0
	for _, g := range s.ca.access {
		if g.refresh == refreshToken {
			n++
		}
	}
	return n
}

// userLocked returns the user of a refresh token, creating the default one.
func (c *codeAssistState) userLocked(refresh string) *CodeAssistUser {
	u, ok := c.users[refresh]
	if !ok {
		u = &CodeAssistUser{Tier: TierLegacy}
		c.users[refresh] = u
	}
	if u.Project == "" && u.Tier != "" {
		u.Project = derivedProject(refresh)
	}
	if u.Email == "" {
		u.Email = "user-" + shortHash(refresh) + "@example.com"
	}
	return u
}

func derivedProject(refresh string) string { return "fake-project-" + shortHash(refresh) }

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

// Why userOf refuses an access token: the ErrorInfo reasons of Google's 401.
const (
	reasonTokenExpired = "ACCESS_TOKEN_EXPIRED"          // issued here, lifetime passed
	reasonTokenUnknown = "ACCESS_TOKEN_TYPE_UNSUPPORTED" // never issued, or its grant revoked
)

// userOf returns the user an access token was issued to, or why the token is
// refused.
func (c *codeAssistState) userOf(access string) (string, *CodeAssistUser, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.access[access]
	switch {
	case !ok || c.revoked[g.refresh]:
		return "", nil, reasonTokenUnknown
	case !time.Now().Before(g.expires):
		return "", nil, reasonTokenExpired
	}
	u := c.userLocked(g.refresh)
	cp := *u
	return g.refresh, &cp, ""
}

// unauthenticated is Google's 401 for an access token it does not take
// (protocols.md §3.5: UNAUTHENTICATED), with the WWW-Authenticate header
// Google's front end sends along.
func unauthenticated(h http.Header, reason, method string) []byte {
	h.Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
	md := map[string]string{"service": "cloudcode-pa.googleapis.com"}
	if method != "" {
		md["method"] = "google.internal.cloud.code.v1internal.CloudCode." + method
	}
	return googleError(http.StatusUnauthorized,
		"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. "+
			"See https://developers.google.com/identity/sign-in/web/devconsole-project.",
		errorInfo(reason, "googleapis.com", md))
}

func (s *Server) codeAssistRoutes(m *http.ServeMux) {
	for _, method := range []string{"generateContent", "streamGenerateContent", "countTokens",
		"loadCodeAssist", "onboardUser", "retrieveUserQuota"} {
		m.HandleFunc("POST /v1internal:"+method, s.handleCodeAssist(method))
	}
	m.HandleFunc("GET /v1internal/operations/{name}", s.handleCodeAssistOperation)
	m.HandleFunc("POST /_control/codeassist/users", s.handleSetCodeAssistUser)
	m.HandleFunc("POST /_control/codeassist/revoke", s.handleRevokeRefreshToken)
	s.googleRoutes(m)
}

// handleSetCodeAssistUser is SetCodeAssistUser over HTTP: body
// {"refresh_token", "user": {"tier", "paid_tier", "project", "models",
// "quota", "verify_required", "onboard_polls", "email"}}.
func (s *Server) handleSetCodeAssistUser(w http.ResponseWriter, r *http.Request) {
	var req struct {
		RefreshToken string         `json:"refresh_token"`
		User         CodeAssistUser `json:"user"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, maxControlBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.RefreshToken == "" {
		writeControlError(w, errors.New(`want {"refresh_token": "...", "user": {...}}`))
		return
	}
	s.SetCodeAssistUser(req.RefreshToken, req.User)
	writeControlJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// handleRevokeRefreshToken is RevokeRefreshToken over HTTP: body {"refresh_token"}.
func (s *Server) handleRevokeRefreshToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, maxControlBody)).Decode(&req); err != nil || req.RefreshToken == "" {
		writeControlError(w, errors.New(`want {"refresh_token": "..."}`))
		return
	}
	s.RevokeRefreshToken(req.RefreshToken)
	writeControlJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// caBegin starts a Code Assist exchange: recorded, authenticated against the
// access tokens the fake issued.
func (s *Server) caBegin(w http.ResponseWriter, r *http.Request) (*exchange, string, *CodeAssistUser, bool) {
	ex, ok := s.begin(w, r, ProviderGemini)
	if !ok {
		return nil, "", nil, false
	}
	s.log.update(ex.rec, func(rec *Record) { rec.Provider = ProviderCodeAssist })
	rt, u, refused := s.ca.userOf(ex.cred)
	if refused != "" {
		method := strings.TrimPrefix(r.URL.Path, "/v1internal:")
		if method == r.URL.Path {
			method = "GetOperation"
		} else {
			method = strings.ToUpper(method[:1]) + method[1:]
		}
		ex.fail(http.StatusUnauthorized, unauthenticated(w.Header(), refused, method))
		return nil, "", nil, false
	}
	return ex, rt, u, true
}

// caEnvelope is a Code Assist generate request.
type caEnvelope struct {
	Model        string          `json:"model"`
	Project      string          `json:"project"`
	UserPromptID string          `json:"user_prompt_id"`
	Request      json.RawMessage `json:"request"`
}

func (s *Server) handleCodeAssist(method string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ex, rt, u, ok := s.caBegin(w, r)
		if !ok {
			return
		}
		switch method {
		case "loadCodeAssist":
			s.caLoad(ex, u)
		case "onboardUser":
			s.caOnboard(ex, rt)
		case "retrieveUserQuota":
			s.caQuota(ex, u)
		case "countTokens":
			s.caCount(ex)
		default:
			s.caGenerate(ex, u, method == "streamGenerateContent")
		}
	}
}

func (s *Server) caLoad(ex *exchange, u *CodeAssistUser) {
	if !ex.start("", false) {
		return
	}
	allowed := []map[string]any{
		{"id": TierFree, "name": "Gemini Code Assist for individuals", "isDefault": true, "userDefinedCloudaicompanionProject": false},
		{"id": TierStandard, "name": "Gemini Code Assist Standard", "userDefinedCloudaicompanionProject": true},
	}
	body := map[string]any{"allowedTiers": allowed, "ineligibleTiers": []any{}}
	if u.Tier != "" {
		body["currentTier"] = map[string]any{"id": u.Tier, "name": u.Tier, "userDefinedCloudaicompanionProject": u.Tier != TierFree}
		body["cloudaicompanionProject"] = u.Project
	}
	if u.PaidTier != "" {
		body["paidTier"] = map[string]any{"id": u.PaidTier, "name": "Google AI " + u.PaidTier}
	}
	ex.sendJSON(mustJSON(body))
}

func (s *Server) caOnboard(ex *exchange, rt string) {
	var req struct {
		TierID string `json:"tierId"`
	}
	if err := json.Unmarshal(ex.body, &req); err != nil || req.TierID == "" {
		ex.fail(http.StatusBadRequest, googleError(http.StatusBadRequest, "Invalid JSON payload received: tierId is required."))
		return
	}
	if !ex.start("", false) {
		return
	}
	c := s.ca
	c.mu.Lock()
	name := "operations/onboard-" + shortHash(rt)
	op, ok := c.ops[name]
	u := c.userLocked(rt)
	if !ok {
		left := u.OnboardPolls
		if left <= 0 {
			left = 1
		}
		op = &onboardOp{refresh: rt, left: left + 1}
		c.ops[name] = op
	}
	body := c.advanceLocked(name, op, req.TierID)
	c.mu.Unlock()
	ex.sendJSON(body)
}

// advanceLocked reads an onboarding operation once: done after its polls,
// with the user then onboarded on tierID.
func (c *codeAssistState) advanceLocked(name string, op *onboardOp, tierID string) []byte {
	op.left--
	if op.left > 0 {
		return mustJSON(map[string]any{"name": name, "done": false})
	}
	u := c.userLocked(op.refresh)
	if u.Tier == "" {
		if tierID == "" {
			tierID = TierFree
		}
		u.Tier = tierID
	}
	if u.Project == "" {
		u.Project = derivedProject(op.refresh)
	}
	return mustJSON(map[string]any{"name": name, "done": true, "response": map[string]any{
		"@type":                   "type.googleapis.com/google.internal.cloud.code.v1internal.OnboardUserResponse",
		"cloudaicompanionProject": map[string]any{"id": u.Project, "name": u.Project},
	}})
}

func (s *Server) handleCodeAssistOperation(w http.ResponseWriter, r *http.Request) {
	ex, rt, _, ok := s.caBegin(w, r)
	if !ok || !ex.start("", false) {
		return
	}
	name := "operations/" + r.PathValue("name")
	c := s.ca
	c.mu.Lock()
	op, found := c.ops[name]
	var body []byte
	if found && op.refresh == rt {
		body = c.advanceLocked(name, op, "")
	}
	c.mu.Unlock()
	if body == nil {
		ex.fail(http.StatusNotFound, googleError(http.StatusNotFound, "Operation "+name+" not found."))
		return
	}
	ex.sendJSON(body)
}

func (s *Server) caQuota(ex *exchange, u *CodeAssistUser) {
	var req struct {
		Project string `json:"project"`
	}
	_ = json.Unmarshal(ex.body, &req)
	if !ex.start("", false) || !caProjectOK(ex, u, req.Project) {
		return
	}
	reset := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
	quota := map[string]float64{"gemini-2.5-pro": 1, "gemini-2.5-flash": 1}
	for m, f := range u.Quota {
		quota[m] = f
	}
	var buckets []map[string]any
	for m, f := range quota {
		buckets = append(buckets, map[string]any{"modelId": m, "tokenType": "REQUESTS", "remainingFraction": f, "resetTime": reset})
	}
	ex.sendJSON(mustJSON(map[string]any{"buckets": buckets}))
}

// caProjectOK refuses a call for a project the user does not have.
func caProjectOK(ex *exchange, u *CodeAssistUser, project string) bool {
	if u.Tier == "" {
		ex.fail(http.StatusForbidden, googleError(http.StatusForbidden, "The user is not onboarded to Gemini Code Assist.",
			errorInfo("USER_NOT_ONBOARDED", "cloudcode-pa.googleapis.com", nil)))
		return false
	}
	if project != u.Project {
		ex.fail(http.StatusForbidden, googleError(http.StatusForbidden,
			"Permission denied on resource project "+project+".",
			errorInfo("CONSUMER_INVALID", "googleapis.com", map[string]string{"consumer": "projects/" + project})))
		return false
	}
	return true
}

func (s *Server) caCount(ex *exchange) {
	var req struct {
		Request struct {
			Model    string          `json:"model"`
			Contents json.RawMessage `json:"contents"`
		} `json:"request"`
	}
	if err := json.Unmarshal(ex.body, &req); err != nil || !strings.HasPrefix(req.Request.Model, "models/") {
		ex.fail(http.StatusBadRequest, googleError(http.StatusBadRequest, "Invalid countTokens request: request.model must name models/{model}."))
		return
	}
	if !ex.start(strings.TrimPrefix(req.Request.Model, "models/"), false) {
		return
	}
	ex.sendJSON(mustJSON(map[string]any{"totalTokens": estimateTokens(len(req.Request.Contents))}))
}

func (s *Server) caGenerate(ex *exchange, u *CodeAssistUser, stream bool) {
	var env caEnvelope
	if err := json.Unmarshal(ex.body, &env); err != nil {
		ex.fail(http.StatusBadRequest, ex.badJSON(err))
		return
	}
	var req geminiRequest
	if env.Model == "" || strings.HasPrefix(env.Model, "models/") || len(env.Request) == 0 || json.Unmarshal(env.Request, &req) != nil {
		ex.fail(http.StatusBadRequest, googleError(http.StatusBadRequest,
			"Invalid request: model (a bare model id) and request (a GenerateContentRequest) are required."))
		return
	}
	if !ex.start(env.Model, stream) || !caProjectOK(ex, u, env.Project) {
		return
	}
	if u.VerifyRequired {
		ex.fail(http.StatusForbidden, validationRequired())
		return
	}
	if len(u.Models) > 0 && !contains(u.Models, env.Model) {
		ex.fail(http.StatusNotFound, googleError(http.StatusNotFound, "Requested entity was not found."))
		return
	}
	if f, ok := u.Quota[env.Model]; ok && f <= 0 {
		ex.fail(http.StatusTooManyRequests, caQuotaExhausted(env.Model, 2*time.Hour))
		return
	}
	a := req.turn(env.Model, len(env.Request)).reply(ProviderGemini)
	_, include := req.thinking()
	resp := geminiResponse{ModelVersion: env.Model}
	trace := randomHex(8)
	if stream {
		st := geminiStream(resp, a, include, true)
		for i := range st.events {
			st.events[i].data = caWrap(st.events[i].data, trace)
			if st.events[i].alt != nil {
				st.events[i].alt = caWrap(st.events[i].alt, trace)
			}
		}
		ex.sendStream(st)
		return
	}
	var parts []geminiOutPart
	if a.thinking != "" && include {
		parts = append(parts, geminiOutPart{Text: a.thinking, Thought: true})
	}
	parts = append(parts, a.geminiFinalPart(a.text, env.Model))
	resp.Candidates = []geminiCandidate{{Content: geminiOutContent{Role: "model", Parts: parts}, FinishReason: "STOP"}}
	if ex.noTerminal() {
		resp.Candidates[0].FinishReason = ""
	}
	resp.UsageMetadata = a.geminiUsage(true)
	ex.sendJSON(caWrap(mustJSON(resp), trace))
}

// caWrap puts a Gemini answer into Code Assist's {"response", "traceId"}.
func caWrap(data []byte, trace string) []byte {
	out := make([]byte, 0, len(data)+48)
	out = append(out, `{"response":`...)
	out = append(out, data...)
	out = append(out, `,"traceId":"`...)
	out = append(out, trace...)
	out = append(out, `"}`...)
	return out
}

// caQuotaExhausted is Code Assist's answer for a model whose quota is used
// up (protocols.md §3.6 b).
func caQuotaExhausted(model string, reset time.Duration) []byte {
	return googleError(http.StatusTooManyRequests,
		"You have exhausted your capacity on this model. Your quota will reset after "+reset.String()+".",
		errorInfo("QUOTA_EXHAUSTED", "cloudcode-pa.googleapis.com", map[string]string{
			"model": model, "quotaResetDelay": reset.String(),
			"quotaResetTimeStamp": time.Now().Add(reset).UTC().Format(time.RFC3339), "uiMessage": "true"}),
		map[string]any{"@type": googleType + "RetryInfo", "retryDelay": strconv.FormatFloat(reset.Seconds(), 'f', -1, 64) + "s"})
}

// validationRequired is Code Assist's answer for an account whose owner
// must verify it first.
func validationRequired() []byte {
	const link = "https://accounts.google.com/signin/continue?sarp=1&scc=1&plt=fake-verification"
	return googleError(http.StatusForbidden,
		"Verify your account to continue using Gemini Code Assist. "+link,
		errorInfo("VALIDATION_REQUIRED", "cloudcode-pa.googleapis.com", map[string]string{"validation_link": link}),
		map[string]any{"@type": googleType + "Help", "links": []map[string]string{{"description": "Verify your account", "url": link}}})
}
