package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	anthropicopt "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/openai/openai-go/v3"
	openaiopt "github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"github.com/tidwall/gjson"
	"google.golang.org/genai"

	"github.com/switchyard-gw/switchyard/internal/fakeupstream"
)

// xlRoutes pin one client model per provider, so every client protocol can be
// sent to every provider.
const xlRoutes = "via-openai: openai/gpt-4o\nvia-anthropic: anthropic/claude-sonnet-4-5\nvia-gemini: gemini/gemini-2.5-pro\n"

var xlProviders = []string{"openai", "anthropic", "gemini"}

var weatherSchema = map[string]any{
	"type":       "object",
	"properties": map[string]any{"city": map[string]any{"type": "string"}},
	"required":   []string{"city"},
}

// lastUpstream returns the last provider request of the fake and checks it
// went to the wanted provider.
func lastUpstream(t *testing.T, fake *fakeupstream.Server, provider string) fakeupstream.Record {
	t.Helper()
	reqs := fake.Requests()
	if len(reqs) == 0 {
		t.Fatal("upstream saw no request")
	}
	r := reqs[len(reqs)-1]
	if r.Provider != provider {
		t.Fatalf("upstream provider %q; want %q", r.Provider, provider)
	}
	return r
}

func TestTranslationOpenAIClient(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: xlRoutes})
	c := openai.NewClient(openaiopt.WithBaseURL(h.base+"/v1"), openaiopt.WithAPIKey(clientKey), openaiopt.WithMaxRetries(0))
	ctx := context.Background()
	for _, p := range xlProviders {
		t.Run(p, func(t *testing.T) {
			model := "via-" + p
			var raw *http.Response
			resp, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
				Model: model, Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hello from an OpenAI client")},
			}, openaiopt.WithResponseInto(&raw))
			if err != nil {
				t.Fatalf("chat: %v", err)
			}
			if !strings.Contains(resp.Choices[0].Message.Content, "fake "+p) || resp.Choices[0].FinishReason != "stop" {
				t.Fatalf("answer %+v", resp.Choices[0])
			}
			if resp.Usage.PromptTokens == 0 || resp.Usage.CompletionTokens == 0 {
				t.Errorf("usage lost: %+v", resp.Usage)
			}
			if raw.Header.Get("X-Account-Email") == "" || raw.Header.Get("X-Mapped-Model") == "" {
				t.Errorf("proxy headers missing: %v", raw.Header)
			}
			lastUpstream(t, h.fake, p)

			stream := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
				Model: model, Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Stream it")},
				StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
			})
			var acc openai.ChatCompletionAccumulator
			for stream.Next() {
				acc.AddChunk(stream.Current())
			}
			if err := stream.Err(); err != nil {
				t.Fatalf("stream: %v", err)
			}
			if !strings.Contains(acc.Choices[0].Message.Content, "fake "+p) || acc.Usage.TotalTokens == 0 {
				t.Fatalf("streamed %q usage %+v", acc.Choices[0].Message.Content, acc.Usage)
			}

			// A full tool loop: call, result, final answer.
			params := openai.ChatCompletionNewParams{
				Model:    model,
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("What is the weather in Paris?")},
				Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{
					Name: "get_weather", Parameters: openai.FunctionParameters(weatherSchema)})},
			}
			call, err := c.Chat.Completions.New(ctx, params)
			if err != nil {
				t.Fatalf("tool call: %v", err)
			}
			msg := call.Choices[0].Message
			if call.Choices[0].FinishReason != "tool_calls" || len(msg.ToolCalls) != 1 || msg.ToolCalls[0].Function.Name != "get_weather" ||
				!gjson.Valid(msg.ToolCalls[0].Function.Arguments) || msg.ToolCalls[0].ID == "" {
				t.Fatalf("tool call answer %+v", call.Choices[0])
			}
			params.Messages = append(params.Messages, msg.ToParam(), openai.ToolMessage("sunny, 21C", msg.ToolCalls[0].ID))
			final, err := c.Chat.Completions.New(ctx, params)
			if err != nil {
				t.Fatalf("tool result: %v", err)
			}
			if !strings.Contains(final.Choices[0].Message.Content, "Tool result received:") || !strings.Contains(final.Choices[0].Message.Content, "sunny, 21C") {
				t.Fatalf("final answer %q", final.Choices[0].Message.Content)
			}
		})
	}
}

