package anthropic

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// validIDByte tells whether c may appear in an Anthropic tool id
// (^[a-zA-Z0-9_-]+$).
func validIDByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// SanitizeToolID maps any tool-call id onto Anthropic's ^[a-zA-Z0-9_-]+$
// deterministically: every other character becomes '_' (so a call and its
// result, sanitized apart, still match). Valid ids come back unchanged. An
// empty id gives "" (the caller mints one).
func SanitizeToolID(id string) string {
	ok := true
	for i := 0; i < len(id); i++ {
		if !validIDByte(id[i]) {
			ok = false
			break
		}
	}
	if ok {
		return id
	}
	var b strings.Builder
	b.Grow(len(id))
	for i := 0; i < len(id); {
		c := id[i]
		if validIDByte(c) {
			b.WriteByte(c)
			i++
			continue
		}
		// One '_' per character, not per byte.
		_, n := utf8.DecodeRuneInString(id[i:])
		b.WriteByte('_')
		i += n
	}
	return b.String()
}

// mintToolID makes a tool id from a response id and a block index, for calls
// that arrived without one; the same inputs give the same id.
func mintToolID(base string, index int) string {
	base = strings.TrimPrefix(SanitizeToolID(base), "msg_")
	if base == "" {
		base = "gw"
	}
	return "toolu_" + base + "_" + strconv.Itoa(index)
}

// messageID presents id as an Anthropic message id; a stream that brought
// none gets a fresh one.
func messageID(id string, fresh func() string) string {
	if id == "" {
		return "msg_" + fresh()
	}
	if strings.HasPrefix(id, "msg_") {
		return id
	}
	return "msg_" + SanitizeToolID(id)
}
