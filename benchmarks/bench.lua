-- wrk script of `manage.py bench` (benchmarks/bench.py): one page under load.
--
--   wrk -t T -c C -d Ds -s benchmarks/bench.lua URL -- REQUESTS_FILE
--
-- REQUESTS_FILE holds the page's requests, one a line, tab-separated:
--   mode  method  path  cookie  expected-status  expected-location  body
-- mode "cycle": the lines are sent over and over (GET pages, draft saves); mode "once": each
-- line is sent once (submit, decide: each needs a fresh intake), and a thread that has used
-- all of its lines counts what it sends after that as "exhausted" (the bench then fails).
-- Each thread takes every T-th line. Every line of a file expects the same status. A response
-- counts as good only with that status (and, for a redirect, a Location one of the thread's
-- lines expects): a page that sends the user to the login or the
-- two-factor page is a failure, not a fast page.
--
-- done() prints one line, "BENCH-RESULT {json}", with latencies in ms and the counts.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_index", #threads)
end

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    table.insert(fields, field)
  end
  return fields
end

function init(args)
  local path = args[1]
  local thread_count = tonumber(args[2])
  lines = {}
  locations = {}
  redirects = false
  local number = 0
  for line in io.lines(path) do
    if line ~= "" then
      number = number + 1
      if (number - 1) % thread_count == thread_index - 1 then
        local f = split(line)
        local headers = {
          -- Production sits behind a TLS proxy: without this the server would redirect to https.
          ["X-Forwarded-Proto"] = "https",
        }
        if f[4] ~= "" then
          headers["Cookie"] = f[4]
        end
        local body = nil
        if f[2] == "POST" then
          headers["Content-Type"] = "application/x-www-form-urlencoded"
          headers["Origin"] = "https://" .. wrk.headers["Host"]
          body = f[7]
        end
        table.insert(lines, {
          once = f[1] == "once",
          request = wrk.format(f[2], f[3], headers, body),
        })
        expected_status = tonumber(f[5])
        if f[6] ~= "" then
          redirects = true
          locations[f[6]] = true
        end
      end
    end
  end
  next_line = 1
  good = 0
  bad = 0
  exhausted = 0
  bad_statuses = ""
end

function request()
  local line = lines[next_line]
  if line == nil then
    -- Used up (mode "once"): the last line again, counted as exhausted (the bench fails).
    exhausted = exhausted + 1
    return lines[#lines].request
  end
  next_line = next_line + 1
  if next_line > #lines and not line.once then
    next_line = 1
  end
  return line.request
end

function response(status, headers, body)
  -- Connections answer in any order: a response is checked against the page's expected
  -- status and, for a redirect, against the places this thread's lines may send it.
  local location = headers["Location"] or headers["location"] or ""
  if status == expected_status and (not redirects or locations[location]) then
    good = good + 1
  else
    bad = bad + 1
    if #bad_statuses < 200 then
      bad_statuses = bad_statuses .. status .. " "
    end
  end
end

function done(summary, latency, requests)
  local good_total, bad_total, exhausted_total, statuses = 0, 0, 0, ""
  for _, thread in ipairs(threads) do
    good_total = good_total + thread:get("good")
    bad_total = bad_total + thread:get("bad")
    exhausted_total = exhausted_total + thread:get("exhausted")
    statuses = statuses .. thread:get("bad_statuses")
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH-RESULT {"requests": %d, "seconds": %.6f, "p50_ms": %.3f, "p95_ms": %.3f, '
      .. '"p99_ms": %.3f, "max_ms": %.3f, "good": %d, "bad": %d, "exhausted": %d, '
      .. '"non_2xx_3xx": %d, "socket_errors": %d, "timeouts": %d, "bad_statuses": "%s"}\n',
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    good_total, bad_total, exhausted_total, errors.status,
    errors.connect + errors.read + errors.write, errors.timeout, statuses
  ))
end
