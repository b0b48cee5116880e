package schedule

// The shared store's side of the control state mirror: the index of model
// groups and the one-round-trip snapshot read from it.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// groups is the index of model groups that hold cooldown or learned-quota
// state: report.lua adds a group when it writes either, so the mirror reads
// those groups' keys without scanning the keyspace.
func (k keyspace) groups() string { return k.join("groups") }

// groupRead is one model group's part of a snapshot.
type groupRead struct {
	cool  *redis.ZSliceCmd
	quota *redis.MapStringStringCmd
}

// snapshot reads the marker and the control state in one pipelined round
// trip (two when the index names groups that known does not), and returns
// the index's groups for the next call.
func (s *redisStore) snapshot(ctx context.Context, marker string, known []string) (string, *ControlState, []string, error) {
	var (
		mark      *redis.StringCmd
		tm        *redis.TimeCmd
		cfg       *redis.SliceCmd
		dis, why  *redis.MapStringStringCmd
		acct      *redis.ZSliceCmd
		idx       *redis.StringSliceCmd
		groupCmds = map[string]groupRead{}
	)
	read := func(p redis.Pipeliner, groups []string) {
		for _, g := range groups {
			groupCmds[g] = groupRead{cool: p.ZRangeWithScores(ctx, s.keys.coolGroup(g), 0, -1), quota: p.HGetAll(ctx, s.keys.quota(g))}
		}
	}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		mark = p.Get(ctx, marker)
		tm = p.Time(ctx)
		cfg = p.HMGet(ctx, s.keys.cfg(), "mode", "max_wait_ms", "fixed")
		dis = p.HGetAll(ctx, s.keys.disabled())
		why = p.HGetAll(ctx, s.keys.reasons())
		acct = p.ZRangeWithScores(ctx, s.keys.coolAccount(), 0, -1)
		idx = p.SMembers(ctx, s.keys.groups())
		read(p, known)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return "", nil, nil, err
	}
	groups := idx.Val()
	var fresh []string
	for _, g := range groups {
		if _, ok := groupCmds[g]; !ok {
			fresh = append(fresh, g)
		}
	}
	if len(fresh) > 0 {
		if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error { read(p, fresh); return nil }); err != nil {
			return "", nil, nil, err
		}
	}
	now := tm.Val().UnixMilli()
	c := &ControlState{Settings: settingsFrom(cfg.Val(), Settings{Mode: s.opts.Mode, MaxWait: s.opts.MaxWait}),
		Disabled: dis.Val(), Cooldowns: map[coolKey]coolEntry{}, Quota: map[coolKey]float64{}}
	if c.Disabled == nil {
		c.Disabled = map[string]string{}
	}
	reasons := why.Val()
	cools := func(group string, zs []redis.Z) {
		for _, z := range zs {
			id, _ := z.Member.(string)
			if int64(z.Score) <= now {
				continue
			}
			k, until := coolKey{id, group}, time.UnixMilli(int64(z.Score))
			if cur, ok := c.Cooldowns[k]; !ok || until.After(cur.Until) {
				c.Cooldowns[k] = coolEntry{Until: until, Reason: reasons[id+"|"+group]}
			}
		}
	}
	cools("*", acct.Val())
	for g, r := range groupCmds {
		cools(g, r.cool.Val())
		for id, v := range r.quota.Val() {
			frac, _, _ := strings.Cut(v, ":")
			if f, err := strconv.ParseFloat(frac, 64); err == nil {
				c.Quota[coolKey{id, g}] = f
			}
		}
	}
	return mark.Val(), c, groups, nil
}

// settingsFrom parses the cfg hash's mode, max_wait_ms and fixed fields
// (HMGET order) over the start-up values, as settings does.
func settingsFrom(v []any, st Settings) Settings {
	if len(v) != 3 {
		return st
	}
	if m, ok := v[0].(string); ok {
		if pm, ok := ParseMode(m); ok {
			st.Mode = pm
		}
	}
	if w, ok := v[1].(string); ok {
		if n, err := strconv.ParseInt(w, 10, 64); err == nil {
			st.MaxWait = time.Duration(n) * time.Millisecond
		}
	}
	if f, ok := v[2].(string); ok {
		st.FixedAccountID = f
	}
	return st
}

// indexGroups adds to the index the model groups whose cooldown zsets or
// quota hashes exist: those written before the index did (an upgrade). It
// scans, once per replica start; every later snapshot reads the index.
func (s *redisStore) indexGroups(ctx context.Context) error {
	coolPrefix, quotaPrefix := s.keys.join("cool", "g")+":", s.keys.join("quota")+":"
	var groups []any
	for _, p := range []string{coolPrefix, quotaPrefix} {
		keys, err := s.scan(ctx, p+"*")
		if err != nil {
			return err
		}
		for _, k := range keys {
			groups = append(groups, strings.TrimPrefix(k, p))
		}
	}
	if len(groups) == 0 {
		return nil
	}
	return s.rdb.SAdd(ctx, s.keys.groups(), groups...).Err()
}

// indexQuota adds the model groups of want's learned quota to the index
// (re-seeding writes quota with SetQuota, not report.lua).
func (s *redisStore) indexQuota(ctx context.Context, want *ControlState) error {
	var groups []any
	seen := map[string]bool{}
	for k := range want.Quota {
		if !seen[k.Group] {
			seen[k.Group] = true
			groups = append(groups, k.Group)
		}
	}
	if len(groups) == 0 {
		return nil
	}
	if err := s.rdb.SAdd(ctx, s.keys.groups(), groups...).Err(); err != nil {
		return fmt.Errorf("index model groups: %w", err)
	}
	return nil
}
