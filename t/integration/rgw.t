#!/usr/bin/env bash
# The test bed itself: the Ceph RGW that t/run started (S3UP_TEST_*) is a
# real S3 server that checks signatures and answers CORS preflights.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=t/lib/tap.sh
source "$HERE/../lib/tap.sh"

: "${S3UP_TEST_ENDPOINT:?run me through t/run (needs the S3UP_TEST_* variables)}"
RGW=$HERE/../lib/rgw.sh
s3() { "$RGW" aws "$S3UP_TEST_RGW_DIR" "$@"; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# -- the environment contract
is "$(cat "$S3UP_TEST_SECRET_KEY_FILE")" "$S3UP_TEST_SECRET_KEY" \
    "secret key file holds exactly the secret"
is "$(stat -c %a "$S3UP_TEST_SECRET_KEY_FILE")" 600 "secret key file is 0600"
is "$S3UP_TEST_REGION" us-east-1 "region"
like "$S3UP_TEST_ENDPOINT" '^http://127\.0\.0\.1:[0-9]+$' "endpoint on loopback"

# -- the bucket exists
ok "head-bucket $S3UP_TEST_BUCKET" s3 s3api head-bucket --bucket "$S3UP_TEST_BUCKET"
is "$(s3 s3api head-bucket --bucket "nope-$RANDOM$RANDOM" 2>&1 | grep -o '404\|Not Found' | head -1)" \
    404 "head-bucket of a missing bucket is 404"

# -- PUT + GET round trip of binary bytes
head -c $((3 * 1024 * 1024 + 17)) /dev/urandom >"$TMP/in"
key="bed/round trip $RANDOM.bin"
etag=$(s3 s3api put-object --bucket "$S3UP_TEST_BUCKET" --key "$key" --body "$TMP/in" \
    --query ETag --output text)
is "$etag" "\"$(md5sum <"$TMP/in" | cut -d' ' -f1)\"" "PUT answers the MD5 ETag"
s3 s3api get-object --bucket "$S3UP_TEST_BUCKET" --key "$key" "$TMP/out" >/dev/null
ok "GET returns the same bytes" cmp "$TMP/in" "$TMP/out"
ok "delete-object" s3 s3api delete-object --bucket "$S3UP_TEST_BUCKET" --key "$key"

# -- signatures are verified: the same request signed with a wrong secret
# is refused, with the right one accepted.
sig_check() {
    /usr/bin/python3 - "$1" <<'EOF'
import os, sys
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

c = botocore.session.get_session().create_client(
    "s3", endpoint_url=os.environ["S3UP_TEST_ENDPOINT"],
    region_name=os.environ["S3UP_TEST_REGION"],
    aws_access_key_id=os.environ["S3UP_TEST_ACCESS_KEY"],
    aws_secret_access_key=sys.argv[1],
    config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                  retries={"max_attempts": 1}))
try:
    c.list_objects_v2(Bucket=os.environ["S3UP_TEST_BUCKET"])
    print("200 OK")
except ClientError as e:
    print(e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"])
EOF
}
is "$(sig_check "$S3UP_TEST_SECRET_KEY")" "200 OK" "right secret: ListObjectsV2 200"
is "$(sig_check "${S3UP_TEST_SECRET_KEY%?}x")" "403 SignatureDoesNotMatch" \
    "wrong secret: 403 SignatureDoesNotMatch"

# -- fresh buckets and CORS
b="s3up-bed-$RANDOM$RANDOM"
ok "rgw.sh bucket creates $b" "$RGW" bucket "$S3UP_TEST_RGW_DIR" "$b"
origin=http://127.0.0.1:8080
ok "put-bucket-cors" s3 s3api put-bucket-cors --bucket "$b" --cors-configuration \
    '{"CORSRules":[{"AllowedOrigins":["'$origin'"],"AllowedMethods":["PUT","GET"],"AllowedHeaders":["*"],"ExposeHeaders":["ETag"],"MaxAgeSeconds":600}]}'
is "$(s3 s3api get-bucket-cors --bucket "$b" --query 'CORSRules[0].ExposeHeaders[0]' --output text)" \
    ETag "get-bucket-cors shows the rule"
preflight() {
    curl -s -o /dev/null -D - -X OPTIONS -H "Origin: $1" -H 'Access-Control-Request-Method: PUT' \
        "$S3UP_TEST_ENDPOINT/$b/some/key" | tr -d '\r'
}
h=$(preflight "$origin")
like "$h" $'^HTTP/1.1 200' "preflight from the allowed origin: 200"
like "$h" $'\nAccess-Control-Allow-Origin: http://127\\.0\\.0\\.1:8080\n' "  allows the origin"
like "$h" $'\nAccess-Control-Expose-Headers: ETag\n' "  exposes ETag"
like "$(preflight http://elsewhere.example)" $'^HTTP/1.1 403' "preflight from another origin: 403"
ok "delete-bucket $b" s3 s3api delete-bucket --bucket "$b"

done_testing
