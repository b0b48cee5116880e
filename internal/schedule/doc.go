// Package schedule chooses which upstream account serves each attempt.
//
// Every decision that reads and then writes shared state is one Lua script run
// atomically in Redis (select.lua, report.lua), so any number of stateless
// replicas behave as one gateway: a session stays on its account, round robin
// advances globally, and a cooldown recorded by one replica is honoured by all
// of them at once. All keys share one hash tag so Redis Cluster accepts every
// script call, and time comes from the Redis server clock only.
package schedule
