// Package jsonguard bounds JSON before a recursive parser sees it. gjson's
// validator recurses once per nesting level, so a body of a few million
// opening brackets would overflow the goroutine stack and kill the process;
// every client and upstream body is checked here first, in one pass without
// recursion.
package jsonguard

import "github.com/tidwall/gjson"

// MaxDepth is the deepest nesting of arrays and objects the gateway accepts.
// Real requests (tool schemas included) stay far below it.
const MaxDepth = 256

// DepthOK reports whether the arrays and objects of b nest at most max
// levels deep. Brackets inside strings do not count. It does not validate.
func DepthOK[T ~[]byte | ~string](b T, max int) bool {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			// Skip the string, escapes included.
			for i++; i < len(b); i++ {
				if b[i] == '\\' {
					i++
					continue
				}
				if b[i] == '"' {
					break
				}
			}
		case '[', '{':
			depth++
			if depth > max {
				return false
			}
		case ']', '}':
			depth--
		}
	}
	return true
}

// Valid reports whether b is valid JSON nested at most MaxDepth deep.
func Valid(b []byte) bool {
	return DepthOK(b, MaxDepth) && gjson.ValidBytes(b)
}

// ValidString is Valid for a string.
func ValidString(s string) bool {
	return DepthOK(s, MaxDepth) && gjson.Valid(s)
}