func TestTranslationAnthropicClient(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: xlRoutes})
	c := anthropic.NewClient(anthropicopt.WithBaseURL(h.base), anthropicopt.WithAPIKey(clientKey), anthropicopt.WithMaxRetries(0))
	ctx := context.Background()
	tools := []anthropic.ToolUnionParam{anthropic.ToolUnionParamOfTool(anthropic.ToolInputSchemaParam{
		Properties: weatherSchema["properties"], Required: []string{"city"}}, "get_weather")}
	for _, p := range xlProviders {
		t.Run(p, func(t *testing.T) {
			model := anthropic.Model("via-" + p)
			msg, err := c.Messages.New(ctx, anthropic.MessageNewParams{Model: model, MaxTokens: 512,
				System:   []anthropic.TextBlockParam{{Text: "You are terse."}},
				Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Hello from an Anthropic client"))}})
			if err != nil {
				t.Fatalf("messages: %v", err)
			}
			if len(msg.Content) == 0 || !strings.Contains(msg.Content[0].Text, "fake "+p) || msg.StopReason != "end_turn" {
				t.Fatalf("answer %+v", msg)
			}
			if msg.Usage.InputTokens == 0 || msg.Usage.OutputTokens == 0 {
				t.Errorf("usage lost: %+v", msg.Usage)
			}
			up := lastUpstream(t, h.fake, p)
			if !strings.Contains(string(up.Body), "You are terse.") {
				t.Errorf("system prompt lost upstream: %s", up.Body)
			}

			stream := c.Messages.NewStreaming(ctx, anthropic.MessageNewParams{Model: model, MaxTokens: 512,
				Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Stream it"))}})
			var acc anthropic.Message
			for stream.Next() {
				if err := acc.Accumulate(stream.Current()); err != nil {
					t.Fatal(err)
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatalf("stream: %v", err)
			}
			if len(acc.Content) == 0 || !strings.Contains(acc.Content[0].Text, "fake "+p) || acc.StopReason != "end_turn" {
				t.Fatalf("streamed %+v", acc)
			}

			// Tool loop, streamed like Claude Code does.
			msgs := []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("What is the weather in Paris?"))}
			ts := c.Messages.NewStreaming(ctx, anthropic.MessageNewParams{Model: model, MaxTokens: 512, Tools: tools, Messages: msgs})
			var call anthropic.Message
			for ts.Next() {
				if err := call.Accumulate(ts.Current()); err != nil {
					t.Fatal(err)
				}
			}
			if err := ts.Err(); err != nil {
				t.Fatalf("tool stream: %v", err)
			}
			var use *anthropic.ContentBlockUnion
			for i := range call.Content {
				if call.Content[i].Type == "tool_use" {
					use = &call.Content[i]
				}
			}
			if call.StopReason != "tool_use" || use == nil || use.Name != "get_weather" || !json.Valid(use.Input) {
				t.Fatalf("tool call answer %+v", call)
			}
			msgs = append(msgs, call.ToParam(), anthropic.NewUserMessage(anthropic.NewToolResultBlock(use.ID, "sunny, 21C", false)))
			final, err := c.Messages.New(ctx, anthropic.MessageNewParams{Model: model, MaxTokens: 512, Tools: tools, Messages: msgs})
			if err != nil {
				t.Fatalf("tool result: %v", err)
			}
			if len(final.Content) == 0 || !strings.Contains(final.Content[len(final.Content)-1].Text, "Tool result received:") || !strings.Contains(final.Content[len(final.Content)-1].Text, "sunny, 21C") {
				t.Fatalf("final answer %+v", final.Content)
			}
		})
	}
}

func TestTranslationGeminiClient(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: xlRoutes})
	ctx := context.Background()
	c, err := genai.NewClient(ctx, &genai.ClientConfig{APIKey: clientKey, Backend: genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: h.base}})
	if err != nil {
		t.Fatal(err)
	}
	tools := []*genai.Tool{{FunctionDeclarations: []*genai.FunctionDeclaration{{Name: "get_weather", ParametersJsonSchema: weatherSchema}}}}
	for _, p := range xlProviders {
		t.Run(p, func(t *testing.T) {
			model := "via-" + p
			resp, err := c.Models.GenerateContent(ctx, model, genai.Text("Hello from a Gemini client"),
				&genai.GenerateContentConfig{SystemInstruction: genai.NewContentFromText("You are terse.", genai.RoleUser)})
			if err != nil {
				t.Fatalf("generate: %v", err)
			}
			if !strings.Contains(resp.Text(), "fake "+p) || resp.Candidates[0].FinishReason != genai.FinishReasonStop {
				t.Fatalf("answer %q (%v)", resp.Text(), resp.Candidates[0].FinishReason)
			}
			if resp.UsageMetadata == nil || resp.UsageMetadata.PromptTokenCount == 0 || resp.UsageMetadata.CandidatesTokenCount == 0 {
				t.Errorf("usage lost: %+v", resp.UsageMetadata)
			}
			up := lastUpstream(t, h.fake, p)
			if !strings.Contains(string(up.Body), "You are terse.") {
				t.Errorf("system instruction lost upstream: %s", up.Body)
			}

			var text strings.Builder
			for r, err := range c.Models.GenerateContentStream(ctx, model, genai.Text("Stream it"), nil) {
				if err != nil {
					t.Fatalf("stream: %v", err)
				}
				text.WriteString(r.Text())
			}
			if !strings.Contains(text.String(), "fake "+p) {
				t.Fatalf("streamed %q", text.String())
			}

			history := []*genai.Content{genai.NewContentFromText("What is the weather in Paris?", genai.RoleUser)}
			cfg := &genai.GenerateContentConfig{Tools: tools}
			call, err := c.Models.GenerateContent(ctx, model, history, cfg)
			if err != nil {
				t.Fatalf("tool call: %v", err)
			}
			fcs := call.FunctionCalls()
			if len(fcs) != 1 || fcs[0].Name != "get_weather" || fcs[0].Args == nil {
				t.Fatalf("tool call answer %+v", call.Candidates[0].Content)
			}
			history = append(history, call.Candidates[0].Content,
				genai.NewContentFromParts([]*genai.Part{{FunctionResponse: &genai.FunctionResponse{
					ID: fcs[0].ID, Name: fcs[0].Name, Response: map[string]any{"output": "sunny, 21C"}}}}, genai.RoleUser))
			final, err := c.Models.GenerateContent(ctx, model, history, cfg)
			if err != nil {
				t.Fatalf("tool result: %v", err)
			}
			if !strings.Contains(final.Text(), "Tool result received:") || !strings.Contains(final.Text(), "sunny, 21C") {
				t.Fatalf("final answer %q", final.Text())
			}
		})
	}
}

