package credential

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"

	"github.com/switchyard-gw/switchyard/internal/account"
)

// Options tune the store. Zero values get the defaults in brackets.
type Options struct {
	// Namespace must equal the scheduler's (schedule.Options.Namespace), so the
	// token keys share its hash tag.
	Namespace string
	// HTTP sends the refresh requests (the upstream client) [http.DefaultClient].
	HTTP *http.Client
	// Skew: a token is refreshed this long before it expires [60s]; for short
	// lived tokens at most half their lifetime.
	Skew time.Duration
	// RefreshTimeout bounds one call to the token endpoint [10s].
	RefreshTimeout time.Duration
	// LockTTL is how long a refresh lock holds if its owner dies
	// [RefreshTimeout + 5s]; it must exceed RefreshTimeout.
	LockTTL time.Duration
	// WaitMax is how long a replica waits for another replica's refresh when
	// it has no usable token [5s].
	WaitMax time.Duration
	// FailHold: after a failed refresh the other replicas report the failure
	// for this long instead of calling the endpoint again: it covers a burst of
	// callers waiting for the same refresh, and is short so that an operator
	// who enables an account again is not refused by the old failure [1s].
	FailHold time.Duration
	// InvalidateGrace: further Invalidate calls for an account within this
	// time of the first are ignored, so a burst of requests refused with one
	// token causes one refresh, not one each [5s].
	InvalidateGrace time.Duration
	// Log receives warnings (never secrets) [discard].
	Log *slog.Logger
	// Now is the local clock of the in-memory cache (tests move it) [time.Now].
	// Shared expiries use the Redis clock (NewEmbedded: this one).
	Now func() time.Time
	// Keys encrypts the tokens written to the shared store [nil: plain text].
	// Every replica needs the same current key (or it as a previous key);
	// a stored value no key opens is treated as absent and refreshed again.
	Keys *Keyring
}

// Store hands out OAuth access tokens, shared by every replica through Redis.
// It implements upstream.Tokens. Build one per process; it is safe for
// concurrent use.
type Store struct {
	opts   Options
	shared tokenState // nil: no shared state, every replica on its own
	cache  *cache
	flight singleflight.Group
}

// NewStore builds a token store on the shared Redis; rdb nil keeps tokens per
// replica only, in its cache (no failure hold, no stale tokens handed out:
// see NewEmbedded for a gateway without Redis).
func NewStore(rdb redis.UniversalClient, o Options) *Store {
	s := newStore(o)
	if rdb != nil {
		s.shared = newShared(rdb, s.opts.Namespace, s.opts.Keys)
	}
	return s
}

// NewEmbedded builds a token store for a gateway without a shared store: its
// token state is m, in this process's memory, with the rules of the shared
// store's scripts (failure hold, refresh lead, stale tokens while a refresh
// fails, invalid_grant). m nil makes one on Options.Now.
func NewEmbedded(m *MemTokens, o Options) *Store {
	s := newStore(o)
	if m == nil {
		m = NewMemTokens(s.opts.Now)
	}
	s.shared = m
	return s
}

func newStore(o Options) *Store {
	if o.HTTP == nil {
		o.HTTP = http.DefaultClient
	}
	if o.Skew <= 0 {
		o.Skew = 60 * time.Second
	}
	if o.RefreshTimeout <= 0 {
		o.RefreshTimeout = 10 * time.Second
	}
	if o.LockTTL <= o.RefreshTimeout {
		o.LockTTL = o.RefreshTimeout + 5*time.Second
	}
	if o.WaitMax <= 0 {
		o.WaitMax = 5 * time.Second
	}
	if o.FailHold <= 0 {
		o.FailHold = time.Second
	}
	if o.InvalidateGrace <= 0 {
		o.InvalidateGrace = 5 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Store{opts: o, cache: newCache()}
}

// AccessToken returns a valid access token for a refresh-token account: from
// this replica's cache, else from the shared store, else by refreshing it
// (one replica refreshes, the others reuse its token).
func (s *Store) AccessToken(ctx context.Context, a *account.Account) (string, error) {
	if a.OAuth == nil {
		return "", fmt.Errorf("account %s: no oauth credentials", a.ID)
	}
	if tok, ok := s.cache.fresh(a, s.opts.Now()); ok {
		return tok, nil
	}
	fp := fingerprint(a.OAuth)
	// The shared work must not die with the first caller's request: it is
	// bounded by its own deadline, and each caller waits under its own ctx.
	ch := s.flight.DoChan(a.ID+"\x00"+fp, func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.WaitMax+s.opts.RefreshTimeout)
		defer cancel()
		return s.obtain(fctx, a, fp)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", fmt.Errorf("account %s: waiting for an access token: %w", a.ID, ctx.Err())
	}
}

// Invalidate drops a's access token after the provider refused it (401): from
// this replica's cache and from the shared store, unless another replica has
// already replaced it there. The next AccessToken refreshes. Other replicas
// still holding the refused token drop it when it is refused to them; their
// Invalidate then finds the new token already in the shared store.
func (s *Store) Invalidate(ctx context.Context, a *account.Account) error {
	if a.OAuth == nil {
		return nil
	}
	fp := fingerprint(a.OAuth)
	refused, drop := s.cache.invalidate(a, fp, s.opts.Now(), s.opts.InvalidateGrace)
	if !drop || s.shared == nil {
		return nil
	}
	if _, err := s.shared.dropToken(ctx, a.ID, refused); err != nil {
		return fmt.Errorf("account %s: %w", a.ID, err)
	}
	return nil
}

