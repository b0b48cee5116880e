package app_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
	"github.com/switchyard-gw/switchyard/internal/store/storetest"
)

// sseEvents splits an SSE body into (event name, data) pairs.
func sseEvents(body string) [][2]string {
	var out [][2]string
	for _, block := range strings.Split(body, "\n\n") {
		var name, data string
		for _, line := range strings.Split(block, "\n") {
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				name = v
			}
			if v, ok := strings.CutPrefix(line, "data: "); ok {
				data += v
			}
		}
		if name != "" || data != "" {
			out = append(out, [2]string{name, data})
		}
	}
	return out
}

// Claude Code, unmodified, on a pool without any Anthropic account: its
// ?beta=true route, beta headers, metadata.user_id and streamed tool loop.
func TestClaudeCodeOnOpenAIPool(t *testing.T) {
	h := newHarness(t, harnessOpts{
		accounts: []acctSpec{{id: "oa-1", provider: "openai", tier: "pro"}, {id: "oa-2", provider: "openai", tier: "pro"}},
		routes:   "claude-sonnet-4-5: gpt-4o\n",
	})
	hdr := map[string]string{"x-api-key": clientKey, "anthropic-version": "2023-06-01",
		"anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14"}
	body := `{"model":"claude-sonnet-4-5","max_tokens":32000,"stream":true,
"metadata":{"user_id":"user_4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c_account__session_8b1e3f0c-2a7d-4c55-9f00-1234567890ab"},
"system":[{"type":"text","text":"You are Claude Code, Anthropic's official CLI for Claude.","cache_control":{"type":"ephemeral"}}],
"tools":[{"name":"Bash","description":"Run a shell command","input_schema":{"type":"object","properties":{"command":{"type":"string"}},"required":["command"]}}],
"messages":[{"role":"user","content":[{"type":"text","text":"<system-reminder>context</system-reminder>"},{"type":"text","text":"list the files","cache_control":{"type":"ephemeral"}}]}]}`
	resp, out := h.do("POST", "/v1/messages?beta=true", body, hdr)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("status %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), out)
	}
	evs := sseEvents(out)
	var names []string
	for _, e := range evs {
		names = append(names, e[0])
	}
	seq := strings.Join(names, ",")
	if !strings.HasPrefix(seq, "message_start,content_block_start,") || !strings.HasSuffix(seq, "content_block_stop,message_delta,message_stop") {
		t.Fatalf("event order %s", seq)
	}
	var toolUse gjson.Result
	var args strings.Builder
	for _, e := range evs {
		d := gjson.Parse(e[1])
		if e[0] == "content_block_start" && d.Get("content_block.type").String() == "tool_use" {
			toolUse = d.Get("content_block")
		}
		if d.Get("delta.type").String() == "input_json_delta" {
			args.WriteString(d.Get("delta.partial_json").String())
		}
		if e[0] == "message_delta" && d.Get("delta.stop_reason").String() != "tool_use" {
			t.Errorf("stop reason %s", e[1])
		}
	}
	if toolUse.Get("name").String() != "Bash" || !gjson.Valid(args.String()) || !gjson.Get(args.String(), "command").Exists() {
		t.Fatalf("tool_use %s with input %q", toolUse.Raw, args.String())
	}
	first := resp.Header.Get("X-Account-Email")
	up := lastUpstream(t, h.fake, "openai")
	if got := gjson.GetBytes(up.Body, "messages.0.role").String(); got != "system" || !strings.Contains(string(up.Body), "You are Claude Code") {
		t.Errorf("system prompt not hoisted: %s", up.Body)
	}
	if up.Header.Get("anthropic-beta") != "" || up.Header.Get("anthropic-version") != "" {
		t.Error("anthropic headers leaked to an openai upstream")
	}

	// The tool result turn: same session, so the same account (prompt cache).
	id := toolUse.Get("id").String()
	follow := strings.Replace(body, `"cache_control":{"type":"ephemeral"}}]}]}`,
		`"cache_control":{"type":"ephemeral"}}]},{"role":"assistant","content":[{"type":"tool_use","id":"`+id+`","name":"Bash","input":{"command":"ls"}}]},`+
			`{"role":"user","content":[{"type":"tool_result","tool_use_id":"`+id+`","content":"README.md main.go"}]}]}`, 1)
	if follow == body {
		t.Fatal("follow-up body not built")
	}
	for i := 0; i < 4; i++ {
		resp, out = h.do("POST", "/v1/messages?beta=true", follow, hdr)
		if resp.StatusCode != 200 || !strings.Contains(out, `"stop_reason":"end_turn"`) {
			t.Fatalf("follow-up %d: %d %s", i, resp.StatusCode, out)
		}
		if got := resp.Header.Get("X-Account-Email"); got != first {
			t.Fatalf("session moved from %s to %s", first, got)
		}
	}
	up = lastUpstream(t, h.fake, "openai")
	if gjson.GetBytes(up.Body, `messages.#(role=="tool").tool_call_id`).String() != id {
		t.Errorf("tool result not paired upstream: %s", up.Body)
	}
}

