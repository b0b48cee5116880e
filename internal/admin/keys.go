package admin

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/switchyard-gw/switchyard/internal/clientkey"
	"github.com/switchyard-gw/switchyard/internal/schedule"
)

// KeyManager is the live set of client keys and its management.
type KeyManager interface {
	Current() *clientkey.Set
	Shadowed() []*clientkey.Key
	Create(ctx context.Context, name string, models []string, l clientkey.Limits) (*clientkey.Key, string, error)
	Update(ctx context.Context, name string, p clientkey.Patch) (*clientkey.Key, error)
	Delete(ctx context.Context, name string) error
}

// KeyUsageReader reads today's usage of client keys.
type KeyUsageReader interface {
	KeyUsage(ctx context.Context, names []string) (map[string]schedule.KeyUsage, error)
}

// KeyView is one client key in the admin API: never its secret.
type KeyView struct {
	Name        string           `json:"name"`
	Fingerprint string           `json:"fingerprint"`
	Source      string           `json:"source"`
	Models      []string         `json:"models"`
	Limits      clientkey.Limits `json:"limits"`
	Disabled    bool             `json:"disabled"`
	UsageToday  keyUsageView     `json:"usage_today"`
	LastUsed    *time.Time       `json:"last_used"`
}

type keyUsageView struct {
	Requests int64 `json:"requests"`
	Tokens   int64 `json:"tokens"`
}

// createdKey answers POST /admin/keys.
type createdKey struct {
	KeyView
	Key string `json:"key"`
}

type shadowView struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	Reason string `json:"reason"`
}

func keyView(k *clientkey.Key, u schedule.KeyUsage) KeyView {
	v := KeyView{Name: k.Name, Fingerprint: k.Fingerprint(), Source: k.Source, Models: k.Models, Limits: k.Limits,
		Disabled: k.Disabled, UsageToday: keyUsageView{Requests: u.RequestsToday, Tokens: u.TokensToday}}
	if v.Models == nil {
		v.Models = []string{}
	}
	if !u.LastUsed.IsZero() {
		t := u.LastUsed.UTC()
		v.LastUsed = &t
	}
	return v
}

func (h *handlers) usageOf(ctx context.Context, keys ...*clientkey.Key) map[string]schedule.KeyUsage {
	if h.o.KeyUsage == nil {
		return nil
	}
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.Name
	}
	u, err := h.o.KeyUsage.KeyUsage(ctx, names)
	if err != nil {
		return nil
	}
	return u
}

func (h *handlers) listKeys(c *gin.Context) {
	set := h.o.Keys.Current()
	keys := set.Keys()
	usage := h.usageOf(c.Request.Context(), keys...)
	out := make([]KeyView, 0, len(keys))
	for _, k := range keys {
		out = append(out, keyView(k, usage[k.Name]))
	}
	sh := []shadowView{}
	for _, k := range h.o.Keys.Shadowed() {
		sh = append(sh, shadowView{Name: k.Name, Source: k.Source,
			Reason: "a key of the environment or the keys file has the same name or secret; the file wins"})
	}
	c.JSON(http.StatusOK, gin.H{"keys": out, "shadowed": sh})
}

type keySpec struct {
	Name        string   `json:"name"`
	Models      []string `json:"models"`
	RPM         int64    `json:"rpm"`
	TPM         int64    `json:"tpm"`
	MaxInFlight int64    `json:"max_in_flight"`
	DailyTokens int64    `json:"daily_tokens"`
}

func (h *handlers) createKey(c *gin.Context) {
	var spec keySpec
	if !optionalJSON(c, &spec) {
		return
	}
	c.Set(auditTarget, spec.Name)
	k, secret, err := h.o.Keys.Create(c.Request.Context(), spec.Name, spec.Models,
		clientkey.Limits{RPM: spec.RPM, TPM: spec.TPM, MaxInFlight: spec.MaxInFlight, DailyTokens: spec.DailyTokens})
	if err != nil {
		h.keyError(c, err)
		return
	}
	// CONTRACT: {"name", "key": the secret, shown this once}, with the
	// key's view beside them.
	c.JSON(http.StatusCreated, createdKey{KeyView: keyView(k, schedule.KeyUsage{}), Key: secret})
}

func (h *handlers) patchKey(c *gin.Context) {
	var p clientkey.Patch
	if !optionalJSON(c, &p) {
		return
	}
	k, err := h.o.Keys.Update(c.Request.Context(), c.Param("name"), p)
	if err != nil {
		h.keyError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"key": keyView(k, h.usageOf(c.Request.Context(), k)[k.Name])})
}

func (h *handlers) deleteKey(c *gin.Context) {
	name := c.Param("name")
	if err := h.o.Keys.Delete(c.Request.Context(), name); err != nil {
		h.keyError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"deleted": name})
}

func (h *handlers) keyError(c *gin.Context, err error) {
	switch {
	case errors.Is(err, clientkey.ErrNotFound):
		fail(c, http.StatusNotFound, "no client key with that name")
	case errors.Is(err, clientkey.ErrFileName), errors.Is(err, clientkey.ErrEnvName):
		fail(c, http.StatusConflict, err.Error())
	case errors.Is(err, clientkey.ErrExists):
		fail(c, http.StatusConflict, "a client key with that name exists")
	case errors.Is(err, clientkey.ErrNotAPI):
		fail(c, http.StatusConflict, err.Error())
	case errors.Is(err, clientkey.ErrNoStore):
		fail(c, http.StatusNotImplemented, err.Error())
	case errors.Is(err, clientkey.ErrInvalid):
		fail(c, http.StatusBadRequest, err.Error())
	default:
		h.storeError(c, err)
	}
}
