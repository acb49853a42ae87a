#!/usr/bin/env bash
# A private httpd for tests, on 127.0.0.1 and a free port, with mod_s3up.
#
#   t/lib/httpd.sh conf DIR [EXTRA_CONF]    write DIR/httpd.conf only
#   t/lib/httpd.sh start DIR [EXTRA_CONF]   write it, configtest, start, wait;
#                                           writes DIR/httpd.env (HTTPD_URL,
#                                           HTTPD_PORT, HTTPD_PID, HTTPD_DIR)
#   t/lib/httpd.sh stop DIR                 stop the httpd started in DIR
#   t/lib/httpd.sh graceful DIR             apachectl graceful for it: new
#                                           children, the old ones finish
#                                           what they serve
#   t/lib/httpd.sh configtest CONF          apache2 -t, its messages on stdout
#
# Server-wide S3Up* directives come from S3UP_TEST_BUCKET, S3UP_TEST_REGION,
# S3UP_TEST_ENDPOINT, S3UP_TEST_ACCESS_KEY, S3UP_TEST_SECRET_KEY_FILE (each
# left out when unset). EXTRA_CONF is Included last. HTTPD_PORT, when set, is
# the port to listen on instead of a free one picked here (for a config that
# must know its own address beforehand, e.g. an OpenID Connect redirect URI).
# S3UP_MODULE is the module to load (default build/mod_s3up.so);
# S3UP_HTTPD_PRELOAD, libraries httpd runs with preloaded (the sanitizers'
# runtimes, for a module built with them: t/run --asan). S3UP_HTTPD_VALGRIND,
# a folder: httpd runs as one process (-X) under valgrind's memcheck, its
# reports written there (t/run --valgrind), with S3UP_VALGRIND_ARGS added to
# its options (e.g. --leak-check=full). S3UP_TEST_LOGLEVEL is httpd's LogLevel
# (default warn s3up:info). S3UP_TEST_LOGS, a folder: stop copies the logs there (and
# the secrets the configuration names) for t/lib/secretscan.py.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
apache2=${APACHE2:-/usr/sbin/apache2}
moddir=${HTTPD_MODULE_DIR:-/usr/lib/apache2/modules}
module=${S3UP_MODULE:-$top/build/mod_s3up.so}

die() {
    echo "httpd.sh: $*" >&2
    exit 1
}

free_port() {
    if [ -x "$top/t/lib/freeport" ]; then
        "$top/t/lib/freeport"
    elif command -v python3 >/dev/null; then
        # Bind to port 0 and let the kernel choose: free at this moment.
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
    else
        local port
        for _ in $(seq 50); do
            port=$((20000 + RANDOM % 20000))
            if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
                echo "$port"
                return
            fi
        done
        die "no free port found"
    fi
}

write_conf() {
    local dir=$1 extra=${2:-} port=$3 m
    [ -f "$module" ] || die "$module is missing: run make first"
    [ -z "$extra" ] || [ -f "$extra" ] || die "$extra: no such file"
    mkdir -p "$dir/htdocs"
    {
        echo "# written by t/lib/httpd.sh"
        echo "ServerRoot \"$dir\""
        echo "ServerName 127.0.0.1"
        echo "DefaultRuntimeDir \"$dir\""
        echo "PidFile \"$dir/httpd.pid\""
        echo "Listen 127.0.0.1:$port"
        for m in mpm_event authz_core authn_core authn_file authz_user auth_basic mime dir \
                 alias env setenvif headers; do
            echo "LoadModule ${m}_module \"$moddir/mod_$m.so\""
        done
        if [ "$(id -u)" = 0 ]; then
            echo "User www-data"
            echo "Group www-data"
        fi
        echo "ErrorLog \"$dir/error.log\""
        # t/run sets debug and scans the logs for secrets (S3UP_SECRET_SCAN).
        # The access log as docs/configuration.md has it: requests whose address
        # holds a secret log S3UP_REQUEST.
        echo "LogLevel ${S3UP_TEST_LOGLEVEL:-warn s3up:info}"
        echo "LogFormat \"%h %l %u %t \\\"%r\\\" %>s %b %D \\\"%{Referer}i\\\"\" s3up"
        echo "LogFormat \"%h %l %u %t \\\"%{S3UP_REQUEST}e\\\" %>s %b %D \\\"%{Referer}i\\\"\" s3up_hidden"
        echo "CustomLog \"$dir/access.log\" s3up env=!S3UP_REQUEST"
        echo "CustomLog \"$dir/access.log\" s3up_hidden env=S3UP_REQUEST"
        echo "TypesConfig /etc/mime.types"
        # Well beyond a test's pauses: with httpd's 5 s, a client reusing an
        # idle connection can meet httpd closing it (a reset, not our bug).
        echo "KeepAliveTimeout 60"
        echo "<Directory />"
        echo "    AllowOverride None"
        echo "    Require all denied"
        echo "</Directory>"
        echo "DocumentRoot \"$dir/htdocs\""
        echo "<Directory \"$dir/htdocs\">"
        echo "    Require all granted"
        echo "</Directory>"
        echo "LoadModule s3up_module \"$module\""
        echo "S3UpDocumentRoot \"${S3UP_TEST_DOCROOT:-$top/htdocs}\""
        [ -z "${S3UP_TEST_BUCKET:-}" ] || echo "S3UpBucket \"$S3UP_TEST_BUCKET\""
        [ -z "${S3UP_TEST_REGION:-}" ] || echo "S3UpRegion \"$S3UP_TEST_REGION\""
        [ -z "${S3UP_TEST_ENDPOINT:-}" ] || echo "S3UpEndpoint \"$S3UP_TEST_ENDPOINT\""
        [ -z "${S3UP_TEST_ACCESS_KEY:-}" ] || echo "S3UpAccessKey \"$S3UP_TEST_ACCESS_KEY\""
        [ -z "${S3UP_TEST_SECRET_KEY_FILE:-}" ] ||
            echo "S3UpSecretKeyFile \"$S3UP_TEST_SECRET_KEY_FILE\""
        [ -z "$extra" ] || echo "Include \"$(cd "$(dirname "$extra")" && pwd)/$(basename "$extra")\""
    } >"$dir/httpd.conf"
    echo "$port" >"$dir/httpd.port"
}

