package keyspace

// Code Assist state of one account (internal/codeassist).

// CodeAssistInfo is the hash of an account's discovered project and tier.
func (s Space) CodeAssistInfo(account string) string { return s.Key("ca", "info", account) }

// CodeAssistLock is held by the replica discovering an account's project.
func (s Space) CodeAssistLock(account string) string { return s.Key("ca", "lock", account) }

// CodeAssistQuotaSlot is held for one poll interval by the replica that
// reads an account's quota.
func (s Space) CodeAssistQuotaSlot(account string) string { return s.Key("ca", "qslot", account) }

// CodeAssistQuota is the hash of an account's last quota read.
func (s Space) CodeAssistQuota(account string) string { return s.Key("ca", "quota", account) }

// CodeAssistVerify records that Code Assist asked to verify the account.
func (s Space) CodeAssistVerify(account string) string { return s.Key("ca", "verify", account) }
