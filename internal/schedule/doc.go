// Package schedule chooses which upstream account serves each attempt.
//
// Every decision that reads and then writes shared state is one Lua script run
// atomically in Redis (select.lua, report.lua, debit.lua, clear_cooldowns.lua),
// so any number of stateless replicas behave as one gateway: a session stays on
// its account, round robin advances globally, and a cooldown recorded by one
// replica is honoured by all of them at once. All keys share one hash tag so
// Redis Cluster accepts every script call, and time comes from the Redis server
// clock only. The scripts are the definition of the rules.
//
// Without Redis (and in each replica's fallback during an outage) the same
// rules run in Go on an in-process store (MemStore, NewEmbedded): one lock,
// the real clock, no listener, a selection in well under a microsecond. The
// two backends sit behind one small interface (backend); the scheduler suite
// runs on both, and a randomized differential test against a real
// redis-server holds the Go store to the scripts.
package schedule
