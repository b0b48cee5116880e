package session

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

const ccUUID = "9b1c2d3e-4f50-4a6b-8c7d-0e1f2a3b4c5d"

// reminder is a Claude Code system-reminder block.
const reminder = `{"type":"text","text":"<system-reminder>\nAs you answer the user's questions, you can use the following context:\n# claudeMd\n</system-reminder>"}`

func userMsg(content string) string { return `{"role":"user","content":` + content + `}` }
func asstMsg(text string) string {
	return `{"role":"assistant","content":[{"type":"text","text":` + strconv.Quote(text) + `}]}`
}
func textBlock(text string) string { return `{"type":"text","text":` + strconv.Quote(text) + `}` }

func anthropicBody(metadata string, messages ...string) []byte {
	body := `{"model":"claude-sonnet-4-5","messages":[` + strings.Join(messages, ",") + `],"max_tokens":1024`
	if metadata != "" {
		body += `,"metadata":` + metadata
	}
	return []byte(body + "}")
}

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

// TestAnthropicClaudeCodeForms checks that every form in which Claude Code
// sends its session uuid (protocols.md §2.9) gives the same id.
func TestAnthropicClaudeCodeForms(t *testing.T) {
	want := id(kindClaudeCode, ccUUID)
	first := userMsg(`[` + reminder + `,` + textBlock("fix the failing test") + `]`)
	jsonUserID := `{"device_id":"3fa9c1d2","account_uuid":"","session_id":"` + ccUUID + `"}`
	tests := []struct {
		name   string
		header http.Header
		body   []byte
	}{
		{"header", header("X-Claude-Code-Session-Id", ccUUID), anthropicBody("", first)},
		{"header padded", header("X-Claude-Code-Session-Id", " "+ccUUID+" "), anthropicBody("", first)},
		{"header wins over user_id", header("X-Claude-Code-Session-Id", ccUUID), anthropicBody(`{"user_id":"user_ab_account__session_00000000-0000-0000-0000-000000000000"}`, first)},
		{"legacy user_id", nil, anthropicBody(`{"user_id":"user_3fa9c1d2_account_5e6f7a8b-0000-4000-8000-000000000001_session_`+ccUUID+`"}`, first)},
		{"legacy user_id without account", nil, anthropicBody(`{"user_id":"user_3fa9c1d2_account__session_`+ccUUID+`"}`, first)},
		{"json string user_id", nil, anthropicBody(`{"user_id":`+strconv.Quote(jsonUserID)+`}`, first)},
		{"json string user_id with more keys", nil, anthropicBody(`{"user_id":`+strconv.Quote(`{"session_id":"`+ccUUID+`","parent_session_id":"x","device_id":"d"}`)+`}`, first)},
		{"object user_id", nil, anthropicBody(`{"user_id":`+jsonUserID+`}`, first)},
		{"metadata before messages", nil, []byte(`{"metadata":{"user_id":` + jsonUserID + `},"messages":[` + first + `]}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Anthropic(tt.body, tt.header); got != want {
				t.Errorf("got %q; want %q", got, want)
			}
		})
	}
}

func TestAnthropicUserID(t *testing.T) {
	first := userMsg(`"fix the failing test"`)
	byMessage := id(kindMessage, "fix the failing test")
	tests := []struct {
		name   string
		userID string
		want   string
	}{
		{"plain user id", `"alice@example.com"`, id(kindUserID, "alice@example.com")},
		{"plain user id trimmed", `" alice "`, id(kindUserID, "alice")},
		{"contains session- hyphen", `"session-1f2e3d"`, byMessage},
		{"empty", `""`, byMessage},
		{"blank", `"   "`, byMessage},
		{"null", `null`, byMessage},
		{"empty object", `{}`, byMessage},
		{"json without session_id", `"{\"device_id\":\"d1\"}"`, id(kindUserID, `{"device_id":"d1"}`)},
		{"json with empty session_id", `"{\"session_id\":\"\",\"device_id\":\"d1\"}"`, id(kindUserID, `{"session_id":"","device_id":"d1"}`)},
		{"legacy with invalid suffix", `"user_ab_account__session_9b1c/2d"`, id(kindUserID, "user_ab_account__session_9b1c/2d")},
		{"legacy with empty suffix", `"user_ab_account__session_"`, id(kindUserID, "user_ab_account__session_")},
		{"last _session_ wins", `"user_a_session_b_account__session_c-1"`, id(kindClaudeCode, "c-1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Anthropic(anthropicBody(`{"user_id":`+tt.userID+`}`, first), nil); got != tt.want {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}

func TestAnthropicFirstMessage(t *testing.T) {
	tests := []struct {
		name     string
		messages []string
		want     string
	}{
		{"string content", []string{userMsg(`"hello there"`)}, id(kindMessage, "hello there")},
		{"trimmed", []string{userMsg(`"  hello there \n"`)}, id(kindMessage, "hello there")},
		{"text blocks joined by one space", []string{userMsg(`[` + textBlock(" a ") + `,` + textBlock("b") + `]`)}, id(kindMessage, "a b")},
		{"reminder block dropped", []string{userMsg(`[` + reminder + `,` + textBlock("hello there") + `]`)}, id(kindMessage, "hello there")},
		{"escaped reminder dropped", []string{userMsg(`[{"type":"text","text":"\u003csystem-reminder\u003e x \u003c/system-reminder\u003e"},` + textBlock("hello there") + `]`)}, id(kindMessage, "hello there")},
		{"all reminders skip the message", []string{userMsg(`[` + reminder + `]`), asstMsg("ok"), userMsg(`"second"`)}, id(kindMessage, "second")},
		{"system string skipped", []string{userMsg(`"[System] context compacted"`), userMsg(`"real prompt"`)}, id(kindMessage, "real prompt")},
		{"reminder string skipped", []string{userMsg(`"<system-reminder>x</system-reminder> hi"`), userMsg(`"real prompt"`)}, id(kindMessage, "real prompt")},
		{"images and tool results ignored", []string{userMsg(`[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBOR"}},{"type":"tool_result","tool_use_id":"t","content":"long tool output"},` + textBlock("look") + `]`)}, id(kindMessage, "look")},
		{"tool results only skipped", []string{userMsg(`[{"type":"tool_result","tool_use_id":"t","content":"long tool output"}]`), userMsg(`"next one"`)}, id(kindMessage, "next one")},
		{"assistant skipped", []string{asstMsg("assistant speaks first"), userMsg(`"user text"`)}, id(kindMessage, "user text")},
		{"exactly 3 bytes", []string{userMsg(`"abc"`)}, id(kindMessage, "abc")},
		{"2 bytes too short", []string{userMsg(`"ab"`), userMsg(`"abc"`)}, id(kindMessage, "abc")},
		{"3 bytes counted in bytes", []string{userMsg(`"é"`), userMsg(`"éa"`)}, id(kindMessage, "éa")},
		{"joined length counts the space", []string{userMsg(`[` + textBlock("a") + `,` + textBlock("b") + `]`)}, id(kindMessage, "a b")},
		{"nothing qualifies", []string{userMsg(`"ab"`), asstMsg("long assistant text")}, ""},
		{"no messages", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Anthropic(anthropicBody("", tt.messages...), nil); got != tt.want {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}

// TestAnthropicGrowingHistory checks that every turn of one conversation
// gets the id of its first turn.
func TestAnthropicGrowingHistory(t *testing.T) {
	history := []string{userMsg(`[` + reminder + `,` + textBlock("refactor the parser") + `]`)}
	want := Anthropic(anthropicBody("", history...), nil)
	if want == "" {
		t.Fatal("first turn has no id")
	}
	for turn := 1; turn <= 5; turn++ {
		history = append(history,
			asstMsg(fmt.Sprintf("step %d done", turn)),
			userMsg(`[{"type":"tool_result","tool_use_id":"toolu_`+strconv.Itoa(turn)+`","content":"ok"},`+reminder+`,`+textBlock(fmt.Sprintf("now do step %d", turn+1))+`]`))
		if got := Anthropic(anthropicBody("", history...), nil); got != want {
			t.Errorf("turn %d: got %q; want %q", turn, got, want)
		}
	}
}

func TestAnthropicMalformed(t *testing.T) {
	for _, body := range []string{"", "null", "[]", `{"messages":"x"}`, `{"messages":[1,"a",null]}`, `{"metadata":"x"}`, `{"messages":[{"role":"user","content":[1,{"type":"text","text":5}]}]}`, "{\"messages\":[{\"role\":\"user\",\"content\":\"hello"} {
		if got := Anthropic([]byte(body), nil); got != "" {
			t.Errorf("Anthropic(%q) = %q; want \"\"", body, got)
		}
	}
}

// claudeCodeBody builds a Claude-Code-like request of about size bytes: a
// system prompt, tool schemas, a first message with reminders, and a long
// tool loop whose results hold escaped source code.
func claudeCodeBody(size int, metadata string) []byte {
	var b strings.Builder
	b.WriteString(`{"model":"claude-sonnet-4-5","messages":[`)
	b.WriteString(userMsg(`[` + reminder + `,` + reminder + `,{"type":"text","text":"Please add retries to the HTTP client","cache_control":{"type":"ephemeral"}}]`))
	code := strconv.Quote(strings.Repeat("func f(x int) int {\n\treturn x * 2 // \"double\"\n}\n", 40))
	for i := 0; b.Len() < size-20000; i++ {
		fmt.Fprintf(&b, `,{"role":"assistant","content":[{"type":"text","text":"Reading file %d."},{"type":"tool_use","id":"toolu_%04d","name":"Read","input":{"file_path":"/src/f%d.go"}}]}`, i, i, i)
		fmt.Fprintf(&b, `,{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_%04d","content":%s}]}`, i, code)
	}
	b.WriteString(`],"system":[{"type":"text","text":"x-anthropic-billing-header: cc_version=2.1.88.a3f; cc_entrypoint=cli;"},{"type":"text","text":`)
	b.WriteString(strconv.Quote(strings.Repeat("You are Claude Code, Anthropic's official CLI. ", 200)))
	b.WriteString(`,"cache_control":{"type":"ephemeral"}}],"tools":[`)
	for i := 0; i < 10; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"Tool%d","description":"does things","input_schema":{"type":"object","properties":{"path":{"type":"string","description":"an absolute path"}},"required":["path"]}}`, i)
	}
	b.WriteString(`]`)
	if metadata != "" {
		b.WriteString(`,"metadata":` + metadata)
	}
	b.WriteString(`,"max_tokens":32000,"stream":true}`)
	return []byte(b.String())
}

func TestAnthropic200KB(t *testing.T) {
	body := claudeCodeBody(200<<10, "")
	if len(body) < 190<<10 {
		t.Fatalf("body is %d bytes; want about 200 KiB", len(body))
	}
	if got, want := Anthropic(body, nil), id(kindMessage, "Please add retries to the HTTP client"); got != want {
		t.Errorf("first message: got %q; want %q", got, want)
	}
	withUserID := claudeCodeBody(200<<10, `{"user_id":"user_ab_account__session_`+ccUUID+`"}`)
	if got, want := Anthropic(withUserID, nil), id(kindClaudeCode, ccUUID); got != want {
		t.Errorf("user_id: got %q; want %q", got, want)
	}
}

func BenchmarkAnthropic200KB(b *testing.B) {
	cases := []struct {
		name   string
		header http.Header
		body   []byte
	}{
		{"header", header("X-Claude-Code-Session-Id", ccUUID), claudeCodeBody(200<<10, "")},
		{"user_id", nil, claudeCodeBody(200<<10, `{"user_id":"{\"device_id\":\"d\",\"session_id\":\"`+ccUUID+`\"}"}`)},
		{"first_message", nil, claudeCodeBody(200<<10, "")},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			b.ReportAllocs()
			for b.Loop() {
				if Anthropic(c.body, c.header) == "" {
					b.Fatal("no id")
				}
			}
		})
	}
}
