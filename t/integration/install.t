#!/usr/bin/env bash
# `make install DESTDIR=...` lays out the module (exporting only its module record), the pages (with Uppy's bundle in vendor/)
# and Debian's mods-available files; the installed files pass `apache2 -t`; the installed
# s3up.conf switches nothing on; a missing S3UpDocumentRoot (a configured folder that is
# not there, or the default /usr/share/mod_s3up/htdocs missing) is refused by configtest
# with a message naming S3UpDocumentRoot; `make uninstall` removes what install wrote.
# Needs apache2 and a built tree (make); no S3 server (configtest does not reach it).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
# shellcheck source=t/lib/tap.sh
source "$HERE/../lib/tap.sh"

APACHE2=${APACHE2:-/usr/sbin/apache2}
MODDIR=/usr/lib/apache2/modules
DEFAULT_ROOT=/usr/share/mod_s3up/htdocs

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
D=$TMP/root
PORT=$("$TOP/t/lib/freeport") # apache2 -t binds nothing, but wants a port

out=$(make -s -C "$TOP" install DESTDIR="$D" 2>&1)
rc=$?
is "$rc" 0 "make install DESTDIR=... succeeds"
((rc == 0)) || diag "$out"

mode() { stat -c %a "$1" 2>/dev/null || echo missing; }
is "$(mode "$D$MODDIR/mod_s3up.so")" 644 "the module is in $MODDIR, mode 644"
is "$(find "$D$MODDIR" -type f | wc -l)" 1 "and nothing else beside it (no .la)"
is "$(nm -D --defined-only "$D$MODDIR/mod_s3up.so" | awk '$2 ~ /^[TDBR]$/ {print $3}' | tr '\n' ' ')" \
    "s3up_module " "the module exports its module record and nothing else"
for f in upload/index.html upload/app.js admin/index.html admin/app.js drop/index.html \
    drop/gone.html common/uploader.mjs common/base.css vendor/uppy.min.mjs vendor/uppy.min.css; do
    is "$(mode "$D$DEFAULT_ROOT/$f")" 644 "page $f installed, mode 644"
done
ok "the pages are the tree's htdocs/ (vendor/ included)" diff -r "$TOP/htdocs" "$D$DEFAULT_ROOT"
is "$(find "$D$DEFAULT_ROOT" -type d ! -perm 755 | wc -l)" 0 "every page folder is mode 755"
ok "s3up.load installed as in conf/" cmp "$TOP/conf/s3up.load" "$D/etc/apache2/mods-available/s3up.load"
ok "s3up.conf installed as in conf/" cmp "$TOP/conf/s3up.conf" "$D/etc/apache2/mods-available/s3up.conf"
is "$(mode "$D/etc/apache2/mods-available/s3up.conf")" 644 "s3up.conf mode 644"

# Safe to enable: the installed s3up.conf sets nothing (every directive commented out) and
# mounts no handler.
live=$(grep -v '^[[:space:]]*#' "$D/etc/apache2/mods-available/s3up.conf" | grep -v '^[[:space:]]*$' |
    grep -v '^</\?IfModule')
is "$live" "" "the installed s3up.conf has no directive switched on"

# httpd.conf for apache2 -t: the installed s3up.load (pointed into DESTDIR) and s3up.conf,
# then EXTRA (a file's text).
mkdir -p "$TMP/log" "$TMP/secrets"
printf 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n' >"$TMP/secrets/s3-secret-key"
chmod 600 "$TMP/secrets/s3-secret-key"
sed "s#$MODDIR/#$D$MODDIR/#" "$D/etc/apache2/mods-available/s3up.load" >"$TMP/s3up.load"
write_conf() {
    local name=$1 extra=$2 m
    {
        echo "ServerRoot \"$TMP\""
        echo "ServerName 127.0.0.1"
        echo "DefaultRuntimeDir \"$TMP\""
        echo "PidFile \"$TMP/httpd.pid\""
        echo "Listen 127.0.0.1:$PORT"
        echo "ErrorLog \"$TMP/log/error.log\""
        for m in mpm_event authz_core authn_core; do
            echo "LoadModule ${m}_module \"$MODDIR/mod_$m.so\""
        done
        echo "Include \"$TMP/s3up.load\""
        echo "Include \"$D/etc/apache2/mods-available/s3up.conf\""
        printf '%s\n' "$extra"
    } >"$TMP/$name.conf"
}
configtest() { "$APACHE2" -f "$TMP/$1.conf" -t 2>&1; }

write_conf enabled ""
out=$(configtest enabled)
is "$?:$(tail -n1 <<<"$out")" "0:Syntax OK" "a2enmod s3up as installed (no handler mounted): apache2 -t passes"

portal="S3UpBucket s3up-install-test
S3UpEndpoint http://127.0.0.1:9
S3UpAccessKey AKIDINSTALLTEST
S3UpSecretKeyFile \"$TMP/secrets/s3-secret-key\"
<Location /upload>
    SetHandler s3up-upload
</Location>"

write_conf installed "S3UpDocumentRoot \"$D$DEFAULT_ROOT\"
$portal"
out=$(configtest installed)
is "$?:$(tail -n1 <<<"$out")" "0:Syntax OK" "a portal with S3UpDocumentRoot at the installed pages: apache2 -t passes"

write_conf missing "S3UpDocumentRoot \"$TMP/no-such-folder\"
$portal"
out=$(configtest missing)
rc=$?
ok "S3UpDocumentRoot at a missing folder: apache2 -t fails" test "$rc" -ne 0
like "$out" "S3UpDocumentRoot: '$TMP/no-such-folder' is not a directory" \
    "and says so, naming S3UpDocumentRoot and the folder"

# The default: this machine may have it (the package installed). Then the check runs in a
# private mount namespace where an empty tmpfs hides /usr/share/mod_s3up.
write_conf default "$portal"
default_test() {
    if [[ ! -e $DEFAULT_ROOT ]]; then
        configtest default
    else
        unshare --mount --propagation private -- bash -c \
            'mount -t tmpfs none /usr/share/mod_s3up && "$1" -f "$2" -t 2>&1' _ \
            "$APACHE2" "$TMP/default.conf"
    fi
}
if [[ -e $DEFAULT_ROOT ]] && ! unshare --mount --propagation private true 2>/dev/null; then
    echo "ok $((TAP_N + 1)) # skip $DEFAULT_ROOT exists here and cannot be hidden (not root)"
    echo "ok $((TAP_N + 2)) # skip the same"
    TAP_N=$((TAP_N + 2))
else
    out=$(default_test)
    rc=$?
    ok "no S3UpDocumentRoot and the default $DEFAULT_ROOT missing: apache2 -t fails" test "$rc" -ne 0
    like "$out" "S3UpDocumentRoot is not set and its default, $DEFAULT_ROOT, is not a directory" \
        "and says so, naming S3UpDocumentRoot and the default"
    like "$out" "<Location /upload> \\(SetHandler s3up-upload\\)" "in the location that needs the pages"
fi

out=$(make -s -C "$TOP" uninstall DESTDIR="$D" 2>&1)
is "$?" 0 "make uninstall DESTDIR=... succeeds"
is "$(find "$D" -type f)" "" "and removes every file install wrote"

done_testing
