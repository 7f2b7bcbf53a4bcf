-- wrk: GET /v1.0/users/{id} for ids drawn at random from the file $BENCH_IDS (one id a line).
local ids = {}

function init(args)
    for line in io.lines(os.getenv("BENCH_IDS")) do
        ids[#ids + 1] = line
    end
    math.randomseed(os.time() + #tostring({}))
end

function request()
    return wrk.format("GET", "/v1.0/users/" .. ids[math.random(#ids)], wrk.headers)
end

-- One line the bench parses: requests per second, p99 latency, requests that were not 2xx/3xx.
function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("WRK rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
        summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
        latency:percentile(99) / 1000, e.status + e.connect + e.read + e.write + e.timeout))
end
