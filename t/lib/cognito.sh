#!/bin/sh
# Start or stop cognito-local (npm), a local Cognito user pool API, in the background.
#
#   t/lib/cognito.sh start DIR
#   t/lib/cognito.sh stop DIR
#
# start: runs cognito-local with node in DIR (it keeps its data in DIR/.cognito) on a port
#   of 127.0.0.1 the system picks, waits (up to COGNITO_START_TIMEOUT seconds, default 30)
#   for its ready line, creates a user pool through its CreateUserPool API, and writes
#   DIR/cognito.env:
#     COGNITO_ENDPOINT=http://127.0.0.1:PORT
#     COGNITO_USER_POOL_ID=local_XXXXXXXX
#     COGNITO_PID=...
#   Usernames are plain names: cognito-local's default makes them email addresses
#   (UsernameAttributes ["email"]), which AWS pools made without that setting are not.
#   Its output goes to DIR/cognito.log. cognito-local is found in the repository's
#   node_modules (run `npm ci` first). It does not check request signatures.
# stop: stops the PID recorded in DIR/cognito.env (SIGTERM, then SIGKILL after 5 s), and
#   nothing else.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
main=$here/../../node_modules/cognito-local/lib/bin/start.js

die() { echo "cognito.sh: $*" >&2; exit 1; }

# Running and not a zombie (our own child that died stays a zombie until we exit).
alive() {
    st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    case $st in Z*) return 1 ;; esac
}

stop_pid() {
    if alive "$1"; then
        kill -TERM "$1" 2>/dev/null || :
        n=50
        while alive "$1" && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
        if alive "$1"; then kill -KILL "$1" 2>/dev/null || :; fi
    fi
}

cmd=${1:-}; dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then die "usage: cognito.sh start|stop DIR"; fi

case $cmd in
start)
    [ -f "$main" ] || die "node_modules/cognito-local missing: run 'npm ci' at the repository root"
    command -v curl >/dev/null || die "curl is needed"
    mkdir -p "$dir/.cognito"
    dir=$(cd "$dir" && pwd)
    if [ -f "$dir/cognito.env" ]; then
        old=$(sed -n 's/^COGNITO_PID=//p' "$dir/cognito.env")
        [ -n "$old" ] && alive "$old" && die "already running in $dir (pid $old)"
    fi
    echo '{"UserPoolDefaults": {"UsernameAttributes": []}}' > "$dir/.cognito/config.json"
    log=$dir/cognito.log
    : > "$log"
    # PORT=0: the system picks a free port, the ready line names it (no race).
    (cd "$dir" && PORT=0 HOST=127.0.0.1 exec nohup node "$main" > "$log" 2>&1 < /dev/null) &
    pid=$!
    n=$(( ${COGNITO_START_TIMEOUT:-30} * 10 ))
    endpoint=
    while [ "$n" -gt 0 ]; do
        endpoint=$(sed -n 's/.*running on \(http:\/\/127\.0\.0\.1:[0-9][0-9]*\).*/\1/p' "$log")
        [ -n "$endpoint" ] && break
        alive "$pid" || { cat "$log" >&2; die "cognito-local exited before it was ready"; }
        sleep 0.1
        n=$((n - 1))
    done
    if [ -z "$endpoint" ]; then
        stop_pid "$pid"
        cat "$log" >&2
        die "cognito-local not ready after ${COGNITO_START_TIMEOUT:-30} s"
    fi
    answer=$(curl -sS --max-time 10 -X POST "$endpoint/" \
        -H 'Content-Type: application/x-amz-json-1.1' \
        -H 'X-Amz-Target: AWSCognitoIdentityProviderService.CreateUserPool' \
        --data '{"PoolName": "s3up-test"}') || { stop_pid "$pid"; die "CreateUserPool failed"; }
    pool=$(printf '%s' "$answer" | node -e '
        let s = "";
        process.stdin.on("data", (d) => (s += d)).on("end", () => {
            try { console.log(JSON.parse(s).UserPool.Id); } catch (e) { process.exit(1); }
        });') || { stop_pid "$pid"; die "CreateUserPool answered: $answer"; }
    cat > "$dir/cognito.env.tmp" <<EOF
COGNITO_ENDPOINT=$endpoint
COGNITO_USER_POOL_ID=$pool
COGNITO_PID=$pid
EOF
    mv "$dir/cognito.env.tmp" "$dir/cognito.env"
    echo "COGNITO_ENDPOINT=$endpoint"
    ;;
stop)
    [ -f "$dir/cognito.env" ] || exit 0
    pid=$(sed -n 's/^COGNITO_PID=//p' "$dir/cognito.env")
    [ -n "$pid" ] || exit 0
    stop_pid "$pid"
    sed -i '/^COGNITO_PID=/d' "$dir/cognito.env"
    ;;
*)
    die "usage: cognito.sh start|stop DIR"
    ;;
esac
