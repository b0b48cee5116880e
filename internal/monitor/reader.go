package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// ErrNotFound is returned by Get when no record has the request id.
var ErrNotFound = errors.New("no request with this id in the request log")

// page is how many stream entries one read fetches.
const page = 500

// List returns the newest records first that pass the filter.
func (l *Log) List(ctx context.Context, f Filter) ([]Entry, error) {
	if f.Limit <= 0 {
		f.Limit = DefaultLimit
	}
	f.Limit = min(f.Limit, MaxLimit)
	q := strings.ToLower(strings.TrimSpace(f.Query))
	out := make([]Entry, 0, min(f.Limit, page))
	err := l.scan(ctx, true, func(raw []byte) (bool, error) {
		var e Entry
		if json.Unmarshal(raw, &e) != nil {
			return true, nil // not a record of ours: skip
		}
		if (f.ErrorsOnly && !e.Failed()) || !e.Matches(q) {
			return true, nil
		}
		out = append(out, e)
		return len(out) < f.Limit, nil
	})
	return out, err
}

// Get returns the newest record of a request id.
func (l *Log) Get(ctx context.Context, requestID string) (*Entry, error) {
	id, err := json.Marshal(requestID)
	if err != nil {
		return nil, fmt.Errorf("request id: %w", err)
	}
	// Records are written by encoding/json, so the field reads exactly so.
	needle := append([]byte(`"request_id":`), id...)
	var found *Entry
	err = l.scan(ctx, true, func(raw []byte) (bool, error) {
		if !bytes.Contains(raw, needle) {
			return true, nil
		}
		var e Entry
		if json.Unmarshal(raw, &e) != nil || e.RequestID != requestID {
			return true, nil
		}
		found = &e
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, ErrNotFound
	}
	return found, nil
}

// Export calls fn with every record's JSON, oldest first.
func (l *Log) Export(ctx context.Context, fn func(raw []byte) error) error {
	return l.scan(ctx, false, func(raw []byte) (bool, error) {
		if !json.Valid(raw) {
			return true, nil
		}
		return true, fn(raw)
	})
}

// scan walks the stream page by page, newest first when reverse, calling fn
// with each record until fn says stop or the stream ends.
func (l *Log) scan(ctx context.Context, reverse bool, fn func(raw []byte) (bool, error)) error {
	lo, hi := "-", "+"
	for {
		var (
			msgs []redis.XMessage
			err  error
		)
		if reverse {
			msgs, err = l.rdb.XRevRangeN(ctx, l.o.Key, hi, lo, page).Result()
		} else {
			msgs, err = l.rdb.XRangeN(ctx, l.o.Key, lo, hi, page).Result()
		}
		if err != nil {
			return fmt.Errorf("read request log: %w", err)
		}
		for _, m := range msgs {
			more, err := fn(rawValue(m))
			if err != nil || !more {
				return err
			}
		}
		if len(msgs) < page {
			return nil
		}
		last := "(" + msgs[len(msgs)-1].ID
		if reverse {
			hi = last
		} else {
			lo = last
		}
	}
}

func rawValue(m redis.XMessage) []byte {
	switch v := m.Values[field].(type) {
	case string:
		return []byte(v)
	case []byte:
		return v
	}
	return nil
}
