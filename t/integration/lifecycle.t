#!/usr/bin/env bash
# conf/examples/lifecycle-abort-multipart.json on the Ceph RGW of t/run (a bucket of its
# own): the gateway takes the rule, gives it back, stamps new multipart uploads under the
# prefix with their abort date, and aborts them once they are old enough. Days are made
# seconds for the last part with radosgw-admin's rgw_lc_debug_interval (one "day" = 2 s),
# which runs the lifecycle of this bucket at once; the running gateway is not changed.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
# shellcheck source=t/lib/tap.sh
source "$HERE/../lib/tap.sh"

: "${S3UP_TEST_ENDPOINT:?run me through t/run (needs the S3UP_TEST_* variables)}"
RGW=$HERE/../lib/rgw.sh
RULE=$TOP/conf/examples/lifecycle-abort-multipart.json
s3() { "$RGW" aws "$S3UP_TEST_RGW_DIR" "$@"; }

TMP=$(mktemp -d)
BUCKET=s3up-lc-$RANDOM$RANDOM
"$RGW" bucket "$S3UP_TEST_RGW_DIR" "$BUCKET" >/dev/null || BAIL_OUT "cannot create $BUCKET"
# Whatever is left of the uploads, then the bucket.
cleanup() {
    s3 s3api list-multipart-uploads --bucket "$BUCKET" --query 'Uploads[].[Key,UploadId]' \
        --output text 2>/dev/null | while read -r key id; do
        [[ $key == None || -z $key ]] || s3 s3api abort-multipart-upload --bucket "$BUCKET" \
            --key "$key" --upload-id "$id" >/dev/null 2>&1
    done
    s3 s3api delete-bucket --bucket "$BUCKET" >/dev/null 2>&1
    rm -rf "$TMP"
}
trap cleanup EXIT

days=$(sed -n 's/.*"DaysAfterInitiation": *\([0-9]*\).*/\1/p' "$RULE")
like "$days" '^[0-9]+$' "the example aborts after $days days"

# -- the rule, as the guide puts it
ok "put-bucket-lifecycle-configuration takes the example" \
    s3 s3api put-bucket-lifecycle-configuration --bucket "$BUCKET" \
    --lifecycle-configuration "file://$RULE"
got=$(s3 s3api get-bucket-lifecycle-configuration --bucket "$BUCKET" \
    --query 'Rules[0].[ID,Status,Filter.Prefix,AbortIncompleteMultipartUpload.DaysAfterInitiation]' \
    --output text)
is "$got" "$(printf 's3up-abort-unfinished-uploads\tEnabled\tuploads/\t%s' "$days")" \
    "get-bucket-lifecycle-configuration gives it back"
out=$(s3 s3api create-multipart-upload --bucket "$BUCKET" --key uploads/acme/big.bin \
    --query '[AbortRuleId,AbortDate]' --output text)
rule=${out%%$'\t'*} date=${out#*$'\t'}
is "$rule" s3up-abort-unfinished-uploads "a new upload under uploads/ names the rule (x-amz-abort-rule-id)"
want=$(date -u -d "+$days days" +%Y-%m-%d)
like "$date" "^($want|$(date -u -d "+$((days + 1)) days" +%Y-%m-%d))" \
    "... and its abort date, $days days on ($date)"

# -- the rule at work, a day being 2 seconds
sed "s/\"DaysAfterInitiation\": *[0-9]*/\"DaysAfterInitiation\": 1/" "$RULE" >"$TMP/rule.json"
ok "the same rule with 1 day" s3 s3api put-bucket-lifecycle-configuration --bucket "$BUCKET" \
    --lifecycle-configuration "file://$TMP/rule.json"
s3 s3api create-multipart-upload --bucket "$BUCKET" --key "other/kept.bin" >/dev/null
sleep 3
ok "radosgw-admin lc process (rgw_lc_debug_interval 2)" \
    radosgw-admin -c "$S3UP_TEST_RGW_DIR/ceph.conf" --rgw-lc-debug-interval 2 \
    lc process --bucket "$BUCKET"
is "$(s3 s3api list-multipart-uploads --bucket "$BUCKET" --query 'Uploads[].Key' --output text)" \
    other/kept.bin "the upload under uploads/ was aborted; the one outside the prefix was not"

done_testing
