package session

import (
	"net/http"

	"github.com/tidwall/gjson"
)

// openAIMinText is the first-message text length (in bytes, trimmed) that an
// OpenAI conversation's first message must exceed.
const openAIMinText = 10

// OpenAI returns the session id of an OpenAI Chat Completions or Responses
// request, from the first of:
//
//  1. prompt_cache_key;
//  2. user;
//  3. the session_id header that Codex CLI sends;
//  4. the first user message whose text is longer than 10 bytes once its
//     text parts are trimmed and joined by one space, parts containing
//     "<system-reminder>" left out: from messages (Chat Completions), or
//     from input (Responses: a string, or items with role "user" whose
//     content is a string or input_text parts).
//
// Otherwise it returns "".
func OpenAI(body []byte, header http.Header) string {
	var cacheKey, user, messages, input gjson.Result
	gjson.Parse(view(body)).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "prompt_cache_key":
			cacheKey = v
		case "user":
			user = v
		case "messages":
			messages = v
		case "input":
			input = v
		}
		return true
	})
	if s := trimmed(cacheKey); s != "" {
		return id(kindCacheKey, s)
	}
	if s := trimmed(user); s != "" {
		return id(kindUser, s)
	}
	// Codex sends its session id as session_id, newer builds as session-id.
	if s := headerValue(header, "session_id"); s != "" {
		return id(kindCodex, s)
	}
	if s := headerValue(header, "session-id"); s != "" {
		return id(kindCodex, s)
	}
	if parts := firstQualifying(messages, openAIMinText+1, openAITexts); parts != nil {
		return messageID(parts)
	}
	if input.Type == gjson.String {
		var buf [1]string
		if parts := appendText(buf[:0], input, []string{systemReminder}); joinedLen(parts) > openAIMinText {
			return messageID(parts)
		}
		return ""
	}
	return messageID(firstQualifying(input, openAIMinText+1, openAITexts))
}

// openAITexts appends the texts of a user message or Responses input item:
// its string content or its text / input_text parts, without system
// reminders.
func openAITexts(dst []string, m gjson.Result) []string {
	if m.Get("role").String() != "user" {
		return dst
	}
	if t := m.Get("type").String(); t != "" && t != "message" {
		return dst
	}
	return appendTexts(dst, m.Get("content"), typedText, []string{systemReminder})
}
