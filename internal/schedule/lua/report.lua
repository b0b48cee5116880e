-- report.lua: record the outcome of one attempt.
--
-- KEYS[1] cooldown zset of the model group     KEYS[2] account-wide cooldown zset
-- KEYS[3] cooldown reasons hash ("<account>|<group>" or "<account>|*" -> "reason")
-- KEYS[4] failure streak hash                   KEYS[5] session binding key (placeholder when none)
-- KEYS[6] learned quota hash of the model group
-- KEYS[7] index of model groups holding cooldown or learned-quota state (a set of group names):
--         the mirror reads the group zsets and quota hashes it names instead of scanning
--
-- ARGV[1] account   ARGV[2] model group   ARGV[3] kind: "success" | "cooldown"
-- ARGV[4] cooldown scope: "group" | "account"   ARGV[5] reason
-- ARGV[6] reset hint ms (0 = none)   ARGV[7] backoff base ms   ARGV[8] backoff cap ms
-- ARGV[9] rebind the session to this account (0|1)   ARGV[10] sticky ttl ms
-- ARGV[11] learned quota "fraction:reset_ms" ("" = none)
-- ARGV[12] failures tolerated before cooling down (transient errors: 1; others: 0)
-- ARGV[13] the reset hint is short (0|1): the same account is retried after it, so it counts
--          like a failure without a hint (tolerated: no cooldown the first time) and, when it
--          repeats, cools (account, group) for the longer of the hint and the escalating backoff
--
-- Reply: {until_ms, streak}: the cooldown end on the Redis clock (0 when none) and the streak.
-- Escalation: without a hint the cooldown is base * 2^(streak-1-tolerated), capped; success
-- clears the streak. A tolerated failure only counts: one stray 500 does not bench an account.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local acct, group = ARGV[1], ARGV[2]

if ARGV[11] ~= '' then
  redis.call('HSET', KEYS[6], acct, ARGV[11])
  redis.call('SADD', KEYS[7], group)
end

if ARGV[3] == 'success' then
  redis.call('HDEL', KEYS[4], acct .. '|' .. group, acct .. '|*')
  if ARGV[9] == '1' then redis.call('SET', KEYS[5], acct, 'PX', tonumber(ARGV[10])) end
  return {0, 0}
end

local zkey, field = KEYS[1], acct .. '|' .. group
if ARGV[4] == 'account' then zkey, field = KEYS[2], acct .. '|*' end

local streak = redis.call('HINCRBY', KEYS[4], field, 1)
local tolerated = tonumber(ARGV[12]) or 0
local dur = tonumber(ARGV[6]) or 0
local short = ARGV[13] == '1'
if (dur <= 0 or short) and streak <= tolerated then
  return {0, streak}
end
if dur <= 0 or short then
  local base, cap = tonumber(ARGV[7]), tonumber(ARGV[8])
  local exp = streak - 1 - tolerated
  if exp > 20 then exp = 20 end
  local esc = base * (2 ^ exp)
  if esc > cap then esc = cap end
  if esc > dur then dur = esc end
end
local untilms = now + math.floor(dur)

redis.call('ZREMRANGEBYSCORE', zkey, '-inf', now)
redis.call('ZADD', zkey, 'GT', untilms, acct)
-- ZADD GT keeps a longer running cooldown; read back the effective end.
local eff = tonumber(redis.call('ZSCORE', zkey, acct)) or untilms
redis.call('HSET', KEYS[3], field, ARGV[5])
if zkey == KEYS[1] then redis.call('SADD', KEYS[7], group) end
return {eff, streak}
