package upstream_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/upstream"
)

// The headers each provider gets: content type, accept, user agent, the
// account's key, and for Anthropic the client's anthropic-version (default
// 2023-06-01) and every anthropic-beta value.
func TestSendHeaders(t *testing.T) {
	got := make(chan *http.Request, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		got <- r
	}))
	defer srv.Close()
	c := &upstream.Client{HTTP: srv.Client(), UserAgent: "switchyard/test"}
	send := func(a *account.Account, call upstream.Call) *http.Request {
		t.Helper()
		resp, err := c.Send(context.Background(), a, call)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return <-got
	}
	an := &account.Account{ID: "an-1", Provider: account.Provider("anthropic"), BaseURL: srv.URL, APIKey: "sk-ant-1"}
	client := http.Header{}
	client.Add("anthropic-beta", "b1")
	client.Add("anthropic-beta", "b2")
	r := send(an, upstream.Call{Body: []byte(`{}`), Stream: true, Header: client})
	if r.Header.Get("Content-Type") != "application/json" || r.Header.Get("Accept") != "text/event-stream" ||
		r.Header.Get("User-Agent") != "switchyard/test" || r.Header.Get("x-api-key") != "sk-ant-1" ||
		r.Header.Get("anthropic-version") != "2023-06-01" || !slices.Equal(r.Header.Values("anthropic-beta"), []string{"b1", "b2"}) {
		t.Errorf("anthropic stream headers: %v", r.Header)
	}
	if r.URL.Path != "/v1/messages" {
		t.Errorf("path %q", r.URL.Path)
	}
	client.Set("anthropic-version", "2024-01-01")
	r = send(an, upstream.Call{Body: []byte(`{}`), Header: client})
	if r.Header.Get("Accept") != "application/json" || r.Header.Get("anthropic-version") != "2024-01-01" {
		t.Errorf("anthropic JSON headers: %v", r.Header)
	}
	if len(client.Values("anthropic-beta")) != 2 || client.Get("anthropic-version") != "2024-01-01" {
		t.Errorf("the client's headers changed: %v", client)
	}
	oa := &account.Account{ID: "oa-1", Provider: account.Provider("openai"), BaseURL: srv.URL + "/v1", APIKey: "sk-oa-1"}
	r = send(oa, upstream.Call{Body: []byte(`{}`), Header: client})
	if r.Header.Get("Authorization") != "Bearer sk-oa-1" || r.Header.Get("anthropic-version") != "" || r.Header.Get("x-api-key") != "" {
		t.Errorf("openai headers: %v", r.Header)
	}
	ge := &account.Account{ID: "ge-1", Provider: account.Provider("gemini"), BaseURL: srv.URL, APIKey: "g-1"}
	r = send(ge, upstream.Call{Body: []byte(`{}`), Model: "gemini-2.5-pro"})
	if r.Header.Get("x-goog-api-key") != "g-1" || r.Header.Get("Authorization") != "" {
		t.Errorf("gemini headers: %v", r.Header)
	}
}
