// SPDX-License-Identifier: Apache-2.0
// One Lua call per queue per poll: job counts by state plus the ready time of the job next in line.
// KEYS[1] is the queue's key prefix (`bull:<queue>:`); other keys are derived from it the way
// BullMQ's own getCounts script does, so they share the queue's hash slot on a cluster.

export const BACKLOG_COMMAND = 'otelPresetBullmqBacklog';

/** The order of the counts the script returns, before the trailing ready time. */
export const BACKLOG_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'failed',
  'completed',
] as const;

export type BacklogState = (typeof BACKLOG_STATES)[number];

export const BACKLOG_LUA = `
local prefix = KEYS[1]
local function readyAt(jobId)
  if not jobId then return nil end
  local fields = redis.call("HMGET", prefix .. jobId, "timestamp", "delay")
  local timestamp = tonumber(fields[1])
  if not timestamp then return nil end
  return timestamp + (tonumber(fields[2]) or 0)
end
-- FIFO jobs are pushed on the left and taken from the right, so the tail waited longest.
local oldest = readyAt(redis.call("LINDEX", prefix .. "wait", -1))
local nextPrioritized = redis.call("ZRANGE", prefix .. "prioritized", 0, 0)[1]
local prioritizedReadyAt = readyAt(nextPrioritized)
if prioritizedReadyAt and (not oldest or prioritizedReadyAt < oldest) then oldest = prioritizedReadyAt end
return {
  redis.call("LLEN", prefix .. "wait") + redis.call("LLEN", prefix .. "paused"),
  redis.call("LLEN", prefix .. "active"),
  redis.call("ZCARD", prefix .. "delayed"),
  redis.call("ZCARD", prefix .. "prioritized"),
  redis.call("ZCARD", prefix .. "waiting-children"),
  redis.call("ZCARD", prefix .. "failed"),
  redis.call("ZCARD", prefix .. "completed"),
  oldest or -1,
}
`;
