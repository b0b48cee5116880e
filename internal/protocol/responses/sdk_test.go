package responses

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	openaisdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	sdk "github.com/openai/openai-go/v3/responses"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

// sdkServer serves body at POST /responses with the given content type.
func sdkServer(t *testing.T, contentType, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/responses" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func sdkClient(srv *httptest.Server) *openaisdk.Client {
	c := openaisdk.NewClient(option.WithBaseURL(srv.URL), option.WithAPIKey("x"), option.WithMaxRetries(0))
	return &c
}

var sdkParams = sdk.ResponseNewParams{Model: "gpt-5-codex",
	Input: sdk.ResponseNewParamsInputUnion{OfString: openaisdk.String("hi")}}

// sdkAnswer is what the official SDK made of a stream or a response.
type sdkAnswer struct {
	text, reasoning                      string
	calls                                []sdk.ResponseFunctionToolCall
	status                               string
	input, cached, output, reason, total int64
}

func fromResponse(r *sdk.Response) sdkAnswer {
	a := sdkAnswer{text: r.OutputText(), status: string(r.Status), input: r.Usage.InputTokens,
		cached: r.Usage.InputTokensDetails.CachedTokens, output: r.Usage.OutputTokens,
		reason: r.Usage.OutputTokensDetails.ReasoningTokens, total: r.Usage.TotalTokens}
	for _, it := range r.Output {
		switch it.Type {
		case "function_call":
			a.calls = append(a.calls, it.AsFunctionCall())
		case "reasoning":
			for _, s := range it.AsReasoning().Summary {
				a.reasoning += s.Text
			}
		}
	}
	return a
}

