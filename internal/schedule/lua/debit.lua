-- debit.lua: a client key's request has ended: debit the tokens its answer
-- used and give back its in-flight lease.
--
-- KEYS[1] client key usage hash (fields as in select.lua)
-- KEYS[2] client key in-flight zset
--
-- ARGV[1] tokens used (input + output, as the provider reported them; "0" when none)
-- ARGV[2] lease id to remove from the in-flight set ("" when the key has no in-flight limit)
--
-- Reply: tokens used in the current minute after the debit.
-- Time comes from the Redis server clock only; a debit that arrives in a new
-- minute or day counts there.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local minute, day = math.floor(now / 60000), math.floor(now / 86400000)

if ARGV[2] ~= '' then redis.call('ZREM', KEYS[2], ARGV[2]) end

local tokens = tonumber(ARGV[1]) or 0
if tokens <= 0 then return 0 end
local u = redis.call('HMGET', KEYS[1], 'm', 'mr', 'mt', 'd', 'dr', 'dt')
local mr, mt, dr, dt = tonumber(u[2]) or 0, tonumber(u[3]) or 0, tonumber(u[5]) or 0, tonumber(u[6]) or 0
if tonumber(u[1]) ~= minute then mr, mt = 0, 0 end
if tonumber(u[4]) ~= day then dr, dt = 0, 0 end
mt, dt = mt + tokens, dt + tokens
redis.call('HSET', KEYS[1], 'm', minute, 'mr', mr, 'mt', mt, 'd', day, 'dr', dr, 'dt', dt)
redis.call('PEXPIRE', KEYS[1], 172800000)
return mt
