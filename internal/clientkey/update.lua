-- update.lua: replace the record of an API-created client key that exists.
--
-- KEYS[1] the API key hash (name -> JSON record holding the key's SHA-256, never the secret)
--
-- ARGV[1] key name   ARGV[2] the new JSON record
--
-- Reply: 1 when the key existed and was replaced, 0 when it does not exist (revoked meanwhile
-- on another replica: a limit change must not bring it back).

if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
