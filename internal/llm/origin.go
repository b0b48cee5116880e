package llm

import (
	"bytes"
	"strings"
)

// A signature the gateway hands to a client of another protocol carries its
// origin as a prefix, so that when the client replays it the gateway knows,
// from the bytes alone and without a Redis look-up, which provider produced
// it: the same-protocol fast path can then keep a foreign signature away from
// a provider that would refuse the whole request ("Invalid signature",
// "Corrupted thought signature").
//
// The prefix is 12 characters of the base64 alphabet: prefixed to a base64
// signature it still decodes, and re-encodes to the same text, so SDKs that
// hold signatures as bytes (Gemini's thoughtSignature) carry it unchanged.
const (
	tagStem = "swy1"
	tagLen  = 12
)

// familyTags are the tags by family (a fixed table, never written).
var familyTags = [...]struct{ family, tag string }{
	{"anthropic", tagStem + "anthropc"},
	{"gemini", tagStem + "gemini00"},
	{"openai", tagStem + "openai00"},
}

// TagSignature marks sig as produced by family. TagSignature(family, "") is the bare tag: it
// marks a thinking block the provider did not sign (Anthropic clients need a
// signature on every thinking block; the bare tag tells the gateway, when the
// block comes back, that it must not be replayed as signed thinking).
// Unknown families are returned as they are.
func TagSignature(family, sig string) string {
	for _, t := range familyTags {
		if t.family == family {
			return t.tag + sig
		}
	}
	return sig
}

// UntagSignature splits a tagged signature into its family and the provider's own
// signature (empty for a bare tag); ok is false for a signature the gateway
// did not tag.
func UntagSignature(sig string) (family, raw string, ok bool) {
	if len(sig) < tagLen || !strings.HasPrefix(sig, tagStem) {
		return "", sig, false
	}
	for _, t := range familyTags {
		if sig[:tagLen] == t.tag {
			return t.family, sig[tagLen:], true
		}
	}
	return "", sig, false
}

// HasSignatureTag reports whether b holds a tagged signature anywhere: one scan for
// the tags' common stem, no decoding.
func HasSignatureTag(b []byte) bool {
	for {
		i := bytes.Index(b, []byte(tagStem))
		if i < 0 {
			return false
		}
		b = b[i:]
		for _, t := range familyTags {
			if len(b) >= tagLen && string(b[:tagLen]) == t.tag {
				return true
			}
		}
		b = b[len(tagStem):]
	}
}
