package account

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// LoadFile reads and parses the account pool file at path. See Parse.
func LoadFile(path string, lookupEnv func(string) (string, bool)) (*Pool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read accounts file: %w", err)
	}
	p, err := Parse(data, lookupEnv)
	if err != nil {
		return nil, fmt.Errorf("accounts file %s: %w", path, err)
	}
	return p, nil
}

// Parse builds a pool from the YAML or JSON text of an accounts file: a
// mapping with one key, accounts, holding a list of entries. ${VAR}
// references in string values are expanded from lookupEnv (os.LookupEnv when
// nil); "$${" stands for a literal "${".
//
// Every problem is reported, one line per problem, each naming the entry (its
// index and id) and the field. Messages quote only what is literally in the
// file, and never a credential field or an expanded value.
func Parse(data []byte, lookupEnv func(string) (string, bool)) (*Pool, error) {
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	doc, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, fmt.Errorf("parse: %s", yamlErrorText(err))
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(doc, &top); err != nil || top == nil {
		return nil, errors.New("the file must be a mapping with an accounts list")
	}
	var problems []string
	for _, k := range sortedKeys(top) {
		if k != "accounts" {
			problems = append(problems, fmt.Sprintf("unknown top-level field %q", k))
		}
	}
	list, ok := top["accounts"]
	if !ok {
		problems = append(problems, "accounts: missing (the file must have a top-level accounts list)")
		return nil, joinLines(problems)
	}
	var entries []json.RawMessage
	if err := json.Unmarshal(list, &entries); err != nil {
		problems = append(problems, "accounts: must be a list")
		return nil, joinLines(problems)
	}

	accounts := make([]*Account, 0, len(entries))
	firstByID := make(map[string]int, len(entries))
	for i, raw := range entries {
		a, label, entryProblems := parseEntry(i, raw, lookupEnv)
		if a != nil && a.ID != "" {
			key := strings.ToLower(a.ID)
			if j, dup := firstByID[key]; dup {
				entryProblems = append(entryProblems, fmt.Sprintf("id: duplicate of accounts[%d] (ids are compared ignoring case)", j))
			} else {
				firstByID[key] = i
			}
		}
		for _, p := range entryProblems {
			problems = append(problems, label+": "+p)
		}
		if a != nil {
			accounts = append(accounts, a)
		}
	}
	if len(problems) > 0 {
		return nil, joinLines(problems)
	}
	return newPool(accounts), nil
}

// rawAccount is an entry as written in the file, before expansion.
type rawAccount struct {
	ID, Email, Provider, BaseURL, APIKey, Tier, Project string
	Models                                              []string
	OAuth                                               *rawOAuth
	Disabled                                            bool
	Capabilities                                        map[string]bool
}

// rawOAuth is an entry's oauth block as written in the file.
type rawOAuth struct {
	TokenURL, ClientID, ClientSecret, RefreshToken string
}

// parseEntry decodes, expands and validates entry i. It returns the account
// (nil when the entry is not even a mapping), the label that names the entry
// in messages, and the entry's problems, each starting with the field.
func parseEntry(i int, raw json.RawMessage, lookupEnv func(string) (string, bool)) (*Account, string, []string) {
	label := fmt.Sprintf("accounts[%d]", i)
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return nil, label, []string{"must be a mapping with id, email, provider and credentials"}
	}
	var rawID string
	if json.Unmarshal(fields["id"], &rawID) == nil && rawID != "" {
		label += fmt.Sprintf(" (id %q)", rawID)
	}

	e := entry{lookupEnv: lookupEnv}
	var r rawAccount
	var oauthFields map[string]json.RawMessage
	e.decodeFields("", fields, map[string]any{
		"id": &r.ID, "email": &r.Email, "provider": &r.Provider, "base_url": &r.BaseURL,
		"api_key": &r.APIKey, "tier": &r.Tier, "models": &r.Models, "oauth": &oauthFields, "disabled": &r.Disabled,
		"project": &r.Project, "capabilities": &r.Capabilities,
	})
	if oauthFields != nil {
		o := &rawOAuth{}
		e.decodeFields("oauth.", oauthFields, map[string]any{
			"token_url": &o.TokenURL, "client_id": &o.ClientID,
			"client_secret": &o.ClientSecret, "refresh_token": &o.RefreshToken,
		})
		r.OAuth = o
	}
	_, hasAPIKey := fields["api_key"]
	a := e.build(i, &r, hasAPIKey)
	return a, label, e.problems
}

// decodeFields decodes each field of an object into its destination and
// reports unknown fields and values of the wrong type; a field of the wrong
// type is left zero and marked failed, so it gets no second message. prefix
// qualifies field names in messages ("oauth.").
func (e *entry) decodeFields(prefix string, fields map[string]json.RawMessage, dst map[string]any) {
	for _, k := range sortedKeys(fields) {
		d, known := dst[k]
		if !known {
			e.addf(prefix+k, "unknown field")
			continue
		}
		if err := json.Unmarshal(fields[k], d); err != nil {
			e.addf(prefix+k, "%s", typeHint(d))
			e.markFailed(prefix + k)
			reflect.ValueOf(d).Elem().SetZero() // drop a partial decode
		}
	}
}

// typeHint says what a field's value must look like.
func typeHint(dst any) string {
	switch dst.(type) {
	case *string:
		return "must be a string"
	case *[]string:
		return "must be a list of strings"
	case *bool:
		return "must be true or false"
	case *map[string]bool:
		return "must be a mapping of capability names to true or false"
	case *map[string]json.RawMessage:
		return "must be a mapping with token_url, client_id, client_secret and refresh_token"
	}
	return "has the wrong type"
}

// yamlErrorText returns a parse error's text, dropping the variants that
// quote a value from the file.
func yamlErrorText(err error) string {
	msg := err.Error()
	if strings.Contains(msg, "map key") {
		return "invalid mapping key (keys must be plain strings)"
	}
	return msg
}

// joinLines makes one error with one line per problem.
func joinLines(lines []string) error {
	errs := make([]error, len(lines))
	for i, l := range lines {
		errs[i] = errors.New(l)
	}
	return errors.Join(errs...)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
