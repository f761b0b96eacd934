-- push.lua at a steady rate: each connection waits DELAY_MS between
-- requests (50 connections and 10 ms: about 5,000 pushes/s).
dofile("scripts/bench/push.lua")
local pause = tonumber(os.getenv("DELAY_MS") or "10")
delay = function()
  return pause
end
