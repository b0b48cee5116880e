-- release.lua: record a failed refresh and release the refresh lock.
--
-- KEYS[1] token hash   KEYS[2] refresh lock   KEYS[3] rotated refresh token hash (see fetch.lua)
--
-- ARGV[1] lock owner   ARGV[2] credential fingerprint   ARGV[3] error code
-- ARGV[4] how long the failure holds, ms (other replicas report it instead of refreshing again)
-- ARGV[5] rotated refresh token to forget ('' = none): the provider refused it
--
-- Reply: 1 when the caller still held the lock, else 0.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local hold = math.floor(tonumber(ARGV[4]))

local held = 0
if redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('DEL', KEYS[2])
  held = 1
end

if ARGV[5] ~= '' and redis.call('HGET', KEYS[3], 't') == ARGV[5] then redis.call('DEL', KEYS[3]) end

if redis.call('HGET', KEYS[1], 'f') ~= ARGV[2] then redis.call('DEL', KEYS[1]) end
redis.call('HSET', KEYS[1], 'f', ARGV[2], 'x', ARGV[3], 'xu', now + hold)
if redis.call('PTTL', KEYS[1]) < hold then redis.call('PEXPIRE', KEYS[1], hold) end
return held
