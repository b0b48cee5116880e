package dispatch

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/switchyard-gw/switchyard/internal/account"
)

// redacted replaces a credential found in upstream text.
const redacted = "[REDACTED]"

// minSecretLen: shorter values are not credentials, and replacing them would
// mangle ordinary text.
const minSecretLen = 8

// secretsOf lists the credentials of the attempt that upstream text handed
// to the client must not carry: the account's key or OAuth secrets, and the
// credential the request actually sent (an OAuth access token). A provider
// or proxy that echoes the request's key in an error would otherwise give
// the account's credential to every client.
func secretsOf(a *account.Account, sent *http.Request) []string {
	var out []string
	add := func(s string) {
		if len(s) >= minSecretLen {
			out = append(out, s)
		}
	}
	add(a.APIKey.Reveal())
	if a.OAuth != nil {
		add(a.OAuth.ClientSecret.Reveal())
		add(a.OAuth.RefreshToken.Reveal())
	}
	if sent != nil {
		if v := sent.Header.Get("Authorization"); len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
			add(strings.TrimSpace(v[7:]))
		}
		add(sent.Header.Get("x-api-key"))
		add(sent.Header.Get("x-goog-api-key"))
		add(sent.URL.Query().Get("key"))
	}
	return out
}

// scrubSecrets returns b with every occurrence of a secret replaced, also in
// its JSON-escaped form ("/" written as "\/"). b is returned unchanged, not
// copied, when it holds none.
func scrubSecrets(b []byte, secrets []string) []byte {
	for _, s := range secrets {
		b = replaceAll(b, s)
		if strings.Contains(s, "/") {
			b = replaceAll(b, strings.ReplaceAll(s, "/", `\/`))
		}
	}
	return b
}

func replaceAll(b []byte, s string) []byte {
	if !bytes.Contains(b, []byte(s)) {
		return b
	}
	return bytes.ReplaceAll(b, []byte(s), []byte(redacted))
}

// scrub removes the attempt's credentials from upstream error text. The
// credentials are gathered here, on the error path, so a successful attempt
// pays nothing for it.
func (at *attempt) scrub(b []byte) []byte {
	return scrubSecrets(b, secretsOf(at.acct, at.sent))
}
