// Package admin is the operator API on its own listener: accounts, scheduling
// settings, bindings and cooldowns, all shared by every replica through the
// scheduler's store, and the Prometheus endpoint. Every /admin call needs the
// admin key, compared in constant time.
package admin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/schedule"
)

// Scheduler is the scheduler's operator surface.
type Scheduler interface {
	Settings(ctx context.Context) (schedule.Settings, error)
	SetMode(ctx context.Context, m schedule.Mode, maxWait time.Duration) error
	SetFixed(ctx context.Context, accountID string) error
	Disable(ctx context.Context, accountID, reason string) error
	Enable(ctx context.Context, accountID string) error
	ClearBindings(ctx context.Context) (int, error)
	ClearCooldowns(ctx context.Context, accountID string) error
	States(ctx context.Context) (map[string]*schedule.AccountState, error)
}

// Options configure the admin API.
type Options struct {
	Key      string
	Sched    Scheduler
	Pool     func() *account.Pool
	InFlight func(accountID string) int64
	Metrics  http.Handler // nil: no /metrics
	Log      *slog.Logger
	Extra    func(r gin.IRoutes) // more authenticated routes (request log)
	UI       http.Handler        // the operator console at /admin/ui/ (static, no admin key: its API calls send it); nil: none
	// Annotate adds provider-specific state to an account's view (codeassist); nil: none.
	Annotate func(ctx context.Context, a *account.Account, v *AccountView)
	Keys     KeyManager     // client keys; nil: no /admin/keys
	KeyUsage KeyUsageReader // today's usage of client keys (nil: zero)
}

// New builds the admin handler.
func New(o Options) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.Use(gin.Recovery())
	if o.Metrics != nil {
		e.GET("/metrics", gin.WrapH(o.Metrics))
	}
	e.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	if o.UI != nil {
		e.GET("/admin/ui", func(c *gin.Context) { c.Redirect(http.StatusFound, "/admin/ui/") })
		e.GET("/admin/ui/*path", gin.WrapH(http.StripPrefix("/admin/ui", o.UI)))
	}
	h := &handlers{o: o}
	g := e.Group("/admin", limitBody, h.audit, h.auth)
	g.GET("/accounts", h.accounts)
	g.POST("/accounts/:id/disable", h.disable)
	g.POST("/accounts/:id/enable", h.enable)
	g.GET("/scheduling", h.getScheduling)
	g.PUT("/scheduling", h.putScheduling)
	g.PUT("/fixed-account", h.putFixed)
	g.DELETE("/fixed-account", h.deleteFixed)
	g.POST("/session-bindings/clear", h.clearBindings)
	g.DELETE("/rate-limits", h.clearRateLimits)
	g.DELETE("/rate-limits/:id", h.clearRateLimits)
	if o.Keys != nil {
		g.GET("/keys", h.listKeys)
		g.POST("/keys", h.createKey)
		g.PATCH("/keys/:name", h.patchKey)
		g.DELETE("/keys/:name", h.deleteKey)
	}
	if o.Extra != nil {
		o.Extra(g)
	}
	e.NoRoute(func(c *gin.Context) { fail(c, http.StatusNotFound, "no such admin route") })
	return e
}

type handlers struct{ o Options }

func fail(c *gin.Context, status int, msg string) {
	c.AbortWithStatusJSON(status, gin.H{"error": gin.H{"message": msg, "status": status}})
}

func (h *handlers) auth(c *gin.Context) {
	if h.o.Key == "" {
		fail(c, http.StatusForbidden, "the admin API is disabled: set SWITCHYARD_ADMIN_KEY to enable it")
		return
	}
	tok := bearer(c)
	want := sha256.Sum256([]byte(h.o.Key))
	got := sha256.Sum256([]byte(tok))
	if tok == "" || subtle.ConstantTimeCompare(want[:], got[:]) != 1 {
		fail(c, http.StatusUnauthorized, "missing or wrong admin key (Authorization: Bearer <SWITCHYARD_ADMIN_KEY>)")
		return
	}
	c.Next()
}

// bearer is the key of an Authorization: Bearer header, or "".
func bearer(c *gin.Context) string {
	a := c.GetHeader("Authorization")
	if len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return strings.TrimSpace(a[7:])
	}
	return ""
}

// AccountView is one account in GET /admin/accounts.
type AccountView struct {
	ID             string              `json:"id"`
	Email          string              `json:"email"`
	Provider       string              `json:"provider"`
	Tier           string              `json:"tier"`
	Disabled       bool                `json:"disabled"`
	DisabledReason string              `json:"disabled_reason,omitempty"`
	Cooldowns      []schedule.Cooldown `json:"cooldowns"`
	Quota          map[string]float64  `json:"quota"`
	InFlight       int64               `json:"in_flight"`
	CodeAssist     any                 `json:"codeassist,omitempty"` // codeassist accounts: project, tier source, quota read, verification
}

