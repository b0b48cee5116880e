package codeassist

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/credential"
)

// revokedReason matches the reason the dispatch loop gives an account whose
// refresh token Google refused.
const revokedReason = "invalid_grant: refresh token revoked or expired"

// ModelQuota is the remaining share of one model's quota.
type ModelQuota struct {
	Remaining float64   `json:"remaining"`
	Reset     time.Time `json:"reset,omitzero"`
}

// QuotaRead is an account's quota as last read from Code Assist.
type QuotaRead struct {
	At     time.Time             `json:"read_at"`
	Models map[string]ModelQuota `json:"models"`
}

// quotaAnswer is what retrieveUserQuota answers.
type quotaAnswer struct {
	Buckets []struct {
		ModelID           string   `json:"modelId"`
		TokenType         string   `json:"tokenType"`
		RemainingFraction *float64 `json:"remainingFraction"`
		ResetTime         string   `json:"resetTime"`
	} `json:"buckets"`
}

// RunQuota reads the quota of every enabled codeassist account of the
// current pool once per interval (jittered), until ctx ends. Replicas share
// the work: a slot in the shared store that lasts one interval lets one
// replica at a time read an account.
func (s *Service) RunQuota(ctx context.Context, pool func() *account.Pool, interval time.Duration) error {
	if interval <= 0 {
		return nil
	}
	tick := min(max(interval/5, 50*time.Millisecond), 30*time.Second)
	// Replicas started together do not look at once.
	if err := sleep(ctx, time.Duration(rand.Int64N(int64(tick)))); err != nil {
		return nil
	}
	local := map[string]time.Time{} // without a shared store: next read per account
	for {
		for _, a := range pool().Accounts() {
			if a.Provider != account.CodeAssist || a.Disabled || ctx.Err() != nil {
				continue
			}
			if s.takeQuotaSlot(ctx, a, interval, local) {
				s.pollQuota(ctx, a, interval)
			}
		}
		if err := sleep(ctx, tick); err != nil {
			return nil
		}
	}
}

// jitter spreads d by ±10%.
func jitter(d time.Duration) time.Duration {
	return d - d/10 + time.Duration(rand.Int64N(int64(d/5)+1))
}

// takeQuotaSlot reports whether this replica reads a's quota now.
func (s *Service) takeQuotaSlot(ctx context.Context, a *account.Account, interval time.Duration, local map[string]time.Time) bool {
	if s.rdb != nil {
		_, ok, err := lock(ctx, s.rdb, s.keys.quotaSlot(a.ID), jitter(interval))
		if err == nil {
			return ok
		}
		s.opts.Log.LogAttrs(ctx, slog.LevelDebug, "quota slot: shared store unreachable; reading on this replica",
			slog.String("account", a.ID), slog.String("error", err.Error()))
	}
	if next, ok := local[a.ID]; ok && time.Now().Before(next) {
		return false
	}
	local[a.ID] = time.Now().Add(jitter(interval))
	return true
}

// pollQuota reads one account's quota and publishes it.
func (s *Service) pollQuota(ctx context.Context, a *account.Account, interval time.Duration) {
	info, err := s.Info(ctx, a)
	var qa quotaAnswer
	if err == nil {
		err = s.call(ctx, a, http.MethodPost, "/v1internal:retrieveUserQuota", map[string]string{"project": info.Project}, &qa)
	}
	if err != nil {
		s.quotaFailed(ctx, a, err)
		return
	}
	now := time.Now()
	read := QuotaRead{At: now, Models: map[string]ModelQuota{}}
	for _, b := range qa.Buckets {
		if b.ModelID == "" || b.RemainingFraction == nil {
			continue
		}
		m := strings.ToLower(strings.TrimPrefix(b.ModelID, "models/"))
		q := ModelQuota{Remaining: min(max(*b.RemainingFraction, 0), 1)}
		if t, err := time.Parse(time.RFC3339, b.ResetTime); err == nil {
			q.Reset = t
		}
		if prev, ok := read.Models[m]; ok && prev.Remaining <= q.Remaining {
			continue // several token types: the scarcest one counts
		}
		read.Models[m] = q
	}
	s.publishQuota(ctx, a, read, interval)
}

// publishQuota feeds the scheduler and keeps the read for the operator view.
func (s *Service) publishQuota(ctx context.Context, a *account.Account, read QuotaRead, interval time.Duration) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	// A read holds until its reset, or for a few intervals when the model
	// has none (or it has passed): the next read replaces it.
	hold := read.At.Add(3 * interval)
	for m, q := range read.Models {
		reset := q.Reset
		if !reset.After(read.At) {
			reset = hold
		}
		if s.opts.Quota != nil {
			if err := s.opts.Quota.SetQuota(wctx, a.ID, m, q.Remaining, reset); err != nil {
				s.opts.Log.LogAttrs(ctx, slog.LevelWarn, "publish quota", slog.String("account", a.ID), slog.String("error", err.Error()))
				return
			}
		}
	}
	if s.rdb == nil {
		return
	}
	key := s.keys.quota(a.ID)
	fields := []any{"at", strconv.FormatInt(read.At.UnixMilli(), 10)}
	for m, q := range read.Models {
		fields = append(fields, "m:"+m, strconv.FormatFloat(q.Remaining, 'f', 4, 64)+":"+strconv.FormatInt(q.Reset.UnixMilli(), 10))
	}
	p := s.rdb.TxPipeline()
	p.Del(wctx, key)
	p.HSet(wctx, key, fields...)
	p.PExpire(wctx, key, 24*time.Hour)
	if _, err := p.Exec(wctx); err != nil {
		s.opts.Log.LogAttrs(ctx, slog.LevelWarn, "keep quota read", slog.String("account", a.ID), slog.String("error", err.Error()))
	}
	s.opts.Log.LogAttrs(ctx, slog.LevelDebug, "code assist quota read", slog.String("account", a.ID), slog.Int("models", len(read.Models)))
}

// quotaFailed handles a failed read: a revoked refresh token takes the
// account out of the pool everywhere, a verification request is noted; the
// rest is only logged (the next interval tries again).
func (s *Service) quotaFailed(ctx context.Context, a *account.Account, err error) {
	var ref *Refusal
	switch {
	case errors.Is(err, credential.ErrInvalidGrant):
		if s.opts.Disabler != nil {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			if derr := s.opts.Disabler.Disable(dctx, a.ID, revokedReason); derr != nil {
				s.opts.Log.LogAttrs(ctx, slog.LevelError, "disable revoked account", slog.String("account", a.ID), slog.String("error", derr.Error()))
				return
			}
		}
		s.opts.Log.LogAttrs(ctx, slog.LevelWarn, "account disabled: refresh token revoked or expired", slog.String("account", a.ID))
		return
	case errors.As(err, &ref):
		if v, ok := verification(ref.Status, ref.Body); ok {
			s.noteVerification(ctx, a, v)
		}
	}
	s.opts.Log.LogAttrs(ctx, slog.LevelWarn, "read code assist quota", slog.String("account", a.ID), slog.String("error", err.Error()))
}
