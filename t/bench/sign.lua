-- wrk script of t/bench/signing: GET BASE..n..SUFFIX with n = 1..10000 in turn (a
-- different part number each request, as an upload signs them), with an optional
-- Authorization header. The static-file run uses the same script (BASE = the file,
-- SUFFIX empty, n as a query), so every target costs the client the same work.
--   BENCH_BASE="/upload/s3/multipart/ID/" BENCH_SUFFIX="?key=K" BENCH_AUTH="Basic ..."
local base = os.getenv("BENCH_BASE") or "/"
local suffix = os.getenv("BENCH_SUFFIX") or ""
local auth = os.getenv("BENCH_AUTH") or ""
local n = 0

function init(args)
  if auth ~= "" then
    wrk.headers["Authorization"] = auth
  end
end

function request()
  n = n % 10000 + 1
  return wrk.format("GET", base .. n .. suffix)
end
