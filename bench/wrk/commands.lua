-- Single-event commands: POST /cases, each with an Idempotency-Key of its own.
-- wrk ... -s commands.lua URL -- TOKEN RUN_PREFIX GRID_ID
-- The same requests go to the no-op endpoint and the baseline, which ignore what they
-- do not need. Phones are drawn from 10,000, so some residents come back, as in life.

local report = require("report")

local token, prefix, grid
local counter = 0

local BODY = '{"kind":"resident_request","category":"help","channel":"hotline",'
  .. '"title":"楼道灯坏了","description":"3号楼2单元楼道灯不亮，老人夜间上下楼不便",'
  .. '"grid_id":"%s","resident":{"name":"李秀英","phone":"139%08d",'
  .. '"address":"天胜社区3号楼2单元301"}}'

function setup(thread)
  report.setup(thread)
end

function init(args)
  token, prefix, grid = args[1], args[2] .. "-" .. thread_id, args[3]
  math.randomseed(os.time() + thread_id)
end

function request()
  counter = counter + 1
  local headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = prefix .. "-" .. counter,
  }
  return wrk.format("POST", "/cases", headers, string.format(BODY, grid, math.random(0, 9999)))
end

function response(status, headers, body)
  report.count("intake", status)
end

done = report.done
