package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound is returned by Get when no record has the request id.
var ErrNotFound = errors.New("no request with this id in the request log")

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

// scan walks the stream, newest first when reverse, calling fn with each
// record until fn says stop or the stream ends.
func (l *Log) scan(ctx context.Context, reverse bool, fn func(raw []byte) (bool, error)) error {
	err := l.s.Scan(ctx, reverse, func(raw []byte) (bool, error) {
		more, err := fn(raw)
		if err != nil {
			return false, callerError{err}
		}
		return more, nil
	})
	var ce callerError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ce):
		return ce.err
	}
	return fmt.Errorf("read request log: %w", err)
}

// callerError carries fn's own error through Stream.Scan unwrapped.
type callerError struct{ err error }

func (e callerError) Error() string { return e.err.Error() }
