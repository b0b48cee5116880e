package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/credential"
	"github.com/switchyard-gw/switchyard/internal/retry"
)

// TokenInvalidator drops an OAuth account's access token after the provider
// refused it (implemented by credential.Store).
type TokenInvalidator interface {
	Invalidate(ctx context.Context, a *account.Account) error
}

// Disabler takes an account out of the pool for every replica until an
// operator enables it (implemented by schedule.Scheduler).
type Disabler interface {
	Disable(ctx context.Context, accountID, reason string) error
}

// revokedReason is shown by the operator API for an account whose refresh
// token the provider refused.
const revokedReason = "invalid_grant: refresh token revoked or expired"

// reasonInvalidGrant labels the attempt in logs, traces and the request log.
const reasonInvalidGrant retry.Reason = "invalid_grant"

// authOutcome amends the table's verdict for OAuth accounts: a 401 drops the
// token and retries the same account once (reauthed records that it did); a
// refresh token refused with invalid_grant disables the account everywhere
// and rotates without a cooldown (the account is out of the pool anyway); if
// it cannot be disabled, the table's cooldown stands.
func (d *Dispatcher) authOutcome(ctx context.Context, a *account.Account, at *attempt, v verdict, reauthed *bool) verdict {
	if a.OAuth == nil {
		return v
	}
	switch {
	case errors.Is(at.err, credential.ErrInvalidGrant):
		at.errMsg = fmt.Sprintf("upstream %s: account credentials revoked", a.Provider)
		v.reason = reasonInvalidGrant
		if d.Disabler == nil {
			return v
		}
		// The account's state is shared: record it even if the client left.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if err := d.Disabler.Disable(dctx, a.ID, revokedReason); err != nil {
			// Not disabled: keep the table's cooldown so the account rests.
			d.Log.LogAttrs(ctx, slog.LevelError, "disable revoked account", slog.String("account", a.ID), slog.String("error", err.Error()))
			return v
		}
		d.Log.LogAttrs(ctx, slog.LevelWarn, "account disabled: refresh token revoked or expired", slog.String("account", a.ID))
		return verdict{action: actRotate, reason: reasonInvalidGrant}
	case v.action == actRotate && at.obs.status == 401 && at.obs.fail == failNone && !*reauthed && d.Tokens != nil:
		*reauthed = true
		if err := d.Tokens.Invalidate(ctx, a); err != nil {
			d.Log.LogAttrs(ctx, slog.LevelWarn, "invalidate access token", slog.String("account", a.ID), slog.String("error", err.Error()))
		}
		return verdict{action: actSameAccount, reason: retry.ReasonAuth}
	}
	return v
}