func TestTranslatedTokenCounts(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: xlRoutes})
	anth := map[string]string{"x-api-key": clientKey, "anthropic-version": "2023-06-01"}
	resp, out := h.do("POST", "/v1/messages/count_tokens", `{"model":"via-gemini","messages":[{"role":"user","content":"count these words please"}]}`, anth)
	if resp.StatusCode != 200 || gjson.Get(out, "input_tokens").Int() <= 0 {
		t.Fatalf("anthropic count on gemini: %d %s", resp.StatusCode, out)
	}
	if up := lastUpstream(t, h.fake, "gemini"); !strings.HasSuffix(up.Path, ":countTokens") {
		t.Errorf("upstream path %s", up.Path)
	}
	resp, out = h.do("POST", "/v1beta/models/via-anthropic:countTokens", `{"contents":[{"role":"user","parts":[{"text":"count these words please"}]}]}`,
		map[string]string{"x-goog-api-key": clientKey})
	if resp.StatusCode != 200 || gjson.Get(out, "totalTokens").Int() <= 0 {
		t.Fatalf("gemini count on anthropic: %d %s", resp.StatusCode, out)
	}
	if up := lastUpstream(t, h.fake, "anthropic"); up.Path != "/v1/messages/count_tokens" {
		t.Errorf("upstream path %s", up.Path)
	}
	// Nobody can count for an OpenAI-only model: an error, never a made-up zero.
	resp, out = h.do("POST", "/v1/messages/count_tokens", `{"model":"via-openai","messages":[{"role":"user","content":"x"}]}`, anth)
	if resp.StatusCode != 400 || gjson.Get(out, "type").String() != "error" || gjson.Get(out, "input_tokens").Exists() {
		t.Fatalf("count on openai-only model: %d %s", resp.StatusCode, out)
	}
}

// Upstream errors and broken streams reach the client in its own protocol.
func TestTranslatedErrors(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: xlRoutes})
	auth := map[string]string{"Authorization": "Bearer " + clientKey}

	// The provider refuses the request (context length): not retried, the
	// client's envelope, the provider's reason kept.
	h.fake.AddFault(fakeupstream.Fault{Provider: "anthropic", Kind: fakeupstream.KindStatus, Status: 400, Reason: fakeupstream.ReasonContextLength, Times: 1})
	resp, out := h.do("POST", "/v1/chat/completions", `{"model":"via-anthropic","messages":[{"role":"user","content":"hi"}]}`, auth)
	if resp.StatusCode != 400 || gjson.Get(out, "error.type").String() != "invalid_request_error" || !strings.Contains(gjson.Get(out, "error.message").String(), "prompt is too long") {
		t.Fatalf("400 from anthropic to an openai client: %d %s", resp.StatusCode, out)
	}
	if n := len(h.fake.Requests()); n != 1 {
		t.Fatalf("a client error was retried: %d upstream requests", n)
	}

	// Every gemini account rate-limited for long: 429 + Retry-After in the
	// Anthropic envelope.
	h.fake.AddFault(fakeupstream.Fault{Provider: "gemini", Kind: fakeupstream.KindStatus, Status: 429, Reason: fakeupstream.ReasonRateLimit, RetryAfter: "30s"})
	resp, out = h.do("POST", "/v1/messages", `{"model":"via-gemini","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}`,
		map[string]string{"x-api-key": clientKey, "anthropic-version": "2023-06-01"})
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || gjson.Get(out, "error.type").String() != "rate_limit_error" {
		t.Fatalf("all gemini accounts limited, anthropic client: %d %v %s", resp.StatusCode, resp.Header.Get("Retry-After"), out)
	}
	h.fake.ClearFaults()

	// A stream that breaks after it started ends with the client's error
	// event, never a clean finish.
	h.fake.AddFault(fakeupstream.Fault{Provider: "openai", Kind: fakeupstream.KindCutAfter, AfterEvents: 2})
	resp, out = h.do("POST", "/v1beta/models/via-openai:streamGenerateContent?alt=sse",
		`{"contents":[{"role":"user","parts":[{"text":"tell me a long story please"}]}]}`, map[string]string{"x-goog-api-key": clientKey})
	evs := sseEvents(out)
	if resp.StatusCode != 200 || len(evs) < 2 {
		t.Fatalf("cut stream: %d %s", resp.StatusCode, out)
	}
	last := gjson.Parse(evs[len(evs)-1][1])
	if !last.Get("error.code").Exists() || strings.Contains(out, `"finishReason":"STOP"`) {
		t.Fatalf("a cut stream must end with a Gemini error chunk and no STOP:\n%s", out)
	}
	h.fake.ClearFaults()

	// The same cut before the first event is just another attempt.
	h.fake.AddFault(fakeupstream.Fault{Provider: "anthropic", Kind: fakeupstream.KindEmptyStream, Times: 1})
	resp, out = h.do("POST", "/v1/chat/completions", `{"model":"via-anthropic","stream":true,"messages":[{"role":"user","content":"hi"}]}`, auth)
	if resp.StatusCode != 200 || !strings.Contains(out, "anthropic model ") || !strings.HasSuffix(strings.TrimSpace(out), "data: [DONE]") {
		t.Fatalf("empty stream then retry: %d %s", resp.StatusCode, out)
	}
}

// On the fast path (client protocol = provider) the body is forwarded with
// only the model rewritten: fields the gateway does not know survive byte for
// byte (Anthropic: TestUnknownFieldsSurviveFastPath, which checks the whole body).
func TestFastPathKeepsUnknownFields(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: demoRoutes})
	cases := []struct {
		provider, path, body string
		hdr                  map[string]string
	}{
		{"openai", "/v1/chat/completions",
			`{"model":"gpt-4o","messages":[{"role":"user","content":"hi","x_note":{"deep":[1,2.50,"three"]}}],"x_vendor_flag":true,"logit_bias":{"50256":-100}}`,
			map[string]string{"Authorization": "Bearer " + clientKey}},
		{"gemini", "/v1beta/models/gemini-pro-latest:generateContent",
			`{"contents":[{"role":"user","parts":[{"text":"hi","x_note":{"deep":[1,2.50,"three"]}}]}],"x_vendor_flag":true,"cachedContent":"cachedContents/abc"}`,
			map[string]string{"x-goog-api-key": clientKey}},
	}
	for _, tc := range cases {
		t.Run(tc.provider, func(t *testing.T) {
			resp, out := h.do("POST", tc.path, tc.body, tc.hdr)
			if resp.StatusCode != 200 {
				t.Fatalf("%d %s", resp.StatusCode, out)
			}
			up := string(lastUpstream(t, h.fake, tc.provider).Body)
			for _, want := range []string{`"x_note":{"deep":[1,2.50,"three"]}`, `"x_vendor_flag":true`} {
				if !strings.Contains(up, want) {
					t.Errorf("upstream body lost %s:\n%s", want, up)
				}
			}
		})
	}
}

