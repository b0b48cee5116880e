package codeassist

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/upstream"
)

type staticTokens string

func (s staticTokens) AccessToken(context.Context, *account.Account) (string, error) {
	return string(s), nil
}

func testAccount(base string) *account.Account {
	return &account.Account{ID: "ca", Provider: account.CodeAssist, BaseURL: base, Project: "p-1", Tier: account.Pro,
		OAuth: &account.OAuth{ClientID: "c", RefreshToken: "r"}}
}

func TestSendReadsAnEventStreamErrorAsJSON(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" || r.URL.Path != "/v1internal:streamGenerateContent" {
			t.Errorf("request %s %s", r.URL.Path, r.Header.Get("Authorization"))
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, "data: {\"error\":{\"code\":429,\"message\":\"Resource has been exhausted\",\"status\":\"RESOURCE_EXHAUSTED\"}}\n\n")
	}))
	defer srv.Close()
	s := New(nil, Options{Tokens: staticTokens("tok")})
	resp, err := s.Send(context.Background(), testAccount(srv.URL), upstream.Call{Op: upstream.OpGenerate, Model: "gemini-2.5-pro",
		Stream: true, Body: []byte(`{"contents":[]}`)})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 429 || resp.Header.Get("Content-Type") != "application/json" || gjson.GetBytes(body, "error.code").Int() != 429 {
		t.Fatalf("%d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

func TestSendUnwrapsAStreamAndAJSONAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if gjson.GetBytes(b, "project").Str != "p-1" || gjson.GetBytes(b, "request.session_id").Str != "s-1" {
			t.Errorf("envelope %s", b)
		}
		if strings.Contains(r.URL.Path, "stream") {
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "data: {\"response\":{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}]},\"traceId\":\"t\"}\r\n\r\n")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"response":{"candidates":[{"content":{"parts":[{"text":"b"}]}}]},"traceId":"t"}`)
	}))
	defer srv.Close()
	s := New(nil, Options{Tokens: staticTokens("tok")})
	for _, stream := range []bool{true, false} {
		resp, err := s.Send(context.Background(), testAccount(srv.URL), upstream.Call{Op: upstream.OpGenerate, Model: "gemini-2.5-pro",
			Stream: stream, Body: []byte(`{"contents":[]}`), Session: "s-1"})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := `{"candidates":[{"content":{"parts":[{"text":"b"}]}}],"responseId":"t"}`
		if stream {
			want = "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}],\"responseId\":\"t\"}\r\n\r\n"
		}
		if string(body) != want {
			t.Errorf("stream=%v: %q; want %q", stream, body, want)
		}
	}
}
