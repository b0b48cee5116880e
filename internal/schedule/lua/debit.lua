-- debit.lua: client key requests have ended: reconcile the tokens they
-- reserved at admission (select.lua ARGV[22]) with the tokens their answers
-- used, and give back an in-flight lease.
--
-- KEYS[1] client key usage hash (fields as in select.lua)
-- KEYS[2] client key in-flight zset
--
-- ARGV[1] delta: tokens used minus tokens reserved, summed over the requests (may be < 0:
--         a request that reserved more than it used, or ended without usage, gives back)
-- ARGV[2] lease id to remove from the in-flight set ("" when the key has no in-flight limit)
-- ARGV[3] excess: the sum over the requests of max(0, used - reserved)
-- ARGV[4] minute of the admission that reserved (ms / 60000; -1 when nothing was reserved)
-- ARGV[5] UTC day of that admission (ms / 86400000; -1 when nothing was reserved)
--
-- The minute's count gets delta when the reservation was made in the current
-- minute, else (its minute is over, and with it the reservation) only the
-- excess; the same for the day. A count never goes below 0.
--
-- Reply: tokens counted in the current minute after the debit.
-- Time comes from the Redis server clock only.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local minute, day = math.floor(now / 60000), math.floor(now / 86400000)

if ARGV[2] ~= '' then redis.call('ZREM', KEYS[2], ARGV[2]) end

local delta, excess = tonumber(ARGV[1]) or 0, tonumber(ARGV[3]) or 0
if delta == 0 and excess == 0 then return 0 end
local rm, rd = tonumber(ARGV[4]) or -1, tonumber(ARGV[5]) or -1
local u = redis.call('HMGET', KEYS[1], 'm', 'mr', 'mt', 'd', 'dr', 'dt')
local mr, mt, dr, dt = tonumber(u[2]) or 0, tonumber(u[3]) or 0, tonumber(u[5]) or 0, tonumber(u[6]) or 0
if tonumber(u[1]) ~= minute then mr, mt = 0, 0 end
if tonumber(u[4]) ~= day then dr, dt = 0, 0 end
if rm == minute then mt = mt + delta else mt = mt + excess end
if rd == day then dt = dt + delta else dt = dt + excess end
mt, dt = math.max(mt, 0), math.max(dt, 0)
redis.call('HSET', KEYS[1], 'm', minute, 'mr', mr, 'mt', mt, 'd', day, 'dr', dr, 'dt', dt)
redis.call('PEXPIRE', KEYS[1], 172800000)
return mt
