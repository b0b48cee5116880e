package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
)

// Named client keys for the usage and model tests.
const (
	redKey  = "sy-team-red-secret-0a1b2c"
	blueKey = "sy-team-blue-secret-3d4e5f"
)

// teamKeysFile writes a keys file: team-red may use every model, team-blue
// only Claude models.
func teamKeysFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "keys.yaml")
	doc := fmt.Sprintf("keys:\n  - {name: team-red, key: %s}\n  - {name: team-blue, key: %s, models: [\"claude-*\"]}\n", redKey, blueKey)
	if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

type usageAnswer struct {
	GroupBy string `json:"group_by"`
	Groups  []struct {
		Name         string `json:"name"`
		Email        string `json:"email"`
		Requests     int64  `json:"requests"`
		Errors       int64  `json:"errors"`
		InputTokens  int64  `json:"input_tokens"`
		OutputTokens int64  `json:"output_tokens"`
		CachedTokens int64  `json:"cached_tokens"`
	} `json:"groups"`
	Total struct {
		Requests int64 `json:"requests"`
		Errors   int64 `json:"errors"`
	} `json:"total"`
	Complete bool `json:"complete"`
}

func getUsage(t *testing.T, h *harness, query string) usageAnswer {
	t.Helper()
	st, body := h.adminDo("GET", "/admin/usage?"+query, "")
	var u usageAnswer
	if st != 200 || json.Unmarshal([]byte(body), &u) != nil {
		t.Fatalf("GET /admin/usage?%s: %d %s", query, st, body)
	}
	return u
}

// TestUsageByKey: requests of two named keys are summed per key, model and
// account from the request log; the log records and the metrics carry the
// key's name.
func TestUsageByKey(t *testing.T) {
	h := newHarness(t, harnessOpts{env: map[string]string{"SWITCHYARD_API_KEYS_FILE": teamKeysFile(t)}})
	chat := `{"model":"gpt-4o","messages":[{"role":"user","content":"usage please"}]}`
	msg := `{"model":"claude-sonnet-4-5","max_tokens":32,"messages":[{"role":"user","content":"usage please"}]}`
	oai := func(key string) map[string]string { return map[string]string{"Authorization": "Bearer " + key} }
	anth := func(key string) map[string]string {
		return map[string]string{"x-api-key": key, "anthropic-version": "2023-06-01"}
	}
	for _, c := range []struct {
		path, body string
		hdr        map[string]string
		want       int
	}{
		{"/v1/chat/completions", chat, oai(redKey), 200},
		{"/v1/messages", msg, anth(redKey), 200},
		{"/v1/messages", msg, anth(blueKey), 200},
		{"/v1/chat/completions", chat, oai(blueKey), 403}, // outside its allow-list: refused at the edge, not dispatched
	} {
		if resp, body := h.do("POST", c.path, c.body, c.hdr); resp.StatusCode != c.want {
			t.Fatalf("%s: %d %s; want %d", c.path, resp.StatusCode, body, c.want)
		}
	}
	h.fake.AddFault(fakeupstream.Fault{Provider: "openai", Kind: fakeupstream.KindStatus, Status: 500})
	if resp, _ := h.do("POST", "/v1/chat/completions", chat, oai(redKey)); resp.StatusCode < 500 {
		t.Fatalf("failing request: %d; want 5xx", resp.StatusCode)
	}
	h.fake.ClearFaults()

	// The log is written in the background: wait for the four records.
	var u usageAnswer
	deadline := time.Now().Add(10 * time.Second)
	for u = getUsage(t, h, "group_by=key"); u.Total.Requests < 4 && time.Now().Before(deadline); u = getUsage(t, h, "group_by=key") {
		time.Sleep(50 * time.Millisecond)
	}
	if u.GroupBy != "key" || u.Total.Requests != 4 || u.Total.Errors != 1 || !u.Complete || len(u.Groups) != 2 {
		t.Fatalf("by key: %+v", u)
	}
	red, blue := u.Groups[0], u.Groups[1]
	if red.Name != "team-red" || red.Requests != 3 || red.Errors != 1 || red.InputTokens == 0 || red.OutputTokens == 0 {
		t.Errorf("team-red: %+v", red)
	}
	if blue.Name != "team-blue" || blue.Requests != 1 || blue.Errors != 0 || blue.InputTokens == 0 {
		t.Errorf("team-blue: %+v", blue)
	}

	m := getUsage(t, h, "group_by=model&since=1h")
	byModel := map[string]int64{}
	for _, g := range m.Groups {
		byModel[g.Name] = g.Requests
	}
	if len(byModel) != 2 || byModel["gpt-4o"] != 2 || byModel["claude-sonnet-4-5"] != 2 {
		t.Errorf("by model: %v", byModel)
	}
	a := getUsage(t, h, "group_by=account&since="+time.Now().Add(-time.Hour).UTC().Format(time.RFC3339))
	var n int64
	for _, g := range a.Groups {
		n += g.Requests
		if !strings.HasSuffix(g.Email, "@example.com") || !strings.HasPrefix(g.Email, g.Name+"@") {
			t.Errorf("account group %q has email %q", g.Name, g.Email)
		}
	}
	if n != 4 {
		t.Errorf("by account: %d requests in all; want 4", n)
	}
	if u := getUsage(t, h, "since=1ms"); u.Total.Requests != 0 {
		t.Errorf("since=1ms: %d requests", u.Total.Requests)
	}
	for _, bad := range []string{"group_by=provider", "since=last-week"} {
		if st, body := h.adminDo("GET", "/admin/usage?"+bad, ""); st != 400 || !strings.Contains(body, `"message"`) {
			t.Errorf("%s: %d %s; want 400 in the admin error shape", bad, st, body)
		}
	}
	if resp, _ := consoleGet(t, h.admin+"/admin/usage"); resp.StatusCode != 401 {
		t.Errorf("usage without the admin key: %d; want 401", resp.StatusCode)
	}

	// The request log names the key, and q finds a key's requests.
	st, body := h.adminDo("GET", "/admin/requests?q=team-blue", "")
	var list struct {
		Requests []struct {
			Key   string `json:"key"`
			Model string `json:"model"`
		} `json:"requests"`
	}
	if st != 200 || json.Unmarshal([]byte(body), &list) != nil || len(list.Requests) != 1 ||
		list.Requests[0].Key != "team-blue" || list.Requests[0].Model != "claude-sonnet-4-5" {
		t.Errorf("q=team-blue: %d %s", st, body)
	}

	// Prometheus counts per key.
	resp, err := http.Get(h.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(raw)
	for _, l := range []string{
		`switchyard_key_requests_total{key="team-red",status="2xx"} 2`,
		`switchyard_key_requests_total{key="team-red",status="5xx"} 1`,
		`switchyard_key_requests_total{key="team-blue",status="2xx"} 1`,
		`switchyard_key_tokens_total{key="team-blue",kind="input"} `,
		`switchyard_key_tokens_total{key="team-red",kind="output"} `,
	} {
		if !strings.Contains(text, "\n"+l) {
			t.Errorf("metrics lack %s", l)
		}
	}
	if strings.Contains(text, redKey) || strings.Contains(text, blueKey) {
		t.Error("a client key's secret appears in the metrics")
	}
}
