-- clear_cooldowns.lua: clear the cooldowns and failure streaks of one account, or of every
-- account, atomically (the operator's "clear rate limits").
--
-- KEYS[1]  cooldown reasons hash ("<account>|<group>" or "<account>|*" -> reason)
-- KEYS[2]  failure streak hash ("<account>|<group>" and "<account>|*" -> count)
-- KEYS[3..] every cooldown zset: the account-wide one and one per model group (the caller
--          lists them with SCAN; a script never builds or scans key names). The index of
--          model groups report.lua keeps ({sy}:groups) is left as it is: a group whose zset
--          is deleted here reads as an empty zset until report.lua writes it again
--
-- ARGV[1] account id ("" = every account)
--
-- Reply: the number of cooldown entries removed (expired ones included).

local acct = ARGV[1]
local n = 0
if acct == '' then
  for i = 3, #KEYS do
    n = n + redis.call('ZCARD', KEYS[i])
    redis.call('DEL', KEYS[i])
  end
  redis.call('DEL', KEYS[1], KEYS[2])
  return n
end

for i = 3, #KEYS do
  n = n + redis.call('ZREM', KEYS[i], acct)
end
local prefix = acct .. '|'
for k = 1, 2 do
  for _, f in ipairs(redis.call('HKEYS', KEYS[k])) do
    if string.sub(f, 1, #prefix) == prefix then redis.call('HDEL', KEYS[k], f) end
  end
end
return n
