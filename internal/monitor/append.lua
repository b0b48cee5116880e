-- append.lua: append a batch of request log records to the capped stream.
--
-- KEYS[1] the request log stream
--
-- ARGV[1] approximate cap of the stream (MAXLEN ~), ARGV[2] the field name
-- ARGV[3..] the records, one JSON document each, oldest first
--
-- Reply: the number of records appended.
--
-- One script call per batch: a busy replica costs the store one command and
-- one round trip per flush instead of one XADD per request. (The embedded
-- store gets the same batch as a pipeline: its scripts are costly, its
-- round trips are not.)

for i = 3, #ARGV do
  redis.call('XADD', KEYS[1], '*', ARGV[2], ARGV[i])
end
redis.call('XTRIM', KEYS[1], 'MAXLEN', '~', ARGV[1])
return #ARGV - 2
