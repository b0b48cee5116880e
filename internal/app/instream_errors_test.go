package app_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	anthropicopt "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"google.golang.org/genai"

	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
)

// An error event a provider sends inside a stream, before any content, is
// read by the same table as an HTTP error of the status it names: the
// account cools the way that status says (a model the account lacks cools
// only that model group; a refused key cools the account), and the next
// account answers. The official SDK sees one clean answer.
func TestInStreamErrorEventsAreClassifiedLikeStatuses(t *testing.T) {
	msgStart := sseEvent("message_start", `{"type":"message_start","message":{"id":"msg_e1","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":1}}}`)
	for _, tc := range []struct {
		name, errType, reason string
		groupOnly             bool // the cooldown is for the model group, not the whole account
	}{
		{"not found", "not_found_error", "not_found", true},
		{"permission", "permission_error", "forbidden", false},
		{"authentication", "authentication_error", "auth", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			accts := []acctSpec{{id: "an-1", provider: "anthropic", tier: "pro"}, {id: "an-2", provider: "anthropic", tier: "ultra"}}
			h := newHarness(t, harnessOpts{routes: demoRoutes, accounts: accts})
			// an-2 ranks first (ultra): it is the one that fails.
			h.fake.AddFault(fakeupstream.Fault{Provider: "anthropic", Credential: upstreamKey("an-2"), Kind: fakeupstream.KindRawStream,
				Body: msgStart + sseEvent("error", `{"type":"error","error":{"type":"`+tc.errType+`","message":"refused in the stream"}}`)})
			c := anthropic.NewClient(anthropicopt.WithBaseURL(h.base), anthropicopt.WithAPIKey(clientKey), anthropicopt.WithMaxRetries(0))
			stream := c.Messages.NewStreaming(context.Background(), anthropic.MessageNewParams{
				Model: "claude-sonnet-4-5", MaxTokens: 64,
				Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hello"))},
			})
			var msg anthropic.Message
			for stream.Next() {
				if err := msg.Accumulate(stream.Current()); err != nil {
					t.Fatal(err)
				}
			}
			if err := stream.Err(); err != nil || len(msg.Content) == 0 || msg.StopReason != "end_turn" {
				t.Fatalf("err=%v message=%+v; want the other account's whole answer", err, msg)
			}
			if n := len(h.fake.Requests()); n != 2 {
				t.Fatalf("%d upstream requests; want the failing one and the other account", n)
			}
			a := h.caAccount("an-2")
			_, reason, wide := a.cooldown("*")
			if tc.groupOnly {
				if wide || len(a.Cooldowns) != 1 || a.Cooldowns[0].Reason != tc.reason {
					t.Fatalf("an-2 cooldowns %+v; want one %s cooldown of the model group", a.Cooldowns, tc.reason)
				}
			} else if !wide || reason != tc.reason {
				t.Fatalf("an-2 cooldowns %+v; want an account-wide %s cooldown", a.Cooldowns, tc.reason)
			}
		})
	}
}

// A Gemini error chunk that names RESOURCE_EXHAUSTED without a numeric code
// is a rate limit: the model group cools and the next account answers.
func TestGeminiResourceExhaustedChunkRotates(t *testing.T) {
	accts := []acctSpec{{id: "ge-1", provider: "gemini", tier: "pro"}, {id: "ge-2", provider: "gemini", tier: "ultra"}}
	h := newHarness(t, harnessOpts{routes: demoRoutes, accounts: accts})
	h.fake.AddFault(fakeupstream.Fault{Provider: "gemini", Credential: upstreamKey("ge-2"), Kind: fakeupstream.KindRawStream,
		Body: "data: " + `{"error":{"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}` + "\n\n"})
	gc, err := genai.NewClient(context.Background(), &genai.ClientConfig{APIKey: clientKey, Backend: genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: h.base}})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	finished := false
	for chunk, err := range gc.Models.GenerateContentStream(context.Background(), "gemini-pro-latest", genai.Text("hello"), nil) {
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		text.WriteString(chunk.Text())
		finished = finished || len(chunk.Candidates) > 0 && chunk.Candidates[0].FinishReason == genai.FinishReasonStop
	}
	if text.Len() == 0 || !finished {
		t.Fatalf("text %q finished %v; want the other account's whole answer", text.String(), finished)
	}
	a := h.caAccount("ge-2")
	if _, _, wide := a.cooldown("*"); wide || len(a.Cooldowns) != 1 || a.Cooldowns[0].Reason != "rate_limit" {
		t.Fatalf("ge-2 cooldowns %+v; want one rate_limit cooldown of the model group", a.Cooldowns)
	}
}

