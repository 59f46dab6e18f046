-- wrk script of the CivicSanté benchmark (tests/bench/run.py).
--
-- The requests come from the file named by the environment variable BENCH_REQUESTS, one per
-- line, tab-separated: method, path, cookie ("-" for none), body ("-" for none), htmx ("1" sends
-- HX-Request). Each wrk thread takes every n-th line (n = number of threads), so two threads never
-- send the same line: one line per voter gives one ballot per voter. A thread cycles through its
-- lines when it runs out (for pages; the ballot files hold more voters than a run can use).
--
-- At the end, the figures go as JSON to the file named by BENCH_RESULT: requests, seconds,
-- errors (socket errors and statuses outside 2xx/3xx), latency percentiles in milliseconds,
-- and, with BENCH_STATUSES=1, the count of each HTTP status seen.

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("id", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

local function split(line)
  local fields = {}
  for field in string.gmatch(line, "([^\t]+)") do
    table.insert(fields, field)
  end
  return fields
end

local function build(line)
  local f = split(line)
  local headers = {}
  if f[3] ~= "-" then headers["Cookie"] = f[3] end
  local body = nil
  if f[4] ~= "-" then
    body = f[4]
    headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
  if f[5] == "1" then headers["HX-Request"] = "true" end
  return wrk.format(f[1], f[2], headers, body)
end

function init(args)
  local lines = {}
  local n = 0
  local total = tonumber(os.getenv("BENCH_THREADS") or "1")
  for line in io.lines(os.getenv("BENCH_REQUESTS")) do
    if n % total == id then table.insert(lines, build(line)) end
    n = n + 1
  end
  if #lines == 0 then  -- fewer lines than threads: this thread sends them all
    for line in io.lines(os.getenv("BENCH_REQUESTS")) do table.insert(lines, build(line)) end
  end
  requests_ = lines
  next_ = 1
  statuses = {}
end

function request()
  local r = requests_[next_]
  next_ = next_ + 1
  if next_ > #requests_ then next_ = 1 end
  return r
end

-- Counting each status costs wrk a Lua call per response: only for the runs that need it.
if os.getenv("BENCH_STATUSES") == "1" then
  function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    local seen = thread:get("statuses") or {}
    for status, count in pairs(seen) do
      counts[status] = (counts[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(counts) do
    table.insert(parts, string.format('"%d": %d', status, count))
  end
  local e = summary.errors
  local out = io.open(os.getenv("BENCH_RESULT"), "w")
  out:write(string.format(
    '{"requests": %d, "seconds": %.6f, "socket_errors": %d, "status_errors": %d, ' ..
    '"p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, "statuses": {%s}}\n',
    summary.requests, summary.duration / 1e6, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, table.concat(parts, ", ")))
  out:close()
end
