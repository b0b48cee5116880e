package keyspace

import "strconv"

// Thinking signatures (internal/signature), each kept for two hours.

// SignatureToolCall is the signature recorded for the tool call it preceded.
func (s Space) SignatureToolCall(callID string) string { return s.Key("sig", "t", callID) }

// SignatureMessage is the signature recorded for an assistant message: the
// client key's scope, the session and the message's index.
func (s Space) SignatureMessage(scope, session string, message int) string {
	return s.Key("sig", "s", scope, session, strconv.Itoa(message))
}
