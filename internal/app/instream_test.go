package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"google.golang.org/genai"

	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
)

// sseEvent renders one named SSE event.
func sseEvent(name, data string) string { return "event: " + name + "\ndata: " + data + "\n\n" }

const quotaMsg = "You exceeded your current quota, please check your plan and billing details."

// recordedQuotaFailure is the Responses stream OpenAI sends for an exhausted
// quota: the response opens, then an error event and response.failed.
var recordedQuotaFailure = sseEvent("response.created", `{"type":"response.created","sequence_number":0,"response":{"id":"resp_q1","object":"response","created_at":1760000000,"status":"in_progress","model":"gpt-4o-2024-08-06","output":[]}}`) +
	sseEvent("response.in_progress", `{"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_q1","object":"response","created_at":1760000000,"status":"in_progress","model":"gpt-4o-2024-08-06","output":[]}}`) +
	sseEvent("error", `{"type":"error","sequence_number":2,"code":"insufficient_quota","message":"`+quotaMsg+`","param":null}`) +
	sseEvent("response.failed", `{"type":"response.failed","sequence_number":3,"response":{"id":"resp_q1","object":"response","created_at":1760000000,"status":"failed","model":"gpt-4o-2024-08-06","output":[],"error":{"code":"insufficient_quota","message":"`+quotaMsg+`"}}}`)

func twoOpenAIAccounts() []acctSpec {
	return []acctSpec{{id: "oa-1", provider: "openai", tier: "pro"}, {id: "oa-2", provider: "openai", tier: "pro"}}
}

// An error event after response.created, before any content, is an attempt
// outcome: the quota cools that account and the next one answers.
func TestResponsesQuotaErrorEventFailsOver(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: demoRoutes, accounts: twoOpenAIAccounts()})
	for _, id := range []string{"oa-1", "oa-2"} {
		// The other account cools from the previous round's quota error.
		if st, _ := h.adminDo("DELETE", "/admin/rate-limits", ""); st != 200 {
			t.Fatal("clear cooldowns")
		}
		h.fake.ClearFaults()
		h.fake.AddFault(fakeupstream.Fault{Provider: "openai", Credential: upstreamKey(id), Kind: fakeupstream.KindRawStream, Body: recordedQuotaFailure})
		client := openai.NewClient(option.WithBaseURL(h.base+"/v1"), option.WithAPIKey(clientKey), option.WithMaxRetries(0))
		stream := client.Responses.NewStreaming(context.Background(), responses.ResponseNewParams{
			Model: "gpt-4o", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("hello from a quota test")},
		})
		var text strings.Builder
		completed := false
		for stream.Next() {
			ev := stream.Current()
			switch ev.Type {
			case "response.output_text.delta":
				text.WriteString(ev.Delta)
			case "response.completed":
				completed = true
			case "error", "response.failed":
				t.Fatalf("quota on %s: the client saw %s", id, ev.Type)
			}
		}
		if err := stream.Err(); err != nil || !completed || text.Len() == 0 {
			t.Fatalf("quota on %s: err=%v completed=%v text=%q; want a full answer from the other account", id, err, completed, text.String())
		}
		// The exhausted account cools for the model group.
		if _, _, cooling := h.accountState(id); !cooling {
			t.Errorf("%s does not cool after an insufficient_quota event", id)
		}
	}
	// Both accounts out of quota: a JSON client gets the provider's status
	// and message, and is told a retry cannot help.
	// (A JSON request stays JSON upstream: OpenAI answers it with a 429.)
	h.fake.ClearFaults()
	h.fake.AddFault(fakeupstream.Fault{Provider: "openai", Kind: fakeupstream.KindStatus, Status: 429,
		Body: `{"error":{"message":"` + quotaMsg + `","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}`})
	_, _ = h.adminDo("DELETE", "/admin/rate-limits", "")
	resp, body := h.do("POST", "/v1/responses", `{"model":"gpt-4o","input":"hello"}`, map[string]string{"Authorization": "Bearer " + clientKey})
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("every account out of quota: %d %s; want 429", resp.StatusCode, body)
	}
	if msg := envelope(t, "openai", body); !strings.Contains(msg, quotaMsg) {
		t.Errorf("message %q lost the provider's quota message", msg)
	}
	if resp.Header.Get("x-should-retry") != "false" {
		t.Errorf("x-should-retry = %q; want false for an exhausted quota", resp.Header.Get("x-should-retry"))
	}
}

