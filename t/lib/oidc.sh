#!/bin/sh
# Start or stop the test OpenID provider (t/lib/oidc-provider.mjs) in the background.
#
#   OIDC_REDIRECT_URIS=URI[,URI...] t/lib/oidc.sh start DIR
#   t/lib/oidc.sh stop DIR
#
# start: runs the provider with node on a free 127.0.0.1 port, waits (up to
#   OIDC_START_TIMEOUT seconds, default 30) for its ready line, and writes DIR/oidc.env:
#     OIDC_ISSUER=http://127.0.0.1:PORT
#     OIDC_CLIENT_ID=...        (env OIDC_CLIENT_ID, default s3up-test)
#     OIDC_CLIENT_SECRET=...    (random)
#     OIDC_PID=...
#   The provider's output goes to DIR/oidc.log. OIDC_REDIRECT_URIS is required: the
#   redirect URIs of the httpd that will use it (see t/lib/oidc-conf.sh).
#   Node packages are found from the repository's node_modules (run `npm ci` first).
# stop: stops the PID recorded in DIR/oidc.env (SIGTERM, then SIGKILL after 5 s), and
#   nothing else.
set -eu

here=$(cd "$(dirname "$0")" && pwd)

die() { echo "oidc.sh: $*" >&2; exit 1; }

# Running and not a zombie (our own child that died stays a zombie until we exit).
alive() {
    st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    case $st in Z*) return 1 ;; esac
}

cmd=${1:-}; dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then die "usage: oidc.sh start|stop DIR"; fi

case $cmd in
start)
    [ -n "${OIDC_REDIRECT_URIS:-}" ] || die "set OIDC_REDIRECT_URIS (comma-separated)"
    [ -d "$here/../../node_modules/oidc-provider" ] || die "node_modules/oidc-provider missing: run 'npm ci' at the repository root"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ -f "$dir/oidc.env" ]; then
        old=$(sed -n 's/^OIDC_PID=//p' "$dir/oidc.env")
        [ -n "$old" ] && alive "$old" && die "already running in $dir (pid $old)"
    fi
    client_id=${OIDC_CLIENT_ID:-s3up-test}
    secret=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
    log=$dir/oidc.log
    : > "$log"
    OIDC_PORT=0 OIDC_CLIENT_ID=$client_id OIDC_CLIENT_SECRET=$secret \
        OIDC_REDIRECT_URIS=$OIDC_REDIRECT_URIS \
        nohup node "$here/oidc-provider.mjs" > "$log" 2>&1 < /dev/null &
    pid=$!
    # Wait for the ready line (poll every 0.1 s).
    n=$(( ${OIDC_START_TIMEOUT:-30} * 10 ))
    issuer=
    while [ "$n" -gt 0 ]; do
        issuer=$(sed -n 's/^OIDC_ISSUER=//p' "$log")
        [ -n "$issuer" ] && break
        alive "$pid" || { cat "$log" >&2; die "provider exited before it was ready"; }
        sleep 0.1
        n=$((n - 1))
    done
    if [ -z "$issuer" ]; then
        kill "$pid" 2>/dev/null || :
        cat "$log" >&2
        die "provider not ready after ${OIDC_START_TIMEOUT:-30} s"
    fi
    umask 077
    cat > "$dir/oidc.env.tmp" <<EOF
OIDC_ISSUER=$issuer
OIDC_CLIENT_ID=$client_id
OIDC_CLIENT_SECRET=$secret
OIDC_PID=$pid
EOF
    mv "$dir/oidc.env.tmp" "$dir/oidc.env"
    echo "OIDC_ISSUER=$issuer"
    ;;
stop)
    [ -f "$dir/oidc.env" ] || exit 0
    pid=$(sed -n 's/^OIDC_PID=//p' "$dir/oidc.env")
    [ -n "$pid" ] || exit 0
    if alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null || :
        n=50
        while alive "$pid" && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
        if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || :; fi
    fi
    sed -i '/^OIDC_PID=/d' "$dir/oidc.env"
    ;;
*)
    die "usage: oidc.sh start|stop DIR"
    ;;
esac
