package session

import "testing"

func TestGemini(t *testing.T) {
	const first = `{"role":"user","parts":[{"text":"What's in this image, and what's the weather?"},{"inlineData":{"mimeType":"image/png","data":"iVBOR"}}]}`
	byFirst := id(kindMessage, "What's in this image, and what's the weather?")
	tests := []struct {
		name string
		body string
		want string
	}{
		{"first user content", `{"systemInstruction":{"parts":[{"text":"You are a coding agent."}]},"contents":[` + first + `,{"role":"model","parts":[{"text":"Let me look."}]}]}`, byFirst},
		{"snake case body", `{"system_instruction":{"parts":[{"text":"x"}]},"contents":[{"role":"user","parts":[{"text":"What's in this image, and what's the weather?"},{"inline_data":{"mime_type":"image/png","data":"iVBOR"}}]}]}`, byFirst},
		{"no role is user", `{"contents":[{"parts":[{"text":"What's in this image, and what's the weather?"}]}]}`, byFirst},
		{"model skipped", `{"contents":[{"role":"model","parts":[{"text":"model speaks first here"}]},` + first + `]}`, byFirst},
		{"parts joined by space", `{"contents":[{"role":"user","parts":[{"text":" hello "},{"text":"world!"}]}]}`, id(kindMessage, "hello", "world!")},
		{"thought parts dropped", `{"contents":[{"role":"user","parts":[{"text":"secret thinking text","thought":true},{"text":"visible question"}]}]}`, id(kindMessage, "visible question")},
		{"function response only skipped", `{"contents":[{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"output":"long output text"}}}]},` + first + `]}`, byFirst},
		{"reminder part dropped", `{"contents":[{"role":"user","parts":[{"text":"<system-reminder>x</system-reminder>"},{"text":"What's in this image, and what's the weather?"}]}]}`, byFirst},
		{"exactly 10 bytes too short", `{"contents":[{"role":"user","parts":[{"text":"0123456789"}]},{"role":"user","parts":[{"text":"01234567890"}]}]}`, id(kindMessage, "01234567890")},
		{"code assist envelope", `{"model":"gemini-2.5-pro","project":"p","request":{"contents":[` + first + `]}}`, byFirst},
		{"nothing qualifies", `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`, ""},
		{"no contents", `{"model":"x"}`, ""},
		{"empty body", ``, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Gemini([]byte(tt.body), nil); got != tt.want {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}
