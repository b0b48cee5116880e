package app_test

import (
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
)

// caPair is a pool of two codeassist accounts with their projects and tiers
// in the file (no discovery): ca-a (ultra) is tried first, ca-b (pro) next.
func caPair(t *testing.T, a fakeupstream.CodeAssistUser) (*harness, *fakeupstream.Server) {
	t.Helper()
	fake, url := caFake(t)
	a.Tier, a.Project = fakeupstream.TierStandard, "proj-a"
	fake.SetCodeAssistUser(caRefresh("ca-a"), a)
	fake.SetCodeAssistUser(caRefresh("ca-b"), fakeupstream.CodeAssistUser{Tier: fakeupstream.TierStandard, Project: "proj-b"})
	h := newCodeAssistHarness(t, fake, url, caPoolFile(t, url, []caAccount{
		{id: "ca-a", project: "proj-a", tier: "ultra"}, {id: "ca-b", project: "proj-b", tier: "pro"},
	}), "", nil)
	return h, fake
}

// served sends a Gemini request for model and returns the account email.
func (h *harness) served(model string) string {
	h.t.Helper()
	resp, body := h.do("POST", "/v1beta/models/"+model+":generateContent", geminiBody("hello"), geminiHdr)
	if resp.StatusCode != 200 {
		h.t.Fatalf("%s: %d %s", model, resp.StatusCode, body)
	}
	return resp.Header.Get("X-Account-Email")
}

func (a caAdminAccount) cooldown(group string) (time.Time, string, bool) {
	for _, c := range a.Cooldowns {
		if c.ModelGroup == group {
			return c.Until, c.Reason, true
		}
	}
	return time.Time{}, "", false
}

func TestCodeAssistQuotaExhaustedCoolsTheModelGroupUntilItsReset(t *testing.T) {
	h, fake := caPair(t, fakeupstream.CodeAssistUser{})
	fake.AddFault(fakeupstream.Fault{Provider: fakeupstream.ProviderGemini, Model: "gemini-2.5-pro", Times: 1, Kind: fakeupstream.KindStatus, Status: 429,
		Body: `{"error":{"code":429,"message":"You have exhausted your capacity on this model. Your quota will reset after 2h0m0s.","status":"RESOURCE_EXHAUSTED",` +
			`"details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"QUOTA_EXHAUSTED","domain":"cloudcode-pa.googleapis.com",` +
			`"metadata":{"model":"gemini-2.5-pro","quotaResetDelay":"2h0m0s","uiMessage":"true"}}]}}`})
	if got := h.served("gemini-2.5-pro"); got != "ca-b@example.com" {
		t.Fatalf("served by %s; want ca-b after ca-a's exhausted quota", got)
	}
	until, reason, ok := h.caAccount("ca-a").cooldown("gemini-2.5-pro")
	if !ok || reason != "quota_exhausted" || time.Until(until) < 110*time.Minute || time.Until(until) > 125*time.Minute {
		t.Fatalf("ca-a cooldown %v %q %v; want quota_exhausted until the reset in 2h", until, reason, ok)
	}
	if _, _, ok := h.caAccount("ca-a").cooldown("*"); ok {
		t.Error("an exhausted model quota cooled the whole account")
	}
	if got := h.served("gemini-2.5-flash"); got != "ca-a@example.com" {
		t.Errorf("gemini-2.5-flash served by %s; want ca-a (only gemini-2.5-pro is exhausted)", got)
	}
	if got := h.served("gemini-2.5-pro"); got != "ca-b@example.com" {
		t.Errorf("gemini-2.5-pro served by %s; want ca-b while ca-a cools", got)
	}
}

func TestCodeAssistValidationRequiredRestsTheAccountWithTheHint(t *testing.T) {
	h, _ := caPair(t, fakeupstream.CodeAssistUser{VerifyRequired: true})
	if got := h.served("gemini-2.5-pro"); got != "ca-b@example.com" {
		t.Fatalf("served by %s; want ca-b", got)
	}
	a := h.caAccount("ca-a")
	until, reason, ok := a.cooldown("*")
	if !ok || reason != "forbidden" || time.Until(until) < 5*time.Hour {
		t.Fatalf("ca-a cooldown %v %q %v; want an account-wide cooldown of hours", until, reason, ok)
	}
	if a.CodeAssist == nil || a.CodeAssist.Verification == nil || a.CodeAssist.Verification.URL == "" ||
		a.CodeAssist.Verification.Reason == "" {
		t.Fatalf("verification hint missing from the admin view: %+v", a.CodeAssist)
	}
	if got := h.served("gemini-2.5-flash"); got != "ca-b@example.com" {
		t.Errorf("another model served by %s; the account must rest for every model", got)
	}
}

func TestCodeAssistModelMissingFromTheTierCoolsOnlyThatGroup(t *testing.T) {
	h, _ := caPair(t, fakeupstream.CodeAssistUser{Models: []string{"gemini-2.5-flash"}})
	if got := h.served("gemini-2.5-pro"); got != "ca-b@example.com" {
		t.Fatalf("served by %s; want ca-b", got)
	}
	if _, reason, ok := h.caAccount("ca-a").cooldown("gemini-2.5-pro"); !ok || reason != "not_found" {
		t.Fatalf("ca-a: cooldown %q %v; want a not_found cooldown of gemini-2.5-pro", reason, ok)
	}
	if got := h.served("gemini-2.5-flash"); got != "ca-a@example.com" {
		t.Errorf("gemini-2.5-flash served by %s; want ca-a", got)
	}
}

func TestCodeAssistDiscoveredTierOrdersTheAccounts(t *testing.T) {
	fake, url := caFake(t)
	fake.SetCodeAssistUser(caRefresh("ca-pro"), fakeupstream.CodeAssistUser{Tier: fakeupstream.TierStandard, Project: "proj-pro"})
	fake.SetCodeAssistUser(caRefresh("ca-auto"), fakeupstream.CodeAssistUser{Tier: fakeupstream.TierStandard, PaidTier: "g1-ultra-tier"})
	h := newCodeAssistHarness(t, fake, url, caPoolFile(t, url, []caAccount{
		{id: "ca-pro", project: "proj-pro", tier: "pro"}, {id: "ca-auto"},
	}), "", nil)
	// The replica discovers ca-auto in the background, before any request.
	deadline := time.Now().Add(5 * time.Second)
	for h.caAccount("ca-auto").Tier != "ultra" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if tier := h.caAccount("ca-auto").Tier; tier != "ultra" {
		t.Fatalf("ca-auto tier %q; want ultra from its paid tier", tier)
	}
	for i := range 3 {
		if got := h.served("gemini-2.5-pro"); got != "ca-auto@example.com" {
			t.Errorf("request %d served by %s; want the discovered ultra account first", i, got)
		}
	}
}
