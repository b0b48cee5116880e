-- store.lua: publish a freshly refreshed access token and release the refresh lock.
--
-- KEYS[1] token hash   KEYS[2] refresh lock   KEYS[3] rotated refresh token hash (see fetch.lua)
--
-- ARGV[1] lock owner   ARGV[2] credential fingerprint   ARGV[3] access token
-- ARGV[4] remaining lifetime ms   ARGV[5] refresh lead ms (refresh this long before expiry)
-- ARGV[6] rotated refresh token ('' = the provider kept the old one)
--
-- Reply: 1 when stored, 0 when the lock was lost (expired or taken over): the token is then
-- not published, so a newer one is never overwritten. A rotated refresh token is kept
-- either way, because the provider may already have retired the old one.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local life = math.floor(tonumber(ARGV[4]))
local lead = math.floor(tonumber(ARGV[5]))
if lead > math.floor(life / 2) then lead = math.floor(life / 2) end

if ARGV[6] ~= '' then redis.call('HSET', KEYS[3], 't', ARGV[6], 'f', ARGV[2]) end

if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end

redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'a', ARGV[3], 'e', now + life, 'r', now + life - lead, 'f', ARGV[2])
redis.call('PEXPIRE', KEYS[1], life)
redis.call('DEL', KEYS[2])
return 1
