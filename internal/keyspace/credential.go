package keyspace

// OAuth token state of one account (internal/credential, lua/*.lua).

// OAuthToken is the hash of an account's shared access token: the token,
// its expiry and refresh-at times, the credential fingerprint and the last
// failed refresh.
func (s Space) OAuthToken(account string) string { return s.Key("oauth", "tok", account) }

// OAuthLock is the refresh lock of an account: one replica refreshes.
func (s Space) OAuthLock(account string) string { return s.Key("oauth", "lock", account) }

// OAuthRotated is the hash of a refresh token the provider rotated.
func (s Space) OAuthRotated(account string) string { return s.Key("oauth", "rt", account) }
