package account

import (
	"encoding/json"
	"log/slog"
)

// redacted is what a non-empty Secret shows instead of its value.
const redacted = "[redacted]"

// Secret is a credential. It prints with any fmt verb, logs through slog and
// marshals to JSON as "[redacted]" (or "" when empty, so an unset credential
// stays recognisable). Call Reveal to use the value.
type Secret string

// Reveal returns the credential itself. Call it only where the value is
// sent upstream.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer without revealing the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString implements fmt.GoStringer (%#v) without revealing the value.
func (s Secret) GoString() string {
	if s == "" {
		return `""`
	}
	return `"` + redacted + `"`
}

// MarshalJSON writes the redacted form, never the value.
func (s Secret) MarshalJSON() ([]byte, error) {
	return json.Marshal(s.String())
}

// LogValue implements slog.LogValuer without revealing the value.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }
