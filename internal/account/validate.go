package account

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// entry collects the problems of one pool entry while it is expanded and
// validated.
type entry struct {
	lookupEnv func(string) (string, bool)
	problems  []string
	failed    []string // fields already reported as having the wrong type
}

func (e *entry) markFailed(field string) { e.failed = append(e.failed, field) }

func (e *entry) hasFailed(field string) bool { return slices.Contains(e.failed, field) }

func (e *entry) addf(field, format string, args ...any) {
	e.problems = append(e.problems, field+": "+fmt.Sprintf(format, args...))
}

// str expands a string field. It returns false when the field already
// failed to decode, or when expansion fails (recording the problem).
func (e *entry) str(field, raw string) (string, bool) {
	if e.hasFailed(field) {
		return "", false
	}
	v, err := expand(raw, e.lookupEnv)
	if err != nil {
		e.addf(field, "%v", err)
		return "", false
	}
	return v, true
}

// capabilityNames are the names an account's capabilities may set (the
// translators' table in package protocol has the same two).
func capabilityNames() []string { return []string{"reasoning", "sampling"} }

// build expands and validates a decoded entry into an Account. Fields that
// fail are left empty; the problems say why.
func (e *entry) build(index int, r *rawAccount, hasAPIKey bool) *Account {
	a := &Account{Index: index, Disabled: r.Disabled}

	if id, ok := e.str("id", r.ID); ok {
		switch {
		case id == "":
			e.addf("id", "missing")
		case !validID(id):
			e.addf("id", "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
		default:
			a.ID = id
		}
	}

	if email, ok := e.str("email", r.Email); ok {
		switch {
		case email == "":
			e.addf("email", "missing")
		case !printableASCII(email):
			e.addf("email", "must be printable ASCII without spaces")
		default:
			a.Email = email
		}
	}

	if p, ok := e.str("provider", r.Provider); ok {
		a.Provider = Provider(strings.ToLower(strings.TrimSpace(p)))
		switch {
		case a.Provider == "":
			e.addf("provider", "missing (anthropic, openai, gemini or codeassist)")
		case !a.Provider.Valid():
			e.addf("provider", "unknown provider %q (want anthropic, openai, gemini or codeassist)", r.Provider)
		}
	}

	if base, ok := e.str("base_url", r.BaseURL); ok {
		if base == "" {
			a.BaseURL = a.Provider.defaultBaseURL()
		} else if err := checkHTTPURL(base); err != nil {
			e.addf("base_url", "%s", err)
		} else {
			a.BaseURL = strings.TrimRight(base, "/")
		}
	}

	e.credentials(a, r, hasAPIKey)

	if t, ok := e.str("tier", r.Tier); ok {
		a.Tier = Tier(strings.ToLower(strings.TrimSpace(t)))
		if a.Tier == "" {
			a.Tier = Free
		} else if !a.Tier.Valid() {
			e.addf("tier", "unknown tier %q (want ultra, pro or free)", r.Tier)
		}
	}
	e.codeAssist(a, r)
	for _, k := range sortedKeys(r.Capabilities) {
		if !slices.Contains(capabilityNames(), k) {
			e.addf("capabilities."+k, "unknown capability (want %s)", strings.Join(capabilityNames(), " or "))
			continue
		}
		if a.Capabilities == nil {
			a.Capabilities = map[string]bool{}
		}
		a.Capabilities[k] = r.Capabilities[k]
	}

	for j, m := range r.Models {
		field := fmt.Sprintf("models[%d]", j)
		if g, ok := e.str(field, m); ok {
			if err := CheckGlob(g); err != nil {
				e.addf(field, "%v", err)
			} else {
				a.Models = append(a.Models, g)
			}
		}
	}
	return a
}

// credentials validates the api_key / oauth choice and fills it in.
func (e *entry) credentials(a *Account, r *rawAccount, hasAPIKey bool) {
	switch {
	case e.hasFailed("oauth"):
		return
	case hasAPIKey && r.OAuth != nil:
		e.addf("api_key", "set either api_key or oauth, not both")
		return
	case !hasAPIKey && r.OAuth == nil:
		e.addf("api_key", "missing credentials (set api_key or oauth)")
		return
	case hasAPIKey:
		if key, ok := e.str("api_key", r.APIKey); ok {
			if key == "" {
				e.addf("api_key", "is empty")
			}
			a.APIKey = Secret(key)
		}
		return
	}

	o := &OAuth{}
	if v, ok := e.str("oauth.token_url", r.OAuth.TokenURL); ok {
		if v == "" && a.Provider == CodeAssist {
			v = GoogleTokenURL
		}
		if v == "" {
			e.addf("oauth.token_url", "missing")
		} else if err := checkHTTPURL(v); err != nil {
			e.addf("oauth.token_url", "%s", err)
		}
		o.TokenURL = v
	}
	if v, ok := e.str("oauth.client_id", r.OAuth.ClientID); ok {
		if v == "" {
			e.addf("oauth.client_id", "missing")
		}
		o.ClientID = v
	}
	if v, ok := e.str("oauth.client_secret", r.OAuth.ClientSecret); ok {
		o.ClientSecret = Secret(v)
	}
	if v, ok := e.str("oauth.refresh_token", r.OAuth.RefreshToken); ok {
		if v == "" {
			e.addf("oauth.refresh_token", "missing")
		}
		o.RefreshToken = Secret(v)
	}
	a.OAuth = o
}

// checkHTTPURL reports why s is not an absolute http(s) URL without query or
// fragment. The message never quotes s, which may embed credentials.
func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("not a valid URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("must be an http or https URL")
	case u.Host == "":
		return fmt.Errorf("missing host")
	case u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "#"):
		return fmt.Errorf("must not have a query or fragment")
	}
	return nil
}

// validID reports whether id matches ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$: ids
// become Redis key parts and metric labels.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case (c == '.' || c == '_' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

// printableASCII reports whether s is made of visible ASCII characters only,
// so it is safe in an HTTP header value.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
