-- select.lua: choose the account for one attempt, atomically, and bind it.
--
-- KEYS[1]  cfg hash (mode, max_wait_ms, fixed)
-- KEYS[2]  session binding key of (client key, session, model group) (a placeholder key when none)
-- KEYS[3]  last-used key of (client key, model group)
-- KEYS[4]  round-robin counters hash (candidate hash key -> index after the last account chosen)
-- KEYS[5]  cooldown zset of the model group (member account, score until ms)
-- KEYS[6]  account-wide cooldown zset
-- KEYS[7]  disabled accounts hash (account -> reason)
-- KEYS[8]  candidate hash, tier ultra ("n" -> count, "i:<k>" -> account, "a:<account>" -> k)
-- KEYS[9]  candidate hash, tier pro
-- KEYS[10] candidate hash, tier free
-- KEYS[11] learned quota hash of the model group (account -> "fraction:reset_ms"): quota
--          protection, and the quota band that orders round robin (step 4)
-- KEYS[12] failure streak hash ("<account>|<group>" and "<account>|*" -> count)
-- KEYS[13] client key usage hash (m: minute, mr/mt: requests/tokens in it, d: UTC day,
--          dr/dt: requests/tokens that day, last: ms of the last admitted request); the
--          token counts hold the tokens used plus those reserved by requests in flight
-- KEYS[14] client key in-flight zset (member lease id, score lease end ms)
-- KEYS[15] cooldown reasons hash ("<account>|<group>" or "<account>|*" -> reason)
--
-- ARGV[1] model group          ARGV[2] force rotation (0|1)
-- ARGV[3] sticky ttl ms        ARGV[4] last-used window ms
-- ARGV[5] attempted accounts, joined by "\n" ("" when none)
-- ARGV[6] request has a session id (0|1)
-- ARGV[7] default mode         ARGV[8] default max wait ms
-- ARGV[9] quota protection threshold (fraction, "0" = off)
-- ARGV[10] successes seen by this replica since its last selection, "<account>|<group>" joined
--          by "\n": their failure streaks are cleared here, so a healthy request needs no
--          write of its own
-- ARGV[11] admit the request against its client key's limits (0|1: the first selection
--          of a request that returns "ok" admits it; later ones pass 0)
-- ARGV[12] requests per minute   ARGV[13] tokens per minute   ARGV[14] requests in flight
-- ARGV[15] tokens per UTC day    (each "0" = no limit)
-- ARGV[16] lease id (in-flight member)   ARGV[17] lease ttl ms
-- ARGV[18] grace ms: when nothing is eligible, wait for an account that frees within it
--          (within max wait in CacheFirst when that is longer)
-- ARGV[19] ms this request has already waited (every wait counts against grace and max wait)
-- ARGV[20] ms left before the request's deadline (0 = none): no wait ends after it
-- ARGV[21] the last attempt failed transiently (0|1): when every other account is out, the
--          accounts this request already tried may be tried again (the earliest tried first)
-- ARGV[22] tokens to reserve at admission (the request's estimate, "0" = none): added to the
--          minute's and the day's token counts with the request, so requests admitted at
--          once count against tpm and daily_tokens before any answer is known; debit.lua
--          reconciles them with the tokens used
--
-- Reply: {status, account, decision, wait_ms, streak[, reserved_at | limit, used | reason]}
--   "ok"     account chosen; decision fixed|sticky|window|round_robin|retry; streak = failures
--            not yet cleared; reserved_at = ms of the admission (its minute and day hold the
--            reservation; 0 when nothing was reserved)
--   "wait"   wait wait_ms, then select again. decision "sticky": CacheFirst, the bound account
--            (account) cools for wait_ms within max wait, also when it failed on this very
--            request: select again with it no longer attempted and without force, so the
--            binding is kept. decision "pool": nothing is eligible and an account frees
--            within the grace
--   "none"   nothing eligible; wait_ms = ms until the soonest candidate frees, -1 when none
--            will; reason = why that account cools (rate_limit, quota_exhausted, capacity,
--            server_error, ...; "" when none cools)
--   "nocand" the candidate hashes are missing; the caller writes them and calls again
--   "keylimit" the client key is over a limit: account = which (requests | tokens |
--          daily_tokens | in_flight), wait_ms = until it resets, then the limit and the use
-- Time comes from the Redis server clock only.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

-- cleared: the streak fields of (account, group) lines cleared here, so a
-- chosen account among them needs no streak read (the common healthy case).
local cleared = {}
for f in string.gmatch(ARGV[10] or '', '[^\n]+') do
  local acct = string.match(f, '^(.*)|') or f
  redis.call('HDEL', KEYS[12], f, acct .. '|*')
  cleared[f] = true
end

if not redis.call('HGET', KEYS[8], 'n') then
  return {'nocand', '', '', 0, 0}
end

local group = ARGV[1]
local force = ARGV[2] == '1'
local ttl = tonumber(ARGV[3])
local window = tonumber(ARGV[4])
local hassess = ARGV[6] == '1'
local qthr = tonumber(ARGV[9]) or 0

-- Client key limits, checked before any account is chosen; the request is
-- counted in chosen(), so a request that finds no account is not. Token
-- limits compare the tokens used plus those reserved by requests in flight:
-- a request is admitted while that is under the limit, and reserves its own
-- estimate (ARGV[22]), so at most one admitted request crosses the limit.
local admit = nil
if ARGV[11] == '1' then
  local minute, day = math.floor(now / 60000), math.floor(now / 86400000)
  local u = redis.call('HMGET', KEYS[13], 'm', 'mr', 'mt', 'd', 'dr', 'dt')
  local mr, mt, dr, dt = tonumber(u[2]) or 0, tonumber(u[3]) or 0, tonumber(u[5]) or 0, tonumber(u[6]) or 0
  local fresh = tonumber(u[1]) ~= minute
  if fresh then mr, mt = 0, 0 end
  if tonumber(u[4]) ~= day then dr, dt = 0, 0 end
  local rpm, tpm = tonumber(ARGV[12]) or 0, tonumber(ARGV[13]) or 0
  local mif, daily = tonumber(ARGV[14]) or 0, tonumber(ARGV[15]) or 0
  local nextmin = (minute + 1) * 60000 - now
  if rpm > 0 and mr >= rpm then return {'keylimit', 'requests', '', nextmin, 0, rpm, mr} end
  if tpm > 0 and mt >= tpm then return {'keylimit', 'tokens', '', nextmin, 0, tpm, mt} end
  if daily > 0 and dt >= daily then return {'keylimit', 'daily_tokens', '', (day + 1) * 86400000 - now, 0, daily, dt} end
  if mif > 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[14], '-inf', now)
    local n = redis.call('ZCARD', KEYS[14])
    if n >= mif then return {'keylimit', 'in_flight', '', 1000, 0, mif, n} end
  end
  local reserve = math.max(tonumber(ARGV[22]) or 0, 0)
  admit = {minute = minute, day = day, mr = mr, mt = mt, dr = dr, dt = dt, mif = mif, fresh = fresh, reserve = reserve}
