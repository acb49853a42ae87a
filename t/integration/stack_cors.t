#!/usr/bin/env bash
# conf/s3up-cors against a real S3 server (the Ceph RGW of t/run, S3UP_TEST_*): on a fresh
# bucket it sets the rule of conf/cors.json for the given origins, and real CORS preflights
# are then answered as browsers need (origin allowed, ETag exposed); other origins are not.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
# shellcheck source=t/lib/tap.sh
source "$HERE/../lib/tap.sh"

: "${S3UP_TEST_ENDPOINT:?run me through t/run (needs the S3UP_TEST_* variables)}"
RGW=$TOP/t/lib/rgw.sh
CORS=$TOP/conf/s3up-cors

TMP=$(mktemp -d)
b="s3up-cors-$RANDOM$RANDOM"
cleanup() {
    "$RGW" aws "$S3UP_TEST_RGW_DIR" s3api delete-bucket --bucket "$b" >/dev/null 2>&1
    rm -rf "$TMP"
}
trap cleanup EXIT

# The helper runs with the aws cli's usual credentials: here the test user's, nothing else.
export AWS_ACCESS_KEY_ID=$S3UP_TEST_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3UP_TEST_SECRET_KEY \
    AWS_DEFAULT_REGION=$S3UP_TEST_REGION AWS_CONFIG_FILE=$TMP/none \
    AWS_SHARED_CREDENTIALS_FILE=$TMP/none AWS_EC2_METADATA_DISABLED=true
cors() { "$CORS" --endpoint-url "$S3UP_TEST_ENDPOINT" "$@"; }
# Two CORS configurations are equal, the order inside each list aside (RGW reorders methods).
json_eq() {
    /usr/bin/python3 -c 'import json, sys
norm = lambda c: [{k: sorted(v) if isinstance(v, list) else v for k, v in r.items()}
                  for r in json.loads(c)["CORSRules"]]
sys.exit(norm(sys.argv[1]) != norm(sys.argv[2]))' "$1" "$2"
}

# -- the rule itself, without a server
ok "--dry-run prints conf/cors.json's rule for its origin" \
    json_eq "$("$CORS" --dry-run any-bucket https://upload.example.com/)" "$(cat "$TOP/conf/cors.json")"
rc=0; out=$("$CORS" --dry-run any-bucket https://upload.example.com/upload 2>&1) || rc=$?
is "$rc" 2 "an origin with a path is refused"
like "$out" 'not an origin' "  saying why"
rc=0; "$CORS" --dry-run any-bucket >/dev/null 2>&1 || rc=$?
is "$rc" 2 "no origin: usage error"

# -- a fresh bucket
ok "rgw.sh bucket $b" "$RGW" bucket "$S3UP_TEST_RGW_DIR" "$b"
like "$(cors --show "$b")" '^\(none\)$' "--show on a bucket without CORS: (none)"
portal=http://127.0.0.1:8443 second=https://upload.example.test
rc=0; out=$(cors "$b" "$portal" "$second" 2>&1) || rc=$?
is "$rc" 0 "s3up-cors $b $portal $second"
like "$out" 'rules now:' "  prints what it set"
like "$out" '"ETag"' "  ... with ETag exposed"
got=$(cors --show "$b")
ok "get-bucket-cors equals the rule for both origins" json_eq "$got" \
    "$("$CORS" --dry-run "$b" "$portal" "$second")"

preflight() { # ORIGIN METHOD
    curl -s -o /dev/null -D - -X OPTIONS -H "Origin: $1" -H "Access-Control-Request-Method: $2" \
        -H 'Access-Control-Request-Headers: content-type' \
        "$S3UP_TEST_ENDPOINT/$b/uploads/acme/big%20file.bin?partNumber=1&uploadId=x" | tr -d '\r'
}
h=$(preflight "$portal" PUT)
like "$h" $'^HTTP/1.1 200' "PUT preflight from the portal origin: 200"
like "$h" $'\nAccess-Control-Allow-Origin: http://127\\.0\\.0\\.1:8443\n' "  allows the origin"
like "$h" $'\nAccess-Control-Allow-Methods: [^\n]*PUT' "  allows PUT"
like "$h" $'\nAccess-Control-Expose-Headers: ETag\n' "  exposes ETag"
like "$h" $'\nAccess-Control-Max-Age: 3000\n' "  max age 3000"
h=$(preflight "$second" POST)
like "$h" $'\nAccess-Control-Allow-Origin: https://upload\\.example\\.test\n' \
    "POST preflight from the second origin: allowed"
h=$(preflight https://evil.example.com PUT)
like "$h" $'^HTTP/1.1 403' "PUT preflight from a foreign origin: 403"
if [[ $h == *Access-Control-Allow-Origin* ]]; then
    tap_result 0 "  no Access-Control-Allow-Origin"
    diag "$h"
else
    tap_result 1 "  no Access-Control-Allow-Origin"
fi
like "$(preflight "$portal" DELETE)" $'^HTTP/1.1 403' "DELETE preflight from the portal origin: 403"

# -- run again with another origin: the rule is replaced, not added to
out=$(cors "$b" "$second" 2>&1)
like "$out" 'rules before:.*127\.0\.0\.1:8443.*rules now:' "a second run prints the old rules first"
like "$(preflight "$portal" PUT)" $'^HTTP/1.1 403' "  and the old origin is no longer allowed"

done_testing
