-- The same 10 values pushed to Prometheus Pushgateway as text exposition.
local counter = 0
request = function()
  counter = counter + 1
  local lines = {}
  for i = 0, 9 do
    lines[#lines + 1] = string.format("k%d %d", i, (counter * 7 + i * 13) % 100)
  end
  return wrk.format("POST", "/metrics/job/bench", {["Content-Type"] = "text/plain"}, table.concat(lines, "\n") .. "\n")
end
