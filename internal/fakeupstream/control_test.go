package fakeupstream

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestControlAPI(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	control := func(method, path, body string) (int, string) {
		t.Helper()
		resp := do(t, ts, call{method: method, path: path, body: body})
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		return resp.StatusCode, string(b)
	}

	if status, body := control("GET", "/_control/healthz", ""); status != 200 || body != "ok" {
		t.Errorf("healthz = %d %q, want 200 ok", status, body)
	}

	// One fault, then an array; an invalid entry rejects the whole array.
	if status, body := control("POST", "/_control/faults", `{"kind":"status","status":503,"times":1,"provider":"openai"}`); status != 200 || compact(t, body) != `{"added":1}` {
		t.Errorf("add one fault = %d %s", status, body)
	}
	if status, body := control("POST", "/_control/faults", `[{"kind":"stall","delay":"1.5s"},{"kind":"nope"}]`); status != 400 || !strings.Contains(body, `nope`) {
		t.Errorf("add invalid faults = %d %s, want 400 naming the bad kind", status, body)
	}
	if status, body := control("POST", "/_control/faults", `{"kind":"status","stauts":500}`); status != 400 || !strings.Contains(body, "stauts") {
		t.Errorf("add fault with unknown field = %d %s, want 400", status, body)
	}
	if status, body := control("POST", "/_control/faults", `[{"kind":"status","status":429,"provider":"gemini","model":"gemini-2.5-pro"},{"kind":"latency","delay":"1ms"}]`); status != 200 || compact(t, body) != `{"added":2}` {
		t.Errorf("add two faults = %d %s", status, body)
	}

	gen := generation(ProviderOpenAI, false)
	gen.header = map[string]string{"Authorization": "Bearer sk-control", "anthropic-beta": "ignored-by-openai"}
	if resp := do(t, ts, gen); resp.StatusCode != 503 {
		t.Errorf("first request: status %d, want 503 from the fault", resp.StatusCode)
	}
	if resp := do(t, ts, generation(ProviderGemini, true)); resp.StatusCode != 429 {
		t.Errorf("gemini request: status %d, want 429", resp.StatusCode)
	}

	status, body := control("GET", "/_control/requests", "")
	var recs []Record
	if err := json.Unmarshal([]byte(body), &recs); status != 200 || err != nil {
		t.Fatalf("requests = %d %v\n%s", status, err, body)
	}
	if len(recs) != 2 {
		t.Fatalf("got %d records, want 2", len(recs))
	}
	first := recs[0]
	if first.Provider != ProviderOpenAI || first.Credential != "sk-control" || first.Model != "gpt-4o" || first.Status != 503 || first.Fault != KindStatus {
		t.Errorf("first record = %+v", first)
	}
	if string(first.Body) != gen.body {
		t.Errorf("record body = %q, want %q", first.Body, gen.body)
	}
	if !strings.Contains(body, `"body":"`) || strings.Contains(body, `"body":"{`) {
		t.Errorf("bodies are not base64 in the JSON: %s", body)
	}
	if got := recs[1]; got.Provider != ProviderGemini || !got.Stream || got.Query != "alt=sse" || got.Model != "gemini-2.5-pro" {
		t.Errorf("second record = %+v", got)
	}

	if status, _ := control("DELETE", "/_control/requests", ""); status != http.StatusNoContent {
		t.Errorf("DELETE requests = %d", status)
	}
	if _, body := control("GET", "/_control/requests", ""); compact(t, body) != `[]` {
		t.Errorf("requests after DELETE = %s, want []", body)
	}
	if status, _ := control("DELETE", "/_control/faults", ""); status != http.StatusNoContent {
		t.Errorf("DELETE faults = %d", status)
	}
	if resp := do(t, ts, generation(ProviderGemini, false)); resp.StatusCode != 200 {
		t.Errorf("after DELETE faults: status %d, want 200", resp.StatusCode)
	}
}

func TestDurationJSON(t *testing.T) {
	cases := []struct {
		in   string
		want Duration
		ok   bool
	}{
		{`"1.5s"`, Duration(1500 * 1e6), true},
		{`2`, Duration(2e9), true},
		{`null`, 0, true},
		{`"soon"`, 0, false},
		{`true`, 0, false},
	}
	for _, tc := range cases {
		var d Duration
		err := json.Unmarshal([]byte(tc.in), &d)
		if (err == nil) != tc.ok || d != tc.want {
			t.Errorf("unmarshal %s = %v, %v; want %v, ok %v", tc.in, d, err, tc.want, tc.ok)
		}
	}
	b, _ := json.Marshal(Fault{Kind: KindStall, Delay: Duration(1500 * 1e6)})
	if string(b) != `{"kind":"stall","delay":"1.5s"}` {
		t.Errorf("marshal = %s", b)
	}
}