func TestTranslationResponsesClient(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: xlRoutes})
	c := openai.NewClient(openaiopt.WithBaseURL(h.base+"/v1"), openaiopt.WithAPIKey(clientKey), openaiopt.WithMaxRetries(0))
	ctx := context.Background()
	tool := responses.ToolParamOfFunction("get_weather", weatherSchema, false)
	for _, p := range xlProviders {
		t.Run(p, func(t *testing.T) {
			model := "via-" + p
			resp, err := c.Responses.New(ctx, responses.ResponseNewParams{Model: model,
				Instructions: openai.String("You are terse."),
				Input:        responses.ResponseNewParamsInputUnion{OfString: openai.String("Hello from Codex")}})
			if err != nil {
				t.Fatalf("responses: %v", err)
			}
			if !strings.Contains(resp.OutputText(), "fake "+p) || resp.Status != "completed" || resp.Usage.OutputTokens == 0 {
				t.Fatalf("answer %q status %q usage %+v", resp.OutputText(), resp.Status, resp.Usage)
			}
			lastUpstream(t, h.fake, p)

			input := responses.ResponseInputParam{responses.ResponseInputItemParamOfMessage("What is the weather in Paris?", responses.EasyInputMessageRoleUser)}
			stream := c.Responses.NewStreaming(ctx, responses.ResponseNewParams{Model: model, Tools: []responses.ToolUnionParam{tool},
				Input: responses.ResponseNewParamsInputUnion{OfInputItemList: input}})
			var done *responses.Response
			for stream.Next() {
				ev := stream.Current()
				if ev.Type == "response.completed" {
					r := ev.Response
					done = &r
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatalf("stream: %v", err)
			}
			if done == nil {
				t.Fatal("no response.completed event")
			}
			var fc *responses.ResponseOutputItemUnion
			for i := range done.Output {
				if done.Output[i].Type == "function_call" {
					fc = &done.Output[i]
				}
			}
			if fc == nil || fc.Name != "get_weather" || fc.CallID == "" || !gjson.Valid(fc.Arguments.OfString) {
				t.Fatalf("function call output %+v", done.Output)
			}
			out := responses.ResponseInputItemParamOfFunctionCallOutput("sunny, 21C")
			out.OfFunctionCallOutput.CallID = openai.String(fc.CallID)
			input = append(input, responses.ResponseInputItemParamOfFunctionCall(fc.Arguments.OfString, fc.CallID, fc.Name), out)
			final, err := c.Responses.New(ctx, responses.ResponseNewParams{Model: model, Tools: []responses.ToolUnionParam{tool},
				Input: responses.ResponseNewParamsInputUnion{OfInputItemList: input}})
			if err != nil {
				t.Fatalf("tool result: %v", err)
			}
			if !strings.Contains(final.OutputText(), "Tool result received:") || !strings.Contains(final.OutputText(), "sunny, 21C") {
				t.Fatalf("final answer %q", final.OutputText())
			}
		})
	}
}