// Redis goes away between two turns of a translated tool loop: the
// signature cache cannot answer, the request is still served (failure mode
// open), and Gemini gets Google's documented placeholder instead of nothing.
func TestTranslatedTurnSurvivesRedisOutage(t *testing.T) {
	addr := storetest.StartRedis(t)
	h := newHarness(t, harnessOpts{routes: xlRoutes, redisURL: storetest.URL(addr)})
	auth := map[string]string{"Authorization": "Bearer " + clientKey}
	turn1 := `{"model":"via-gemini","reasoning_effort":"low","messages":[{"role":"user","content":"Weather in Bern?"}],
"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]}`
	resp, out := h.do("POST", "/v1/chat/completions", turn1, auth)
	call := gjson.Get(out, "choices.0.message.tool_calls.0")
	if resp.StatusCode != 200 || call.Get("id").Str == "" {
		t.Fatalf("turn 1: %d %s", resp.StatusCode, out)
	}
	killRedis(t, addr)
	turn2 := strings.Replace(turn1, `"content":"Weather in Bern?"}]`, `"content":"Weather in Bern?"},{"role":"assistant","content":null,"tool_calls":[`+call.Raw+`]},{"role":"tool","tool_call_id":"`+call.Get("id").Str+`","content":"snow"}]`, 1)
	resp, out = h.do("POST", "/v1/chat/completions", turn2, auth)
	if resp.StatusCode != 200 || !strings.Contains(gjson.Get(out, "choices.0.message.content").Str, "snow") {
		t.Fatalf("turn 2 during the outage: %d %s", resp.StatusCode, out)
	}
	body := lastUpstream(t, h.fake, "gemini").Body
	if got := gjson.GetBytes(body, `contents.#(role=="model").parts.#(functionCall).thoughtSignature`).Str; got != "skip_thought_signature_validator" {
		t.Fatalf("turn 2 function call signature %q; want the placeholder\n%s", got, body)
	}
}

// An Anthropic upstream that fails mid-stream with an error event: a client
// of another protocol gets its own protocol's error event with the provider's
// reason, after the text already sent, and never a clean finish.
func TestTranslatedMidStreamErrorEvent(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		for _, ev := range []string{
			"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-x\",\"content\":[],\"usage\":{\"input_tokens\":5,\"output_tokens\":0}}}\n\n",
			"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
			"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Partial answer\"}}\n\n",
			"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n",
		} {
			_, _ = io.WriteString(w, ev)
			fl.Flush()
		}
	}))
	t.Cleanup(up.Close)
	h := newHarness(t, harnessOpts{accounts: []acctSpec{{id: "an-1", provider: "anthropic", tier: "pro"}},
		fake: fakeupstream.New(fakeupstream.Options{}), fakeURL: up.URL})

	resp, out := h.do("POST", "/v1/chat/completions", `{"model":"claude-sonnet-4-5","stream":true,"messages":[{"role":"user","content":"hi"}]}`,
		map[string]string{"Authorization": "Bearer " + clientKey})
	evs := sseEvents(out)
	if resp.StatusCode != 200 || len(evs) < 2 || !strings.Contains(out, "Partial answer") {
		t.Fatalf("openai client: %d %s", resp.StatusCode, out)
	}
	last := gjson.Parse(evs[len(evs)-1][1])
	if !strings.Contains(last.Get("error.message").Str, "Overloaded") || strings.Contains(out, "[DONE]") || strings.Contains(out, `"finish_reason":"stop"`) {
		t.Fatalf("openai client must end with an error chunk, no [DONE]:\n%s", out)
	}

	resp, out = h.do("POST", "/v1beta/models/claude-sonnet-4-5:streamGenerateContent?alt=sse", `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`,
		map[string]string{"x-goog-api-key": clientKey})
	evs = sseEvents(out)
	last = gjson.Parse(evs[len(evs)-1][1])
	if resp.StatusCode != 200 || last.Get("error.code").Int() != 529 && last.Get("error.code").Int() != 503 || strings.Contains(out, "finishReason") {
		t.Fatalf("gemini client must end with an error chunk, no finishReason:\n%s", out)
	}
}
