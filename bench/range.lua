-- range.lua: wrk script: each request asks for one random range of BENCH_SPAN bytes
-- ("Range: bytes=N-(N+SPAN-1)") inside a file of BENCH_SIZE bytes (both from the environment).
local size = tonumber(os.getenv("BENCH_SIZE"))
local span = tonumber(os.getenv("BENCH_SPAN") or "65536")
local threads = 0

function setup(thread)
	threads = threads + 1
	thread:set("tid", threads)
end

function init(args)
	math.randomseed(os.time() * 1000 + (tid or 0))
end

function request()
	local n = math.random(0, size - span)
	return wrk.format(nil, nil, { ["Range"] = "bytes=" .. n .. "-" .. (n + span - 1) })
end