end

local attempted = {}
for a in string.gmatch(ARGV[5], '[^\n]+') do attempted[a] = true end

local cfg = redis.call('HMGET', KEYS[1], 'mode', 'max_wait_ms', 'fixed')
local mode = cfg[1] or ARGV[7]
local maxwait = tonumber(cfg[2] or ARGV[8]) or 0
local fixed = cfg[3]
local grace = tonumber(ARGV[18]) or 0
local waited = tonumber(ARGV[19]) or 0
local deadline = tonumber(ARGV[20]) or 0
local retrytried = ARGV[21] == '1'

-- may_wait tells whether a wait of ms fits in the allowance cap (grace or
-- max wait), counting what the request already waited, before its deadline.
local function may_wait(ms, cap)
  if ms <= 0 or waited + ms > cap then return false end
  return deadline <= 0 or ms < deadline
end

-- cooling_until returns the end of the account's longest cooldown and the
-- reasons field that names it.
local function cooling_until(acct)
  local a = tonumber(redis.call('ZSCORE', KEYS[5], acct) or 0) or 0
  local b = tonumber(redis.call('ZSCORE', KEYS[6], acct) or 0) or 0
  if b > a then return b, acct .. '|*' end
  return a, acct .. '|' .. group
end

-- quota_of returns the account's learned remaining fraction for the group,
-- nil when unknown (none learned, unreadable, or its reset has passed).
local function quota_of(acct)
  local q = redis.call('HGET', KEYS[11], acct)
  if not q then return nil end
  local frac, reset = string.match(q, '^([^:]+):(%d+)$')
  frac, reset = tonumber(frac), tonumber(reset)
  if not frac or not reset or reset <= now then return nil end
  return frac
