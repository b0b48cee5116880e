package codeassist

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/credential"
	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
	"github.com/switchyard-gw/switchyard/internal/upstream"
)

type quotaSink struct {
	mu  sync.Mutex
	got map[string]float64
}

func (q *quotaSink) SetQuota(_ context.Context, id, group string, f float64, reset time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !reset.After(time.Now()) {
		return nil
	}
	q.got[id+"|"+group] = f
	return nil
}

// Without a shared store every replica keeps its own discovered state,
// quota read and verification request.
func TestServiceWithoutASharedStore(t *testing.T) {
	fake := fakeupstream.New(fakeupstream.Options{})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	fake.SetCodeAssistUser("rt-solo", fakeupstream.CodeAssistUser{OnboardPolls: 1, Quota: map[string]float64{"gemini-2.5-pro": 0.4}})
	sink := &quotaSink{got: map[string]float64{}}
	svc := New(nil, Options{Tokens: credential.NewStore(nil, credential.Options{}), Quota: sink, OnboardPoll: 10 * time.Millisecond})
	a := &account.Account{ID: "solo", Provider: account.CodeAssist, BaseURL: srv.URL, Tier: account.Free, TierAuto: true,
		OAuth: &account.OAuth{TokenURL: srv.URL + "/token", ClientID: "c", RefreshToken: "rt-solo"}}
	ctx := context.Background()

	info, err := svc.Info(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if info.Project == "" || info.Tier != account.Free || info.TierID != fakeupstream.TierFree {
		t.Fatalf("info %+v; want the onboarded free-tier project", info)
	}
	if again, _ := svc.Info(ctx, a); again != info {
		t.Errorf("second Info %+v; want the cached %+v", again, info)
	}
	svc.pollQuota(ctx, a, time.Minute)
	if f := sink.got["solo|gemini-2.5-pro"]; f != 0.4 {
		t.Errorf("quota fed to the scheduler %v; want 0.4", sink.got)
	}
	view, tier := svc.Describe(ctx, a)
	if tier != account.Free || view.ProjectSource != "discovered" || view.TierSource != "code_assist" ||
		view.Quota == nil || view.Quota.Models["gemini-2.5-pro"].Remaining != 0.4 || view.Quota.At.IsZero() {
		t.Fatalf("view %+v (quota %+v)", view, view.Quota)
	}

	fake.SetCodeAssistUser("rt-solo", fakeupstream.CodeAssistUser{Tier: fakeupstream.TierFree, Project: info.Project, VerifyRequired: true})
	resp, err := svc.Send(ctx, a, upstream.Call{Op: upstream.OpGenerate, Model: "gemini-2.5-pro", Stream: true,
		Body: []byte(`{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.Header.Get("Retry-After") != "21600" {
		t.Fatalf("%d Retry-After %q; want 403 with a 6h Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if view, _ := svc.Describe(ctx, a); view.Verification == nil || view.Verification.URL == "" {
		t.Fatalf("verification missing from the view: %+v", view)
	}
}

// A Google AI Pro subscriber ranks as pro, an Ultra one as ultra: the tier
// is read from loadCodeAssist's current and paid tiers.
func TestDiscoveredTierOfSubscribers(t *testing.T) {
	fake := fakeupstream.New(fakeupstream.Options{})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	svc := New(nil, Options{Tokens: credential.NewStore(nil, credential.Options{})})
	for _, c := range []struct {
		tier, paid string
		want       account.Tier
	}{
		{fakeupstream.TierFree, "", account.Free},
		{fakeupstream.TierFree, "g1-pro-tier", account.Pro},
		{fakeupstream.TierStandard, "", account.Pro},
		{fakeupstream.TierFree, "g1-ultra-tier", account.Ultra},
	} {
		rt := "rt-" + c.tier + "-" + c.paid
		fake.SetCodeAssistUser(rt, fakeupstream.CodeAssistUser{Tier: c.tier, PaidTier: c.paid})
		a := &account.Account{ID: "acct-" + c.tier + c.paid, Provider: account.CodeAssist, BaseURL: srv.URL, Tier: account.Free, TierAuto: true,
			OAuth: &account.OAuth{TokenURL: srv.URL + "/token", ClientID: "c", RefreshToken: account.Secret(rt)}}
		info, err := svc.Info(context.Background(), a)
		if err != nil {
			t.Fatal(err)
		}
		if info.Tier != c.want || info.TierID != c.tier || svc.Tier(a) != c.want {
			t.Errorf("%s + paid %q: tier %s (%s), scheduled as %s; want %s", c.tier, c.paid, info.Tier, info.TierID, svc.Tier(a), c.want)
		}
	}
}