func (h *handlers) accounts(c *gin.Context) {
	ctx := c.Request.Context()
	states, err := h.o.Sched.States(ctx)
	if err != nil {
		h.storeError(c, err)
		return
	}
	pool := h.o.Pool()
	out := make([]AccountView, 0, pool.Len())
	for _, a := range pool.Accounts() {
		v := AccountView{ID: a.ID, Email: a.Email, Provider: string(a.Provider), Tier: string(a.Tier),
			Cooldowns: []schedule.Cooldown{}, Quota: map[string]float64{}}
		if a.Disabled {
			v.Disabled, v.DisabledReason = true, "disabled in the accounts file"
		}
		if st := states[a.ID]; st != nil {
			if st.Disabled {
				v.Disabled, v.DisabledReason = true, st.DisabledReason
			}
			if st.Cooldowns != nil {
				v.Cooldowns = st.Cooldowns
			}
			v.Quota = st.Quota
		}
		if h.o.InFlight != nil {
			v.InFlight = h.o.InFlight(a.ID)
		}
		if h.o.Annotate != nil {
			h.o.Annotate(ctx, a, &v)
		}
		out = append(out, v)
	}
	c.JSON(http.StatusOK, gin.H{"accounts": out})
}

func (h *handlers) known(c *gin.Context, id string) bool {
	if _, ok := h.o.Pool().Get(id); !ok {
		fail(c, http.StatusNotFound, "no account with id "+quote(id))
		return false
	}
	return true
}

func (h *handlers) disable(c *gin.Context) {
	id := c.Param("id")
	if !h.known(c, id) {
		return
	}
	var body struct {
		Reason string `json:"reason"`
	}
	if !optionalJSON(c, &body) {
		return
	}
	if err := h.o.Sched.Disable(c.Request.Context(), id, body.Reason); err != nil {
		h.storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"id": id, "disabled": true})
}

func (h *handlers) enable(c *gin.Context) {
	id := c.Param("id")
	if !h.known(c, id) {
		return
	}
	if err := h.o.Sched.Enable(c.Request.Context(), id); err != nil {
		h.storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"id": id, "disabled": false})
}

type schedulingView struct {
	Mode           string  `json:"mode"`
	MaxWaitSeconds float64 `json:"max_wait_seconds"`
	FixedAccountID *string `json:"fixed_account_id"`
}

func (h *handlers) getScheduling(c *gin.Context) {
	st, err := h.o.Sched.Settings(c.Request.Context())
	if err != nil {
		h.storeError(c, err)
		return
	}
	v := schedulingView{Mode: string(st.Mode), MaxWaitSeconds: st.MaxWait.Seconds()}
	if st.FixedAccountID != "" {
		v.FixedAccountID = &st.FixedAccountID
	}
	c.JSON(http.StatusOK, v)
}

func (h *handlers) putScheduling(c *gin.Context) {
	var body struct {
		Mode           *string  `json:"mode"`
		MaxWaitSeconds *float64 `json:"max_wait_seconds"`
	}
	dec := json.NewDecoder(c.Request.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		fail(c, http.StatusBadRequest, "body must be {\"mode\": \"CacheFirst|Balance|PerformanceFirst\", \"max_wait_seconds\": N}")
		return
	}
	ctx := c.Request.Context()
	cur, err := h.o.Sched.Settings(ctx)
	if err != nil {
		h.storeError(c, err)
		return
	}
	if body.Mode != nil {
		c.Set(auditTarget, *body.Mode)
		m, ok := schedule.ParseMode(*body.Mode)
		if !ok {
			fail(c, http.StatusBadRequest, "mode must be CacheFirst, Balance or PerformanceFirst")
			return
		}
		cur.Mode = m
	}
	if body.MaxWaitSeconds != nil {
		if *body.MaxWaitSeconds < 0 || *body.MaxWaitSeconds > 3600 {
			fail(c, http.StatusBadRequest, "max_wait_seconds must be between 0 and 3600")
			return
		}
		cur.MaxWait = time.Duration(*body.MaxWaitSeconds * float64(time.Second))
	}
	if err := h.o.Sched.SetMode(ctx, cur.Mode, cur.MaxWait); err != nil {
		h.storeError(c, err)
		return
	}
	h.getScheduling(c)
}

func (h *handlers) putFixed(c *gin.Context) {
	var body struct {
		AccountID string `json:"account_id"`
	}
	if err := c.ShouldBindJSON(&body); err != nil || body.AccountID == "" {
		fail(c, http.StatusBadRequest, "body must be {\"account_id\": \"...\"}")
		return
	}
	c.Set(auditTarget, body.AccountID)
	if !h.known(c, body.AccountID) {
		return
	}
	if err := h.o.Sched.SetFixed(c.Request.Context(), body.AccountID); err != nil {
		h.storeError(c, err)
		return
	}
	h.getScheduling(c)
}

func (h *handlers) deleteFixed(c *gin.Context) {
	if err := h.o.Sched.SetFixed(c.Request.Context(), ""); err != nil {
		h.storeError(c, err)
		return
	}
	h.getScheduling(c)
}

func (h *handlers) clearBindings(c *gin.Context) {
	n, err := h.o.Sched.ClearBindings(c.Request.Context())
	if err != nil {
		h.storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"cleared": n})
}

func (h *handlers) clearRateLimits(c *gin.Context) {
	id := c.Param("id")
	if id != "" && !h.known(c, id) {
		return
	}
	if err := h.o.Sched.ClearCooldowns(c.Request.Context(), id); err != nil {
		h.storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"cleared": true, "account_id": id})
}

func (h *handlers) storeError(c *gin.Context, err error) {
	h.o.Log.Error("admin store call failed", slog.String("path", c.FullPath()), slog.String("error", err.Error()))
	if errors.Is(err, schedule.ErrStoreDown) {
		fail(c, http.StatusServiceUnavailable, "the shared store (Redis) is unreachable: admin changes need the shared store; retry when it is back")
		return
	}
	fail(c, http.StatusServiceUnavailable, "the shared store is unavailable")
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