end

local function quota_ok(acct)
  if qthr <= 0 then return true end
  local frac = quota_of(acct)
  return not frac or frac >= qthr
end

-- band orders the accounts of a tier by their known remaining quota: 0 when
-- unknown or at least half is left, 1 from a fifth to half, 2 below a fifth.
local function band(acct)
  local frac = quota_of(acct)
  if not frac or frac >= 0.5 then return 0 end
  if frac >= 0.2 then return 1 end
  return 2
end

-- eligible returns ok and, when cooling, the cooldown end.
local function eligible(acct)
  if attempted[acct] then return false, 0 end
  if redis.call('HEXISTS', KEYS[7], acct) == 1 then return false, 0 end
  local u = cooling_until(acct)
  if u > now then return false, u end
  if not quota_ok(acct) then return false, 0 end
  return true, 0
end

local function candidate(acct)
  for k = 8, 10 do
    if redis.call('HEXISTS', KEYS[k], 'a:' .. acct) == 1 then return true end
  end
  return false
end

local function streak(acct)
  local f = acct .. '|' .. group
  if cleared[f] then return 0 end
  local v = redis.call('HMGET', KEYS[12], f, acct .. '|*')
  return (tonumber(v[1] or 0) or 0) + (tonumber(v[2] or 0) or 0)
end

local function chosen(acct, decision)
  local at = 0
  if admit then
    redis.call('HSET', KEYS[13], 'm', admit.minute, 'mr', admit.mr + 1, 'mt', admit.mt + admit.reserve,
      'd', admit.day, 'dr', admit.dr + 1, 'dt', admit.dt + admit.reserve, 'last', now)
    if admit.reserve > 0 then at = now end
    -- The usage hash lives two days past its last new minute.
    if admit.fresh then redis.call('PEXPIRE', KEYS[13], 172800000) end
    if admit.mif > 0 then
      local ttl = tonumber(ARGV[17]) or 660000
      redis.call('ZADD', KEYS[14], now + ttl, ARGV[16])
      redis.call('PEXPIRE', KEYS[14], ttl)
    end
  end
  -- The fixed account binds nothing: when the pin is removed, sessions and
  -- windows return to their own accounts.
  if mode ~= 'PerformanceFirst' and decision ~= 'fixed' then
    if hassess then
      if decision == 'sticky' then
        redis.call('PEXPIRE', KEYS[2], ttl)
      elseif not force then
        redis.call('SET', KEYS[2], acct, 'PX', ttl)
      end
    else
      redis.call('SET', KEYS[3], acct, 'PX', window)
    end
  end
  return {'ok', acct, decision, 0, streak(acct), at}
end

-- 1. fixed account (never fail only because it is cooling: fall through)
if fixed and fixed ~= '' and candidate(fixed) then
  if eligible(fixed) then return chosen(fixed, 'fixed') end
