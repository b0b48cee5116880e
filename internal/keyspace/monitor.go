package keyspace

// RequestLog is the capped stream of every replica's request log records
// (internal/monitor).
func (s Space) RequestLog() string { return s.Key("reqlog") }
