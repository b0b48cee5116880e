package dispatch

import "github.com/switchyard-gw/switchyard/internal/account"

// Tiers supplies the tier of accounts whose tier is learned at run time (a
// codeassist account without a tier in the file reads it from Code Assist).
type Tiers interface {
	// Tier is the account's tier to schedule by.
	Tier(a *account.Account) account.Tier
	// Generation changes whenever a learned tier does, so cached routes are
	// rebuilt with the new order.
	Generation() uint64
}

// tierOf is a's tier for scheduling.
func (c *Catalog) tierOf(a *account.Account) account.Tier {
	if c.Tiers == nil || !a.TierAuto {
		return a.Tier
	}
	return c.Tiers.Tier(a)
}

func (c *Catalog) tierGeneration() uint64 {
	if c.Tiers == nil {
		return 0
	}
	return c.Tiers.Generation()
}
