package retry

import (
	"strings"
	"testing"
)

func TestIsSignatureError(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   bool
	}{
		{"invalid signature", 400, "messages.1.content.0: Invalid `signature` in `thinking` block", true},
		{"block binding variant", 400, "Invalid `signature` in `thinking` block. The block is bound to a different conversation.", true},
		{"field path signature", 400, "messages.3.content.0.thinking.signature: Field required", true},
		{"field path thinking", 400, "messages.3.content.0.thinking.thinking: Field required", true},
		{"expected thinking", 400, "messages.5.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`.", true},
		{"first block must be thinking", 400, "messages.5.content.0: If an assistant message contains any thinking blocks, the first block must be thinking or redacted_thinking. Found text.", true},
		{"found text", 400, "… but Found `text`", true},
		{"must be thinking", 400, "content.0.type must be `thinking`", true},
		{"thinking disabled", 400, "When thinking is disabled, an `assistant` message in the final position cannot contain `thinking`.", true},
		{"final block thinking", 400, "messages.2: The final block in an assistant message cannot be `thinking`.", true},
		{"gemini corrupted", 400, `{"error":{"code":400,"message":"Corrupted thought signature.","status":"INVALID_ARGUMENT"}}`, true},
		{"gemini invalid", 400, "Invalid thought signature.", true},
		{"gemini missing", 400, "Function call is missing a thought_signature in functionCall parts.", true},
		{"gemini camel", 400, `Unknown name "thoughtSignature" at 'contents[1].parts[0]'`, true},
		{"case insensitive", 400, "CORRUPTED THOUGHT SIGNATURE", true},
		{"vertex wrapped", 400, `{"error":{"code":400,"message":"{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"messages.1.content.0: Invalid ` + "`signature`" + ` in ` + "`thinking`" + ` block\"}}"}}`, true},
		{"not a 400", 500, "Invalid `signature` in `thinking` block", false},
		{"tool pairing", 400, "`tool_use` ids were found without `tool_result` blocks immediately after", false},
		{"forced tool choice", 400, "Thinking may not be enabled when tool_choice forces tool use.", false},
		{"empty", 400, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsSignatureError(tt.status, []byte(tt.body)); got != tt.want {
				t.Errorf("got %t; want %t", got, tt.want)
			}
		})
	}
}

func TestIsContextLengthError(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   bool
	}{
		{"openai code", 400, `{"error":{"code":"context_length_exceeded"}}`, true},
		{"openai text", 400, "This model's maximum context length is 128000 tokens.", true},
		{"anthropic", 400, "prompt is too long: 215073 tokens > 200000 maximum", true},
		{"anthropic max tokens", 400, "input length and `max_tokens` exceed context limit: 197000 + 8192 > 200000", true},
		{"gemini", 400, "The input token count (1234567) exceeds the maximum number of tokens allowed (1048576).", true},
		{"gemini reworded", 400, "The input token count exceeds the limit", true},
		{"responses", 400, "Your input exceeds the context window of this model.", true},
		{"413", 413, "Prompt is too long", true},
		{"422", 422, "context_length_exceeded", true},
		{"429 tokens per minute", 429, "Request too large for gpt-4o on tokens per min: prompt is too long", false},
		{"other 400", 400, "messages: at least one message is required", false},
		{"input token count alone", 400, "input token count: 12", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsContextLengthError(tt.status, []byte(tt.body)); got != tt.want {
				t.Errorf("got %t; want %t", got, tt.want)
			}
		})
	}
}

func TestMatchHugeBody(t *testing.T) {
	// Only the first maxBodyBytes are searched.
	body := []byte(strings.Repeat(" ", maxBodyBytes) + "Corrupted thought signature")
	if IsSignatureError(400, body) {
		t.Errorf("got true for a needle past the bound; want false")
	}
	if !IsSignatureError(400, body[len(body)-40:]) {
		t.Errorf("got false for the needle alone; want true")
	}
}
