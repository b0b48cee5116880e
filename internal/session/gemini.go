package session

import (
	"net/http"

	"github.com/tidwall/gjson"
)

// geminiMinText is the first-message text length (in bytes, trimmed) that a
// Gemini conversation's first user content must exceed.
const geminiMinText = 10

// Gemini returns the session id of a Gemini generateContent request: the
// first contents[] entry with role "user" (or no role, which Gemini reads as
// user) whose text parts, trimmed and joined by one space, are longer than 10
// bytes, parts containing "<system-reminder>" and thought parts left out.
// The fields read are spelled the same in camelCase and snake_case; a body
// in the Code Assist envelope ({"request": {"contents": …}}) is read too.
// Otherwise it returns "". No Gemini client sends a session header, so the
// header is not read today.
func Gemini(body []byte, header http.Header) string {
	s := view(body)
	contents := gjson.Get(s, "contents")
	if !contents.Exists() {
		contents = gjson.Get(s, "request.contents")
	}
	return messageID(firstQualifying(contents, geminiMinText+1, geminiTexts))
}

// geminiTexts appends the texts of a user content: its text parts, without
// thoughts and system reminders.
func geminiTexts(dst []string, c gjson.Result) []string {
	if role := c.Get("role").String(); role != "" && role != "user" {
		return dst
	}
	return appendTexts(dst, c.Get("parts"), geminiText, []string{systemReminder})
}

// geminiText returns the text of a part that has one and is not a thought.
func geminiText(part gjson.Result) (gjson.Result, bool) {
	if part.Get("thought").Bool() {
		return gjson.Result{}, false
	}
	text := part.Get("text")
	return text, text.Exists()
}