// After the client has content, the provider's error events reach it
// whole, through response.failed, with no error of the gateway's own.
func TestResponsesFailureAfterCommitIsRelayedWhole(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: demoRoutes, accounts: twoOpenAIAccounts()})
	raw := sseEvent("response.created", `{"type":"response.created","sequence_number":0,"response":{"id":"resp_c1","status":"in_progress","output":[]}}`) +
		sseEvent("response.output_text.delta", `{"type":"response.output_text.delta","sequence_number":1,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"Partial"}`) +
		sseEvent("error", `{"type":"error","sequence_number":2,"code":"server_error","message":"The server had an error","param":null}`) +
		sseEvent("response.failed", `{"type":"response.failed","sequence_number":3,"response":{"id":"resp_c1","status":"failed","output":[],"error":{"code":"server_error","message":"The server had an error"}}}`)
	h.fake.AddFault(fakeupstream.Fault{Provider: "openai", Kind: fakeupstream.KindRawStream, Body: raw})
	resp, body := h.do("POST", "/v1/responses", `{"model":"gpt-4o","input":"hello","stream":true}`, map[string]string{"Authorization": "Bearer " + clientKey})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	iErr, iFailed := strings.Index(body, "event: error"), strings.Index(body, "event: response.failed")
	if !strings.Contains(body, "Partial") || iErr < 0 || iFailed < iErr {
		t.Fatalf("the client did not get the events through response.failed:\n%s", body)
	}
	if strings.Count(body, "event: error") != 1 {
		t.Fatalf("the gateway added an error event of its own:\n%s", body)
	}
	if n := len(h.fake.Requests()); n != 1 {
		t.Fatalf("%d upstream requests; a committed stream is never retried", n)
	}
}

