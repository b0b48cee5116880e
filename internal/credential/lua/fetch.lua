-- fetch.lua: read an account's shared access token, or take its refresh lock.
--
-- KEYS[1] token hash: a = access token, e = expiry ms, r = refresh-at ms (Redis clock),
--         f = credential fingerprint, x = code of the last failed refresh, xu = until when it holds
-- KEYS[2] refresh lock (string: the owner's random id)
-- KEYS[3] rotated refresh token hash: t = refresh token, f = credential fingerprint
--
-- ARGV[1] credential fingerprint   ARGV[2] lock owner   ARGV[3] lock ttl ms
--
-- Reply: {status, access, ms until refresh-at, ms until expiry, detail}
--   status 'hit'     access is fresh: use it until refresh-at
--   status 'refresh' the caller holds the lock and refreshes; detail = rotated refresh token or ''
--   status 'wait'    another replica refreshes; access may still be usable (ms until expiry > 0)
--   status 'failed'  a refresh failed moments ago; detail = its error code
-- A token or failure recorded for other credentials (fingerprint differs) is ignored.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local fp = ARGV[1]

local access, left, life = '', 0, 0
local v = redis.call('HMGET', KEYS[1], 'a', 'e', 'r', 'f', 'x', 'xu')
if v[4] == fp then
  local e, r = tonumber(v[2]), tonumber(v[3])
  if v[1] and e and r then
    access, left, life = v[1], r - now, e - now
    if left > 0 then return {'hit', access, left, life, ''} end
    if life < 0 then access, life = '', 0 end
  end
  local xu = tonumber(v[6])
  if v[5] and xu and xu > now then return {'failed', access, 0, life, v[5]} end
end

if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', tonumber(ARGV[3])) then
  local rt = redis.call('HMGET', KEYS[3], 't', 'f')
  if rt[1] and rt[2] == fp then return {'refresh', access, 0, life, rt[1]} end
  return {'refresh', access, 0, life, ''}
end
return {'wait', access, 0, life, ''}
