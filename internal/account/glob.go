package account

import (
	"errors"
	"fmt"
	"strings"
)

// maxGlobLen bounds a pattern's length; model names are far shorter.
const maxGlobLen = 256

// MatchGlob reports whether s matches pattern, ignoring ASCII letter case.
// A '*' matches any run of characters, including none; every other byte
// matches itself. It is shared by account allow-lists and model routes.
//
// Matching is greedy segment search: the text before the first '*' must be a
// prefix of s, the text after the last one a suffix, and the literal
// segments in between are found left to right at their earliest position,
// which is always a correct choice when '*' is the only wildcard. There is
// no backtracking: the cost is at most len(s) times the longest segment.
func MatchGlob(pattern, s string) bool {
	first := strings.IndexByte(pattern, '*')
	if first < 0 {
		return equalFold(pattern, s)
	}
	last := strings.LastIndexByte(pattern, '*')
	prefix, suffix := pattern[:first], pattern[last+1:]
	if len(s) < len(prefix)+len(suffix) ||
		!equalFold(prefix, s[:len(prefix)]) ||
		!equalFold(suffix, s[len(s)-len(suffix):]) {
		return false
	}
	rest := s[len(prefix) : len(s)-len(suffix)]
	middle := pattern[first+1 : max(last, first+1)]
	for middle != "" {
		seg := middle
		if i := strings.IndexByte(middle, '*'); i >= 0 {
			seg, middle = middle[:i], middle[i+1:]
		} else {
			middle = ""
		}
		if seg == "" {
			continue
		}
		j := indexFold(rest, seg)
		if j < 0 {
			return false
		}
		rest = rest[j+len(seg):]
	}
	return true
}

// CheckGlob reports why pattern is not a valid glob: it must be non-empty, at
// most 256 bytes, and made of letters, digits and . _ : / @ * -.
func CheckGlob(pattern string) error {
	if pattern == "" {
		return errors.New("empty pattern")
	}
	if len(pattern) > maxGlobLen {
		return fmt.Errorf("pattern longer than %d characters", maxGlobLen)
	}
	for i := 0; i < len(pattern); i++ {
		if !globChar(pattern[i]) {
			return fmt.Errorf("invalid character %q (allowed: letters, digits and . _ : / @ * -)", pattern[i])
		}
	}
	return nil
}

func globChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("._:/@*-", c) >= 0
}

// lower folds an ASCII upper-case letter to lower case.
func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFold reports whether a and b are equal ignoring ASCII letter case.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

// indexFold returns the index of the first occurrence of sub in s ignoring
// ASCII letter case, or -1.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if equalFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}