// A thinking round trip across protocols: the provider's signature reaches
// the provider again on the next turn, through the client when its protocol
// can carry it and through the shared signature cache when it cannot.
func TestTranslationThinkingSignatures(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: xlRoutes})
	ctx := context.Background()

	t.Run("openai-client/gemini", func(t *testing.T) {
		c := openai.NewClient(openaiopt.WithBaseURL(h.base+"/v1"), openaiopt.WithAPIKey(clientKey), openaiopt.WithMaxRetries(0))
		params := openai.ChatCompletionNewParams{
			Model: "via-gemini", ReasoningEffort: openai.ReasoningEffortLow,
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Weather in Oslo?")},
			Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{
				Name: "get_weather", Parameters: openai.FunctionParameters(weatherSchema)})},
		}
		call, err := c.Chat.Completions.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		sig := gjson.GetBytes(lastUpstream(t, h.fake, "gemini").Body, "generationConfig.thinkingConfig")
		if !sig.Exists() {
			t.Fatalf("reasoning effort not sent as thinkingConfig")
		}
		msg := call.Choices[0].Message
		if len(msg.ToolCalls) != 1 {
			t.Fatalf("no tool call: %+v", msg)
		}
		params.Messages = append(params.Messages, msg.ToParam(), openai.ToolMessage("cold", msg.ToolCalls[0].ID))
		if _, err := c.Chat.Completions.New(ctx, params); err != nil {
			t.Fatal(err)
		}
		body := lastUpstream(t, h.fake, "gemini").Body
		got := gjson.GetBytes(body, `contents.#(role=="model").parts.#(functionCall).thoughtSignature`).String()
		if len(got) < 50 || got == "skip_thought_signature_validator" {
			t.Fatalf("turn 2 functionCall thoughtSignature = %q; want the signature of turn 1\n%s", got, body)
		}
	})

	t.Run("openai-client/anthropic", func(t *testing.T) {
		c := openai.NewClient(openaiopt.WithBaseURL(h.base+"/v1"), openaiopt.WithAPIKey(clientKey), openaiopt.WithMaxRetries(0))
		params := openai.ChatCompletionNewParams{
			Model: "via-anthropic", ReasoningEffort: openai.ReasoningEffortLow,
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Weather in Rome?")},
			Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{
				Name: "get_weather", Parameters: openai.FunctionParameters(weatherSchema)})},
		}
		call, err := c.Chat.Completions.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		msg := call.Choices[0].Message
		if len(msg.ToolCalls) != 1 {
			t.Fatalf("no tool call: %+v", msg)
		}
		params.Messages = append(params.Messages, msg.ToParam(), openai.ToolMessage("warm", msg.ToolCalls[0].ID))
		final, err := c.Chat.Completions.New(ctx, params)
		if err != nil {
			t.Fatalf("turn 2 (the fake checks replayed signatures): %v", err)
		}
		if !strings.Contains(final.Choices[0].Message.Content, "warm") {
			t.Fatalf("final %q", final.Choices[0].Message.Content)
		}
		body := lastUpstream(t, h.fake, "anthropic").Body
		first := gjson.GetBytes(body, `messages.#(role=="assistant").content.0`)
		if first.Get("type").String() != "thinking" || len(first.Get("signature").String()) < 50 || gjson.GetBytes(body, "thinking.type").String() != "enabled" {
			t.Fatalf("turn 2 lost the signed thinking block or thinking itself:\n%s", body)
		}
	})

	t.Run("anthropic-client/gemini", func(t *testing.T) {
		c := anthropic.NewClient(anthropicopt.WithBaseURL(h.base), anthropicopt.WithAPIKey(clientKey), anthropicopt.WithMaxRetries(0))
		tools := []anthropic.ToolUnionParam{anthropic.ToolUnionParamOfTool(anthropic.ToolInputSchemaParam{
			Properties: weatherSchema["properties"]}, "get_weather")}
		msgs := []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Weather in Lima?"))}
		params := anthropic.MessageNewParams{Model: "via-gemini", MaxTokens: 4096, Tools: tools, Messages: msgs,
			Thinking: anthropic.ThinkingConfigParamOfEnabled(2048)}
		st := c.Messages.NewStreaming(ctx, params)
		var call anthropic.Message
		for st.Next() {
			if err := call.Accumulate(st.Current()); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.Err(); err != nil {
			t.Fatal(err)
		}
		var useID string
		sawThinking := false
		for _, b := range call.Content {
			switch b.Type {
			case "tool_use":
				useID = b.ID
			case "thinking":
				sawThinking = b.Thinking != ""
			}
		}
		if useID == "" || !sawThinking {
			t.Fatalf("want thinking and a tool call: %+v", call.Content)
		}
		params.Messages = append(msgs, call.ToParam(), anthropic.NewUserMessage(anthropic.NewToolResultBlock(useID, "mild", false)))
		if _, err := c.Messages.New(ctx, params); err != nil {
			t.Fatal(err)
		}
		body := lastUpstream(t, h.fake, "gemini").Body
		got := gjson.GetBytes(body, `contents.#(role=="model").parts.#(functionCall).thoughtSignature`).String()
		if len(got) < 50 || got == "skip_thought_signature_validator" {
			t.Fatalf("turn 2 functionCall thoughtSignature = %q; want the signature of turn 1\n%s", got, body)
		}
		if strings.Contains(string(body), `"thought":true`) {
			t.Errorf("thinking text was replayed to gemini as a thought part:\n%s", body)
		}
	})
}

