package telemetry_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/dispatch"
	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/schedule"
	"github.com/switchyard-gw/switchyard/internal/telemetry"
)

func TestRequestMetricsHaveBoundedLabels(t *testing.T) {
	m := telemetry.NewMetrics()
	res := dispatch.Result{Status: 200, TTFB: 40 * time.Millisecond, Attempts: []dispatch.Attempt{
		{Account: "an-1", Outcome: "rotate", Reason: "rate_limit"},
		{Account: "an-1", Outcome: "same_account", Reason: "rate_limit"},
		{Account: "an-2", Outcome: "rotate", Reason: "server_error"},
		{Account: "an-3", Outcome: "success"},
	}}
	m.ObserveRequest(llm.Anthropic, "messages", &res, 2*time.Second)
	odd := dispatch.Result{Status: 1234}
	m.ObserveRequest(llm.Protocol("x-proto"), "/v1beta/models/secret-client-model:generateContent", &odd, time.Second)
	m.Rejected(401)
	m.StoreDegraded(true)
	text := scrape(t, m)
	for _, l := range []string{
		`switchyard_requests_total{protocol="anthropic",route="messages",status="200"} 1`,
		`switchyard_requests_total{protocol="other",route="other",status="other"} 1`,
		`switchyard_request_duration_seconds_count{protocol="anthropic",route="messages"} 1`,
		`switchyard_time_to_first_byte_seconds_count{protocol="anthropic"} 1`,
		`switchyard_rotations_total{reason="same_account"}`, // absent: see below
		`switchyard_rotations_total{reason="rate_limit"} 1`,
		`switchyard_rotations_total{reason="server_error"} 1`,
		`switchyard_edge_rejections_total{status="401"} 1`,
		`switchyard_store_degraded 1`,
		`switchyard_redis_errors_total{op="request_log"} 0`,
		`go_goroutines `,
		`process_start_time_seconds`,
	} {
		if strings.Contains(l, "same_account") {
			if hasLine(text, l) {
				t.Errorf("unexpected %s", l)
			}
			continue
		}
		if !hasLine(text, l) {
			t.Errorf("metrics lack %s", l)
		}
	}
	if strings.Contains(text, "secret-client-model") {
		t.Error("a client-sent string became a label")
	}
}

func testPool(t *testing.T) *account.Pool {
	t.Helper()
	p, err := account.Parse([]byte(`accounts:
  - {id: a, email: a@example.com, provider: openai, api_key: k1}
  - {id: b, email: b@example.com, provider: openai, api_key: k2}
  - {id: c, email: c@example.com, provider: openai, api_key: k3, disabled: true}
`), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAccountGauges(t *testing.T) {
	m := telemetry.NewMetrics()
	pool := testPool(t)
	var fail bool
	states := func(ctx context.Context) (map[string]*schedule.AccountState, error) {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("state read without a deadline")
		}
		if fail {
			return nil, errors.New("connection refused")
		}
		return map[string]*schedule.AccountState{
			"a":    {Cooldowns: []schedule.Cooldown{{ModelGroup: "*", Until: time.Now().Add(time.Minute)}}},
			"b":    {Disabled: true},
			"gone": {Disabled: true}, // no longer in the pool file
		}, nil
	}
	m.WatchAccounts(states, func() *account.Pool { return pool }, 50*time.Millisecond)
	text := scrape(t, m)
	if !hasLine(text, "switchyard_accounts_cooling 1") || !hasLine(text, "switchyard_accounts_disabled 2") {
		t.Errorf("gauges wrong:\n%s", grep(text, "switchyard_accounts"))
	}
	fail = true
	if text = scrape(t, m); strings.Contains(text, "switchyard_accounts_cooling") {
		t.Errorf("a failed read must report no gauge:\n%s", grep(text, "switchyard_accounts"))
	}
	// Collectors run concurrently within a scrape: the error shows by the next one.
	text = scrape(t, m)
	if !hasLine(text, `switchyard_redis_errors_total{op="account_states"} 1`) && !hasLine(text, `switchyard_redis_errors_total{op="account_states"} 2`) {
		t.Errorf("a failed read must count a Redis error:\n%s", grep(text, "redis_errors"))
	}
}

func grep(text, s string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestKeyMetrics(t *testing.T) {
	m := telemetry.NewMetrics()
	m.ObserveKey("team-red", 200, llm.Usage{InputTokens: 100, OutputTokens: 20, CacheRead: 60, CacheWrite: 9})
	m.ObserveKey("team-red", 201, llm.Usage{InputTokens: 1})
	m.ObserveKey("team-red", 429, llm.Usage{})
	m.ObserveKey("team-blue", 502, llm.Usage{})
	m.ObserveKey("", 200, llm.Usage{OutputTokens: 7})
	m.ObserveKey("bad name\nwith {braces}", 0, llm.Usage{})
	text := scrape(t, m)
	for _, l := range []string{
		`switchyard_key_requests_total{key="team-red",status="2xx"} 2`,
		`switchyard_key_requests_total{key="team-red",status="4xx"} 1`,
		`switchyard_key_requests_total{key="team-blue",status="5xx"} 1`,
		`switchyard_key_requests_total{key="anonymous",status="2xx"} 1`,
		`switchyard_key_requests_total{key="other",status="other"} 1`,
		`switchyard_key_tokens_total{key="team-red",kind="input"} 101`,
		`switchyard_key_tokens_total{key="team-red",kind="output"} 20`,
		`switchyard_key_tokens_total{key="team-red",kind="cache_read"} 60`,
		`switchyard_key_tokens_total{key="anonymous",kind="output"} 7`,
	} {
		if !hasLine(text, l) {
			t.Errorf("metrics lack %s\n%s", l, grep(text, "switchyard_key_"))
		}
	}
	if strings.Contains(grep(text, "switchyard_key_tokens"), "cache_write") {
		t.Error("cache_write is not a kind of switchyard_key_tokens_total")
	}
	if strings.Contains(text, "braces") {
		t.Error("an invalid key name became a label")
	}
}

// The key label admits a bounded number of names; the rest count as other.
func TestKeyMetricsAreCapped(t *testing.T) {
	m := telemetry.NewMetrics()
	for i := 0; i < 1100; i++ {
		m.ObserveKey(fmt.Sprintf("key-%04d", i), 200, llm.Usage{})
	}
	m.ObserveKey("key-0000", 200, llm.Usage{}) // admitted before the cap: still its own
	text := scrape(t, m)
	if n := strings.Count(text, "\nswitchyard_key_requests_total{"); n != 1001 {
		t.Errorf("%d series of switchyard_key_requests_total; want 1000 names and other", n)
	}
	for _, l := range []string{
		`switchyard_key_requests_total{key="other",status="2xx"} 100`,
		`switchyard_key_requests_total{key="key-0000",status="2xx"} 2`,
	} {
		if !hasLine(text, l) {
			t.Errorf("metrics lack %s", l)
		}
	}
}
