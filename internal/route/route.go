// Package route decides where a client's model goes: the routes table
// rewrites the model name (and may pin a provider), and the candidate index
// lists the accounts able to serve the result.
//
// A routes file is a YAML map of pattern to target:
//
//	gpt-4o: gemini/gemini-2.5-pro      # exact name; provider pinned
//	"claude-*-haiku*": claude-sonnet-4-6
//	"*": gemini/gemini-2.5-flash       # quote patterns starting with * (YAML alias syntax)
//
// Matching ignores case. An exact pattern beats every wildcard; among
// wildcards the most specific wins: the most literal (non-*) characters,
// then the fewest *, then the lexicographically smallest pattern, so the
// outcome never depends on the file's order.
package route

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/switchyard-gw/switchyard/internal/account"
)

// Target is where a model is routed: the model name to send upstream and,
// when the route names one, the provider that must serve it.
type Target struct {
	Model string
	// Provider is empty when the route does not pin one.
	Provider account.Provider
}

// String renders the target as written in a routes file.
func (t Target) String() string {
	if t.Provider == "" {
		return t.Model
	}
	return string(t.Provider) + "/" + t.Model
}

// Table is a parsed routes file. It is immutable and safe for concurrent
// use; a nil *Table has no routes.
type Table struct {
	exact    map[string]rule // by lower-cased pattern
	wildcard []rule          // in precedence order
}

// rule is one pattern: target line.
type rule struct {
	pattern  string // as written
	lower    string
	target   Target
	literals int // non-* characters
	stars    int
}

// LoadTable reads and parses the routes file at path; an empty path gives an
// empty table.
func LoadTable(path string) (*Table, error) {
	if path == "" {
		return &Table{}, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read routes file: %w", err)
	}
	t, err := ParseTable(data)
	if err != nil {
		return nil, fmt.Errorf("routes file %s: %w", path, err)
	}
	return t, nil
}

// ParseTable parses a YAML (or JSON) map of pattern to target. An empty
// document is an empty table. Every problem is reported, one line per
// problem, each naming its pattern.
func ParseTable(data []byte) (*Table, error) {
	doc, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(doc, &raw); err != nil {
		return nil, errors.New("routes must be a mapping of pattern to target")
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)

	t := &Table{exact: make(map[string]rule)}
	var errs []error
	seen := make(map[string]string, len(keys))
	for _, pattern := range keys {
		r, err := parseRule(pattern, raw[pattern])
		if err != nil {
			errs = append(errs, fmt.Errorf("route %q: %w", pattern, err))
			continue
		}
		if first, dup := seen[r.lower]; dup {
			errs = append(errs, fmt.Errorf("route %q: same pattern as %q (patterns ignore case)", pattern, first))
			continue
		}
		seen[r.lower] = pattern
		if r.stars == 0 {
			t.exact[r.lower] = r
		} else {
			t.wildcard = append(t.wildcard, r)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.SortFunc(t.wildcard, func(a, b rule) int {
		return cmp.Or(
			cmp.Compare(b.literals, a.literals), // more literal characters first
			cmp.Compare(a.stars, b.stars),       // then fewer wildcards
			strings.Compare(a.lower, b.lower),
		)
	})
	return t, nil
}

func parseRule(pattern string, value json.RawMessage) (rule, error) {
	if err := account.CheckGlob(pattern); err != nil {
		return rule{}, err
	}
	var s string
	if err := json.Unmarshal(value, &s); err != nil {
		return rule{}, errors.New("target must be a string (quote it if YAML reads it as a number or boolean)")
	}
	target, err := parseTarget(s)
	if err != nil {
		return rule{}, err
	}
	stars := strings.Count(pattern, "*")
	return rule{
		pattern:  pattern,
		lower:    strings.ToLower(pattern),
		target:   target,
		literals: len(pattern) - stars,
		stars:    stars,
	}, nil
}

// parseTarget reads "model" or "provider/model". Only the supported provider
// names count as a prefix: "meta-llama/llama-3" is a model name.
func parseTarget(s string) (Target, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Target{}, errors.New("empty target")
	}
	t := Target{Model: s}
	if prefix, model, ok := strings.Cut(s, "/"); ok {
		if p := account.Provider(strings.ToLower(prefix)); p.Valid() {
			if model == "" {
				return Target{}, fmt.Errorf("target %q names provider %s but no model", s, p)
			}
			t = Target{Model: model, Provider: p}
		}
	}
	for i := 0; i < len(t.Model); i++ {
		switch c := t.Model[i]; {
		case c == '*':
			return Target{}, fmt.Errorf("target %q: a target is a model name, not a pattern", s)
		case c <= ' ' || c == 0x7f:
			return Target{}, fmt.Errorf("target %q: contains a space or control character", s)
		}
	}
	return t, nil
}

// Resolve routes model. A leading "models/" (the Gemini resource prefix) is
// removed first. It returns the matched route's target and true, or, when no
// route matches, Target{Model: model} and false.
func (t *Table) Resolve(model string) (Target, bool) {
	model = stripModelsPrefix(model)
	if t == nil {
		return Target{Model: model}, false
	}
	if len(t.exact) > 0 {
		if r, ok := t.exact[strings.ToLower(model)]; ok {
			return r.target, true
		}
	}
	for _, r := range t.wildcard {
		if account.MatchGlob(r.lower, model) {
			return r.target, true
		}
	}
	return Target{Model: model}, false
}

// Patterns lists the table's patterns as written, in precedence order:
// exact patterns (sorted), then wildcards from the most specific.
func (t *Table) Patterns() []string {
	if t == nil {
		return nil
	}
	out := make([]string, 0, len(t.exact)+len(t.wildcard))
	for _, r := range t.exact {
		out = append(out, r.pattern)
	}
	slices.Sort(out)
	for _, r := range t.wildcard {
		out = append(out, r.pattern)
	}
	return out
}

// Len is the number of routes.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return len(t.exact) + len(t.wildcard)
}