// An OpenAI-compatible provider (Qwen) repeats a tool call's id as "" in its
// later deltas: the call keeps its real id and name, so the client can pair
// its tool result.
func TestEmptyToolCallIDInLaterDeltasKeepsTheFirst(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: demoRoutes, accounts: []acctSpec{{id: "oa-1", provider: "openai", tier: "pro"}}})
	chunk := func(delta, finish string) string {
		f := "null"
		if finish != "" {
			f = `"` + finish + `"`
		}
		return "data: " + `{"id":"chatcmpl-q1","object":"chat.completion.chunk","created":1,"model":"qwen3-coder","choices":[{"index":0,"delta":` + delta + `,"finish_reason":` + f + `}]}` + "\n\n"
	}
	raw := chunk(`{"role":"assistant","content":""}`, "") +
		chunk(`{"tool_calls":[{"index":0,"id":"call_q1","type":"function","function":{"name":"get_weather","arguments":""}}]}`, "") +
		chunk(`{"tool_calls":[{"index":0,"id":"","type":"function","function":{"name":"","arguments":"{\"city\":"}}]}`, "") +
		chunk(`{"tool_calls":[{"index":0,"id":"","function":{"arguments":"\"Paris\"}"}}]}`, "") +
		chunk(`{}`, "tool_calls") +
		"data: " + `{"id":"chatcmpl-q1","object":"chat.completion.chunk","created":1,"model":"qwen3-coder","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":7,"total_tokens":16}}` + "\n\n" +
		"data: [DONE]\n\n"
	h.fake.AddFault(fakeupstream.Fault{Provider: "openai", Kind: fakeupstream.KindRawStream, Body: raw})
	c := anthropic.NewClient(anthropicopt.WithBaseURL(h.base), anthropicopt.WithAPIKey(clientKey), anthropicopt.WithMaxRetries(0))
	msg, err := c.Messages.New(context.Background(), anthropic.MessageNewParams{
		Model: "gpt-4o", MaxTokens: 64,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("weather in Paris?"))},
		Tools: []anthropic.ToolUnionParam{{OfTool: &anthropic.ToolParam{Name: "get_weather",
			InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{"city": map[string]any{"type": "string"}}}}}},
	})
	if err != nil {
		t.Fatalf("messages: %v", err)
	}
	var use *anthropic.ContentBlockUnion
	for i := range msg.Content {
		if msg.Content[i].Type == "tool_use" {
			use = &msg.Content[i]
		}
	}
	if use == nil || !strings.Contains(use.ID, "call_q1") || use.Name != "get_weather" || msg.StopReason != "tool_use" {
		t.Fatalf("tool call %+v stop %q; want call_q1 get_weather", use, msg.StopReason)
	}
	var args struct{ City string }
	if err := json.Unmarshal(use.Input, &args); err != nil || args.City != "Paris" {
		t.Fatalf("arguments %s: %v", use.Input, err)
	}
}

// Thinking an Anthropic account does for a Chat client is counted as
// reasoning tokens in the Chat usage, streamed or not.
func TestReasoningTokensCrossTranslation(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: demoRoutes, accounts: []acctSpec{{id: "an-1", provider: "anthropic", tier: "pro"}}})
	client := openai.NewClient(option.WithBaseURL(h.base+"/v1"), option.WithAPIKey(clientKey), option.WithMaxRetries(0))
	params := openai.ChatCompletionNewParams{
		Model:           "claude-sonnet-4-5",
		ReasoningEffort: openai.ReasoningEffortLow,
		Messages:        []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Think, then answer")},
	}
	cc, err := client.Chat.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatalf("chat: %v", err)
	}
	if cc.Usage.CompletionTokensDetails.ReasoningTokens <= 0 || cc.Usage.CompletionTokens < cc.Usage.CompletionTokensDetails.ReasoningTokens {
		t.Fatalf("usage %+v; want reasoning tokens within the completion tokens", cc.Usage)
	}
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	stream := client.Chat.Completions.NewStreaming(context.Background(), params)
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if acc.Usage.CompletionTokensDetails.ReasoningTokens <= 0 {
		t.Fatalf("streamed usage %+v; want reasoning tokens", acc.Usage)
	}
}
