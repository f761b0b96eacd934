-- push.lua at a steady total rate, whatever the latency: RATE pushes/s
-- (5,000) shared by THREADS wrk threads (2), each sending its share on a
-- schedule of slots THREADS / RATE seconds apart; a connection waits for
-- the next free slot. Enough connections must be open to keep up (a slot
-- is only used by a connection that is free), and a thread that fell
-- behind catches up by at most 100 ms of slots, not in one burst.
dofile("scripts/bench/push.lua")
local ffi = require("ffi")
ffi.cdef([[
  typedef struct { long tv_sec; long tv_nsec; } koi_timespec;
  int clock_gettime(int clock, koi_timespec *tp);
]])
local CLOCK_MONOTONIC = 1
local now_ts = ffi.new("koi_timespec")
local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, now_ts)
  return tonumber(now_ts.tv_sec) * 1000 + tonumber(now_ts.tv_nsec) / 1e6
end
local interval = tonumber(os.getenv("THREADS") or "2") * 1000 / tonumber(os.getenv("RATE") or "5000")
local slot
delay = function()
  local now = now_ms()
  slot = math.max((slot or now) + interval, now - 100)
  return math.max(0, math.floor(slot - now))
end
