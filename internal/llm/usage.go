package llm

// Usage is token accounting in one vocabulary. InputTokens excludes cached
// input (Anthropic's convention); CacheRead and CacheWrite are the cached parts.
type Usage struct {
	InputTokens     int64
	OutputTokens    int64 // includes reasoning tokens
	CacheRead       int64
	CacheWrite      int64
	ReasoningTokens int64
}

// Answer is what the gateway learns from an upstream answer for telemetry.
type Answer struct {
	Usage         Usage
	Model         string   // the model the provider says answered
	FinishReasons []string // provider finish/stop reasons, as sent
}

// AddFinish records a finish reason once.
func (a *Answer) AddFinish(r string) {
	if r == "" {
		return
	}
	for _, x := range a.FinishReasons {
		if x == r {
			return
		}
	}
	a.FinishReasons = append(a.FinishReasons, r)
}
