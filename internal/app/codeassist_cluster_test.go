package app_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

const caGenerate = "/v1beta/models/gemini-2.5-pro:generateContent"

// caReplicas runs n gateways over one pool, one fake and one real Redis.
func caReplicas(t *testing.T, n int, fake *fakeupstream.Server, url string, accts []caAccount, env map[string]string) []*harness {
	t.Helper()
	redisURL := storetest.URL(storetest.StartRedis(t))
	pool := caPoolFile(t, url, accts)
	hs := make([]*harness, n)
	for i := range hs {
		hs[i] = newCodeAssistHarness(t, fake, url, pool, redisURL, env)
	}
	return hs
}

func TestCodeAssistProjectDiscoveredOnceAcrossReplicas(t *testing.T) {
	fake, url := caFake(t)
	// Not onboarded yet: loadCodeAssist names no current tier, onboardUser
	// answers an operation that is read twice unfinished.
	fake.SetCodeAssistUser(caRefresh("ca-new"), fakeupstream.CodeAssistUser{OnboardPolls: 2})
	hs := caReplicas(t, 3, fake, url, []caAccount{{id: "ca-new"}}, nil)

	var wg sync.WaitGroup
	errs := make(chan string, 9)
	for i := range 9 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, body := hs[i%3].do("POST", caGenerate, geminiBody(fmt.Sprintf("hello %d", i)), geminiHdr)
			if resp.StatusCode != 200 || !strings.Contains(body, "fake gemini") {
				errs <- fmt.Sprintf("request %d: %d %s", i, resp.StatusCode, body)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := len(caRequests(fake, ":loadCodeAssist")); n != 1 {
		t.Errorf("loadCodeAssist called %d times by 3 replicas; want once", n)
	}
	if n := len(caRequests(fake, ":onboardUser")); n != 1 {
		t.Errorf("onboardUser called %d times; want once", n)
	}
	polls := 0
	for _, r := range fake.Requests() {
		if strings.HasPrefix(r.Path, "/v1internal/operations/") {
			polls++
		}
	}
	if polls != 2 {
		t.Errorf("the onboarding operation was read %d times; want 2 (until done)", polls)
	}
	// Generate calls stream or not, as dispatch chooses.
	gens := append(caRequests(fake, ":streamGenerateContent"), caRequests(fake, ":generateContent")...)
	if len(gens) != 9 {
		var seen []string
		for _, r := range fake.Requests() {
			seen = append(seen, r.Provider+" "+r.Path+" "+fmt.Sprint(r.Status))
		}
		t.Fatalf("%d generate calls; want 9; the fake saw %v", len(gens), seen)
	}
	project := gjson.GetBytes(gens[0].Body, "project").Str
	if !strings.HasPrefix(project, "fake-project-") {
		t.Fatalf("generate project %q; want the onboarded project", project)
	}
	for _, g := range gens {
		if p := gjson.GetBytes(g.Body, "project").Str; p != project {
			t.Errorf("a replica used project %q; want %q", p, project)
		}
	}
	for i, h := range hs {
		a := h.caAccount("ca-new")
		if a.CodeAssist == nil || a.CodeAssist.Project != project || a.Tier != "free" || a.CodeAssist.TierID != fakeupstream.TierFree {
			t.Errorf("replica %d admin view %+v %+v", i, a, a.CodeAssist)
		}
	}
}

func TestCodeAssistQuotaPolledByOneReplicaAndHonouredByAll(t *testing.T) {
	fake, url := caFake(t)
	fake.SetCodeAssistUser(caRefresh("ca-low"), fakeupstream.CodeAssistUser{Tier: fakeupstream.TierStandard,
		Quota: map[string]float64{"gemini-2.5-pro": 0.05}})
	fake.SetCodeAssistUser(caRefresh("ca-high"), fakeupstream.CodeAssistUser{Tier: fakeupstream.TierStandard,
		Quota: map[string]float64{"gemini-2.5-pro": 0.9}})
	env := map[string]string{"SWITCHYARD_QUOTA_POLL_INTERVAL": "1s", "SWITCHYARD_QUOTA_PROTECTION": "0.2",
		"SWITCHYARD_SCHEDULING_MODE": "Balance"}
	start := time.Now()
	hs := caReplicas(t, 3, fake, url, []caAccount{{id: "ca-low"}, {id: "ca-high"}}, env)

	// Wait for both accounts' quota to be read, then watch a few intervals.
	deadline := time.Now().Add(10 * time.Second)
	for len(caRequests(fake, ":retrieveUserQuota")) < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(2500 * time.Millisecond)
	elapsed := time.Since(start)
	reads := map[string]int{}
	for _, r := range caRequests(fake, ":retrieveUserQuota") {
		reads[gjson.GetBytes(r.Body, "project").Str]++
	}
	if len(reads) != 2 {
		t.Fatalf("quota read for %d projects (%v); want both accounts", len(reads), reads)
	}
	// One read per account per interval (±10%), whichever replica made it;
	// three replicas reading on their own would make about three times more.
	maxReads := int(elapsed/(900*time.Millisecond)) + 1
	for p, n := range reads {
		if n > maxReads {
			t.Errorf("project %s: %d quota reads in %s by 3 replicas; want at most %d (one per interval)", p, n, elapsed.Round(time.Millisecond), maxReads)
		}
	}

	for i := range 9 {
		resp, body := hs[i%3].do("POST", caGenerate, geminiBody(fmt.Sprintf("hello %d", i)), geminiHdr)
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, body)
		}
		if got := resp.Header.Get("X-Account-Email"); got != "ca-high@example.com" {
			t.Errorf("request %d on replica %d served by %s; the account below the quota threshold must be skipped", i, i%3, got)
		}
	}
	for i, h := range hs {
		a := h.caAccount("ca-low")
		if q, ok := a.Quota["gemini-2.5-pro"]; !ok || q > 0.06 {
			t.Errorf("replica %d: learned quota %v; want 0.05 for gemini-2.5-pro", i, a.Quota)
		}
		if a.CodeAssist == nil || a.CodeAssist.Quota == nil || a.CodeAssist.Quota.ReadAt.IsZero() ||
			a.CodeAssist.Quota.ReadAt.Before(start) || a.CodeAssist.Quota.Models["gemini-2.5-pro"].Remaining > 0.06 {
			t.Errorf("replica %d: quota read in the admin view %+v", i, a.CodeAssist)
		}
	}
}

