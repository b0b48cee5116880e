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

// Run keeps the codeassist accounts of the current pool ready until ctx
// ends: it discovers (or reads from the shared store) the project and tier of
// every account that needs them, so each replica schedules by the learned
// tier before its first request, and reads every account's quota once per
// interval (jittered; 0: never). Replicas share the quota reads: a slot in
// the shared store that lasts one interval lets one replica at a time read
// an account.
func (s *Service) Run(ctx context.Context, pool func() *account.Pool, interval time.Duration) error {
	tick := 30 * time.Second
	if interval > 0 {
		tick = min(max(interval/5, 50*time.Millisecond), tick)
	}
	// Replicas started together do not look at once.
	if err := sleep(ctx, time.Duration(rand.Int64N(int64(min(tick, time.Second))))); err != nil {
		return nil
	}
	local := map[string]time.Time{} // without a shared store: next read per account
	retry := map[string]time.Time{} // failed discovery: not before
	for {
		for _, a := range pool().Accounts() {
			if a.Provider != account.CodeAssist || a.Disabled || ctx.Err() != nil {
				continue
			}
			if !s.warm(ctx, a, retry) {
				continue
			}
			if interval > 0 && s.takeQuotaSlot(ctx, a, interval, local) {
				s.pollQuota(ctx, a, interval)
			}
		}
		if err := sleep(ctx, tick); err != nil {
			return nil
		}
	}
}

// warm makes sure this replica knows a's discovered state; it reports
// whether a is usable (a failed discovery is tried again a minute later).
func (s *Service) warm(ctx context.Context, a *account.Account, retry map[string]time.Time) bool {
	if !needsDiscovery(a) {
		return true
	}
	if _, ok := s.cached(a); ok {
		return true
	}
	if time.Now().Before(retry[a.ID]) {
		return false
	}
	if _, err := s.Info(ctx, a); err != nil {
		retry[a.ID] = time.Now().Add(time.Minute)
		s.failed(ctx, a, "discover the code assist project", err)
		return false
	}
	return true
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
		s.failed(ctx, a, "read code assist quota", err)
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
		s.mu.Lock()
		s.reads[a.ID] = read
		s.mu.Unlock()
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

// failed handles a failed background call: a revoked refresh token takes
// the account out of the pool everywhere, a verification request is noted;
// the rest is only logged (the next round tries again).
func (s *Service) failed(ctx context.Context, a *account.Account, what string, err error) {
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
	s.opts.Log.LogAttrs(ctx, slog.LevelWarn, what, slog.String("account", a.ID), slog.String("error", err.Error()))
}
