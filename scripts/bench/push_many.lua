-- POST /v1/data spread uniformly over PROJECTS projects m0..m999, 10 values each.
local counter = 0
local projects = 1000
request = function()
  counter = counter + 1
  local values = {}
  for i = 0, 9 do
    values[#values + 1] = string.format('"k%d": %d', i, (counter * 7 + i * 13) % 100)
  end
  local body = string.format('{"project": "m%d", "values": {%s}}', counter % projects, table.concat(values, ", "))
  return wrk.format("POST", "/v1/data", {["Content-Type"] = "application/json"}, body)
end

local errors = 0
response = function(status, headers, body)
  if status < 200 or status > 299 then
    errors = errors + 1
    if errors < 5 then io.stderr:write("non-2xx: " .. status .. " " .. body .. "\n") end
  end
end
