package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
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

const caProject = "proj-ca-sdk"

// checkCodeAssistCall asserts the last upstream request was a Code Assist
// generate call of the account's project, with an access token and the
// envelope; a stream client's call streams (a non-streaming client's call
// may stream or not, as dispatch chooses).
func checkCodeAssistCall(t *testing.T, fake *fakeupstream.Server, stream bool) fakeupstream.Record {
	t.Helper()
	up := lastUpstream(t, fake, fakeupstream.ProviderCodeAssist)
	switch {
	case up.Path == "/v1internal:streamGenerateContent" && up.Query == "alt=sse":
	case up.Path == "/v1internal:generateContent" && !stream:
	default:
		t.Errorf("upstream %s?%s; want a generate call (streaming: %v)", up.Path, up.Query, stream)
	}
	if !strings.HasPrefix(up.Credential, "ya29.fake-") {
		t.Errorf("upstream credential %q; want a bearer access token from the token endpoint", up.Credential)
	}
	body := gjson.ParseBytes(up.Body)
	if body.Get("project").Str != caProject || body.Get("model").Str != "gemini-2.5-pro" ||
		body.Get("user_prompt_id").Str == "" || !body.Get("request.contents").IsArray() {
		t.Errorf("upstream envelope %s", up.Body)
	}
	return up
}

