-- The same push body sent to a bare actix-web JSON echo: the ceiling.
request = function()
  local body = '{"project": "bench", "values": {"k0": 1, "k1": 2, "k2": 3, "k3": 4, "k4": 5, "k5": 6, "k6": 7, "k7": 8, "k8": 9, "k9": 10}}'
  return wrk.format("POST", "/echo", {["Content-Type"] = "application/json"}, body)
end
