#!/usr/bin/env bash
# The shipped configuration (conf/): s3up.load, s3up.conf and every conf/examples/*.conf
# pass `apache2 -t` with this build's module, their placeholders replaced by real paths
# (secret files in a temporary folder). Needs apache2 and libapache2-mod-auth-openidc;
# no S3 server (configtest does not reach the bucket).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
# shellcheck source=t/lib/tap.sh
source "$HERE/../lib/tap.sh"

APACHE2=${APACHE2:-/usr/sbin/apache2}
MODDIR=/usr/lib/apache2/modules
MODULE=$TOP/build/mod_s3up.so
[[ -f $MODULE ]] || BAIL_OUT "$MODULE missing: run make first"
[[ -f $MODDIR/mod_auth_openidc.so ]] || BAIL_OUT "mod_auth_openidc missing (libapache2-mod-auth-openidc)"

TMP=$(mktemp -d)
PORT=$("$TOP/t/lib/freeport") # apache2 -t binds nothing, but wants a port
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/secrets" "$TMP/log"
printf 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n' >"$TMP/secrets/s3-secret-key"
for f in link-secret oidc-passphrase oidc-passphrase-customers oidc-passphrase-admins; do
    openssl rand -hex 32 >"$TMP/secrets/$f"
done
chmod 600 "$TMP/secrets/"*
# The TLS examples name certificate files (mod_ssl reads them at configtest): a self-signed one.
mkdir -p "$TMP/tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=upload.example.com \
    -keyout "$TMP/tls/privkey.pem" -out "$TMP/tls/fullchain.pem" 2>/dev/null ||
    BAIL_OUT "openssl could not make a test certificate"

# A shipped file with the installed paths replaced by this checkout's and the temporary
# folder's. With --uncomment, every commented-out S3Up* directive is switched on too.
localise() {
    local uncomment=0
    [[ $1 == --uncomment ]] && { uncomment=1; shift; }
    sed -e "s#/usr/lib/apache2/modules/mod_s3up.so#$MODULE#" \
        -e "s#/etc/apache2/s3up/#$TMP/secrets/#g" \
        -e "s#/usr/share/mod_s3up/htdocs#$TOP/htdocs#g" \
        -e "s#/var/log/apache2/#$TMP/log/#g" \
        -e "s#/etc/letsencrypt/live/[^/]*/#$TMP/tls/#g" \
        "$1" |
        if ((uncomment)); then sed -e 's/^#\(S3Up[A-Za-z]* \)/\1/'; else cat; fi
}

# httpd.conf around the given files (localised copies), for apache2 -t.
write_conf() {
    local name=$1 f i=0
    shift
    {
        echo "ServerRoot \"$TMP\""
        echo "ServerName 127.0.0.1"
        echo "DefaultRuntimeDir \"$TMP\""
        echo "PidFile \"$TMP/httpd.pid\""
        echo "Listen 127.0.0.1:$PORT"
        echo "ErrorLog \"$TMP/log/error.log\""
        for m in mpm_event authz_core authn_core authz_user auth_openidc alias headers \
            socache_shmcb ssl md; do
            echo "LoadModule ${m}_module \"$MODDIR/mod_$m.so\""
        done
        for f in "$@"; do
            i=$((i + 1))
            echo "Include \"$TMP/$name.$i.conf\""
        done
    } >"$TMP/$name.httpd.conf"
    i=0
    for f in "$@"; do
        i=$((i + 1))
        case $f in
        +*) localise --uncomment "$TOP/${f#+}" >"$TMP/$name.$i.conf" ;;
        *) localise "$TOP/$f" >"$TMP/$name.$i.conf" ;;
        esac
    done
}

configtest() { "$APACHE2" -f "$TMP/$1.httpd.conf" -t 2>&1; }

# configtest_ok NAME FILE... : a FILE written +FILE has its S3Up* directives switched on.
configtest_ok() {
    local name=$1 out rc=0
    shift
    write_conf "$name" "$@"
    out=$(configtest "$name") || rc=$?
    is "$rc:$(tail -n1 <<<"$out")" "0:Syntax OK" "apache2 -t: $*"
    ((rc == 0)) || diag "$out"
}

