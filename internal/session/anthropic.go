package session

import (
	"net/http"
	"strings"

	"github.com/tidwall/gjson"
)

// anthropicMinText is the shortest first-message text (in bytes, trimmed)
// that identifies an Anthropic conversation.
const anthropicMinText = 3

// Anthropic returns the session id of an Anthropic Messages request, from the
// first of:
//
//  1. the X-Claude-Code-Session-Id header (Claude Code 2.1.86+);
//  2. the session id in metadata.user_id: a JSON-encoded string or an object
//     with "session_id" (2.1.78+), or the legacy
//     "user_<hex>_account_<uuid or empty>_session_<uuid>"; for one session
//     uuid, these and the header give the same id;
//  3. any other non-empty metadata.user_id that does not contain "session-",
//     used as is;
//  4. the first user message whose text is at least 3 bytes long once its
//     text blocks are trimmed and joined by one space. Text blocks containing
//     "<system-reminder>" or "[System" are left out, so Claude Code's first
//     message, which carries reminder blocks next to the user's prompt, is
//     identified by the prompt alone; a message whose blocks are all
//     reminders (or tool results) does not qualify.
//
// Otherwise it returns "": the last message changes every turn and would
// make a new id each time.
func Anthropic(body []byte, header http.Header) string {
	if v := headerValue(header, "X-Claude-Code-Session-Id"); v != "" {
		return id(kindClaudeCode, v)
	}
	var metadata, messages gjson.Result
	gjson.Parse(view(body)).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "metadata":
			metadata = v
		case "messages":
			messages = v
		}
		return !metadata.Exists() || !messages.Exists()
	})
	if kind, material := userID(metadata.Get("user_id")); material != "" {
		return id(kind, material)
	}
	return messageID(firstQualifying(messages, anthropicMinText, anthropicTexts))
}

// userID reads metadata.user_id and returns the material it provides.
func userID(v gjson.Result) (kind, material string) {
	var s string
	switch {
	case v.IsObject():
		s = v.Raw
	case v.Type == gjson.String:
		s = strings.TrimSpace(v.Str)
	default:
		return "", ""
	}
	if s == "" || s == "{}" {
		return "", ""
	}
	if s[0] == '{' {
		if uuid := trimmed(gjson.Get(s, "session_id")); uuid != "" {
			return kindClaudeCode, uuid
		}
	}
	if uuid, ok := legacySession(s); ok {
		return kindClaudeCode, uuid
	}
	if strings.Contains(s, "session-") {
		return "", ""
	}
	return kindUserID, s
}

// legacySession returns the uuid of a legacy Claude Code user_id,
// "user_<hex>_account_<…>_session_<uuid>": the non-empty run of letters,
// digits and '-' after the last "_session_", up to the end.
func legacySession(s string) (string, bool) {
	const marker = "_session_"
	i := strings.LastIndex(s, marker)
	if i < 0 {
		return "", false
	}
	uuid := s[i+len(marker):]
	if uuid == "" {
		return "", false
	}
	for i := 0; i < len(uuid); i++ {
		c := uuid[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return "", false
		}
	}
	return uuid, true
}

// anthropicTexts appends the texts of a user message: its string content or
// its "text" blocks, without system reminders.
func anthropicTexts(dst []string, m gjson.Result) []string {
	if m.Get("role").String() != "user" {
		return dst
	}
	return appendTexts(dst, m.Get("content"), typedText, []string{systemReminder, "[System"})
}

// typedText returns the text of a content part typed "text" (Anthropic
// blocks, OpenAI Chat parts) or "input_text" (OpenAI Responses parts).
func typedText(part gjson.Result) (gjson.Result, bool) {
	switch part.Get("type").String() {
	case "text", "input_text":
		return part.Get("text"), true
	}
	return gjson.Result{}, false
}
