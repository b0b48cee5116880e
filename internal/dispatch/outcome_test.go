package dispatch

import (
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/retry"
	"github.com/switchyard-gw/switchyard/internal/schedule"
)

func TestOutcomeTable(t *testing.T) {
	hint := func(d time.Duration, r retry.Reason) retry.Hint {
		return retry.Hint{RetryAfter: d, Found: true, Reason: r}
	}
	cases := []struct {
		name   string
		obs    observation
		action action
		scope  schedule.Scope
		reason retry.Reason
		sleep  time.Duration
	}{
		{"200", observation{status: 200}, actSucceed, "", "", 0},
		{"signature 400", observation{status: 400, signature: true}, actRepair, "", retry.ReasonSignature, 200 * time.Millisecond},
		{"plain 400", observation{status: 400}, actPassThrough, "", retry.ReasonClientError, 0},
		{"413", observation{status: 413}, actPassThrough, "", retry.ReasonClientError, 0},
		{"422", observation{status: 422}, actPassThrough, "", retry.ReasonClientError, 0},
		{"401", observation{status: 401}, actRotate, schedule.ScopeAccount, retry.ReasonAuth, 0},
		{"403", observation{status: 403}, actRotate, schedule.ScopeAccount, retry.ReasonForbidden, 0},
		{"404", observation{status: 404}, actRotate, schedule.ScopeGroup, retry.ReasonNotFound, 0},
		{"429 hint 1.5s", observation{status: 429, hint: hint(1500*time.Millisecond, retry.ReasonRateLimit)}, actSameAccount, schedule.ScopeGroup, retry.ReasonRateLimit, 1500 * time.Millisecond},
		{"429 hint 2s", observation{status: 429, hint: hint(2*time.Second, "")}, actSameAccount, schedule.ScopeGroup, retry.ReasonRateLimit, 2 * time.Second},
		{"429 hint 30s", observation{status: 429, hint: hint(30*time.Second, retry.ReasonRateLimit)}, actRotate, schedule.ScopeGroup, retry.ReasonRateLimit, 0},
		{"429 no hint", observation{status: 429}, actRotate, schedule.ScopeGroup, retry.ReasonRateLimit, 0},
		{"429 quota", observation{status: 429, hint: hint(time.Hour, retry.ReasonQuotaExhausted)}, actRotate, schedule.ScopeGroup, retry.ReasonQuotaExhausted, 0},
		{"429 short but terminal", observation{status: 429, hint: retry.Hint{RetryAfter: time.Second, Found: true, Terminal: true, Reason: retry.ReasonQuotaExhausted}}, actRotate, schedule.ScopeGroup, retry.ReasonQuotaExhausted, 0},
		{"500", observation{status: 500}, actRotate, schedule.ScopeAccount, retry.ReasonServerError, 0},
		{"502", observation{status: 502}, actRotate, schedule.ScopeAccount, retry.ReasonServerError, 0},
		{"503", observation{status: 503}, actRotate, schedule.ScopeGroup, retry.ReasonCapacity, 0},
		{"529", observation{status: 529}, actRotate, schedule.ScopeGroup, retry.ReasonCapacity, 0},
		{"network", observation{fail: failNetwork}, actRotate, schedule.ScopeAccount, retry.ReasonNetwork, 0},
		{"timeout", observation{fail: failTimeout}, actRotate, schedule.ScopeAccount, retry.ReasonTimeout, 0},
		{"empty stream", observation{status: 200, fail: failEmpty}, actRotate, schedule.ScopeAccount, retry.ReasonServerError, 0},
		{"peek death", observation{status: 200, fail: failPeek}, actRotate, schedule.ScopeAccount, retry.ReasonServerError, 0},
		{"garbage body", observation{status: 200, fail: failBadBody}, actRotate, schedule.ScopeAccount, retry.ReasonServerError, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := classify(tc.obs)
			if v.action != tc.action || v.scope != tc.scope || v.reason != tc.reason || v.sleep != tc.sleep {
				t.Fatalf("got %v/%q/%q/%v; want %v/%q/%q/%v", v.action, v.scope, v.reason, v.sleep, tc.action, tc.scope, tc.reason, tc.sleep)
			}
			if v.scope != "" && (v.base <= 0 || v.cap < v.base) {
				t.Fatalf("cooldown without a sane backoff: base %v cap %v", v.base, v.cap)
			}
		})
	}
}
