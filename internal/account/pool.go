package account

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
)

// Pool is a validated set of accounts. It is immutable once built and safe
// for concurrent use; a reload builds a new Pool.
type Pool struct {
	accounts []*Account
	byID     map[string]*Account
	version  string
}

// newPool indexes accounts, which must be valid and in file order.
func newPool(accounts []*Account) *Pool {
	p := &Pool{
		accounts: slices.Clip(accounts),
		byID:     make(map[string]*Account, len(accounts)),
	}
	for _, a := range accounts {
		p.byID[a.ID] = a
	}
	p.version = version(accounts)
	return p
}

// Accounts returns every account, disabled ones included, in file order.
// The slice is shared: callers must not modify it.
func (p *Pool) Accounts() []*Account { return p.accounts }

// Get returns the account with the given id.
func (p *Pool) Get(id string) (*Account, bool) {
	a, ok := p.byID[id]
	return a, ok
}

// Len is the number of accounts.
func (p *Pool) Len() int { return len(p.accounts) }

// Version identifies the pool's content: the first 16 hex digits of a SHA-256
// over every account, credentials included, after expansion. Any change to
// the pool changes it; an unchanged file keeps it.
func (p *Pool) Version() string { return p.version }

// canonicalAccount is the hashed form of an account. Unlike Account, it
// carries the credentials themselves, so that rotating a key changes the
// version. It is never written anywhere but the hash.
type canonicalAccount struct {
	ID                string   `json:"id"`
	Email             string   `json:"email"`
	Provider          Provider `json:"provider"`
	BaseURL           string   `json:"base_url"`
	APIKey            string   `json:"api_key,omitempty"`
	OAuthTokenURL     string   `json:"oauth_token_url,omitempty"`
	OAuthClientID     string   `json:"oauth_client_id,omitempty"`
	OAuthClientSecret string   `json:"oauth_client_secret,omitempty"`
	OAuthRefreshToken string   `json:"oauth_refresh_token,omitempty"`
	OAuth             bool     `json:"oauth"`
	Tier              Tier     `json:"tier"`
	Models            []string `json:"models"`
	Disabled          bool     `json:"disabled"`
	Project           string   `json:"project,omitempty"`
}

func version(accounts []*Account) string {
	canon := make([]canonicalAccount, len(accounts))
	for i, a := range accounts {
		c := canonicalAccount{
			ID: a.ID, Email: a.Email, Provider: a.Provider, BaseURL: a.BaseURL,
			APIKey: a.APIKey.Reveal(), Tier: a.Tier, Models: a.Models, Disabled: a.Disabled,
			Project: a.Project,
		}
		if o := a.OAuth; o != nil {
			c.OAuth = true
			c.OAuthTokenURL = o.TokenURL
			c.OAuthClientID = o.ClientID
			c.OAuthClientSecret = o.ClientSecret.Reveal()
			c.OAuthRefreshToken = o.RefreshToken.Reveal()
		}
		canon[i] = c
	}
	// Marshalling plain strings, bools and slices cannot fail.
	data, _ := json.Marshal(canon)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}
