package session

import (
	"net/http"
	"strings"
	"testing"
)

// checkID fails unless sid is "" or a well-formed id, and the same input
// gives the same id again.
func checkID(t *testing.T, sid string, again func() string) {
	t.Helper()
	if sid != "" && !validID(sid) {
		t.Fatalf("malformed id %q", sid)
	}
	if second := again(); second != sid {
		t.Fatalf("not deterministic: %q then %q", sid, second)
	}
}

func FuzzAnthropic(f *testing.F) {
	f.Add([]byte(anthropicBody(`{"user_id":"user_ab_account__session_`+ccUUID+`"}`, userMsg(`"hi there"`))), "")
	f.Add([]byte(anthropicBody("", userMsg(`[`+reminder+`,`+textBlock("fix it")+`]`))), "")
	f.Add([]byte(`{"metadata":{"user_id":"{\"session_id\":\"x\"}"}}`), ccUUID)
	f.Fuzz(func(t *testing.T, body []byte, sessionHeader string) {
		h := http.Header{"X-Claude-Code-Session-Id": {sessionHeader}}
		got := Anthropic(body, h)
		checkID(t, got, func() string { return Anthropic(body, h) })
		if v := strings.TrimSpace(sessionHeader); v != "" && got != id(kindClaudeCode, v) {
			t.Fatalf("header %q gave %q; want the header's id", sessionHeader, got)
		}
	})
}

func FuzzOpenAI(f *testing.F) {
	f.Add([]byte(`{"prompt_cache_key":"k","messages":[{"role":"user","content":"What is the weather in Paris?"}]}`), "")
	f.Add([]byte(`{"input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"What is the weather in Paris?"}]}]}`), "s1")
	f.Add([]byte(`{"input":"What is the weather in Paris?"}`), "")
	f.Fuzz(func(t *testing.T, body []byte, sessionHeader string) {
		h := http.Header{"Session_id": {sessionHeader}}
		got := OpenAI(body, h)
		checkID(t, got, func() string { return OpenAI(body, h) })
		if strings.TrimSpace(sessionHeader) != "" && got == "" {
			t.Fatalf("header %q gave no id", sessionHeader)
		}
	})
}

func FuzzGemini(f *testing.F) {
	f.Add([]byte(`{"contents":[{"role":"user","parts":[{"text":"What's the weather in Paris?"}]}]}`))
	f.Add([]byte(`{"request":{"contents":[{"parts":[{"text":"a","thought":true},{"text":"<system-reminder>"}]}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		got := Gemini(body, nil)
		checkID(t, got, func() string { return Gemini(body, nil) })
	})
}
