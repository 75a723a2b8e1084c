-- Shared by the benchmark's wrk scripts (loaded with require; bench/loadgen.py sets LUA_PATH).
-- Counts answers per step and status in each thread, and prints one JSON line at the end
-- that bench/loadgen.py parses. wrk runs every thread in a Lua state of its own: the counts
-- are a global there, gathered in done() through thread:get(). They are one flat table,
-- keyed "step status": wrk 4.1 crashes copying a table of tables between threads.

local report = {}
local threads = {}

counts = {}

function report.setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

function report.count(step, status)
  local key = step .. " " .. status
  counts[key] = (counts[key] or 0) + 1
end

local function encode(value)
  if type(value) == "table" then
    local parts = {}
    for key, item in pairs(value) do
      parts[#parts + 1] = string.format('"%s":%s', tostring(key), encode(item))
    end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif type(value) == "string" then
    return '"' .. value:gsub('[%c"\\]', "") .. '"'
  end
  return tostring(value)
end

function report.done(summary, latency, requests)
  local answers = {}
  for _, thread in ipairs(threads) do
    for key, n in pairs(thread:get("counts") or {}) do
      answers[key] = (answers[key] or 0) + n
    end
  end
  local errors = summary.errors
  io.write("BENCH_RESULT ", encode({
    requests = summary.requests,
    duration_us = summary.duration,
    connect_errors = errors.connect,
    read_errors = errors.read,
    write_errors = errors.write,
    timeouts = errors.timeout,
    p50_us = latency:percentile(50),
    p99_us = latency:percentile(99),
    max_us = latency.max,
    answers = answers,
  }), "\n")
end

return report
