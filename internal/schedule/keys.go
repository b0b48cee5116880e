package schedule

import sykeys "github.com/switchyard-gw/switchyard/internal/keyspace"

// keyspace names every key the scheduler touches. All keys carry the same hash
// tag (the shared keyspace definition), so each script's KEYS hash to one
// Redis Cluster slot.
type keyspace struct{ space sykeys.Space }

func newKeyspace(namespace string) keyspace { return keyspace{space: sykeys.New(namespace)} }

func (k keyspace) join(parts ...string) string { return k.space.Key(parts...) }

func (k keyspace) cfg() string                   { return k.join("cfg") }
func (k keyspace) rr() string                    { return k.join("rr") }
func (k keyspace) coolAccount() string           { return k.join("cool", "*") }
func (k keyspace) coolGroup(group string) string { return k.join("cool", "g", group) }
func (k keyspace) coolPattern() string           { return k.join("cool", "*") }
func (k keyspace) reasons() string               { return k.join("why") }
func (k keyspace) streak() string                { return k.join("streak") }
func (k keyspace) disabled() string              { return k.join("disabled") }
func (k keyspace) quota(group string) string     { return k.join("quota", group) }
func (k keyspace) noSession() string             { return k.join("sess", "-") }
func (k keyspace) sessionPattern() string        { return k.join("sess", "*") }
func (k keyspace) cand(set, tier string) string  { return k.join("cand", set, tier) }

// session is the binding of (client key, session, model group): a session
// whose side requests go to another model group (a Claude Code session's
// haiku calls) keeps its main model's account.
func (k keyspace) session(scope, sid, group string) string {
	if sid == "" {
		return k.noSession()
	}
	return k.join("sess", scope, sid, group)
}

func (k keyspace) lastUsed(scope, group string) string { return k.join("last", scope, group) }

// keyUsage and keyInFlight hold a client key's counters; "-" stands for no
// key (the script then touches neither).
func (k keyspace) keyUsage(name string) string    { return k.join("ku", orDash(name)) }
func (k keyspace) keyInFlight(name string) string { return k.join("kif", orDash(name)) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
