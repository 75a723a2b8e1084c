-- The mixed workload: cases go through their life (intake, assign, visit, close, rate),
-- and a share of requests (default 20%) are reads: the case, a list of its grid's cases,
-- or its history.
-- wrk ... -s mixed.lua URL -- CLERK_TOKEN WORKER_TOKEN SUPERVISOR_TOKEN WORKER_ID GRID_ID
--                             RUN_PREFIX [READ_SHARE]
--
-- response() is not told which request it answers, so each request carries its step in
-- its X-Correlation-ID (32 hex digits, which the service accepts and sends back): the
-- answer to a command queues the case's next step by the status in its body, and answers
-- to reads queue nothing. request() takes the next queued step, else files a new case.

local report = require("report")

local STEPS = {
  "intake", "assign", "visit", "close", "rate", "read_case", "read_list", "read_history",
}
local STEP_CODE = {}
for code, name in ipairs(STEPS) do
  STEP_CODE[name] = code
end
local NEXT_STEP = { received = "assign", assigned = "visit", in_progress = "close", closed = "rate" }

local INTAKE = '{"kind":"resident_request","category":"help","channel":"hotline",'
  .. '"title":"楼道灯坏了","description":"3号楼2单元楼道灯不亮，老人夜间上下楼不便",'
  .. '"grid_id":"%s","resident":{"name":"李秀英","phone":"139%08d",'
  .. '"address":"天胜社区3号楼2单元301"}}'

local clerk, worker, supervisor, worker_id, grid, prefix
local read_share = 0.2
local counter = 0
local queue, head, tail = {}, 1, 0 -- next steps of cases, first in first out
local known, known_count, KNOWN_MAX = {}, 0, 1000 -- recent case ids, for reads

function setup(thread)
  report.setup(thread)
end

function init(args)
  clerk, worker, supervisor, worker_id, grid = args[1], args[2], args[3], args[4], args[5]
  prefix = args[6] .. "-" .. thread_id
  read_share = tonumber(args[7] or "0.2")
  math.randomseed(os.time() + thread_id)
end

local function send(step, method, path, token, body)
  counter = counter + 1
  local headers = {
    ["Authorization"] = "Bearer " .. token,
    ["X-Correlation-ID"] = string.format("%08x%08x%016x", thread_id, STEP_CODE[step], counter),
  }
  if body then
    headers["Content-Type"] = "application/json"
  end
  if step == "intake" then
    headers["Idempotency-Key"] = prefix .. "-" .. counter
  end
  return wrk.format(method, path, headers, body)
end

local function command(step, id)
  local path = "/cases/" .. id
  if step == "assign" then
    return send(step, "POST", path .. "/assign", clerk, '{"assignee":"' .. worker_id .. '"}')
  elseif step == "visit" then
    local now = os.date("!%Y-%m-%dT%H:%M:%SZ")
    return send(step, "POST", path .. "/visits", worker, '{"visited_at":"' .. now
      .. '","duration_minutes":40,"notes":"已联系物业更换灯泡"}')
  elseif step == "close" then
    return send(step, "POST", path .. "/close", worker,
      '{"resolution":"resolved","summary":"物业已更换声控灯"}')
  end
  return send(step, "POST", path .. "/rate", clerk, '{"rating":"satisfied"}')
end

local function read()
  local id = known[math.random(1, math.min(known_count, KNOWN_MAX))]
  local which = math.random(1, 3)
  if which == 1 then
    return send("read_case", "GET", "/cases/" .. id, clerk)
  elseif which == 2 then
    return send("read_list", "GET", "/cases?grid_id=" .. grid .. "&limit=20", clerk)
  end
  return send("read_history", "GET", "/cases/" .. id .. "/history", supervisor)
end

function request()
  if known_count > 0 and math.random() < read_share then
    return read()
  end
  if head <= tail then
    local item = queue[head]
    queue[head] = nil
    head = head + 1
    return command(item.step, item.id)
  end
  return send("intake", "POST", "/cases", clerk,
    string.format(INTAKE, grid, math.random(0, 9999)))
end

local function header(headers, name)
  local value = headers[name]
  if value then
    return value
  end
  name = name:lower()
  for key, item in pairs(headers) do
    if key:lower() == name then
      return item
    end
  end
end

function response(status, headers, body)
  local tag = header(headers, "X-Correlation-ID")
  local step = tag and STEPS[tonumber(tag:sub(9, 16), 16)] or "unknown"
  report.count(step, status)
  if status >= 300 or STEP_CODE[step] == nil or STEP_CODE[step] > STEP_CODE.rate then
    return
  end
  local id = body:match('"id"%s*:%s*"([%x%-]+)"')
  local next_step = NEXT_STEP[body:match('"status"%s*:%s*"([%a_]+)"')]
  if id and step == "intake" then
    known[(known_count % KNOWN_MAX) + 1] = id
    known_count = known_count + 1
  end
  if id and next_step then
    tail = tail + 1
    queue[tail] = { step = next_step, id = id }
  end
end

done = report.done
