-- GET PATH_TEMPLATE with %d replaced by a random project number below
-- PROJECTS and %s by a random start time (µs) from RAW_FROM on, so reads
-- spread over the projects and their history like dashboards do.
local template = os.getenv("PATH_TEMPLATE")
local projects = tonumber(os.getenv("PROJECTS") or "1")
local start, span = tonumber(os.getenv("RAW_FROM") or "0"), tonumber(os.getenv("RAW_SPAN") or "1")
math.randomseed(os.time())
request = function()
  local from = os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor((start + math.random() * span) / 1000000))
  local path = template:gsub("%%d", tostring(math.random(0, projects - 1))):gsub("%%s", from)
  return wrk.format("GET", path)
end

local errors = 0
response = function(status, headers, body)
  if status ~= 200 then
    errors = errors + 1
    if errors < 5 then io.stderr:write("non-200: " .. status .. " " .. body .. "\n") end
  end
end
