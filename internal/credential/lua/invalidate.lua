-- invalidate.lua: drop an account's shared access token after the provider refused it.
--
-- KEYS[1] token hash (see fetch.lua)
-- ARGV[1] the access token that was refused ('' = whatever is stored)
--
-- Reply: 1 when a token was dropped, else 0. A token another replica has refreshed since
-- (it differs from ARGV[1]) is kept: it is newer than the one refused.

local a = redis.call('HGET', KEYS[1], 'a')
if not a then return 0 end
if ARGV[1] ~= '' and a ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