// obtain runs once per replica and account at a time (singleflight).
func (s *Store) obtain(ctx context.Context, a *account.Account, fp string) (string, error) {
	if s.shared == nil {
		return s.refreshLocal(ctx, a, fp)
	}
	owner := newOwner()
	deadline := time.Now().Add(s.opts.WaitMax)
	backoff := 20 * time.Millisecond
	for {
		f, err := s.shared.fetchToken(ctx, a.ID, fp, owner, s.opts.LockTTL)
		if err != nil {
			if ctx.Err() != nil {
				return "", fmt.Errorf("account %s: %w: %w", a.ID, ErrRefresh, ctx.Err())
			}
			s.opts.Log.LogAttrs(ctx, slog.LevelWarn, "shared token store unreachable; refreshing on this replica",
				slog.String("account", a.ID), slog.String("error", err.Error()))
			return s.refreshLocal(ctx, a, fp)
		}
		switch f.status {
		case statusHit:
			s.cache.put(a, fp, f.access, s.opts.Now().Add(f.refreshIn))
			return f.access, nil
		case statusRefresh:
			return s.refreshShared(ctx, a, fp, owner, f)
		case statusFailed:
			if f.usable() && f.failedReason != codeInvalidGrant {
				return s.handOutStale(a, fp, f), nil
			}
			return "", failureError(a.ID, f.failedReason)
		case statusWait:
			if f.usable() {
				return s.handOutStale(a, fp, f), nil
			}
		}
		// Another replica is refreshing and there is no usable token: wait
		// for it, or take over when its lock ends without a token.
		if time.Now().Add(backoff).After(deadline) {
			return "", fmt.Errorf("account %s: %w: another replica's refresh did not finish within %s", a.ID, ErrRefresh, s.opts.WaitMax)
		}
		if err := sleep(ctx, backoff); err != nil {
			return "", fmt.Errorf("account %s: %w: %w", a.ID, ErrRefresh, err)
		}
		backoff = min(backoff*2, 400*time.Millisecond)
	}
}

// handOutStale returns a token due for refresh but still valid, while a
// refresh is under way or has just failed; it is not cached, so the next call
// asks the shared store again.
func (s *Store) handOutStale(a *account.Account, fp string, f fetched) string {
	s.cache.put(a, fp, f.access, time.Time{})
	return f.access
}

// refreshShared refreshes while holding the shared lock and publishes the
// result (the token, or the failure for FailHold).
func (s *Store) refreshShared(ctx context.Context, a *account.Account, fp, owner string, f fetched) (string, error) {
	rt := f.rotated
	if rt == "" {
		rt = a.OAuth.RefreshToken.Reveal()
	}
	rctx, cancel := context.WithTimeout(ctx, s.opts.RefreshTimeout)
	r, err := refresh(rctx, s.opts.HTTP, a, rt)
	// A rotated refresh token a previous key opened is written again under
	// the current key, so the previous key can be retired.
	keepRotated := r.rotated
	if err == nil && keepRotated == "" && f.rotatedStale {
		keepRotated = f.rotated
	}
	cancel()
	// Publish with a context of its own: the refresh may have used up ctx.
	pctx, pcancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer pcancel()
	if err != nil {
		forget := ""
		if errors.Is(err, ErrInvalidGrant) && f.rotated != "" {
			forget = f.rotatedRaw
		}
		if rerr := s.shared.releaseFailed(pctx, a.ID, fp, owner, failureCode(err), s.opts.FailHold, forget); rerr != nil {
			s.opts.Log.LogAttrs(ctx, slog.LevelWarn, "record failed refresh", slog.String("account", a.ID), slog.String("error", rerr.Error()))
		}
		if !errors.Is(err, ErrInvalidGrant) && f.usable() {
			s.opts.Log.LogAttrs(ctx, slog.LevelWarn, "token refresh failed; using the current token until it expires",
				slog.String("account", a.ID), slog.String("error", err.Error()))
			return s.handOutStale(a, fp, f), nil
		}
		return "", err
	}
	stored, err := s.shared.storeToken(pctx, a.ID, fp, owner, r.access, r.life, s.opts.Skew, keepRotated)
	switch {
	case err != nil:
		s.opts.Log.LogAttrs(ctx, slog.LevelWarn, "publish refreshed token", slog.String("account", a.ID), slog.String("error", err.Error()))
		if r.rotated != "" {
			s.cache.update(a, fp, func(e *entry) { e.rotated = r.rotated })
		}
	case !stored:
		s.opts.Log.LogAttrs(ctx, slog.LevelWarn, "refresh lock expired before the token was published; keeping it on this replica",
			slog.String("account", a.ID))
	}
	refreshIn := r.life - min(s.opts.Skew, r.life/2) // as store.lua computes it
	s.cache.put(a, fp, r.access, s.opts.Now().Add(refreshIn))
	return r.access, nil
}

// refreshLocal refreshes without the shared store (unreachable or absent).
func (s *Store) refreshLocal(ctx context.Context, a *account.Account, fp string) (string, error) {
	e := s.cache.get(a, fp)
	rt := e.rotated
	if rt == "" {
		rt = a.OAuth.RefreshToken.Reveal()
	}
	rctx, cancel := context.WithTimeout(ctx, s.opts.RefreshTimeout)
	defer cancel()
	r, err := refresh(rctx, s.opts.HTTP, a, rt)
	if err != nil {
		return "", err
	}
	refreshIn := r.life - min(s.opts.Skew, r.life/2)
	s.cache.update(a, fp, func(e *entry) {
		e.access, e.refreshAt = r.access, s.opts.Now().Add(refreshIn)
		if r.rotated != "" {
			e.rotated = r.rotated
		}
	})
	return r.access, nil
}

// newOwner is a random id that fences the refresh lock.
func newOwner() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