func TestCodeAssistServesEveryClientProtocol(t *testing.T) {
	fake, url := caFake(t)
	fake.SetCodeAssistUser(caRefresh("ca-1"), fakeupstream.CodeAssistUser{Tier: fakeupstream.TierStandard, Project: caProject})
	h := newCodeAssistHarness(t, fake, url, caPoolFile(t, url, []caAccount{{id: "ca-1"}}), "", nil)
	ctx := context.Background()
	const model = "gemini-2.5-pro"

	t.Run("openai-chat", func(t *testing.T) {
		c := openai.NewClient(openaiopt.WithBaseURL(h.base+"/v1"), openaiopt.WithAPIKey(clientKey), openaiopt.WithMaxRetries(0))
		var raw *http.Response
		resp, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: model,
			Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("You are terse."), openai.UserMessage("Hello over JSON")}},
			openaiopt.WithResponseInto(&raw))
		if err != nil {
			t.Fatalf("chat: %v", err)
		}
		if !strings.Contains(resp.Choices[0].Message.Content, "fake gemini") || resp.Usage.PromptTokens == 0 {
			t.Fatalf("answer %+v usage %+v", resp.Choices[0].Message, resp.Usage)
		}
		checkProxyHeaders(t, raw.Header, model)
		up := checkCodeAssistCall(t, fake, false)
		if !strings.Contains(string(up.Body), "You are terse.") {
			t.Errorf("system prompt lost: %s", up.Body)
		}

		stream := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: model,
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hello over SSE")}})
		var acc openai.ChatCompletionAccumulator
		for stream.Next() {
			acc.AddChunk(stream.Current())
		}
		if err := stream.Err(); err != nil || !strings.Contains(acc.Choices[0].Message.Content, "fake gemini") {
			t.Fatalf("stream: %v %+v", err, acc.Choices)
		}
		checkCodeAssistCall(t, fake, true)

		// Tool loop.
		tools := []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{
			Name: "get_weather", Parameters: weatherSchema})}
		msgs := []openai.ChatCompletionMessageParamUnion{openai.UserMessage("What is the weather in Paris?")}
		call, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: model, Messages: msgs, Tools: tools})
		if err != nil {
			t.Fatalf("tool call: %v", err)
		}
		tc := call.Choices[0].Message.ToolCalls
		if call.Choices[0].FinishReason != "tool_calls" || len(tc) != 1 || tc[0].Function.Name != "get_weather" {
			t.Fatalf("tool call answer %+v", call.Choices[0])
		}
		msgs = append(msgs, call.Choices[0].Message.ToParam(), openai.ToolMessage("sunny, 21C", tc[0].ID))
		final, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: model, Messages: msgs, Tools: tools})
		if err != nil {
			t.Fatalf("tool result: %v", err)
		}
		if txt := final.Choices[0].Message.Content; !strings.Contains(txt, "Tool result received:") || !strings.Contains(txt, "sunny, 21C") {
			t.Fatalf("final answer %q", txt)
		}
		if up := checkCodeAssistCall(t, fake, false); !strings.Contains(string(up.Body), "functionResponse") {
			t.Errorf("tool result not sent as a functionResponse: %s", up.Body)
		}
	})

	t.Run("openai-responses", func(t *testing.T) {
		c := openai.NewClient(openaiopt.WithBaseURL(h.base+"/v1"), openaiopt.WithAPIKey(clientKey), openaiopt.WithMaxRetries(0))
		resp, err := c.Responses.New(ctx, responses.ResponseNewParams{Model: model,
			Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Hello from Codex")}})
		if err != nil {
			t.Fatalf("responses: %v", err)
		}
		if !strings.Contains(resp.OutputText(), "fake gemini") || resp.Status != "completed" {
			t.Fatalf("answer %q status %q", resp.OutputText(), resp.Status)
		}
		checkCodeAssistCall(t, fake, false)
		stream := c.Responses.NewStreaming(ctx, responses.ResponseNewParams{Model: model,
			Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Stream it")}})
		var done bool
		var text strings.Builder
		for stream.Next() {
			ev := stream.Current()
			if ev.Type == "response.output_text.delta" {
				text.WriteString(ev.Delta)
			}
			done = done || ev.Type == "response.completed"
		}
		if err := stream.Err(); err != nil || !done || !strings.Contains(text.String(), "fake gemini") {
			t.Fatalf("stream: %v done=%v %q", err, done, text.String())
		}
		checkCodeAssistCall(t, fake, true)

		// Tool loop: the call streamed, the result sent back as a
		// function_call_output item.
		tool := responses.ToolParamOfFunction("get_weather", weatherSchema, false)
		input := responses.ResponseInputParam{responses.ResponseInputItemParamOfMessage("What is the weather in Paris?", responses.EasyInputMessageRoleUser)}
		ts := c.Responses.NewStreaming(ctx, responses.ResponseNewParams{Model: model, Tools: []responses.ToolUnionParam{tool},
			Input: responses.ResponseNewParamsInputUnion{OfInputItemList: input}})
		var completed *responses.Response
		for ts.Next() {
			if ev := ts.Current(); ev.Type == "response.completed" {
				r := ev.Response
				completed = &r
			}
		}
		if err := ts.Err(); err != nil || completed == nil {
			t.Fatalf("tool stream: %v (completed: %v)", err, completed != nil)
		}
		var fc *responses.ResponseOutputItemUnion
		for i := range completed.Output {
			if completed.Output[i].Type == "function_call" {
				fc = &completed.Output[i]
			}
		}
		if fc == nil || fc.Name != "get_weather" || fc.CallID == "" || !gjson.Valid(fc.Arguments.OfString) {
			t.Fatalf("function call output %+v", completed.Output)
		}
		if up := checkCodeAssistCall(t, fake, true); gjson.GetBytes(up.Body, "request.tools.0.functionDeclarations.0.name").Str != "get_weather" {
			t.Errorf("tool declaration not in the envelope: %s", up.Body)
		}
		out := responses.ResponseInputItemParamOfFunctionCallOutput("sunny, 21C")
		out.OfFunctionCallOutput.CallID = openai.String(fc.CallID)
		input = append(input, responses.ResponseInputItemParamOfFunctionCall(fc.Arguments.OfString, fc.CallID, fc.Name), out)
		final, err := c.Responses.New(ctx, responses.ResponseNewParams{Model: model, Tools: []responses.ToolUnionParam{tool},
			Input: responses.ResponseNewParamsInputUnion{OfInputItemList: input}})
		if err != nil {
			t.Fatalf("tool result: %v", err)
		}
		if txt := final.OutputText(); !strings.Contains(txt, "Tool result received:") || !strings.Contains(txt, "sunny, 21C") || final.Status != "completed" {
			t.Fatalf("final answer %q status %q", txt, final.Status)
		}
		up := checkCodeAssistCall(t, fake, false)
		contents := gjson.GetBytes(up.Body, "request.contents").Array()
		if n := len(contents); n != 3 || contents[1].Get("parts.0.functionCall.name").Str != "get_weather" ||
			contents[2].Get("parts.0.functionResponse.name").Str != "get_weather" ||
			!strings.Contains(contents[2].Get("parts.0.functionResponse.response").Raw, "sunny, 21C") {
			t.Errorf("tool turn not sent as a functionCall then a functionResponse: %s", up.Body)
		}
	})

	t.Run("anthropic", func(t *testing.T) {
		c := anthropic.NewClient(anthropicopt.WithBaseURL(h.base), anthropicopt.WithAPIKey(clientKey), anthropicopt.WithMaxRetries(0))
		msg, err := c.Messages.New(ctx, anthropic.MessageNewParams{Model: model, MaxTokens: 512,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Hello from Claude Code"))}})
		if err != nil {
			t.Fatalf("messages: %v", err)
		}
		if len(msg.Content) == 0 || !strings.Contains(msg.Content[0].Text, "fake gemini") || msg.StopReason != "end_turn" {
			t.Fatalf("answer %+v", msg)
		}
		checkCodeAssistCall(t, fake, false)

		tools := []anthropic.ToolUnionParam{anthropic.ToolUnionParamOfTool(anthropic.ToolInputSchemaParam{
			Properties: weatherSchema["properties"], Required: []string{"city"}}, "get_weather")}
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
		if last := final.Content[len(final.Content)-1].Text; !strings.Contains(last, "sunny, 21C") {
			t.Fatalf("final answer %+v", final.Content)
		}
		checkCodeAssistCall(t, fake, false)

		n, err := c.Messages.CountTokens(ctx, anthropic.MessageCountTokensParams{Model: model,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("count me"))}})
		if err != nil || n.InputTokens <= 0 {
			t.Fatalf("count tokens: %v %+v", err, n)
		}
		up := lastUpstream(t, fake, fakeupstream.ProviderCodeAssist)
		if up.Path != "/v1internal:countTokens" || gjson.GetBytes(up.Body, "request.model").Str != "models/"+model {
			t.Errorf("count upstream %s %s", up.Path, up.Body)
		}
	})

	t.Run("gemini", func(t *testing.T) {
		c, err := genai.NewClient(ctx, &genai.ClientConfig{APIKey: clientKey, Backend: genai.BackendGeminiAPI,
			HTTPOptions: genai.HTTPOptions{BaseURL: h.base}})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Models.GenerateContent(ctx, model, genai.Text("Hello over JSON"), nil)
		if err != nil {
			t.Fatalf("generate: %v", err)
		}
		if !strings.Contains(resp.Text(), "fake gemini") || resp.UsageMetadata == nil || resp.UsageMetadata.PromptTokenCount == 0 {
			t.Fatalf("answer %q usage %+v", resp.Text(), resp.UsageMetadata)
		}
		if resp.ResponseID == "" {
			t.Error("responseId (Code Assist's traceId) missing")
		}
		checkCodeAssistCall(t, fake, false)
		var text strings.Builder
		n := 0
		for r, err := range c.Models.GenerateContentStream(ctx, model, genai.Text("Hello over SSE"), nil) {
			if err != nil {
				t.Fatalf("stream: %v", err)
			}
			text.WriteString(r.Text())
			n++
		}
		if n < 2 || !strings.Contains(text.String(), "fake gemini") {
			t.Fatalf("stream: %d chunks %q", n, text.String())
		}
		checkCodeAssistCall(t, fake, true)

		tools := []*genai.Tool{{FunctionDeclarations: []*genai.FunctionDeclaration{{Name: "get_weather", ParametersJsonSchema: weatherSchema}}}}
		history := []*genai.Content{genai.NewContentFromText("What is the weather in Paris?", genai.RoleUser)}
		cfg := &genai.GenerateContentConfig{Tools: tools}
		call, err := c.Models.GenerateContent(ctx, model, history, cfg)
		if err != nil {
			t.Fatalf("tool call: %v", err)
		}
		fcs := call.FunctionCalls()
		if len(fcs) != 1 || fcs[0].Name != "get_weather" {
			t.Fatalf("tool call answer %+v", call.Candidates[0].Content)
		}
		history = append(history, call.Candidates[0].Content, genai.NewContentFromParts([]*genai.Part{{FunctionResponse: &genai.FunctionResponse{
			ID: fcs[0].ID, Name: fcs[0].Name, Response: map[string]any{"output": "sunny, 21C"}}}}, genai.RoleUser))
		final, err := c.Models.GenerateContent(ctx, model, history, cfg)
		if err != nil || !strings.Contains(final.Text(), "sunny, 21C") {
			t.Fatalf("tool result: %v %q", err, final.Text())
		}
		ct, err := c.Models.CountTokens(ctx, model, genai.Text("count me"), nil)
		if err != nil || ct.TotalTokens <= 0 {
			t.Fatalf("count tokens: %v %+v", err, ct)
		}

		// Fast path: the Gemini body is wrapped as it is, fields the gateway
		// does not know included.
		resp2, body := h.do("POST", "/v1beta/models/"+model+":streamGenerateContent?alt=sse",
			`{"contents":[{"role":"user","parts":[{"text":"keep my fields"}]}],"labels":{"team":"blue"},"zzFuture":{"n":7}}`, geminiHdr)
		if resp2.StatusCode != 200 || !strings.Contains(body, `"finishReason":"STOP"`) || strings.Contains(body, `"response"`) ||
			strings.Contains(body, "traceId") {
			t.Fatalf("raw stream %d: %s", resp2.StatusCode, body)
		}
		up := checkCodeAssistCall(t, fake, true)
		if gjson.GetBytes(up.Body, "request.labels.team").Str != "blue" || gjson.GetBytes(up.Body, "request.zzFuture.n").Int() != 7 {
			t.Errorf("unknown fields lost in the envelope: %s", up.Body)
		}
	})

	a := h.caAccount("ca-1")
	if a.Tier != "pro" || a.CodeAssist == nil || a.CodeAssist.Project != caProject || a.CodeAssist.ProjectSource != "discovered" ||
		a.CodeAssist.TierID != fakeupstream.TierStandard || a.CodeAssist.TierSource != "code_assist" {
		t.Errorf("admin view %+v %+v", a, a.CodeAssist)
	}
	if n := len(caRequests(fake, ":loadCodeAssist")); n != 1 {
		t.Errorf("loadCodeAssist called %d times; want once", n)
	}
}

// The demo (make run) shows a request that reaches its Google account: one
// of the models run-demo.sh suggests is served by the codeassist account of
// the demo pool, through the fake Code Assist API.
func TestCodeAssistDemoReachesTheGoogleAccount(t *testing.T) {
	script, err := os.ReadFile("../../scripts/run-demo.sh")
	if err != nil {
		t.Fatal(err)
	}
	fake, url := caFake(t)
	h := newCodeAssistHarness(t, fake, url, "../../examples/demo/accounts.yaml", "", map[string]string{
		"SWITCHYARD_DEMO_UPSTREAM": url, "SWITCHYARD_ROUTES_FILE": "../../examples/demo/routes.yaml"})
	seen := map[string]bool{}
	var served []string
	for _, m := range regexp.MustCompile(`"model":"([^"]+)"`).FindAllStringSubmatch(string(script), -1) {
		if seen[m[1]] {
			continue
		}
		seen[m[1]] = true
		from := len(fake.Requests())
		resp, body := h.do("POST", "/v1/chat/completions", `{"model":"`+m[1]+`","messages":[{"role":"user","content":"Hello there, Code Assist!"}]}`, oaiHdr)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", m[1], resp.StatusCode, body)
		}
		email := resp.Header.Get("X-Account-Email")
		served = append(served, m[1]+"→"+email)
		if email != "grace@demo.example" {
			continue
		}
		calls := caGenerateCalls(fake, from)
		if len(calls) != 1 || !strings.HasPrefix(calls[0].Credential, "ya29.fake-") ||
			gjson.GetBytes(calls[0].Body, "project").Str == "" || gjson.GetBytes(calls[0].Body, "model").Str != m[1] {
			t.Fatalf("%s served by the Google account, but the upstream saw %+v", m[1], calls)
		}
		return
	}
	t.Fatalf("no model run-demo.sh suggests reaches the demo's codeassist account (grace@demo.example): %v", served)
}