configtest_ok load conf/s3up.load conf/s3up.conf
n_directives=$(grep -c '^#S3Up[A-Za-z]* ' "$TOP/conf/s3up.conf")
like "$n_directives" '^[0-9]+$' "s3up.conf has commented directives ($n_directives)"
for d in Bucket Region Endpoint AccessKey SecretKeyFile Prefix StatePrefix PartSize MaxFileSize; do
    like "$(grep -c "^#S3Up$d " "$TOP/conf/s3up.conf")" '^[1-9]' "s3up.conf shows S3Up$d"
done
configtest_ok all conf/s3up.load +conf/s3up.conf

# The TLS examples Include the others from /etc/apache2/s3up/, where a user copies them.
for example in "$TOP"/conf/examples/*.conf; do
    localise "$example" >"$TMP/secrets/$(basename "$example")"
done
for example in "$TOP"/conf/examples/*.conf; do
    configtest_ok "$(basename "$example" .conf)" conf/s3up.load +conf/s3up.conf \
        "conf/examples/$(basename "$example")"
done
# As they are meant to be used together: one provider, the portal and the admin pages in one
# host (tls-*.conf wrap them so too); two providers, each half in a host of its own.
configtest_ok one-provider conf/s3up.load +conf/s3up.conf conf/examples/portal-oidc.conf \
    conf/examples/admin-oidc.conf
write_conf two-hosts conf/s3up.load +conf/s3up.conf
{
    echo "<VirtualHost 127.0.0.1:$PORT>"
    echo "    ServerName upload.example.com"
    echo "    Include \"$TMP/secrets/two-providers-customers.conf\""
    echo "</VirtualHost>"
    echo "<VirtualHost 127.0.0.1:$PORT>"
    echo "    ServerName admin.example.com"
    echo "    Include \"$TMP/secrets/two-providers-admins.conf\""
    echo "</VirtualHost>"
} >>"$TMP/two-hosts.httpd.conf"
out=$(configtest two-hosts) && rc=0 || rc=$?
is "$rc:$(tail -n1 <<<"$out")" "0:Syntax OK" "apache2 -t: two-providers-*.conf, each half in a host of its own"
((rc == 0)) || diag "$out"

# Not vacuous: the portal without a bucket is refused, naming the directive.
write_conf nobucket conf/s3up.load conf/s3up.conf conf/examples/portal-oidc.conf
like "$(configtest nobucket)" 'S3UpBucket is not set' \
    "portal-oidc.conf without S3UpBucket: refused, naming S3UpBucket"

# The upload log names the variables the handler sets on a completed upload.
log=$(grep '^LogFormat' "$TOP/conf/examples/portal-oidc.conf")
for v in S3UP_USER S3UP_ENDPOINT S3UP_KEY S3UP_BYTES; do
    like "$log" "%\\{$v\\}e" "portal-oidc.conf logs $v"
done

# The admin example logs admin actions with the variables the handler sets.
log=$(grep '^LogFormat' "$TOP/conf/examples/admin-oidc.conf")
for v in S3UP_USER S3UP_ENDPOINT S3UP_KEY; do
    like "$log" "%\\{$v\\}e" "admin-oidc.conf logs $v"
done

# Addresses may carry secrets (a link's token, a part's upload token): no example log
# writes the request line (%r) or a query string (%q); the one for all requests logs
# S3UP_REQUEST, where the module hides them.
for example in "$TOP"/conf/examples/*.conf; do
    formats=$(grep '^LogFormat' "$example")
    if printf '%s' "$formats" | grep -q '%r\|%q\|%{REQUEST_LINE}\|%{QUERY_STRING}'; then
        tap_result 0 "$(basename "$example"): no log writes the request line or query"
        diag "$formats"
    else
        tap_result 1 "$(basename "$example"): no log writes the request line or query"
    fi
done
like "$(grep '^LogFormat' "$TOP/conf/examples/portal-oidc.conf")" '%\{S3UP_REQUEST\}e' \
    "portal-oidc.conf: a format for all requests, with secrets hidden"

done_testing
