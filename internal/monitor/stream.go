package monitor

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Stream is where the request log's records are kept, each one JSON
// document: the capped stream of the shared Redis (New), or a capped ring in
// this process's memory (NewEmbedded on a MemStream) when there is no shared
// store.
type Stream interface {
	// Append adds records, oldest first, and trims the stream to about
	// maxLen records (the oldest go).
	Append(ctx context.Context, maxLen int64, records [][]byte) error
	// Scan calls fn with each record, newest first when reverse, until fn
	// says stop or the stream ends. fn must not keep or change raw.
	Scan(ctx context.Context, reverse bool, fn func(raw []byte) (bool, error)) error
	// Trimmed reports whether records may have been trimmed away already.
	Trimmed(ctx context.Context, maxLen int64) (bool, error)
}

// field is the Redis stream entry's only field: the record as JSON.
const field = "r"

// page is how many records one read fetches.
const page = 500

//go:embed append.lua
var appendSrc string

// appendScript appends one batch of records in one call (append.lua).
var appendScript = redis.NewScript(appendSrc)

// redisStream is the request log as a Redis stream (XADD MAXLEN ~).
type redisStream struct {
	rdb redis.UniversalClient
	key string
}

// Append writes one batch in one script call.
func (s redisStream) Append(ctx context.Context, maxLen int64, records [][]byte) error {
	args := make([]any, 2, 2+len(records))
	args[0], args[1] = maxLen, field
	for _, r := range records {
		args = append(args, r)
	}
	return appendScript.Run(ctx, s.rdb, []string{s.key}, args...).Err()
}

// Scan walks the stream page by page.
func (s redisStream) Scan(ctx context.Context, reverse bool, fn func(raw []byte) (bool, error)) error {
	lo, hi := "-", "+"
	for {
		var (
			msgs []redis.XMessage
			err  error
		)
		if reverse {
			msgs, err = s.rdb.XRevRangeN(ctx, s.key, hi, lo, page).Result()
		} else {
			msgs, err = s.rdb.XRangeN(ctx, s.key, lo, hi, page).Result()
		}
		if err != nil {
			return err
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

// Trimmed: XADD MAXLEN ~ trims only beyond the cap, so a stream shorter
// than its cap has lost nothing yet.
func (s redisStream) Trimmed(ctx context.Context, maxLen int64) (bool, error) {
	n, err := s.rdb.XLen(ctx, s.key).Result()
	if err != nil {
		return false, fmt.Errorf("request log length: %w", err)
	}
	return n >= maxLen, nil
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
