package account

import (
	"strings"
	"testing"
)

func TestMatchGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"claude-*", "claude-sonnet-4-6", true},
		{"claude-*", "claude-", true},
		{"claude-*", "claude", false},
		{"claude-*", "xclaude-1", false},
		{"*", "", true},
		{"*", "anything", true},
		{"**", "x", true},
		{"", "", true},
		{"", "x", false},
		{"gpt-4o", "gpt-4o", true},
		{"gpt-4o", "gpt-4o-mini", false},
		{"GPT-4O", "gpt-4o", true},
		{"gemini-*-pro", "Gemini-2.5-PRO", true},
		{"*-pro", "gemini-2.5-pro", true},
		{"*-pro", "gemini-2.5-pro-preview", false},
		{"*pro*", "gemini-pro-agent", true},
		{"a*b*c", "abc", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "acb", false},
		{"a*a", "a", false},
		{"a*a", "aa", true},
		{"ab*ba", "aba", false},
		{"*aab", "aaab", true},
		{"*ab*ab*", "xabyab", true},
		{"*ab*ab*", "xaby", false},
		{"o1*", "o1-mini", true},
		{"models/*", "models/gemini-pro", true},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"~"+tt.s, func(t *testing.T) {
			if got := MatchGlob(tt.pattern, tt.s); got != tt.want {
				t.Errorf("MatchGlob(%q, %q) = %v; want %v", tt.pattern, tt.s, got, tt.want)
			}
		})
	}
}

func TestMatchGlobLongInput(t *testing.T) {
	// A pattern that makes naive backtracking matchers explode.
	pattern := strings.Repeat("a*", 50) + "b"
	s := strings.Repeat("a", 10_000)
	if MatchGlob(pattern, s) {
		t.Errorf("MatchGlob(%q, a×10000) = true; want false", pattern)
	}
}

func TestCheckGlob(t *testing.T) {
	tests := []struct {
		pattern string
		wantErr string
	}{
		{"claude-*", ""},
		{"*", ""},
		{"models/gemini-2.5-pro@001:x_y.z", ""},
		{"", "empty pattern"},
		{"claude *", `invalid character ' ' (allowed: letters, digits and . _ : / @ * -)`},
		{"gpt-4?", `invalid character '?' (allowed: letters, digits and . _ : / @ * -)`},
		{"[a-z]*", `invalid character '[' (allowed: letters, digits and . _ : / @ * -)`},
		{strings.Repeat("a", 257), "pattern longer than 256 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			err := CheckGlob(tt.pattern)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.wantErr {
				t.Errorf("CheckGlob(%q) = %q; want %q", tt.pattern, got, tt.wantErr)
			}
		})
	}
}

// matchGlobReference is an obviously correct dynamic-programming matcher
// that FuzzMatchGlob compares MatchGlob against.
func matchGlobReference(pattern, s string) bool {
	// m[j] reports whether pattern[:i] matches s[:j] for the current i.
	m := make([]bool, len(s)+1)
	m[0] = true
	for i := 0; i < len(pattern); i++ {
		next := make([]bool, len(s)+1)
		if pattern[i] == '*' {
			next[0] = m[0]
			for j := 1; j <= len(s); j++ {
				next[j] = m[j] || next[j-1]
			}
		} else {
			for j := 1; j <= len(s); j++ {
				next[j] = m[j-1] && lower(pattern[i]) == lower(s[j-1])
			}
		}
		m = next
	}
	return m[len(s)]
}

func FuzzMatchGlob(f *testing.F) {
	f.Add("claude-*", "claude-sonnet-4-6")
	f.Add("*a*b*", "xaxbx")
	f.Add("a*a", "a")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if len(pattern) > 64 || len(s) > 256 {
			return
		}
		got := MatchGlob(pattern, s)
		if want := matchGlobReference(pattern, s); got != want {
			t.Errorf("MatchGlob(%q, %q) = %v; want %v", pattern, s, got, want)
		}
	})
}
