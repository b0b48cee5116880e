package keyspace_test

import (
	"testing"

	"github.com/switchyard-gw/switchyard/internal/keyspace"
)

// The key names of the packages that keep state in the shared store are
// pinned: a replica of the previous release reads and writes the same keys.
func TestConsumerKeysArePinned(t *testing.T) {
	d, n := keyspace.New(""), keyspace.New("team-a")
	for got, want := range map[string]string{
		d.OAuthToken("ge-1"):                   "{sy}:oauth:tok:ge-1",
		d.OAuthLock("ge-1"):                    "{sy}:oauth:lock:ge-1",
		n.OAuthRotated("ge-1"):                 "{sy:team-a}:oauth:rt:ge-1",
		d.SignatureToolCall("call_1"):          "{sy}:sig:t:call_1",
		n.SignatureMessage("team", "sid-9", 3): "{sy:team-a}:sig:s:team:sid-9:3",
		d.RequestLog():                         "{sy}:reqlog",
		n.RequestLog():                         "{sy:team-a}:reqlog",
		d.CodeAssistInfo("ca-1"):               "{sy}:ca:info:ca-1",
		d.CodeAssistLock("ca-1"):               "{sy}:ca:lock:ca-1",
		d.CodeAssistQuotaSlot("ca-1"):          "{sy}:ca:qslot:ca-1",
		n.CodeAssistQuota("ca-1"):              "{sy:team-a}:ca:quota:ca-1",
		d.CodeAssistVerify("ca-1"):             "{sy}:ca:verify:ca-1",
	} {
		if got != want {
			t.Errorf("key %q; want %q", got, want)
		}
	}
}