func TestCodeAssistInvalidGrantDisablesTheAccountEverywhere(t *testing.T) {
	fake, url := caFake(t)
	fake.RevokeRefreshToken(caRefresh("ca-dead"))
	fake.RevokeRefreshToken(caRefresh("ca-gone")) // no project: refused during discovery
	hs := caReplicas(t, 2, fake, url, []caAccount{
		{id: "ca-dead", project: "proj-dead", tier: "ultra"},
		{id: "ca-gone", tier: "ultra"},
		{id: "ca-ok", project: "proj-ok", tier: "pro"},
	}, nil)
	fake.SetCodeAssistUser(caRefresh("ca-ok"), fakeupstream.CodeAssistUser{Tier: fakeupstream.TierStandard, Project: "proj-ok"})

	resp, body := hs[0].do("POST", caGenerate, geminiBody("hello"), geminiHdr)
	if resp.StatusCode != 200 || resp.Header.Get("X-Account-Email") != "ca-ok@example.com" {
		t.Fatalf("%d via %q: %s; want 200 from ca-ok", resp.StatusCode, resp.Header.Get("X-Account-Email"), body)
	}
	for i, h := range hs {
		for _, id := range []string{"ca-dead", "ca-gone"} {
			a := h.caAccount(id)
			if !a.Disabled || !strings.Contains(a.DisabledReason, "invalid_grant") {
				t.Errorf("replica %d: %s disabled=%v (%q); want disabled for invalid_grant", i, id, a.Disabled, a.DisabledReason)
			}
		}
	}
	before := len(fake.Requests())
	resp, body = hs[1].do("POST", caGenerate, geminiBody("again"), geminiHdr)
	if resp.StatusCode != 200 || resp.Header.Get("X-Account-Email") != "ca-ok@example.com" {
		t.Fatalf("second replica: %d via %q: %s", resp.StatusCode, resp.Header.Get("X-Account-Email"), body)
	}
	for _, r := range fake.Requests()[before:] {
		if gjson.GetBytes(r.Body, "project").Str == "proj-dead" {
			t.Error("the disabled account was still used")
		}
	}
}