// Claude Code switches model mid-conversation (/model): a turn answered by
// Gemini left a Gemini-signed thinking block in the history; the next turn
// goes to Anthropic on the fast path, which must not replay that signature
// (Anthropic would refuse the whole request).
func TestModelSwitchDropsForeignSignature(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: xlRoutes})
	c := anthropic.NewClient(anthropicopt.WithBaseURL(h.base), anthropicopt.WithAPIKey(clientKey), anthropicopt.WithMaxRetries(0))
	ctx := context.Background()
	msgs := []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Plan a trip"))}
	first, err := c.Messages.New(ctx, anthropic.MessageNewParams{Model: "via-gemini", MaxTokens: 4096, Messages: msgs,
		Thinking: anthropic.ThinkingConfigParamOfEnabled(2048)})
	if err != nil {
		t.Fatal(err)
	}
	var sig string
	for _, b := range first.Content {
		if b.Type == "thinking" {
			sig = b.Signature
		}
	}
	if len(sig) < 50 {
		t.Fatalf("gemini's signature did not reach the Anthropic client: %+v", first.Content)
	}
	msgs = append(msgs, first.ToParam(), anthropic.NewUserMessage(anthropic.NewTextBlock("Now shorter")))
	h.fake.ResetRequests()
	second, err := c.Messages.New(ctx, anthropic.MessageNewParams{Model: "via-anthropic", MaxTokens: 4096, Messages: msgs,
		Thinking: anthropic.ThinkingConfigParamOfEnabled(2048)})
	if err != nil {
		t.Fatalf("turn 2 on anthropic: %v", err)
	}
	if len(second.Content) == 0 {
		t.Fatal("empty answer")
	}
	reqs := h.fake.Requests()
	if len(reqs) != 1 || reqs[0].Status != 200 {
		for _, r := range reqs {
			t.Logf("%d %s", r.Status, r.Body)
		}
		t.Fatalf("turn 2 took %d upstream requests (a refused signature and a repair?)", len(reqs))
	}
	body := string(reqs[0].Body)
	if strings.Contains(body, sig) || strings.Contains(body, sig[12:]) {
		t.Fatalf("the gemini signature reached anthropic:\n%s", body)
	}
	if !gjson.Get(body, "thinking").Exists() {
		t.Error("thinking was turned off; only the foreign block should go")
	}
}

