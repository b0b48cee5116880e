package monitor

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Usage groupings (GET /admin/usage?group_by=).
const (
	ByKey     = "key"
	ByModel   = "model"
	ByAccount = "account"
)

// DefaultUsageWindow is how far back usage is summed when no since is given.
const DefaultUsageWindow = 24 * time.Hour

// usageSlack is how far past since a scan keeps reading: replicas write in
// batches, so the stream is in time order only roughly.
const usageSlack = time.Minute

// Unknown names a group whose field the record does not carry (records
// written before the field existed; requests no account was tried for).
const Unknown = "(none)"

// UsageRow is the sums of one group.
type UsageRow struct {
	Name         string `json:"name"`
	Email        string `json:"email,omitempty"` // group_by=account: the account's email
	Requests     int64  `json:"requests"`
	Errors       int64  `json:"errors"` // status >= 400
	InputTokens  int64  `json:"input_tokens"`
	OutputTokens int64  `json:"output_tokens"`
	CachedTokens int64  `json:"cached_tokens"` // input tokens read from the provider's prompt cache
}

func (r *UsageRow) add(e *Entry) {
	r.Requests++
	if e.Status >= 400 {
		r.Errors++
	}
	r.InputTokens += e.Tokens.Input
	r.OutputTokens += e.Tokens.Output
	r.CachedTokens += e.Tokens.CacheRead
}

// Usage is the answer of GET /admin/usage.
type Usage struct {
	GroupBy string     `json:"group_by"`
	Since   time.Time  `json:"since"`
	Until   time.Time  `json:"until"`
	Groups  []UsageRow `json:"groups"` // most requests first
	Total   UsageRow   `json:"total"`
	// Complete is false when the request log's oldest record is newer than
	// since: the log is capped (SWITCHYARD_REQUEST_LOG_MAX) and older
	// requests have aged out, so the sums are a lower bound.
	Complete bool `json:"complete"`
}

// ParseGroupBy checks a group_by value; empty means by key.
func ParseGroupBy(s string) (string, error) {
	switch s {
	case "":
		return ByKey, nil
	case ByKey, ByModel, ByAccount:
		return s, nil
	}
	return "", errors.New("group_by must be key, model or account")
}

// ParseSince reads since as an RFC 3339 time or a Go duration back from now
// ("24h", "90m"); empty means DefaultUsageWindow.
func ParseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return now.Add(-DefaultUsageWindow), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return time.Time{}, errors.New("since must be an RFC 3339 time (2026-01-02T15:04:05Z) or a positive duration (24h, 90m)")
	}
	return now.Add(-d), nil
}

// Usage sums the requests since the given time from the shared request log
// (every replica's records), grouped by client key name, client model or
// the account that answered (or was tried last).
func (l *Log) Usage(ctx context.Context, groupBy string, since, now time.Time) (*Usage, error) {
	u := &Usage{GroupBy: groupBy, Since: since.UTC(), Until: now.UTC(), Groups: []UsageRow{}, Total: UsageRow{Name: "total"}}
	rows := map[string]*UsageRow{}
	stop := since.Add(-usageSlack)
	reachedEnd := true
	err := l.scan(ctx, true, func(raw []byte) (bool, error) {
		var e Entry
		if json.Unmarshal(raw, &e) != nil {
			return true, nil
		}
		if e.Time.Before(stop) {
			reachedEnd = false
			return false, nil
		}
		if e.Time.Before(since) || e.Time.After(now) {
			return true, nil
		}
		name, email := groupOf(&e, groupBy)
		r := rows[name]
		if r == nil {
			r = &UsageRow{Name: name, Email: email}
			rows[name] = r
		}
		r.add(&e)
		u.Total.add(&e)
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("usage: %w", err)
	}
	// The whole stream was read without reaching back to since: complete
	// only when nothing was trimmed from it yet.
	u.Complete = !reachedEnd || l.untrimmed(ctx)
	for _, r := range rows {
		u.Groups = append(u.Groups, *r)
	}
	slices.SortFunc(u.Groups, func(a, b UsageRow) int {
		return cmp.Or(cmp.Compare(b.Requests, a.Requests), strings.Compare(a.Name, b.Name))
	})
	return u, nil
}

// untrimmed reports whether no record has been trimmed from the stream yet.
func (l *Log) untrimmed(ctx context.Context) bool {
	trimmed, err := l.s.Trimmed(ctx, l.o.MaxLen)
	return err == nil && !trimmed
}

// groupOf names the group of a record.
func groupOf(e *Entry, groupBy string) (name, email string) {
	switch groupBy {
	case ByModel:
		return cmp.Or(e.Model, Unknown), ""
	case ByAccount:
		if n := len(e.Attempts); n > 0 && e.Attempts[n-1].Account != "" {
			a := e.Attempts[n-1]
			return a.Account, a.Email
		}
		return cmp.Or(e.Account, Unknown), e.Account
	}
	return cmp.Or(e.Key, Unknown), ""
}
