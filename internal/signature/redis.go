package signature

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisStore keeps the entries in the shared Redis: plain keys with a TTL,
// written in one pipeline and read with one MGET.
type redisStore struct{ rdb redis.UniversalClient }

func (s redisStore) SetAll(ctx context.Context, kv map[string][]byte, ttl time.Duration) error {
	pipe := s.rdb.Pipeline()
	for k, v := range kv {
		pipe.Set(ctx, k, v, ttl)
	}
	_, err := pipe.Exec(ctx)
	return err
}

func (s redisStore) GetAll(ctx context.Context, keys []string) ([][]byte, error) {
	vals, err := s.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(vals))
	for i, v := range vals {
		if s, ok := v.(string); ok {
			out[i] = []byte(s)
		}
	}
	return out, nil
}