end

-- 2./3. sticky session or last-used window, first attempt only; in
-- CacheFirst a later attempt also waits for the bound account when it failed
-- on this very request and frees within max wait (the binding is kept).
if mode ~= 'PerformanceFirst' and (not force or (hassess and mode == 'CacheFirst')) then
  if hassess then
    local b = redis.call('GET', KEYS[2])
    if b and candidate(b) then
      local ok, u = false, 0
      if not force then
        ok, u = eligible(b)
      elseif redis.call('HEXISTS', KEYS[7], b) == 0 then
        u = cooling_until(b)
      end
      if ok then return chosen(b, 'sticky') end
      if mode == 'CacheFirst' and u > now and may_wait(u - now, maxwait) then
        return {'wait', b, 'sticky', u - now, 0}
      end
    end
  elseif not force then
    local l = redis.call('GET', KEYS[3])
    if l and candidate(l) and eligible(l) then return chosen(l, 'window') end
  end
end

-- 4. round robin within the best tier that has an eligible account, over
-- the eligible accounts of the best quota band (band above) in that tier:
-- the first eligible account of band 0 from the counter on is taken at
-- once; else the tier is scanned to its end (O(tier), as when nothing in it
-- is eligible) and the first account of the best band seen is taken. The
-- counter holds the index after the last account chosen, so a skipped
-- account's turn passes to the next eligible one only once: the rotation is
-- over the eligible accounts of the band (not start + 1, which gave the
-- skipped turn to its neighbour: 20/10 with one of three disabled). No
-- learned quota for the group (the common case): every account is band 0
-- and no quota is read.
local banded = redis.call('EXISTS', KEYS[11]) == 1
for k = 8, 10 do
  local n = tonumber(redis.call('HGET', KEYS[k], 'n') or 0) or 0
  if n > 0 then
    local start = tonumber(redis.call('HGET', KEYS[4], KEYS[k]) or 0) or 0
    local best, bestidx, bestband = nil, 0, 3
    for i = 0, n - 1 do
      local idx = (start + i) % n
      local acct = redis.call('HGET', KEYS[k], 'i:' .. idx)
      if acct and eligible(acct) then
        local b = 0
        if banded then b = band(acct) end
        if b < bestband then best, bestidx, bestband = acct, idx, b end
        if b == 0 then break end
      end
    end
    if best then
      redis.call('HSET', KEYS[4], KEYS[k], (bestidx + 1) % n)
      return chosen(best, 'round_robin')
    end
  end
end

-- 5. every other account is out: after a transient failure, the accounts
-- this request tried may serve again, the one tried first (failed longest
-- ago) first, once their backoff is over.
if retrytried then
  for a in string.gmatch(ARGV[5], '[^\n]+') do
    if candidate(a) then
      attempted[a] = nil
      if eligible(a) then return chosen(a, 'retry') end
    end
  end
end

-- 6. nothing eligible: when does the soonest candidate free up, and why
-- does it cool? Wait for it within the grace (max wait in CacheFirst).
local soon, why = -1, ''
for k = 8, 10 do
  local n = tonumber(redis.call('HGET', KEYS[k], 'n') or 0) or 0
  for i = 0, n - 1 do
    local acct = redis.call('HGET', KEYS[k], 'i:' .. i)
    if acct and not attempted[acct] and redis.call('HEXISTS', KEYS[7], acct) == 0 then
      local u, field = cooling_until(acct)
      if u > now and (soon < 0 or u < soon) then soon, why = u, field end
    end
  end
end
if soon > 0 then
  soon = soon - now
  why = redis.call('HGET', KEYS[15], why) or 'rate_limit'
  local cap = grace
  if mode == 'CacheFirst' and maxwait > cap then cap = maxwait end
  if may_wait(soon, cap) then return {'wait', '', 'pool', soon, 0} end
end
return {'none', '', '', soon, 0, why}
