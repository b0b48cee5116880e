package schedule

// CoolGroupKey exposes the key of a model group's cooldown set to the
// benchmarks (package schedule_test), so that they can cool a whole pool in
// one ZADD instead of one report per account.
func (s *Scheduler) CoolGroupKey(group string) string {
	if r, ok := s.be.(*redisStore); ok {
		return r.keys.coolGroup(group)
	}
	return ""
}
