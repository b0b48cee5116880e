package keyspace

// ClientKeys is the hash of the client keys created through the admin API:
// name -> a JSON record holding the key's SHA-256 digest, never its secret.
func (s Space) ClientKeys() string { return s.Key("keys") }

// ControlMarker is the key that tells a shared store holding the control
// state ("ready") from one that lost it (missing) or is being re-seeded
// ("seeding"): the control state mirror writes it, and the client keys
// follow it (an empty key hash without the marker is a store that restarted
// empty, not every key revoked).
func (s Space) ControlMarker() string { return s.Key("ctl") }
