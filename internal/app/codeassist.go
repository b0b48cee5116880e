package app

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/redis/go-redis/v9"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/admin"
	"github.com/switchyard-gw/switchyard/internal/codeassist"
	"github.com/switchyard-gw/switchyard/internal/credential"
	"github.com/switchyard-gw/switchyard/internal/schedule"
)

// newCodeAssist builds the Code Assist service of codeassist accounts: its
// discovered state lives in the shared store, under the scheduler's
// namespace; its quota reads feed the scheduler.
func newCodeAssist(rdb redis.UniversalClient, hc *http.Client, tokens *credential.Store, sched *schedule.Scheduler, log *slog.Logger, version, namespace string) *codeassist.Service {
	return codeassist.New(rdb, codeassist.Options{
		HTTP: hc, Tokens: tokens, UserAgent: "switchyard/" + version,
		Quota: sched, Disabler: sched, Log: log, Namespace: namespace,
	})
}

// annotateCodeAssist adds a codeassist account's project, tier source,
// quota read and verification request to its operator view.
func annotateCodeAssist(ca *codeassist.Service) func(ctx context.Context, a *account.Account, v *admin.AccountView) {
	return func(ctx context.Context, a *account.Account, v *admin.AccountView) {
		view, tier := ca.Describe(ctx, a)
		if view == nil {
			return
		}
		v.CodeAssist = view
		v.Tier = string(tier)
	}
}
