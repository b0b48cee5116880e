// Package credential supplies upstream access tokens for refresh-token (OAuth)
// accounts, shared by every replica.
//
// An access token lives in three places: a per-replica in-memory cache (a hit
// costs nothing), the shared store (one hash per account, expiry on the Redis
// clock), and the provider's token endpoint. Shortly before a token expires one
// replica takes a refresh lock in the shared store, refreshes through
// golang.org/x/oauth2 and publishes the new token; the other replicas keep using
// the old one while it is still valid, or wait briefly for the new one. Within
// a replica, concurrent callers for one account share one refresh. A refresh
// token rotated by the provider is kept in the shared store and used from then
// on; the accounts file's token stays the fallback.
//
// Every read-then-write of shared state is one Lua script (lua/*.lua) whose
// keys share the scheduler's hash tag, so Redis Cluster routes it to one slot.
// When the shared store is unreachable each replica refreshes on its own.
// Without Redis (NewEmbedded) the same rules run in Go on MemTokens, in the
// process's memory.
//
// With a Keyring (SWITCHYARD_SECRETS_KEY) the access tokens and rotated
// refresh tokens are sealed with AES-256-GCM before they reach Redis; a stored
// value no configured key opens is treated as absent, so the token is simply
// refreshed again. Without one they are stored in plain text.
//
// Errors never carry a refresh token, client secret, access token or the token
// endpoint's response body: a refused refresh token yields ErrInvalidGrant, any
// other failure ErrRefresh, each with a short, safe detail.
package credential
