-- wrk: POST /v1.0/users/{id}/assignLicense of the SKU $BENCH_SKU, each request on a user no other
-- request touches: the ids of $BENCH_IDS are split between the threads, each walks its own share.
local threads = {}
local counter = 0

function setup(thread)
    thread:set("slot", counter)
    counter = counter + 1
    threads[#threads + 1] = thread
end

local ids = {}
local next_index = 1

function init(args)
    local all = {}
    for line in io.lines(os.getenv("BENCH_IDS")) do
        all[#all + 1] = line
    end
    local share = math.floor(#all / tonumber(os.getenv("BENCH_THREADS")))
    for i = 1, share do
        ids[i] = all[slot * share + i]
    end
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
    wrk.body = '{"addLicenses":[{"skuId":"' .. os.getenv("BENCH_SKU") ..
        '","disabledPlans":[]}],"removeLicenses":[]}'
end

function request()
    local id = ids[next_index]
    next_index = next_index + 1
    if next_index > #ids then
        next_index = 1 -- only when a run outlasts its share; the bench sizes the share to avoid it
    end
    return wrk.format(nil, "/v1.0/users/" .. id .. "/assignLicense")
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("WRK rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
        summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
        latency:percentile(99) / 1000, e.status + e.connect + e.read + e.write + e.timeout))
end
