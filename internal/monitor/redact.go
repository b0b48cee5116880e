package monitor

import (
	"regexp"
	"unicode/utf8"
)

// credentialPatterns match the credential shapes of the three providers and
// of bearer headers, and JSON fields whose names say they hold a secret.
var credentialPatterns = []*regexp.Regexp{
	regexp.MustCompile(`sk-[A-Za-z0-9_\-]{8,}`),
	regexp.MustCompile(`AIza[0-9A-Za-z_\-]{20,}`),
	regexp.MustCompile(`ya29\.[0-9A-Za-z_\-.]+`),
	regexp.MustCompile(`(?i)bearer\s+[A-Za-z0-9._~+/\-]+=*`),
	regexp.MustCompile(`(?i)("(?:api[_-]?key|x-api-key|x-goog-api-key|authorization|password|secret|client_secret|refresh_token|access_token|token)"\s*:\s*)"[^"]*"`),
}

// Capture returns at most max bytes of body, cut at a rune boundary, with
// credential-looking values replaced by [redacted]. It is used only when an
// operator turned body capture on.
func Capture(body []byte, max int) string {
	if max <= 0 || len(body) == 0 {
		return ""
	}
	cut := body
	if len(cut) > max {
		cut = cut[:max]
		for i := 0; i < utf8.UTFMax && len(cut) > 0; i++ {
			if r, size := utf8.DecodeLastRune(cut); r != utf8.RuneError || size > 1 {
				break
			}
			cut = cut[:len(cut)-1]
		}
	}
	s := string(cut)
	for i, re := range credentialPatterns {
		if i == len(credentialPatterns)-1 {
			s = re.ReplaceAllString(s, `$1"[redacted]"`)
			continue
		}
		s = re.ReplaceAllString(s, "[redacted]")
	}
	if len(body) > max {
		s += "…[truncated]"
	}
	return s
}
