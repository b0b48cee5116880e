package session

import (
	"net/http"
	"testing"
)

func TestOpenAI(t *testing.T) {
	const first = `{"role":"user","content":"What is the weather in Paris?"}`
	byFirst := id(kindMessage, "What is the weather in Paris?")
	tests := []struct {
		name   string
		body   string
		header http.Header
		want   string
	}{
		{"prompt_cache_key", `{"prompt_cache_key":"conv-1","user":"u1","messages":[` + first + `]}`, header("Session_id", "s1"), id(kindCacheKey, "conv-1")},
		{"user", `{"user":"u1","messages":[` + first + `]}`, header("Session_id", "s1"), id(kindUser, "u1")},
		{"numeric user", `{"user":42,"messages":[` + first + `]}`, nil, id(kindUser, "42")},
		{"codex header", `{"messages":[` + first + `]}`, header("session_id", "s1"), id(kindCodex, "s1")},
		{"codex header non-canonical key", `{"messages":[` + first + `]}`, http.Header{"session_id": {"s1"}}, id(kindCodex, "s1")},
		{"codex session-id header", `{"input":[` + first + `]}`, header("session-id", "s1"), id(kindCodex, "s1")},
		{"empty explicit ids ignored", `{"prompt_cache_key":"","user":" ","messages":[` + first + `]}`, header("session_id", ""), byFirst},
		{"first user message", `{"messages":[{"role":"system","content":"You are helpful and terse."},` + first + `,{"role":"user","content":"and tomorrow?"}]}`, nil, byFirst},
		{"developer skipped", `{"messages":[{"role":"developer","content":"Answer tersely please."},` + first + `]}`, nil, byFirst},
		{"text parts joined", `{"messages":[{"role":"user","content":[{"type":"text","text":"What is in"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBOR"}},{"type":"text","text":"this picture?"}]}]}`, nil, id(kindMessage, "What is in", "this picture?")},
		{"reminder part dropped", `{"messages":[{"role":"user","content":[{"type":"text","text":"<system-reminder>ctx</system-reminder>"},{"type":"text","text":"What is the weather in Paris?"}]}]}`, nil, byFirst},
		{"reminder string skipped", `{"messages":[{"role":"user","content":"<system-reminder>ctx</system-reminder> long enough"},` + first + `]}`, nil, byFirst},
		{"exactly 10 bytes too short", `{"messages":[{"role":"user","content":"0123456789"},{"role":"user","content":"01234567890"}]}`, nil, id(kindMessage, "01234567890")},
		{"11 bytes after trim", `{"messages":[{"role":"user","content":"  0123456789  "},{"role":"user","content":" 01234567890 "}]}`, nil, id(kindMessage, "01234567890")},
		{"nothing qualifies", `{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"Hello! How can I help?"}]}`, nil, ""},
		{"responses input string", `{"input":"What is the weather in Paris?"}`, nil, byFirst},
		{"responses short input string", `{"input":"hi there"}`, nil, ""},
		{"responses reminder input string", `{"input":"<system-reminder>x</system-reminder> hi"}`, nil, ""},
		{"responses items", `{"instructions":"be terse","input":[{"type":"message","role":"developer","content":[{"type":"input_text","text":"Answer tersely please."}]},{"type":"message","role":"user","content":[{"type":"input_text","text":"What is the weather in Paris?"}]},{"type":"function_call_output","call_id":"c","output":"sunny and warm"}]}`, nil, byFirst},
		{"responses item without type", `{"input":[{"role":"user","content":"What is the weather in Paris?"}]}`, nil, byFirst},
		{"responses non-message item skipped", `{"input":[{"type":"function_call_output","role":"user","content":"What is the weather in Paris?"}]}`, nil, ""},
		{"responses cache key", `{"prompt_cache_key":"019a-conv","input":[{"role":"user","content":"hi"}]}`, nil, id(kindCacheKey, "019a-conv")},
		{"empty body", ``, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := OpenAI([]byte(tt.body), tt.header); got != tt.want {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}

func TestOpenAIGrowingHistory(t *testing.T) {
	body := `{"messages":[{"role":"system","content":"You are a coding agent."},{"role":"user","content":"Write a function that adds two numbers."}`
	want := OpenAI([]byte(body+"]}"), nil)
	if want == "" {
		t.Fatal("first turn has no id")
	}
	for _, turn := range []string{
		`,{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"write","arguments":"{}"}}]}`,
		`,{"role":"tool","tool_call_id":"call_1","content":"written"}`,
		`,{"role":"assistant","content":"Done."},{"role":"user","content":"Now add tests for it please."}`,
	} {
		body += turn
		if got := OpenAI([]byte(body+"]}"), nil); got != want {
			t.Errorf("after %s: got %q; want %q", turn, got, want)
		}
	}
}
