package openai

import (
	"testing"

	"github.com/tidwall/gjson"
)

func TestCollectorRebuildsCompletion(t *testing.T) {
	chunks := []string{
		`{"id":"c2","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_A","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}`,
		`{"id":"c2","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":\"Pa"}}]},"finish_reason":null}]}`,
		`{"id":"c2","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_B","type":"function","function":{"name":"get_time","arguments":"{}"}}]},"finish_reason":null}]}`,
		`{"id":"c2","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ris\"}"}}]},"finish_reason":null}]}`,
		`{"id":"c2","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`,
		`{"id":"c2","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}`,
		`[DONE]`,
	}
	var c Collector
	for _, ch := range chunks {
		c.Add([]byte(ch))
	}
	out, err := c.JSON()
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]string{
		"object": "chat.completion", "id": "c2", "model": "gpt-4o",
		"choices.0.message.role":                            "assistant",
		"choices.0.message.tool_calls.0.id":                 "call_A",
		"choices.0.message.tool_calls.0.function.arguments": `{"city":"Paris"}`,
		"choices.0.message.tool_calls.1.function.name":      "get_time",
		"choices.0.finish_reason":                           "tool_calls",
		"usage.total_tokens":                                "11",
		"choices.0.message.content":                         "",
	}
	for path, want := range checks {
		if got := gjson.GetBytes(out, path).String(); got != want {
			t.Errorf("%s = %q; want %q\n%s", path, got, want, out)
		}
	}
	var text Collector
	for _, ch := range []string{
		`{"id":"x","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}`,
		`{"id":"x","choices":[{"index":0,"delta":{"content":"Hel"}}]}`,
		`{"id":"x","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}`,
	} {
		text.Add([]byte(ch))
	}
	out, _ = text.JSON()
	if got := gjson.GetBytes(out, "choices.0.message.content").String(); got != "Hello" {
		t.Fatalf("content %q: %s", got, out)
	}
}

// OpenAI-compatible providers (Qwen) repeat a tool call's id and name, or
// send them empty, in later deltas: the first non-empty values stay, so the
// client can pair its tool result.
func TestCollectorKeepsFirstToolCallIDAndName(t *testing.T) {
	chunks := []string{
		`{"id":"q1","model":"qwen-plus","choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"call_qwen_1","type":"function","function":{"name":"get_weather","arguments":""}}]}}]}`,
		`{"id":"q1","model":"qwen-plus","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"","type":"function","function":{"name":"","arguments":"{\"city\":"}}]}}]}`,
		`{"id":"q1","model":"qwen-plus","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"","function":{"name":"get_weather","arguments":"\"Oslo\"}"}}]}}]}`,
		`{"id":"q1","model":"qwen-plus","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`,
	}
	var c Collector
	for _, ch := range chunks {
		c.Add([]byte(ch))
	}
	out, err := c.JSON()
	if err != nil {
		t.Fatal(err)
	}
	tc := gjson.GetBytes(out, "choices.0.message.tool_calls.0")
	if tc.Get("id").Str != "call_qwen_1" || tc.Get("function.name").Str != "get_weather" || tc.Get("function.arguments").Str != `{"city":"Oslo"}` {
		t.Fatalf("tool call %s; want id call_qwen_1, name get_weather and the whole arguments", tc.Raw)
	}
}
