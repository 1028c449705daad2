-- Drives wrk through a list of request paths, one request per path in turn, so
-- that every request can name a different session.
--   wrk ... -s bench/wrk/requests.lua URL -- PATHS_FILE METHOD [BODY_FILE]
-- Headers come from wrk's own -H options. At the end one line starting with
-- BENCH_JSON carries the figures the harness reads.

local requests = {}
local count = 0
local index = 0

function init(args)
  local paths_file, method, body_file = args[1], args[2], args[3]
  local body = nil
  if body_file and body_file ~= "" then
    local file = assert(io.open(body_file, "rb"))
    body = file:read("*a")
    file:close()
  end
  for line in io.lines(paths_file) do
    if line ~= "" then
      count = count + 1
      requests[count] = wrk.format(method, line, nil, body)
    end
  end
  assert(count > 0, "no request paths in " .. paths_file)
  -- Each thread starts at its own place in the list.
  local address = tonumber(string.match(tostring(requests), "0x(%x+)") or "0", 16)
  math.randomseed(os.time() + address % 1000003)
  index = math.random(count) - 1
end

function request()
  index = index % count + 1
  return requests[index]
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, '
      .. '"status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
