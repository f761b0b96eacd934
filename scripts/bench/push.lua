-- POST /v1/data with 10 values that vary per request, to the project
-- "bench", or spread uniformly over m0..m(N-1) when PROJECTS=N is set.
local counter = 0
local projects = tonumber(os.getenv("PROJECTS") or "")
request = function()
  counter = counter + 1
  local values = {}
  for i = 0, 9 do
    values[#values + 1] = string.format('"k%d": %d', i, (counter * 7 + i * 13) % 100)
  end
  local project = projects and string.format("m%d", counter % projects) or "bench"
  local body = string.format('{"project": "%s", "values": {%s}}', project, table.concat(values, ", "))
  return wrk.format("POST", "/v1/data", {["Content-Type"] = "application/json"}, body)
end

-- Fail loudly on any non-2xx: a benchmark of errors is not a benchmark.
local errors = 0
response = function(status, headers, body)
  if status < 200 or status > 299 then
    errors = errors + 1
    if errors < 5 then io.stderr:write("non-2xx: " .. status .. " " .. body .. "\n") end
  end
end
