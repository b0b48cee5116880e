package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/app"
	"github.com/switchyard-gw/switchyard/internal/clientkey"
	"github.com/switchyard-gw/switchyard/internal/dispatch"
	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol/anthropic"
	"github.com/switchyard-gw/switchyard/internal/protocol/gemini"
	"github.com/switchyard-gw/switchyard/internal/protocol/openai"
	"github.com/switchyard-gw/switchyard/internal/protocol/responses"
	"github.com/switchyard-gw/switchyard/internal/server"
	"github.com/switchyard-gw/switchyard/internal/upstream"
)

// decodingDispatcher stands in for dispatch at the end of the edge: it
// decodes the request with its client protocol's decoder, as a translated
// request would be, and answers 200 or the decoder's error.
type decodingDispatcher struct{}

func (decodingDispatcher) Serve(_ context.Context, w http.ResponseWriter, req *dispatch.Request) dispatch.Result {
	var e *llm.Error
	switch {
	case req.Op == upstream.OpCountTokens:
	case req.Protocol == llm.Anthropic:
		_, e = anthropic.DecodeRequest(req.Body)
	case req.Protocol == llm.Gemini:
		_, e = gemini.DecodeRequest(req.Body)
	case req.Op == upstream.OpResponses:
		_, e = responses.DecodeRequest(req.Body)
	default:
		_, e = openai.DecodeRequest(req.Body)
	}
	if e != nil {
		testProtocols.WriteError(w, req.Protocol, e)
		return dispatch.Result{Status: e.Status}
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"ok":true}`)
	return dispatch.Result{Status: 200}
}

var edgePaths = []string{
	"/v1/chat/completions",
	"/v1/responses",
	"/v1/messages",
	"/v1/messages/count_tokens",
	"/v1beta/models/gemini-2.5-pro:generateContent",
	"/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
	"/v1beta/models/gemini-2.5-pro:countTokens",
}

// FuzzClientEdge drives the whole client edge (route, auth, body limits,
// probe, session material) and the client protocol's decoder with arbitrary
// bodies and models: nothing may panic or overflow the stack, and every
// answer is 200 or an error in the route's own JSON envelope.
// testProtocols are the gateway's protocols, as the composition root registers them.
var testProtocols = app.Protocols()

func FuzzClientEdge(f *testing.F) {
	keys, err := clientkey.NewRegistry(nil, "", nil, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	srv := server.New(server.Options{
		Keys: keys, MaxBodyBytes: 8 << 20, Dispatch: decodingDispatcher{},
		Log: slog.New(slog.DiscardHandler), Errors: testProtocols,
	})
	seeds := []string{
		`{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"claude-x","max_tokens":5,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"metadata":{"user_id":"u"}}`,
		`{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`,
		`{"model":"gpt-4o","input":[{"type":"message","role":"user","content":"hi"}]}`,
		`{"model":"` + strings.Repeat("m", 300) + `"}`,
		`{"model":"gpt-4o","messages":` + strings.Repeat("[", 100_000),
		strings.Repeat("[", 1_000_000),
		`{"model":"gpt-4o","messages":[` + strings.Repeat(`{"a":`, 300) + `1` + strings.Repeat(`}`, 300) + `]}`,
	}
	// Every seed on every route: the seed-only run of make test sends each
	// depth bomb through each client protocol's edge.
	for _, s := range seeds {
		for r := range edgePaths {
			f.Add(uint8(r), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		path := edgePaths[int(route)%len(edgePaths)]
		req := httptest.NewRequest("POST", "http://127.0.0.1"+path, strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("anthropic-version", "2023-06-01")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code == 200 {
			return
		}
		if rec.Code < 400 || rec.Code > 499 {
			t.Fatalf("%s: status %d for a client body", path, rec.Code)
		}
		var env struct {
			Error *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Error == nil || env.Error.Message == "" {
			t.Fatalf("%s: %d answer is not an error envelope: %q", path, rec.Code, rec.Body.String())
		}
	})
}
