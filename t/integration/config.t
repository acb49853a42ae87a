#!/usr/bin/env bash
# Configuration: the module loads, a good config passes `apache2 -t`, and
# each bad value is refused with a message naming the directive. Runs
# configtest only: no S3 needed.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
lib=$top/t/lib/httpd.sh
tmp=$(mktemp -d "${TMPDIR:-/tmp}/s3up-config.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Dummy S3 settings unless the caller has real ones; configtest never
# connects. The AWS_* environment would change what "chain" finds.
echo "dummy-secret-key" >"$tmp/secret-key"
echo "0123456789abcdef0123456789abcdef" >"$tmp/link-secret"
: >"$tmp/empty"
printf 'confidential-part other-part\n' >"$tmp/spaced"
chmod 600 "$tmp"/secret-key "$tmp"/link-secret
export S3UP_TEST_BUCKET=${S3UP_TEST_BUCKET:-s3up-config-test}
export S3UP_TEST_REGION=${S3UP_TEST_REGION:-us-east-1}
export S3UP_TEST_ENDPOINT=${S3UP_TEST_ENDPOINT:-http://127.0.0.1:9}
export S3UP_TEST_ACCESS_KEY=${S3UP_TEST_ACCESS_KEY:-AKIDCONFIGTEST}
export S3UP_TEST_SECRET_KEY_FILE=${S3UP_TEST_SECRET_KEY_FILE:-$tmp/secret-key}
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN

n=0
failed=0
pass() {
    n=$((n + 1))
    echo "ok $n - $1"
}
fail() {
    n=$((n + 1))
    failed=$((failed + 1))
    echo "not ok $n - $1"
}
diag() {
    sed 's/^/#   /'
}

# configtest CONF_TEXT: writes it as the extra config, prints apache2 -t's
# output, returns its status.
configtest() {
    printf '%s\n' "$1" >"$tmp/extra.conf"
    "$lib" conf "$tmp/h" "$tmp/extra.conf" || return 99
    "$lib" configtest "$tmp/h/httpd.conf"
}

# refused NAME EXPECTED_TEXT CONF_TEXT
refused() {
    local out rc
    out=$(configtest "$3")
    rc=$?
    if [ "$rc" -ne 0 ] && grep -qF -- "$2" <<<"$out"; then
        pass "$1"
    else
        fail "$1"
        echo "expected apache2 -t to fail with: $2" | diag
        echo "got (exit $rc):" | diag
        diag <<<"$out"
    fi
}

# accepted NAME CONF_TEXT
accepted() {
    local out rc
    out=$(configtest "$2")
    rc=$?
    if [ "$rc" -eq 0 ] && grep -q "Syntax OK" <<<"$out"; then
        pass "$1"
    else
        fail "$1"
        echo "expected Syntax OK, got (exit $rc):" | diag
        diag <<<"$out"
    fi
}

good="
S3UpSecretFile $tmp/link-secret
S3UpPartSize 128M
S3UpMaxFileSize 5T
S3UpPresignExpires 15m
S3UpShareMaxExpires 7d
S3UpCacheTTL 1m
S3UpPortalURL /upload/
S3UpLinkURL https://files.example.com/drop/
<Location /upload>
    SetHandler s3up-upload
    S3UpPrefix incoming
</Location>
<Location /drop>
    SetHandler s3up-drop
</Location>
<Location /admin>
    SetHandler s3up-admin
    S3UpUploadMode proxy
</Location>
<Location /upload/static>
    SetHandler none
</Location>"

# --- the module and a good configuration
configtest "" >/dev/null
if out=$(/usr/sbin/apache2 -f "$tmp/h/httpd.conf" -M 2>&1) && grep -q "s3up_module" <<<"$out"; then
    pass "apache2 -M lists s3up_module"
else
    fail "apache2 -M lists s3up_module"
    diag <<<"$out"
fi
accepted "a good configuration passes apache2 -t" "$good"
S3UP_TEST_ACCESS_KEY='' S3UP_TEST_SECRET_KEY_FILE='' AWS_ACCESS_KEY_ID=AKIDENV \
    AWS_SECRET_ACCESS_KEY=envsecret accepted "no static keys, AWS_* in the environment: chain uses env" "$good"

# --- sizes
refused "bad size suffix" "S3UpPartSize: '64X' has an unknown size suffix" "S3UpPartSize 64X"
refused "size with two letters" "S3UpMaxFileSize: '1TB' has an unknown size suffix" \
    "S3UpMaxFileSize 1TB"
refused "part size below 5M" "S3UpPartSize: '4M' is outside S3's part sizes, 5M to 5G" \
    "S3UpPartSize 4M"
refused "part size above 5G" "S3UpPartSize: '6G' is outside S3's part sizes, 5M to 5G" \
    "S3UpPartSize 6G"
refused "max file size above 5T" "S3UpMaxFileSize: '6T' is outside 1 byte to 5T" \
    "S3UpMaxFileSize 6T"
refused "max file size above 5T, in bytes" "S3UpMaxFileSize: '5497558138881' is outside" \
    "S3UpMaxFileSize 5497558138881"

# --- durations
refused "bad duration" "S3UpPresignExpires: '1w' has an unknown time unit" \
    "S3UpPresignExpires 1w"
refused "not a duration" "S3UpCacheTTL: 'soon' is not a duration" "S3UpCacheTTL soon"
refused "presign above 7d" "S3UpPresignExpires: '8d' is outside 1s to 7d" \
    "S3UpPresignExpires 8d"
refused "share max above 7d" "S3UpShareMaxExpires: '169h' is outside 1s to 7d" \
    "S3UpShareMaxExpires 169h"

# --- where S3 is
refused "endpoint that is not a URL" "S3UpEndpoint: 's3.example.com' is not a URL" \
    "S3UpEndpoint s3.example.com"
refused "endpoint that is not http(s)" "S3UpEndpoint: 'ftp://s3.example.com' must be an http" \
    "S3UpEndpoint ftp://s3.example.com"
refused "endpoint with a path" \
    "S3UpEndpoint: 'https://s3.example.com/bucket' must not have a path or query" \
    "S3UpEndpoint https://s3.example.com/bucket"
refused "bad region" "S3UpRegion: 'US-EAST-1' is not a region name" "S3UpRegion US-EAST-1"
refused "region with a slash" "S3UpRegion: 'eu/west' is not a region name" \
    "S3UpRegion eu/west"
refused "bucket with capitals and underscore" \
    "S3UpBucket: 'My_Bucket' may hold only lower-case letters, digits, '.' and '-'" \
    "S3UpBucket My_Bucket"
refused "bucket too short" "S3UpBucket: 'ab' must be 3 to 63 characters long" "S3UpBucket ab"
refused "bucket like an IP address" "S3UpBucket: '192.168.1.1' must not look like an IP address" \
    "S3UpBucket 192.168.1.1"
S3UP_TEST_BUCKET='' refused "missing bucket for a Location with SetHandler s3up-upload" \
    "S3UP0101: in <Location /upload> (SetHandler s3up-upload): S3UpBucket is not set" "$good"

# --- credentials
refused "missing secret key file" "S3UpSecretKeyFile: cannot read '$tmp/nonexistent'" \
    "S3UpSecretKeyFile $tmp/nonexistent"
refused "secret key file is a directory" "S3UpSecretKeyFile: cannot read '$tmp'" \
    "S3UpSecretKeyFile $tmp"
refused "empty secret key file" "S3UpSecretKeyFile: '$tmp/empty' is empty" \
    "S3UpSecretKeyFile $tmp/empty"
out=$(configtest "S3UpSecretKeyFile $tmp/spaced")
if grep -qF "S3UpSecretKeyFile: '$tmp/spaced' holds spaces" <<<"$out" &&
    ! grep -q "confidential" <<<"$out"; then
    pass "a malformed secret key file is refused without echoing its contents"
else
    fail "a malformed secret key file is refused without echoing its contents"
    diag <<<"$out"
fi
refused "unsupported credentials source imds" \
    "S3UpCredentials: 'imds' is not supported yet by this version of mod_s3up" \
    "S3UpCredentials imds"
refused "unsupported credentials source profile" \
    "S3UpCredentials: 'profile' is not supported yet" "S3UpCredentials profile work"
refused "profile without a name" "S3UpCredentials: 'profile' needs a profile name" \
    "S3UpCredentials profile"
refused "unknown credentials source" "S3UpCredentials: unknown source 'vault'" \
    "S3UpCredentials vault"
S3UP_TEST_ACCESS_KEY='' S3UP_TEST_SECRET_KEY_FILE='' refused "no credentials anywhere" \
    "(SetHandler s3up-upload): no S3 credentials: set S3UpAccessKey and S3UpSecretKeyFile" \
    "$good"
S3UP_TEST_ACCESS_KEY='' S3UP_TEST_SECRET_KEY_FILE='' refused "S3UpCredentials env without AWS_*" \
    "S3UpCredentials env: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set" \
    "S3UpCredentials env
$good"
S3UP_TEST_SECRET_KEY_FILE='' refused "S3UpCredentials static without a secret key file" \
    "S3UpCredentials static needs both S3UpAccessKey and S3UpSecretKeyFile, but S3UpSecretKeyFile is not set" \
    "S3UpCredentials static
$good"
refused "an access key without its secret in a Location" \
    "in <Location /other> (SetHandler s3up-admin): S3UpAccessKey is set here without S3UpSecretKeyFile" \
    "$good
<Location /other>
    SetHandler s3up-admin
    S3UpAccessKey AKIDOTHER
</Location>"

# --- server-wide settings and link secrets
refused "server-only directive inside <Location>" \
    "S3UpCacheTTL is server-wide: it cannot be set in <Location>" \
    "<Location /x>
    S3UpCacheTTL 10s
</Location>"
refused "S3UpSecretFile inside <Directory>" \
    "S3UpSecretFile is server-wide: it cannot be set in <Location>, <Directory>" \
    "<Directory /tmp>
    S3UpSecretFile $tmp/link-secret
</Directory>"
refused "short link secret" "S3UpSecretFile: '$tmp/secret-key' holds fewer than 32 characters" \
    "S3UpSecretFile $tmp/secret-key"
refused "s3up-drop without S3UpSecretFile" \
    "(SetHandler s3up-drop): S3UpSecretFile is not set; SetHandler s3up-drop needs it" \
    "<Location /drop>
    SetHandler s3up-drop
</Location>"
refused "proxy mode without S3UpSecretFile" \
    "(SetHandler s3up-upload): S3UpSecretFile is not set; S3UpUploadMode proxy needs it" \
    "S3UpUploadMode proxy
<Location /upload>
    SetHandler s3up-upload
</Location>"

# --- prefixes
refused "state prefix inside the upload prefix" \
    "S3UpStatePrefix: S3UpStatePrefix 'data/state/' lies inside S3UpPrefix 'data/'" \
    "S3UpPrefix data/
S3UpStatePrefix data/state/"
refused "upload prefix inside the state prefix" \
    "S3UpPrefix: S3UpPrefix 'state/files/' lies inside S3UpStatePrefix 'state/'" \
    "S3UpStatePrefix state/
S3UpPrefix state/files/"
refused "prefixes overlapping only once merged" \
    "in <Location /upload/deep> (SetHandler s3up-upload): S3UpStatePrefix 'incoming/.s3up/' lies inside S3UpPrefix 'incoming/'" \
    "$good
<Location /upload/deep>
    S3UpStatePrefix incoming/.s3up
</Location>"
refused "absolute prefix" "S3UpPrefix: '/abs/' must not begin with '/'" "S3UpPrefix /abs/"

# --- sections, virtual hosts
refused "a problem in a virtual host names it" \
    "in <Location /v> of the <VirtualHost> at $tmp/extra.conf:" \
    "<VirtualHost 127.0.0.1:*>
    ServerName v.example
    <Location /v>
        SetHandler s3up-drop
    </Location>
</VirtualHost>"
refused "a LocationMatch is checked" "in <LocationMatch ^/up[0-9]+> (SetHandler s3up-upload)" \
    "<LocationMatch ^/up[0-9]+>
    SetHandler s3up-upload
    S3UpUploadMode proxy
</LocationMatch>"

echo "1..$n"
[ "$failed" -eq 0 ]