# apache2, with S3UP_HTTPD_PRELOAD preloaded when set.
run_apache2() {
    if [ -n "${S3UP_HTTPD_PRELOAD:-}" ]; then
        LD_PRELOAD="$S3UP_HTTPD_PRELOAD" "$apache2" "$@"
    else
        "$apache2" "$@"
    fi
}

configtest() {
    run_apache2 -f "$1" -t 2>&1
}

# How many tenths of a second to wait for httpd to start or stop: 10 s, a
# minute under valgrind.
ticks() {
    if [ -n "${S3UP_HTTPD_VALGRIND:-}" ]; then echo 600; else echo 100; fi
}

# Start httpd of DIR: as a daemon, or under valgrind as one process in the
# background (valgrind starts it slowly: start waits longer for it).
start_apache2() {
    local dir=$1
    if [ -z "${S3UP_HTTPD_VALGRIND:-}" ]; then
        run_apache2 -f "$dir/httpd.conf" -k start
        return
    fi
    # shellcheck disable=SC2086 # S3UP_VALGRIND_ARGS: more options, split on blanks
    setsid valgrind --tool=memcheck --error-exitcode=99 --track-origins=yes ${S3UP_VALGRIND_ARGS:-} \
        --trace-children=no --log-file="$S3UP_HTTPD_VALGRIND/valgrind.%p.log" \
        "$apache2" -f "$dir/httpd.conf" -X </dev/null >>"$dir/error.log" 2>&1 &
}

port_answers() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
    local dir=$1 extra=${2:-} port pid out
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    # The workers (www-data when root) must reach the document root: DIR
    # is made traversable, its parents must be already.
    chmod o+x "$dir"
    for _ in 1 2 3; do
        port=${HTTPD_PORT:-$(free_port)}
        write_conf "$dir" "$extra" "$port"
        if ! out=$(configtest "$dir/httpd.conf"); then
            echo "httpd.sh: apache2 -t refused $dir/httpd.conf:" >&2
            echo "$out" >&2
            return 1
        fi
        rm -f "$dir/httpd.pid"
        : >"$dir/error.log"
        if start_apache2 "$dir"; then
            for _ in $(seq "$(ticks)"); do
                if [ -s "$dir/httpd.pid" ] && port_answers "$port"; then
                    pid=$(cat "$dir/httpd.pid")
                    {
                        echo "HTTPD_URL=http://127.0.0.1:$port"
                        echo "HTTPD_PORT=$port"
                        echo "HTTPD_PID=$pid"
                        echo "HTTPD_DIR=$dir"
                    } >"$dir/httpd.env"
                    return 0
                fi
                sleep 0.1
            done
        fi
        # Someone may have taken the port between our pick and httpd's bind.
        if [ -z "${HTTPD_PORT:-}" ] && grep -q "Address already in use" "$dir/error.log" 2>/dev/null; then
            stop "$dir" 2>/dev/null || true
            continue
        fi
        echo "httpd.sh: httpd in $dir did not come up; its error log:" >&2
        cat "$dir/error.log" >&2 || true
        stop "$dir" 2>/dev/null || true
        return 1
    done
    die "no port could be bound after 3 attempts"
}

stop() {
    local dir=$1 pid
    [ -s "$dir/httpd.pid" ] || return 0
    pid=$(cat "$dir/httpd.pid")
    # Only that pid, and only while it is an httpd.
    if kill -0 "$pid" 2>/dev/null && grep -q apache2 "/proc/$pid/cmdline" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq "$(ticks)"); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "httpd.sh: httpd $pid did not stop in $(($(ticks) / 10)) s, killing it" >&2
            kill -KILL "$pid"
        fi
    fi
    rm -f "$dir/httpd.pid" "$dir/httpd.env"
    [ -z "${S3UP_TEST_LOGS:-}" ] || python3 "$top/t/lib/secretscan.py" collect "$dir" "$S3UP_TEST_LOGS"
}

cmd=${1:-}
case "$cmd" in
conf)
    [ $# -ge 2 ] || die "usage: $0 conf DIR [EXTRA_CONF]"
    mkdir -p "$2"
    write_conf "$(cd "$2" && pwd)" "${3:-}" "${HTTPD_PORT:-$(free_port)}"
    ;;
start)
    [ $# -ge 2 ] || die "usage: $0 start DIR [EXTRA_CONF]"
    start "$2" "${3:-}"
    ;;
stop)
    [ $# -ge 2 ] || die "usage: $0 stop DIR"
    stop "$2"
    ;;
configtest)
    [ $# -ge 2 ] || die "usage: $0 configtest CONF"
    configtest "$2"
    ;;
graceful)
    [ $# -ge 2 ] || die "usage: $0 graceful DIR"
    dir=$(cd "$2" && pwd)
    run_apache2 -f "$dir/httpd.conf" -k graceful
    ;;
*)
    die "usage: $0 conf|start|stop|graceful|configtest ..."
    ;;
esac