// A complete Anthropic answer without content blocks (a refusal) is an
// answer in every client protocol: relayed once, with its finish reason, and
// no cooldown for the account.
func TestRefusalWithoutContentIsAnAnswer(t *testing.T) {
	accts := []acctSpec{{id: "an-1", provider: "anthropic", tier: "pro"}, {id: "an-2", provider: "anthropic", tier: "pro"}}
	h := newHarness(t, harnessOpts{routes: demoRoutes, accounts: accts})
	refusal := sseEvent("message_start", `{"type":"message_start","message":{"id":"msg_r1","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":1}}}`) +
		sseEvent("message_delta", `{"type":"message_delta","delta":{"stop_reason":"refusal","stop_sequence":null},"usage":{"output_tokens":1}}`) +
		sseEvent("message_stop", `{"type":"message_stop"}`)
	h.fake.AddFault(fakeupstream.Fault{Provider: "anthropic", Kind: fakeupstream.KindRawStream, Body: refusal})

	// Gemini client (the genai SDK), JSON and stream.
	gc, err := genai.NewClient(context.Background(), &genai.ClientConfig{APIKey: clientKey, Backend: genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: h.base}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := gc.Models.GenerateContent(context.Background(), "claude-sonnet-4-5", genai.Text("something refused"), nil)
	if err != nil {
		t.Fatalf("gemini JSON: %v", err)
	}
	if len(res.Candidates) != 1 || res.Candidates[0].FinishReason != genai.FinishReasonSafety {
		t.Fatalf("gemini JSON: %+v; want one candidate finished with SAFETY", res.Candidates)
	}
	var last *genai.GenerateContentResponse
	for chunk, err := range gc.Models.GenerateContentStream(context.Background(), "claude-sonnet-4-5", genai.Text("something refused"), nil) {
		if err != nil {
			t.Fatalf("gemini stream: %v", err)
		}
		last = chunk
	}
	if last == nil || len(last.Candidates) == 0 || last.Candidates[0].FinishReason != genai.FinishReasonSafety {
		t.Fatalf("gemini stream: last chunk %+v; want SAFETY", last)
	}
	// OpenAI Chat client (the openai SDK): content_filter with the refusal explained.
	oc := openai.NewClient(option.WithBaseURL(h.base+"/v1"), option.WithAPIKey(clientKey), option.WithMaxRetries(0))
	cc, err := oc.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "claude-sonnet-4-5", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("something refused")},
	})
	if err != nil {
		t.Fatalf("chat: %v", err)
	}
	if len(cc.Choices) != 1 || cc.Choices[0].FinishReason != "content_filter" || cc.Choices[0].Message.Refusal == "" {
		t.Fatalf("chat: %+v; want finish_reason content_filter with message.refusal", cc.Choices)
	}
	// Anthropic client, same protocol: the refusal as sent.
	resp, body := h.do("POST", "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"something refused"}]}`,
		map[string]string{"x-api-key": clientKey, "anthropic-version": "2023-06-01"})
	if resp.StatusCode != 200 || !strings.Contains(body, `"stop_reason":"refusal"`) || !strings.Contains(body, "event: message_stop") {
		t.Fatalf("anthropic stream: %d\n%s", resp.StatusCode, body)
	}
	// One upstream request per client request, and nobody cools.
	if n := len(h.fake.Requests()); n != 4 {
		t.Fatalf("%d upstream requests for 4 client requests; a refusal is never retried", n)
	}
	for _, id := range []string{"an-1", "an-2"} {
		if _, _, cooling := h.accountState(id); cooling {
			t.Errorf("%s cools down after a refusal", id)
		}
	}
}

// A JSON request on its own protocol stays JSON upstream, and the answer
// reaches the client byte for byte, fields the gateway does not know included.
func TestSameProtocolJSONAnswerIsRelayedByteForByte(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: demoRoutes})
	for _, c := range []struct {
		provider, path, body, answer string
		hdr                          map[string]string
	}{
		{"openai", "/v1/chat/completions", `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`,
			`{"id":"chatcmpl-x","object":"chat.completion","created":1,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_1","choices":[{"index":0,"message":{"role":"assistant","content":"Hi.","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5},"future_field":{"a":[1,2]}}`,
			map[string]string{"Authorization": "Bearer " + clientKey}},
		{"anthropic", "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":20,"messages":[{"role":"user","content":"hi"}]}`,
			`{"id":"msg_x","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"Hi."}],"stop_reason":"end_turn","stop_sequence":null,"stop_details":{"type":"end_turn"},"context_management":{"applied_edits":[]},"usage":{"input_tokens":3,"output_tokens":2,"service_tier":"standard"}}`,
			map[string]string{"x-api-key": clientKey, "anthropic-version": "2023-06-01"}},
	} {
		h.fake.ClearFaults()
		h.fake.AddFault(fakeupstream.Fault{Provider: c.provider, Kind: fakeupstream.KindStatus, Status: 200, Body: c.answer})
		resp, out := h.do("POST", c.path, c.body, c.hdr)
		if resp.StatusCode != 200 || out != c.answer {
			t.Fatalf("%s: %d\n got %s\nwant %s", c.provider, resp.StatusCode, out, c.answer)
		}
		last := h.fake.Requests()[len(h.fake.Requests())-1]
		if strings.Contains(string(last.Body), `"stream":true`) {
			t.Fatalf("%s: a JSON request was sent upstream as a stream: %s", c.provider, last.Body)
		}
	}
}
