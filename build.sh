#!/usr/bin/env bash
# mod_s3up entry points (Debian 12; root, or sudo, to install packages):
#
#   ./build.sh          install what is missing, build (make)
#   ./build.sh test     ... then run every test (t/run)
#   ./build.sh start    ... then start a local stack in run/: Ceph RGW + httpd
#   ./build.sh stop     stop that stack
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$ROOT"

say() { echo "build.sh: $*" >&2; }

# Debian packages the build and the test bed need (see t/, TESTBED in the docs).
PKGS=(
    build-essential pkg-config make perl curl ca-certificates python3 uuid-runtime
    apache2 apache2-dev libapache2-mod-auth-openidc
    libcurl4-openssl-dev libssl-dev libxml2-dev libaprutil1-dev libjansson-dev
    ceph radosgw awscli python3-botocore
    wrk chromium clang-format
)

install_deps() {
    local missing=() p
    for p in "${PKGS[@]}"; do
        [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == "install ok installed" ]] ||
            missing+=("$p")
    done
    # Node may come from elsewhere (NodeSource bundles npm and conflicts with
    # Debian's npm): only the commands matter.
    command -v node >/dev/null || missing+=(nodejs)
    command -v npm >/dev/null || missing+=(npm)
    if ((${#missing[@]})); then
        say "installing: ${missing[*]}"
        local sudo=()
        if ((EUID != 0)); then
            command -v sudo >/dev/null || {
                say "missing packages and not root: run as root, or apt-get install ${missing[*]}"
                exit 1
            }
            sudo=(sudo)
        fi
        local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -y
            -o DPkg::Lock::Timeout=600)
        "${apt[@]}" update
        "${apt[@]}" install --no-install-recommends "${missing[@]}"
    fi
    if [[ -f package.json ]] &&
        [[ ! -d node_modules || package.json -nt node_modules ||
            (-f package-lock.json && package-lock.json -nt node_modules) ]]; then
        say "npm dependencies"
        if [[ -f package-lock.json ]]; then npm ci; else npm install; fi
        touch node_modules
    fi
}

build() {
    say "make"
    make -s
}

RUN=$ROOT/run

stack_info() {
    # shellcheck disable=SC1091
    source "$RUN/rgw/rgw.env"
    echo
    echo "mod_s3up local stack (run/):"
    if [[ -f $RUN/httpd/httpd.env ]]; then
        # shellcheck disable=SC1091
        source "$RUN/httpd/httpd.env"
        echo "  httpd:         $HTTPD_URL   (pid $HTTPD_PID, files in run/httpd)"
    else
        echo "  httpd:         not started (t/lib/httpd.sh is not there yet)"
    fi
    echo "  S3 (Ceph RGW): $S3UP_TEST_ENDPOINT   (path-style, region $S3UP_TEST_REGION)"
    echo "  bucket:        $S3UP_TEST_BUCKET"
    echo "  access key:    $S3UP_TEST_ACCESS_KEY"
    echo "  secret key:    $S3UP_TEST_SECRET_KEY   (also in $S3UP_TEST_SECRET_KEY_FILE)"
    echo "  aws cli:       t/lib/rgw.sh aws run/rgw s3 ls s3://$S3UP_TEST_BUCKET"
    echo "  logs:          run/rgw/log, run/httpd"
    echo "  stop:          ./build.sh stop"
}

start_stack() {
    if [[ -d $RUN/rgw/pids && -n $(ls -A "$RUN/rgw/pids") ]]; then
        say "already running (./build.sh stop first to restart)"
        stack_info
        return 0
    fi
    mkdir -p "$RUN"
    t/lib/rgw.sh start "$RUN/rgw"
    set -a
    # shellcheck disable=SC1091
    source "$RUN/rgw/rgw.env"
    set +a
    if [[ -f t/lib/httpd.sh ]]; then
        bash t/lib/httpd.sh start "$RUN/httpd" || {
            say "httpd did not start; stopping Ceph"
            t/lib/rgw.sh stop "$RUN/rgw"
            exit 1
        }
    else
        say "t/lib/httpd.sh not found: only Ceph RGW is started"
    fi
    stack_info
}

stop_stack() {
    if [[ -f t/lib/httpd.sh && -d $RUN/httpd ]]; then
        bash t/lib/httpd.sh stop "$RUN/httpd"
    fi
    if [[ -d $RUN/rgw ]]; then
        t/lib/rgw.sh stop "$RUN/rgw"
    fi
    say "stopped"
}

case ${1:-build} in
build)
    install_deps
    build
    ;;
test)
    install_deps
    build
    exec t/run
    ;;
start)
    install_deps
    build
    start_stack
    ;;
stop)
    stop_stack
    ;;
*)
    echo "usage: $0 [build|test|start|stop]" >&2
    exit 2
    ;;
esac
