package sse

import "testing"

func TestClassify(t *testing.T) {
	comment := Event{Comment: true, Data: []byte("keep-alive")}
	data := func(s string) Event { return Event{Data: []byte(s)} }
	named := func(name, s string) Event { return Event{Name: name, Data: []byte(s)} }

	tests := []struct {
		name     string
		classify func(Event) Kind
		ev       Event
		want     Kind
	}{
		{"openai comment", ClassifyOpenAI, comment, KindSkip},
		{"openai empty", ClassifyOpenAI, data(""), KindSkip},
		{"openai blank", ClassifyOpenAI, data(" \n "), KindSkip},
		{"openai comment as data", ClassifyOpenAI, data(": ping"), KindSkip},
		{"openai done", ClassifyOpenAI, data("[DONE]"), KindDone},
		{"openai done padded", ClassifyOpenAI, data(" [DONE] "), KindDone},
		{"openai role only first chunk", ClassifyOpenAI, data(`{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}`), KindData},
		{"openai usage chunk", ClassifyOpenAI, data(`{"choices":[],"usage":{"total_tokens":3}}`), KindData},
		{"openai error", ClassifyOpenAI, data(`{"error":{"message":"x","type":"server_error"}}`), KindError},
		{"openai error string", ClassifyOpenAI, data(`{"error":"boom"}`), KindError},
		{"openai null error", ClassifyOpenAI, data(`{"error":null,"choices":[]}`), KindData},
		{"openai false error", ClassifyOpenAI, data(`{"error":false,"choices":[]}`), KindData},
		{"openai empty error", ClassifyOpenAI, data(`{"error":"","choices":[]}`), KindData},
		{"openai nested error is content", ClassifyOpenAI, data(`{"choices":[{"delta":{"content":"{\"error\":1}"}}]}`), KindData},

		{"anthropic comment", ClassifyAnthropic, comment, KindSkip},
		{"anthropic ping", ClassifyAnthropic, named("ping", `{"type":"ping"}`), KindSkip},
		{"anthropic ping without data", ClassifyAnthropic, named("ping", ""), KindSkip},
		{"anthropic start", ClassifyAnthropic, named("message_start", `{"type":"message_start"}`), KindPreamble},
		{"anthropic delta", ClassifyAnthropic, named("content_block_delta", `{}`), KindData},
		{"anthropic error", ClassifyAnthropic, named("error", `{"type":"error","error":{"type":"overloaded_error"}}`), KindError},
		{"anthropic stop", ClassifyAnthropic, named("message_stop", `{"type":"message_stop"}`), KindDone},
		{"anthropic unnamed error", ClassifyAnthropic, data(`{"type":"error","error":{"type":"api_error"}}`), KindError},
		{"anthropic unnamed untyped error", ClassifyAnthropic, data(`{"error":{"type":"api_error"}}`), KindError},
		{"anthropic unnamed stop", ClassifyAnthropic, data(`{"type":"message_stop"}`), KindDone},
		{"anthropic unnamed untyped", ClassifyAnthropic, data(`{"x":1}`), KindSkip},
		{"anthropic empty", ClassifyAnthropic, data(""), KindSkip},

		{"gemini comment", ClassifyGemini, comment, KindSkip},
		{"gemini empty", ClassifyGemini, data(""), KindSkip},
		{"gemini chunk", ClassifyGemini, data(`{"candidates":[{"content":{"parts":[{"text":"Hi"}]}}]}`), KindData},
		{"gemini finish chunk", ClassifyGemini, data(`{"candidates":[{"finishReason":"STOP"}]}`), KindData},
		{"gemini usage only", ClassifyGemini, data(`{"usageMetadata":{"promptTokenCount":3}}`), KindData},
		{"gemini blocked prompt", ClassifyGemini, data(`{"promptFeedback":{"blockReason":"SAFETY"}}`), KindData},
		{"gemini error", ClassifyGemini, data(`{"error":{"code":503,"status":"UNAVAILABLE"}}`), KindError},
		{"gemini error with candidates", ClassifyGemini, data(`{"error":{"code":1},"candidates":[]}`), KindData},
		{"code assist chunk", ClassifyGemini, data(`{"response":{"candidates":[]},"traceId":"t"}`), KindData},
		{"code assist error", ClassifyGemini, data(`{"response":{"error":{"code":500}},"traceId":"t"}`), KindError},
		{"code assist empty", ClassifyGemini, data(`{"response":{},"traceId":"t"}`), KindSkip},
		{"gemini meta only", ClassifyGemini, data(`{"__cloudCodeMeta":{"traceId":"t"}}`), KindSkip},

		{"responses comment", ClassifyResponses, comment, KindSkip},
		{"responses created", ClassifyResponses, named("response.created", `{}`), KindPreamble},
		{"responses in progress", ClassifyResponses, named("response.in_progress", `{}`), KindPreamble},
		{"responses delta", ClassifyResponses, named("response.output_text.delta", `{}`), KindData},
		{"responses completed", ClassifyResponses, named("response.completed", `{}`), KindDone},
		{"responses incomplete", ClassifyResponses, named("response.incomplete", `{}`), KindDone},
		{"responses failed", ClassifyResponses, named("response.failed", `{}`), KindError},
		{"responses error", ClassifyResponses, named("error", `{"type":"error","message":"x"}`), KindError},
		{"responses unnamed completed", ClassifyResponses, data(`{"type":"response.completed"}`), KindDone},
		{"responses unnamed error object", ClassifyResponses, data(`{"error":{"message":"x"}}`), KindError},
		{"responses unnamed untyped", ClassifyResponses, data(`{"x":1}`), KindData},
		{"responses empty", ClassifyResponses, data(""), KindSkip},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.classify(tt.ev); got != tt.want {
				t.Errorf("got %v; want %v", got, tt.want)
			}
		})
	}
}

func TestGeminiFinished(t *testing.T) {
	tests := []struct {
		name string
		data string
		want bool
	}{
		{"no candidates", `{"usageMetadata":{}}`, false},
		{"no finish reason", `{"candidates":[{"content":{"parts":[{"text":"a"}]}}]}`, false},
		{"stop", `{"candidates":[{"finishReason":"STOP"}]}`, true},
		{"second candidate", `{"candidates":[{"index":0},{"index":1,"finishReason":"MAX_TOKENS"}]}`, true},
		{"empty reason", `{"candidates":[{"finishReason":""}]}`, false},
		{"code assist", `{"response":{"candidates":[{"finishReason":"STOP"}]},"traceId":"t"}`, true},
		{"not json", `[DONE]`, false},
		{"empty", ``, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := GeminiFinished(Event{Data: []byte(tt.data)}); got != tt.want {
				t.Errorf("got %t; want %t", got, tt.want)
			}
		})
	}
	if GeminiFinished(Event{Comment: true, Data: []byte(`{"candidates":[{"finishReason":"STOP"}]}`)}) {
		t.Errorf("comment: got true; want false")
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindSkip: "skip", KindData: "data", KindError: "error", KindDone: "done", Kind(9): "unknown"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q; want %q", int(k), got, want)
		}
	}
}

func BenchmarkClassifyOpenAI(b *testing.B) {
	e := Event{Data: []byte(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1767225600,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}],"usage":null}`)}
	b.ReportAllocs()
	for b.Loop() {
		if ClassifyOpenAI(e) != KindData {
			b.Fatal("not data")
		}
	}
}
