package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	anthropicopt "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/openai/openai-go/v3"
	openaiopt "github.com/openai/openai-go/v3/option"
	"google.golang.org/genai"
)

const demoRoutes = "claude-sonnet-4-5: claude-sonnet-4-5-20250929\ngpt-4o: gpt-4o-2024-08-06\ngemini-pro-latest: gemini/gemini-2.5-pro\n"

func checkProxyHeaders(t *testing.T, h http.Header, wantMapped string) {
	t.Helper()
	if got := h.Get("X-Mapped-Model"); got != wantMapped {
		t.Errorf("X-Mapped-Model = %q; want %q", got, wantMapped)
	}
	if got := h.Get("X-Account-Email"); !strings.HasSuffix(got, "@example.com") {
		t.Errorf("X-Account-Email = %q; want an account email", got)
	}
	if h.Get("X-Request-Id") == "" {
		t.Error("X-Request-Id missing")
	}
}

func TestOpenAISDK(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: demoRoutes})
	c := openai.NewClient(openaiopt.WithBaseURL(h.base+"/v1"), openaiopt.WithAPIKey(clientKey), openaiopt.WithMaxRetries(0))
	ctx := context.Background()
	params := openai.ChatCompletionNewParams{
		Model:    "gpt-4o",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hello over JSON")},
	}
	var raw *http.Response
	resp, err := c.Chat.Completions.New(ctx, params, openaiopt.WithResponseInto(&raw))
	if err != nil {
		t.Fatalf("chat: %v", err)
	}
	if len(resp.Choices) != 1 || !strings.Contains(resp.Choices[0].Message.Content, "fake openai") {
		t.Fatalf("unexpected answer: %+v", resp.Choices)
	}
	if resp.Usage.PromptTokens == 0 {
		t.Error("usage missing")
	}
	checkProxyHeaders(t, raw.Header, "gpt-4o-2024-08-06")

	stream := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model:         "gpt-4o",
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hello over SSE")},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	var acc openai.ChatCompletionAccumulator
	chunks := 0
	for stream.Next() {
		acc.AddChunk(stream.Current())
		chunks++
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if chunks < 3 || !strings.Contains(acc.Choices[0].Message.Content, "fake openai") {
		t.Fatalf("stream gave %d chunks, content %q", chunks, acc.Choices[0].Message.Content)
	}
	if acc.Usage.TotalTokens == 0 {
		t.Error("streamed usage missing (include_usage)")
	}
	for _, r := range h.fake.Requests() {
		if r.Model != "gpt-4o-2024-08-06" || r.Provider != "openai" {
			t.Errorf("upstream saw model %q on %s; want the mapped model on openai", r.Model, r.Provider)
		}
	}
}

func TestAnthropicSDK(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: demoRoutes})
	c := anthropic.NewClient(anthropicopt.WithBaseURL(h.base), anthropicopt.WithAPIKey(clientKey), anthropicopt.WithMaxRetries(0))
	ctx := context.Background()
	params := anthropic.MessageNewParams{
		Model:     "claude-sonnet-4-5",
		MaxTokens: 256,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Hello over JSON"))},
	}
	var raw *http.Response
	msg, err := c.Messages.New(ctx, params, anthropicopt.WithResponseInto(&raw),
		anthropicopt.WithHeader("anthropic-beta", "interleaved-thinking-2025-05-14"))
	if err != nil {
		t.Fatalf("messages: %v", err)
	}
	if len(msg.Content) == 0 || !strings.Contains(msg.Content[0].Text, "fake anthropic") {
		t.Fatalf("unexpected answer: %+v", msg.Content)
	}
	checkProxyHeaders(t, raw.Header, "claude-sonnet-4-5-20250929")

	first := h.fake.Requests()
	if len(first) != 1 || first[0].Header.Get("anthropic-version") == "" || first[0].Header.Get("anthropic-beta") != "interleaved-thinking-2025-05-14" {
		t.Fatalf("upstream headers: %+v", first)
	}
	// A non-streaming thinking request is collected from the upstream stream
	// with its signature intact.
	th, err := c.Messages.New(ctx, anthropic.MessageNewParams{
		Model: "claude-sonnet-4-5", MaxTokens: 2048,
		Thinking: anthropic.ThinkingConfigParamOfEnabled(1024),
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Think first"))},
	})
	if err != nil {
		t.Fatalf("thinking: %v", err)
	}
	if len(th.Content) < 2 || th.Content[0].Type != "thinking" || len(th.Content[0].Signature) < 50 || th.Content[0].Thinking == "" {
		t.Fatalf("thinking block lost in collection: %+v", th.Content)
	}
	h.fake.ResetRequests()

	stream := c.Messages.NewStreaming(ctx, params)
	var acc anthropic.Message
	for stream.Next() {
		if err := acc.Accumulate(stream.Current()); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if len(acc.Content) == 0 || !strings.Contains(acc.Content[0].Text, "fake anthropic") || acc.StopReason != "end_turn" {
		t.Fatalf("streamed message: %+v", acc)
	}
	if n := len(h.fake.Requests()); n != 1 {
		t.Fatalf("upstream saw %d requests for one stream; want 1", n)
	}
}

func TestGeminiSDK(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: demoRoutes})
	ctx := context.Background()
	c, err := genai.NewClient(ctx, &genai.ClientConfig{APIKey: clientKey, Backend: genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: h.base}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Models.GenerateContent(ctx, "gemini-pro-latest", genai.Text("Hello over JSON"), nil)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	if !strings.Contains(resp.Text(), "fake gemini") {
		t.Fatalf("unexpected answer %q", resp.Text())
	}
	var text strings.Builder
	n := 0
	for r, err := range c.Models.GenerateContentStream(ctx, "gemini-pro-latest", genai.Text("Hello over SSE"), nil) {
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		text.WriteString(r.Text())
		n++
	}
	if n < 2 || !strings.Contains(text.String(), "fake gemini") {
		t.Fatalf("stream gave %d chunks: %q", n, text.String())
	}
	for _, r := range h.fake.Requests() {
		if r.Model != "gemini-2.5-pro" {
			t.Errorf("upstream model %q; want gemini-2.5-pro", r.Model)
		}
	}
}
