package anthropic

import (
	"crypto/rand"
	"encoding/hex"
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

// randomMessageID is a fresh msg_ id for streams that brought none.
func randomMessageID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "msg_" + hex.EncodeToString(b[:])
}

// messageID presents id as an Anthropic message id.
func messageID(id string) string {
	if id == "" {
		return randomMessageID()
	}
	if strings.HasPrefix(id, "msg_") {
		return id
	}
	return "msg_" + SanitizeToolID(id)
}
