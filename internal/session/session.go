// Package session derives a stable session id from a client request, so that
// every turn of one conversation is scheduled onto the same upstream account
// and its prompt cache stays warm.
//
// An id is "sid-" followed by the first 16 hex digits of the SHA-256 of the
// material it was derived from: an explicit session id sent by the client
// (Claude Code's session uuid, OpenAI's prompt_cache_key, Codex's session_id
// header, …) or, failing that, the text of the conversation's first real user
// message, which stays the same as the history grows. The material is
// prefixed with its kind ("cc:", "msg:", …), so an explicit id never collides
// with a message hash. When nothing stable is found the id is "": an unstable
// id is worse than none, and the scheduler then falls back to the client's
// last-used account.
//
// The package works on the raw request bytes with gjson and never decodes a
// whole body: requests of coding agents reach hundreds of KiB.
package session

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"unsafe"

	"github.com/tidwall/gjson"
)

// Material kinds. Each is hashed in front of its material.
const (
	kindClaudeCode = "cc:"    // Claude Code session uuid (header or metadata.user_id)
	kindUserID     = "uid:"   // another Anthropic metadata.user_id
	kindCacheKey   = "pck:"   // OpenAI prompt_cache_key
	kindUser       = "user:"  // OpenAI user
	kindCodex      = "codex:" // Codex CLI session_id header
	kindMessage    = "msg:"   // text of the first qualifying user message
)

// systemReminder marks text that coding agents inject into user messages;
// it is not the user's own words and may change between turns.
const systemReminder = "<system-reminder>"

// id returns "sid-" and 16 hex digits of SHA-256(kind + the parts joined by
// one space).
func id(kind string, parts ...string) string {
	h := sha256.New()
	h.Write(bytesOf(kind))
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{' '})
		}
		h.Write(bytesOf(p))
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	var out [4 + 16]byte
	copy(out[:], "sid-")
	hex.Encode(out[4:], sum[:8])
	return string(out[:])
}

// firstQualifying returns the texts of the first message of msgs whose texts
// joined by one space are at least minLen bytes long. texts appends a
// message's texts to dst, and appends none for a message of another role.
func firstQualifying(msgs gjson.Result, minLen int, texts func(dst []string, m gjson.Result) []string) []string {
	var found []string
	var buf [8]string
	msgs.ForEach(func(_, m gjson.Result) bool {
		if parts := texts(buf[:0], m); joinedLen(parts) >= minLen {
			found = parts
			return false
		}
		return true
	})
	return found
}

// messageID returns the id of a first-message text, or "" when none qualified.
func messageID(parts []string) string {
	if len(parts) == 0 {
		return ""
	}
	return id(kindMessage, parts...)
}

// appendTexts appends the texts of a message content to dst: the content
// itself when it is a string, else the text of every part that partText
// accepts. Each text is trimmed; empty texts and texts containing a marker
// are dropped, so that a message holding injected reminders next to the
// user's words yields only the user's words.
func appendTexts(dst []string, content gjson.Result, partText func(gjson.Result) (gjson.Result, bool), markers []string) []string {
	if content.Type == gjson.String {
		return appendText(dst, content, markers)
	}
	if !content.IsArray() {
		return dst
	}
	content.ForEach(func(_, part gjson.Result) bool {
		// Most reminders are found in the raw JSON, before the text is
		// unescaped into a copy.
		if containsAny(part.Raw, markers) {
			return true
		}
		if text, ok := partText(part); ok {
			dst = appendText(dst, text, markers)
		}
		return true
	})
	return dst
}

// appendText appends the trimmed text of a JSON string unless it is empty or
// holds a marker (checked again on the unescaped text, where "<" may have
// been written as \u003c).
func appendText(dst []string, text gjson.Result, markers []string) []string {
	if text.Type != gjson.String {
		return dst
	}
	s := strings.TrimSpace(text.Str)
	if s == "" || containsAny(s, markers) {
		return dst
	}
	return append(dst, s)
}

// joinedLen is the length of parts joined by one space.
func joinedLen(parts []string) int {
	if len(parts) == 0 {
		return 0
	}
	n := len(parts) - 1
	for _, p := range parts {
		n += len(p)
	}
	return n
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// trimmed returns the trimmed text of a JSON string or number, "" otherwise.
func trimmed(v gjson.Result) string {
	switch v.Type {
	case gjson.String, gjson.Number:
		return strings.TrimSpace(v.String())
	}
	return ""
}

// headerValue returns a trimmed header value, also when the map holds the key
// in a non-canonical spelling (as "session_id" may be).
func headerValue(h http.Header, key string) string {
	v := h.Get(key)
	if v == "" {
		if vs := h[key]; len(vs) > 0 {
			v = vs[0]
		}
	}
	return strings.TrimSpace(v)
}

// view returns b as a string without copying it, so that gjson can walk a
// large body without allocating. The body is not modified while the string
// is in use, and no string derived from it outlives the call: ids are fresh
// strings.
func view(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// bytesOf returns the bytes of s without copying, for hashing only.
func bytesOf(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
