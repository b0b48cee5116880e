package schedule

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Settings are the runtime scheduling settings shared by every replica.
type Settings struct {
	Mode           Mode
	MaxWait        time.Duration
	FixedAccountID string
}

// settings reads the shared settings, falling back to the start-up values.
func (s *redisStore) settings(ctx context.Context) (Settings, error) {
	v, err := s.rdb.HMGet(ctx, s.keys.cfg(), "mode", "max_wait_ms", "fixed").Result()
	if err != nil {
		return Settings{}, fmt.Errorf("read settings: %w", err)
	}
	return settingsFrom(v, Settings{Mode: s.opts.Mode, MaxWait: s.opts.MaxWait}), nil
}

// setMode changes the mode and max wait for every replica.
func (s *redisStore) setMode(ctx context.Context, m Mode, maxWait time.Duration) error {
	if err := s.rdb.HSet(ctx, s.keys.cfg(), "mode", string(m), "max_wait_ms", maxWait.Milliseconds()).Err(); err != nil {
		return fmt.Errorf("set mode: %w", err)
	}
	return nil
}

// setFixed pins every request to one account while it is eligible ("" clears).
func (s *redisStore) setFixed(ctx context.Context, accountID string) error {
	var err error
	if accountID == "" {
		err = s.rdb.HDel(ctx, s.keys.cfg(), "fixed").Err()
	} else {
		err = s.rdb.HSet(ctx, s.keys.cfg(), "fixed", accountID).Err()
	}
	if err != nil {
		return fmt.Errorf("set fixed account: %w", err)
	}
	return nil
}

// disable takes an account out of the pool on every replica, keeping the reason.
func (s *redisStore) disable(ctx context.Context, accountID, reason string) error {
	if err := s.rdb.HSet(ctx, s.keys.disabled(), accountID, reason).Err(); err != nil {
		return fmt.Errorf("disable account: %w", err)
	}
	return nil
}

// enable puts an account back into the pool.
func (s *redisStore) enable(ctx context.Context, accountID string) error {
	if err := s.rdb.HDel(ctx, s.keys.disabled(), accountID).Err(); err != nil {
		return fmt.Errorf("enable account: %w", err)
	}
	return nil
}

// clearBindings drops every session binding and returns how many there were.
func (s *redisStore) clearBindings(ctx context.Context) (int, error) {
	return s.deleteMatching(ctx, s.keys.sessionPattern(), func(k string) bool { return k != s.keys.noSession() })
}

// clearCooldowns clears the cooldowns and failure streaks of one account, or
// of every account when accountID is "".
func (s *redisStore) clearCooldowns(ctx context.Context, accountID string) error {
	// The zsets are listed here (a script never scans); clear_cooldowns.lua
	// then clears them, the reasons and the streaks in one atomic step.
	zsets, err := s.scan(ctx, s.keys.coolPattern())
	if err != nil {
		return fmt.Errorf("clear cooldowns: %w", err)
	}
	keys := append([]string{s.keys.reasons(), s.keys.streak()}, zsets...)
	if err := s.clearCool.Run(ctx, s.rdb, keys, accountID).Err(); err != nil {
		return fmt.Errorf("clear cooldowns: %w", err)
	}
	return nil
}

// Cooldown is one active cooldown of an account.
type Cooldown struct {
	ModelGroup string    `json:"model_group"` // "*" = account-wide
	Until      time.Time `json:"until"`
	Reason     string    `json:"reason"`
}

// AccountState is the shared state of one account, for the operator API.
type AccountState struct {
	Disabled       bool
	DisabledReason string
	Cooldowns      []Cooldown
	Quota          map[string]float64 // model group -> remaining fraction
}

// states reads the shared state of every account (operator path, not hot).
func (s *redisStore) states(ctx context.Context) (map[string]*AccountState, error) {
	out := map[string]*AccountState{}
	get := func(id string) *AccountState {
		st, ok := out[id]
		if !ok {
			st = &AccountState{Quota: map[string]float64{}}
			out[id] = st
		}
		return st
	}
	dis, err := s.rdb.HGetAll(ctx, s.keys.disabled()).Result()
	if err != nil {
		return nil, fmt.Errorf("read accounts: %w", err)
	}
	for id, why := range dis {
		st := get(id)
		st.Disabled, st.DisabledReason = true, why
	}
	reasons, err := s.rdb.HGetAll(ctx, s.keys.reasons()).Result()
	if err != nil {
		return nil, fmt.Errorf("read accounts: %w", err)
	}
	now, err := s.rdb.Time(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("read accounts: %w", err)
	}
	keys, err := s.scan(ctx, s.keys.coolPattern())
	if err != nil {
		return nil, fmt.Errorf("read accounts: %w", err)
	}
	prefix := s.keys.join("cool", "g") + ":"
	for _, k := range keys {
		group := "*"
		if strings.HasPrefix(k, prefix) {
			group = strings.TrimPrefix(k, prefix)
		}
		zs, err := s.rdb.ZRangeByScoreWithScores(ctx, k, &redis.ZRangeBy{Min: "(" + strconv.FormatInt(now.UnixMilli(), 10), Max: "+inf"}).Result()
		if err != nil {
			return nil, fmt.Errorf("read accounts: %w", err)
		}
		for _, z := range zs {
			id, _ := z.Member.(string)
			st := get(id)
			st.Cooldowns = append(st.Cooldowns, Cooldown{ModelGroup: group, Until: time.UnixMilli(int64(z.Score)), Reason: reasons[id+"|"+group]})
		}
	}
	qkeys, err := s.scan(ctx, s.keys.join("quota", "*"))
	if err != nil {
		return nil, fmt.Errorf("read accounts: %w", err)
	}
	qprefix := s.keys.join("quota") + ":"
	for _, k := range qkeys {
		vals, err := s.rdb.HGetAll(ctx, k).Result()
		if err != nil {
			return nil, fmt.Errorf("read accounts: %w", err)
		}
		for id, v := range vals {
			frac, _, _ := strings.Cut(v, ":")
			if f, err := strconv.ParseFloat(frac, 64); err == nil {
				get(id).Quota[strings.TrimPrefix(k, qprefix)] = f
			}
		}
	}
	return out, nil
}

// scan lists keys matching a pattern on every master (all keys share one slot,
// so in a cluster only one master has any).
func (s *redisStore) scan(ctx context.Context, pattern string) ([]string, error) {
	var out []string
	each := func(ctx context.Context, c redis.Cmdable) error {
		it := c.Scan(ctx, 0, pattern, 512).Iterator()
		for it.Next(ctx) {
			out = append(out, it.Val())
		}
		return it.Err()
	}
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		var mu sync.Mutex
		err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			var local []string
			it := c.Scan(ctx, 0, pattern, 512).Iterator()
			for it.Next(ctx) {
				local = append(local, it.Val())
			}
			mu.Lock()
			out = append(out, local...)
			mu.Unlock()
			return it.Err()
		})
		return out, err
	}
	return out, each(ctx, s.rdb)
}

func (s *redisStore) deleteMatching(ctx context.Context, pattern string, want func(string) bool) (int, error) {
	keys, err := s.scan(ctx, pattern)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range keys {
		if !want(k) {
			continue
		}
		d, err := s.rdb.Del(ctx, k).Result()
		if err != nil {
			return n, err
		}
		n += int(d)
	}
	return n, nil
}
