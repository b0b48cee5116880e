package account

import (
	"errors"
	"fmt"
	"strings"
)

// expand replaces every ${VAR} in s with the variable's value from lookupEnv;
// "$${" stands for a literal "${". A "$" not followed by "{" is kept as is.
// Errors name the variable but never quote s or any value, since s may be
// a credential.
func expand(s string, lookupEnv func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		if i > 0 && s[i-1] == '$' {
			// "$${": the first "$" escapes the reference.
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return "", errors.New(`unterminated "${" (write "$${" for a literal "${")`)
		}
		name := s[i+2 : i+2+end]
		if !validVarName(name) {
			return "", errors.New(`invalid variable reference: names are letters, digits and _ and do not start with a digit (write "$${" for a literal "${")`)
		}
		v, ok := lookupEnv(name)
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", name)
		}
		b.WriteString(v)
		s = s[i+2+end+1:]
	}
}

// validVarName reports whether name is a portable environment variable name.
func validVarName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// ExpandEnv replaces every ${VAR} in s as the accounts file does ("$${" for a
// literal "${"), for other files that hold credentials (the client keys file).
func ExpandEnv(s string, lookupEnv func(string) (string, bool)) (string, error) {
	return expand(s, lookupEnv)
}
