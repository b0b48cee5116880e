package sse

import "strings"

// AppendEvent appends one event to dst and returns the extended buffer:
// "event: NAME\n" (omitted when name is ""), one "data: " line per line of
// data, and a blank line. Data is meant to be single-line JSON, which gives
// exactly "data: DATA\n\n"; a line break in data ("\n", "\r\n" or "\r")
// starts a new "data: " line, so a Reader returns the data with its line
// breaks as "\n". A name must not contain a line break; anything from the
// first one on is dropped.
func AppendEvent(dst []byte, name string, data []byte) []byte {
	if name = firstLineOf(name); name != "" {
		dst = append(dst, "event: "...)
		dst = append(dst, name...)
		dst = append(dst, '\n')
	}
	dst = appendLines(dst, "data: ", View(data))
	return append(dst, '\n')
}

// AppendComment appends a comment block ": text\n\n" to dst, one ": " line per
// line of text. SSE clients ignore it; it serves as a heartbeat for OpenAI
// dialect clients (never send one to Gemini clients).
func AppendComment(dst []byte, text string) []byte {
	dst = appendLines(dst, ": ", text)
	return append(dst, '\n')
}

// appendLines appends prefix+line+"\n" for every line of s, splitting at
// "\n", "\r\n" and "\r". An empty s is one empty line.
func appendLines(dst []byte, prefix string, s string) []byte {
	for {
		end, next := lineBreak(s)
		dst = append(dst, prefix...)
		dst = append(dst, s[:end]...)
		dst = append(dst, '\n')
		if next < 0 {
			return dst
		}
		s = s[next:]
	}
}

// lineBreak returns the end of the first line of s and the start of the next
// one, or next = -1 when s has no line break.
func lineBreak(s string) (end, next int) {
	lf := strings.IndexByte(s, '\n')
	head := s
	if lf >= 0 {
		head = s[:lf]
	}
	if cr := strings.IndexByte(head, '\r'); cr >= 0 {
		if cr+1 == lf {
			return cr, lf + 1
		}
		return cr, cr + 1
	}
	if lf >= 0 {
		return lf, lf + 1
	}
	return len(s), -1
}

// firstLineOf returns s up to its first line break.
func firstLineOf(s string) string {
	end, _ := lineBreak(s)
	return s[:end]
}
