package schedule

// KeyLimits bound one client key across every replica; zero means no limit.
// They are checked in the selection script of a request's first attempt, so
// a healthy request still costs one round trip.
type KeyLimits struct {
	RPM         int64 // requests per minute
	TPM         int64 // tokens per minute (debited when an answer's usage is known)
	MaxInFlight int64 // requests in flight
	DailyTokens int64 // tokens per UTC day
}
