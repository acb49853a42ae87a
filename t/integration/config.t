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
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_ROLE_ARN \
    AWS_WEB_IDENTITY_TOKEN_FILE AWS_CONTAINER_CREDENTIALS_FULL_URI \
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_EC2_METADATA_DISABLED
# Nothing of this machine's ~/.aws: the shared files are the test's own.
export AWS_SHARED_CREDENTIALS_FILE=$tmp/aws-credentials AWS_CONFIG_FILE=$tmp/aws-config
cat >"$tmp/aws-credentials" <<'EOF'
# the shared credentials file
[work]
aws_access_key_id = AKIDPROFILE
aws_secret_access_key = profile-secret-not-shown
EOF
cat >"$tmp/aws-config" <<'EOF'
[default]
region = us-east-1
[profile irsa]
role_arn = arn:aws:iam::123456789012:role/uploads
web_identity_token_file = /var/run/secrets/token
[profile chained]
role_arn = arn:aws:iam::123456789012:role/uploads
source_profile = work
EOF

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
if out=$(LD_PRELOAD=${S3UP_HTTPD_PRELOAD:-} /usr/sbin/apache2 -f "$tmp/h/httpd.conf" -M 2>&1) &&
    grep -q "s3up_module" <<<"$out"; then
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
accepted "S3UpCredentials profile NAME: keys of the shared credentials file" \
    "S3UpCredentials profile work
$good"
accepted "S3UpCredentials profile NAME: role_arn and web_identity_token_file of the config file" \
    "S3UpCredentials profile irsa
$good"
refused "a profile that is in neither file" \
    "S3UpCredentials profile: profile 'nope' is not in the shared credentials or config file" \
    "S3UpCredentials profile nope
$good"
refused "a profile that assumes a role from another profile" \
    "profile 'chained' assumes a role with source_profile or credential_source" \
    "S3UpCredentials profile chained
$good"
printf '[work]\naws_access_key_id = AKID\nthis line is no setting\n' >"$tmp/aws-bad"
out=$(AWS_SHARED_CREDENTIALS_FILE=$tmp/aws-bad configtest "S3UpCredentials profile work
$good")
if grep -qF "the shared AWS files: '$tmp/aws-bad', line 3:" <<<"$out" && ! grep -q "AKID" <<<"$out"; then
    pass "a malformed credentials file is named with its line, its contents are not shown"
else
    fail "a malformed credentials file is named with its line, its contents are not shown"
    diag <<<"$out"
fi
refused "web-identity without its environment" \
    "S3UpCredentials web-identity: web-identity needs both AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE" \
    "S3UpCredentials web-identity
$good"
AWS_ROLE_ARN=arn:aws:iam::123456789012:role/uploads AWS_WEB_IDENTITY_TOKEN_FILE=/var/run/token \
    accepted "web-identity with AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE" \
    "S3UpCredentials web-identity
$good"
refused "ecs without its environment" \
    "S3UpCredentials ecs: neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor AWS_CONTAINER_CREDENTIALS_FULL_URI is set" \
    "S3UpCredentials ecs
$good"
AWS_CONTAINER_CREDENTIALS_FULL_URI=http://creds.example.com/x refused \
    "ecs: a plain-http full URI to another host" \
    "AWS_CONTAINER_CREDENTIALS_FULL_URI 'http://creds.example.com/x' is plain http to a host other" \
    "S3UpCredentials ecs
$good"
AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/abc accepted "ecs with a relative URI" \
    "S3UpCredentials ecs
$good"
accepted "imds needs nothing at configtest" "S3UpCredentials imds
$good"
AWS_EC2_METADATA_DISABLED=true refused "imds when AWS_EC2_METADATA_DISABLED is true" \
    "S3UpCredentials imds: AWS_EC2_METADATA_DISABLED is true" "S3UpCredentials imds
$good"
refused "profile without a name" "S3UpCredentials: 'profile' needs a profile name" \
    "S3UpCredentials profile"
refused "unknown credentials source" "S3UpCredentials: unknown source 'vault'" \
    "S3UpCredentials vault"
S3UP_TEST_ACCESS_KEY='' S3UP_TEST_SECRET_KEY_FILE='' AWS_EC2_METADATA_DISABLED=true \
    refused "no credentials anywhere" \
    "(SetHandler s3up-upload): S3UpCredentials chain: no S3 credentials: none of S3UpAccessKey" \
    "$good"
S3UP_TEST_ACCESS_KEY='' S3UP_TEST_SECRET_KEY_FILE='' AWS_CONFIG_FILE=/nonexistent \
    AWS_SHARED_CREDENTIALS_FILE=/nonexistent accepted \
    "chain with nothing else set ends at the instance metadata service" "$good"
S3UP_TEST_ACCESS_KEY='' S3UP_TEST_SECRET_KEY_FILE='' AWS_PROFILE=work accepted \
    "chain: AWS_PROFILE names a profile of the shared files" "$good"
S3UP_TEST_ACCESS_KEY='' S3UP_TEST_SECRET_KEY_FILE='' AWS_PROFILE=nope \
    AWS_CONTAINER_CREDENTIALS_FULL_URI=http://creds.example.com/x refused \
    "chain: the first source that is set up decides (a bad container URI is not skipped)" \
    "S3UpCredentials chain: AWS_CONTAINER_CREDENTIALS_FULL_URI" "$good"
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