// streamThroughSDK serves the encoder's events for evs and reads them with
// client.Responses.NewStreaming, checking the streamed deltas against the
// final response object.
func streamThroughSDK(t *testing.T, evs []llm.Event) sdkAnswer {
	t.Helper()
	sse, _, _ := encodeAll(t, testOpts, evs)
	stream := sdkClient(sdkServer(t, "text/event-stream", sse)).Responses.NewStreaming(context.Background(), sdkParams)
	var text, args, reasoning strings.Builder
	var final *sdk.Response
	var done []sdk.ResponseOutputItemUnion
	var acc sdk.ResponseAccumulator
	var types []string
	for stream.Next() {
		ev := stream.Current()
		types = append(types, ev.Type)
		var wire sdk.ResponsesServerEventUnion
		if err := json.Unmarshal([]byte(ev.RawJSON()), &wire); err != nil {
			t.Fatalf("%s: %v", ev.Type, err)
		}
		if err := acc.AddEvent(wire); err != nil {
			t.Fatalf("SDK accumulator rejects %s: %v", ev.Type, err)
		}
		switch v := ev.AsAny().(type) {
		case sdk.ResponseTextDeltaEvent:
			text.WriteString(v.Delta)
		case sdk.ResponseFunctionCallArgumentsDeltaEvent:
			args.WriteString(v.Delta)
		case sdk.ResponseReasoningSummaryTextDeltaEvent:
			reasoning.WriteString(v.Delta)
		case sdk.ResponseOutputItemDoneEvent:
			done = append(done, v.Item)
		case sdk.ResponseCompletedEvent:
			final = &v.Response
		case sdk.ResponseIncompleteEvent:
			final = &v.Response
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if final == nil {
		t.Fatalf("no terminal event; got %v", types)
	}
	a := fromResponse(final)
	if text.String() != a.text || reasoning.String() != a.reasoning {
		t.Fatalf("streamed text %q / reasoning %q differ from final %q / %q", text.String(), reasoning.String(), a.text, a.reasoning)
	}
	var finalArgs string
	for _, c := range a.calls {
		finalArgs += c.Arguments
	}
	if args.String() != finalArgs {
		t.Fatalf("streamed arguments %q differ from final %q", args.String(), finalArgs)
	}
	if len(done) != len(final.Output) {
		t.Fatalf("%d output_item.done events for %d output items", len(done), len(final.Output))
	}
	rebuilt, err := acc.ReconstructedResponse()
	if err != nil || rebuilt.OutputText() != a.text || rebuilt.ID != "resp_test1" {
		t.Fatalf("accumulator: %v %+v", err, rebuilt)
	}
	return a
}

// collectThroughSDK serves the Collector's JSON and reads it with
// client.Responses.New.
func collectThroughSDK(t *testing.T, evs []llm.Event) sdkAnswer {
	t.Helper()
	_, js, _ := encodeAll(t, testOpts, evs)
	r, err := sdkClient(sdkServer(t, "application/json", string(js))).Responses.New(context.Background(), sdkParams)
	if err != nil {
		t.Fatalf("Responses.New: %v", err)
	}
	if r.ID != "resp_test1" || r.Model != "gpt-5-codex" || r.CreatedAt != 1700000000 {
		t.Fatalf("response header fields: %s %s %v", r.ID, r.Model, r.CreatedAt)
	}
	return fromResponse(r)
}

func TestSDKParsesText(t *testing.T) {
	for name, read := range map[string]func(*testing.T, []llm.Event) sdkAnswer{
		"stream": streamThroughSDK, "collected": collectThroughSDK} {
		a := read(t, textStream())
		if a.text != "Hello, world!" || a.reasoning != "Greet back." || a.status != "completed" || len(a.calls) != 0 {
			t.Errorf("%s: %+v", name, a)
		}
		if a.input != 120 || a.cached != 100 || a.output != 40 || a.reason != 25 || a.total != 160 {
			t.Errorf("%s usage: %+v", name, a)
		}
	}
}

func TestSDKParsesToolCalls(t *testing.T) {
	for name, read := range map[string]func(*testing.T, []llm.Event) sdkAnswer{
		"stream": streamThroughSDK, "collected": collectThroughSDK} {
		a := read(t, toolStream())
		if a.text != "Checking both." || len(a.calls) != 2 {
			t.Fatalf("%s: %+v", name, a)
		}
		c0, c1 := a.calls[0], a.calls[1]
		if c0.CallID != "call_A" || c0.Name != "get_weather" || c0.Arguments != `{"city":"Paris"}` ||
			c0.ID != "fc_test1_1" || c1.CallID != "call_B" || c1.Name != "get_time" || c1.Arguments != "{}" {
			t.Errorf("%s calls: %+v", name, a.calls)
		}
		if a.input != 30 || a.output != 18 || a.total != 48 {
			t.Errorf("%s usage: %+v", name, a)
		}
	}
}

func TestSDKParsesIncomplete(t *testing.T) {
	evs := []llm.Event{
		{Type: llm.EvStart},
		{Type: llm.EvBlockStart, Block: &llm.BlockInfo{Type: llm.PartText}},
		{Type: llm.EvTextDelta, Text: "cut"},
		{Type: llm.EvFinish, StopReason: llm.StopMaxTok, Usage: &llm.Usage{InputTokens: 1, OutputTokens: 2}},
	}
	for _, a := range []sdkAnswer{streamThroughSDK(t, evs), collectThroughSDK(t, evs)} {
		if a.status != "incomplete" || a.text != "cut" || a.total != 3 {
			t.Errorf("incomplete: %+v", a)
		}
	}
}

func TestSDKParsesStreamError(t *testing.T) {
	var sse strings.Builder
	NewStreamEncoder(testOpts).Encode(llm.Event{Type: llm.EvStart}, func(name string, data []byte) {
		sse.WriteString("event: " + name + "\ndata: " + string(data) + "\n\n")
	})
	sse.WriteString(": keep-alive\n\n")
	sse.Write(StreamError(llm.Errorf(llm.KindOverloaded, "upstream overloaded")))
	stream := sdkClient(sdkServer(t, "text/event-stream", sse.String())).Responses.NewStreaming(context.Background(), sdkParams)
	var got sdk.ResponseErrorEvent
	for stream.Next() {
		if ev := stream.Current(); ev.Type == "error" {
			got = ev.AsError()
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if got.Message != "upstream overloaded" || got.Code != "server_error" {
		t.Fatalf("error event: %+v", got)
	}
}

// A call of a custom (freeform) tool reaches the client as a custom_tool_call
// with its raw text, streamed and collected, as the SDK and Codex read it.
func TestSDKParsesFreeformToolCall(t *testing.T) {
	patch := "*** Begin Patch\n*** Add File: a.txt\n+hi \"there\"\n*** End Patch"
	args, _ := json.Marshal(map[string]string{llm.FreeformArg: patch})
	evs := []llm.Event{{Type: llm.EvStart, ID: "x"},
		{Type: llm.EvBlockStart, Index: 0, Block: &llm.BlockInfo{Type: llm.PartToolCall, ID: "call_P", Name: "apply_patch"}},
		{Type: llm.EvToolArgsDelta, Index: 0, Text: string(args[:10])},
		{Type: llm.EvToolArgsDelta, Index: 0, Text: string(args[10:])},
		{Type: llm.EvBlockStop, Index: 0},
		{Type: llm.EvFinish, StopReason: llm.StopToolUse, Usage: &llm.Usage{InputTokens: 3, OutputTokens: 4}}}
	opts := testOpts
	opts.Freeform = []string{"apply_patch"}
	sse, js, _ := encodeAll(t, opts, evs)

	stream := sdkClient(sdkServer(t, "text/event-stream", sse)).Responses.NewStreaming(context.Background(), sdkParams)
	var streamed string
	var acc sdk.ResponseAccumulator
	var final *sdk.Response
	for stream.Next() {
		ev := stream.Current()
		var wire sdk.ResponsesServerEventUnion
		if err := json.Unmarshal([]byte(ev.RawJSON()), &wire); err != nil || acc.AddEvent(wire) != nil {
			t.Fatalf("SDK rejects %s: %v", ev.Type, err)
		}
		switch v := ev.AsAny().(type) {
		case sdk.ResponseCustomToolCallInputDeltaEvent:
			streamed += v.Delta
		case sdk.ResponseFunctionCallArgumentsDeltaEvent:
			t.Fatalf("a freeform call streamed JSON arguments: %q", v.Delta)
		case sdk.ResponseCompletedEvent:
			final = &v.Response
		}
	}
	if err := stream.Err(); err != nil || final == nil {
		t.Fatalf("stream: %v (final %v)", err, final)
	}
	for name, r := range map[string]*sdk.Response{"stream": final, "collected": mustNew(t, string(js))} {
		if len(r.Output) != 1 || r.Output[0].Type != "custom_tool_call" {
			t.Fatalf("%s: output %+v", name, r.Output)
		}
		c := r.Output[0].AsCustomToolCall()
		if c.Input != patch || c.Name != "apply_patch" || c.CallID != "call_P" {
			t.Errorf("%s: custom call %+v", name, c)
		}
	}
	if streamed != patch {
		t.Errorf("streamed input %q; want the patch", streamed)
	}
}

func mustNew(t *testing.T, body string) *sdk.Response {
	t.Helper()
	r, err := sdkClient(sdkServer(t, "application/json", body)).Responses.New(context.Background(), sdkParams)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