// Codex's freeform apply_patch tool on Claude and Gemini pools: offered as a
// one-string function, answered as a custom_tool_call with the raw text.
func TestTranslationResponsesFreeformTool(t *testing.T) {
	h := newHarness(t, harnessOpts{routes: xlRoutes})
	c := openai.NewClient(openaiopt.WithBaseURL(h.base+"/v1"), openaiopt.WithAPIKey(clientKey), openaiopt.WithMaxRetries(0))
	ctx := context.Background()
	custom := responses.ToolUnionParam{OfCustom: &responses.CustomToolParam{Name: "apply_patch", Description: openai.String("Apply a patch")}}
	for _, p := range []string{"anthropic", "gemini"} {
		t.Run(p, func(t *testing.T) {
			input := responses.ResponseInputParam{responses.ResponseInputItemParamOfMessage("Add a NOTES file", responses.EasyInputMessageRoleUser)}
			resp, err := c.Responses.New(ctx, responses.ResponseNewParams{Model: "via-" + p, Tools: []responses.ToolUnionParam{custom},
				Input: responses.ResponseNewParamsInputUnion{OfInputItemList: input}})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Output) == 0 || resp.Output[len(resp.Output)-1].Type != "custom_tool_call" {
				t.Fatalf("output %+v", resp.Output)
			}
			call := resp.Output[len(resp.Output)-1].AsCustomToolCall()
			if call.Name != "apply_patch" || call.Input == "" || call.CallID == "" || strings.HasPrefix(call.Input, "{") {
				t.Fatalf("custom call %+v", call)
			}
			up := lastUpstream(t, h.fake, p).Body
			if !strings.Contains(string(up), `"input"`) || !strings.Contains(string(up), "apply_patch") {
				t.Fatalf("the tool was not offered upstream as a function with one string: %s", up)
			}
			out := responses.ResponseInputItemUnionParam{OfCustomToolCallOutput: &responses.ResponseCustomToolCallOutputParam{
				CallID: call.CallID, Output: responses.ResponseCustomToolCallOutputOutputUnionParam{OfString: openai.String("patched")}}}
			input = append(input, responses.ResponseInputItemParamOfCustomToolCall(call.CallID, call.Input, call.Name), out)
			final, err := c.Responses.New(ctx, responses.ResponseNewParams{Model: "via-" + p, Tools: []responses.ToolUnionParam{custom},
				Input: responses.ResponseNewParamsInputUnion{OfInputItemList: input}})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(final.OutputText(), "patched") {
				t.Fatalf("final %q", final.OutputText())
			}
		})
	}
}
