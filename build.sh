#!/usr/bin/env bash
# mod_s3up entry points (Debian 12; root, or sudo, to install packages):
#
#   ./build.sh          install what is missing, build (make)
#   ./build.sh test     ... then run every test (t/run)
#   ./build.sh start    ... then start a local portal in run/: Ceph RGW, an OpenID
#                       provider, httpd with the customer portal at /upload (sign in
#                       as demo), the admin portal at /admin (as admin) and upload
#                       links at /drop; prints the addresses. HTTPD_PORT picks httpd's
#                       port; run/local.conf (kept) is Included last; S3UP_RUN_DIR and
#                       S3UP_RGW_DIR: see start_stack
#   ./build.sh stop     stop that stack
#   ./build.sh deb      build the Debian package into build/deb/ (docs/install.md)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$ROOT"

say() { echo "build.sh: $*" >&2; }

# Debian packages the build needs, then those of the test bed (see t/ and the README's Test bed).
BUILD_PKGS=(
    build-essential pkg-config make perl curl ca-certificates
    apache2-dev libcurl4-openssl-dev libssl-dev libxml2-dev libaprutil1-dev libjansson-dev
)
PKGS=(
    "${BUILD_PKGS[@]}" python3 uuid-runtime
    apache2 libapache2-mod-auth-openidc
    ceph radosgw awscli python3-botocore python3-prometheus-client
    wrk chromium clang-format clang libclang-rt-14-dev
)
# ./build.sh deb: the build's, and Debian's packaging tools.
DEB_PKGS=("${BUILD_PKGS[@]}" debhelper dpkg-dev lintian)

# install_deps [PACKAGE...]: those missing of the given packages (default: PKGS), node
# and npm, and the npm dependencies.
install_deps() {
    local missing=() p
    (($#)) || set -- "${PKGS[@]}"
    for p in "$@"; do
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

# The local stack of ./build.sh start, in S3UP_RUN_DIR (default run/). With
# S3UP_RGW_DIR naming the folder of a Ceph RGW already running (t/lib/rgw.sh start DIR,
# e.g. the test suite's), start uses it instead of starting one in run/rgw: it makes a
# bucket of its own there, and stop leaves that RGW running.
RUN=${S3UP_RUN_DIR:-$ROOT/run}
[[ $RUN == /* ]] || RUN=$OLDPWD/$RUN # relative to where build.sh was called from

# A path as short as it can be said: relative to the tree when inside it.
short() { echo "${1#"$ROOT"/}"; }

# run/stack.env: the S3 settings of the stack (the RGW's rgw.env with the stack's bucket).
load_stack_env() {
    set -a
    # shellcheck disable=SC1091
    source "$RUN/stack.env"
    set +a
}

stack_running() {
    local pid
    [[ -f $RUN/httpd/httpd.env ]] || return 1
    pid=$(sed -n 's/^HTTPD_PID=//p' "$RUN/httpd/httpd.env")
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null
}

stack_info() {
    local url run
    load_stack_env
    run=$(short "$RUN")
    echo
    echo "mod_s3up local stack ($run/):"
    if [[ -f $RUN/httpd/httpd.env ]]; then
        url=$(sed -n 's/^HTTPD_URL=//p' "$RUN/httpd/httpd.env")
        cat <<EOF
  customer portal: $url/upload/
                   sign in as 'demo' (any password), a member of the endpoint 'demo':
                   files go to s3://$S3UP_TEST_BUCKET/uploads/demo/
  admin portal:    $url/admin/
                   sign in as 'admin' (any password; every login starting with 'admin'
                   is an admin, any other gets 403): endpoints, members, files, links
  upload links:    $url/drop/...
                   make one in the admin portal (endpoint 'demo', "New upload link"):
                   whoever opens it uploads into demo/ without signing in
  signing in:      one person per browser window (a private window for another); the
                   test provider takes any login and any password; a session lasts
                   24 h, or 1 h without a request
  httpd:           pid $(sed -n 's/^HTTPD_PID=//p' "$RUN/httpd/httpd.env"); config $run/portal.conf, then your $run/local.conf
                   (kept across starts); logs in $run/httpd (uploads.log, admin.log)
EOF
    else
        echo "  httpd:           not started"
    fi
    if [[ -f $RUN/oidc/oidc.env ]]; then
        echo "  OpenID:          $(sed -n 's/^OIDC_ISSUER=//p' "$RUN/oidc/oidc.env")   (test provider)"
    fi
    echo "  S3 (Ceph RGW):   $S3UP_TEST_ENDPOINT   (path-style, region $S3UP_TEST_REGION)"
    echo "  bucket:          $S3UP_TEST_BUCKET   (CORS rule for the portal: $run/cors.log)"
    echo "  access key:      $S3UP_TEST_ACCESS_KEY"
    echo "  secret key:      $S3UP_TEST_SECRET_KEY   (also in $(short "$S3UP_TEST_SECRET_KEY_FILE"))"
    echo "  aws cli:         t/lib/rgw.sh aws $(short "$S3UP_TEST_RGW_DIR") s3 ls --recursive s3://$S3UP_TEST_BUCKET/uploads/"
    echo "  logs:            $(short "$S3UP_TEST_RGW_DIR")/log, $run/oidc/oidc.log, $run/httpd"
    if ((S3UP_STACK_RGW_OWNED)); then
        echo "  stop:            ./build.sh stop"
    else
        echo "  stop:            S3UP_RUN_DIR=$run ./build.sh stop   (leaves the RGW running)"
    fi
}

# run/local.conf: the user's part of httpd's config, written once and then left alone.
write_local_conf() {
    cat >"$RUN/local.conf" <<'EOF'
# Your part of the quick start's httpd config. ./build.sh start Includes it at the end of
# the config it writes (run/portal.conf) and never rewrites it: add any httpd or mod_s3up
# directive here, then ./build.sh stop && ./build.sh start. For example:
#S3UpPartSize 16M
#S3UpMaxFileSize 10G
#S3UpPartsInFlight 8
#LogLevel warn s3up:debug
EOF
}

# httpd's config of the stack: mod_auth_openidc for the local provider (the fragment of
# t/lib/oidc-conf.sh: /upload for anyone signed in, /admin for the groups claim
# s3up-admins) in front of the customer portal, the admin portal and upload links, as in
# conf/examples/portal-oidc.conf and admin-oidc.conf; then run/local.conf.
write_portal_conf() {
    local url=$1
    HTTPD_URL=$url t/lib/oidc-conf.sh "$RUN/oidc" /upload '/admin=claim groups:s3up-admins' \
        >"$RUN/oidc/oidc.conf"
    (umask 077 && openssl rand -hex 32 >"$RUN/link-secret")
    [[ -f $RUN/local.conf ]] || write_local_conf
    cat >"$RUN/portal.conf" <<EOF
# Written by ./build.sh start, anew at each start: your own lines go in local.conf.
LoadModule auth_openidc_module /usr/lib/apache2/modules/mod_auth_openidc.so
Include "$RUN/oidc/oidc.conf"
# An upload of a big file lasts hours: a session ends after 1 h without a request and
# 24 h in all (mod_auth_openidc's defaults: 5 minutes and 8 hours).
OIDCSessionInactivityTimeout 3600
OIDCSessionMaxDuration 86400

S3UpSecretFile "$RUN/link-secret"
S3UpPortalURL $url/upload
S3UpLinkURL $url/drop

# The customer portal: anyone signed in; what they may open, the endpoint records say.
<Location /upload>
    SetHandler s3up-upload
    # Not signed in: pages go to the login, API calls get mod_s3up's JSON 401.
    OIDCUnAuthAction pass "%{REQUEST_URI} =~ m#^/upload/(e/[^/]+/)?(s3|api)/#"
</Location>

# The admin portal: logins whose groups claim holds s3up-admins (the test provider gives
# it to every login starting with "admin"); others get 403.
<Location /admin>
    SetHandler s3up-admin
</Location>

# Upload links: no account; the link (and its passcode) is the permission.
<Location /drop>
    SetHandler s3up-drop
</Location>

LogFormat "%{%Y-%m-%dT%H:%M:%S%z}t %a user=\"%{S3UP_USER}e\" endpoint=\"%{S3UP_ENDPOINT}e\" key=\"%{S3UP_KEY}e\" bytes=%{S3UP_BYTES}e status=%>s" s3up_upload
CustomLog "$RUN/httpd/uploads.log" s3up_upload env=S3UP_KEY
LogFormat "%{%Y-%m-%dT%H:%M:%S%z}t %a admin=\"%{S3UP_USER}e\" endpoint=\"%{S3UP_ENDPOINT}e\" key=\"%{S3UP_KEY}e\" status=%>s \"%m %U\"" s3up_admin
CustomLog "$RUN/httpd/admin.log" s3up_admin "expr=%{REQUEST_URI} =~ m#^/admin/api/# && -n %{ENV:S3UP_USER}"

Include "$RUN/local.conf"
EOF
}

start_stack() {
    if [[ -f $RUN/stack.env ]]; then
        if stack_running; then
            say "already running (./build.sh stop first to restart)"
            stack_info
            return 0
        fi
        say "what an earlier start left in $(short "$RUN") is not running: stopping it first"
        stop_stack
    fi
    mkdir -p "$RUN"
    RUN=$(cd "$RUN" && pwd)
    # From here on, a failure stops what was started (errtrace: also inside functions).
    set -E
    trap 'trap - ERR; say "start failed; stopping what it started"; stop_stack' ERR
    local rgw_dir owned bucket
    if [[ -n ${S3UP_RGW_DIR:-} ]]; then
        rgw_dir=$(cd "$S3UP_RGW_DIR" && pwd)
        [[ -f $rgw_dir/rgw.env ]] || {
            say "S3UP_RGW_DIR=$S3UP_RGW_DIR: no rgw.env there (t/lib/rgw.sh start DIR writes it)"
            false
        }
        owned=0
        bucket=s3up-quickstart-$(openssl rand -hex 4)
        say "the Ceph RGW of $(short "$rgw_dir"), bucket $bucket"
        t/lib/rgw.sh bucket "$rgw_dir" "$bucket"
    else
        rgw_dir=$RUN/rgw
        owned=1
        t/lib/rgw.sh start "$rgw_dir"
        bucket=$(sed -n 's/^S3UP_TEST_BUCKET=//p' "$rgw_dir/rgw.env")
    fi
    (
        umask 077
        grep -v '^S3UP_TEST_BUCKET=' "$rgw_dir/rgw.env"
        echo "S3UP_TEST_BUCKET=$bucket"
        echo "S3UP_STACK_RGW_OWNED=$owned"
    ) >"$RUN/stack.env"
    load_stack_env
    # httpd's address comes first: the provider must know the redirect URI.
    local port url
    port=${HTTPD_PORT:-$(t/lib/freeport)}
    url=http://127.0.0.1:$port
    say "OpenID provider"
    OIDC_REDIRECT_URIS=$(HTTPD_URL=$url t/lib/oidc-conf.sh --redirect-uri /upload) \
        t/lib/oidc.sh start "$RUN/oidc" >/dev/null
    say "bucket CORS rule for $url"
    AWS_ACCESS_KEY_ID=$S3UP_TEST_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3UP_TEST_SECRET_KEY \
        AWS_DEFAULT_REGION=$S3UP_TEST_REGION AWS_CONFIG_FILE=/dev/null \
        AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true \
        conf/s3up-cors --endpoint-url "$S3UP_TEST_ENDPOINT" "$S3UP_TEST_BUCKET" "$url" \
        >"$RUN/cors.log"
    say "endpoint 'demo' for the login 'demo'"
    /usr/bin/python3 t/lib/s3tool.py endpoint demo members=demo "note=./build.sh start"
    mkdir -p "$RUN/httpd"
    write_portal_conf "$url"
    HTTPD_PORT=$port bash t/lib/httpd.sh start "$RUN/httpd" "$RUN/portal.conf"
    trap - ERR
    stack_info
}

# Stops httpd, the provider and the stack's own RGW (run/rgw; never one of
# S3UP_RGW_DIR), by the PIDs recorded in run/.
stop_stack() {
    if [[ -d $RUN/httpd ]]; then
        bash t/lib/httpd.sh stop "$RUN/httpd"
    fi
    if [[ -d $RUN/oidc ]]; then
        t/lib/oidc.sh stop "$RUN/oidc"
    fi
    if [[ -d $RUN/rgw ]]; then
        t/lib/rgw.sh stop "$RUN/rgw"
    fi
    rm -f "$RUN/stack.env"
    say "stopped"
}

# The Debian package, built from a copy of this tree (the tree's own build/ and
# htdocs/vendor/ stay as they are; the package is built from the sources) into build/deb/.
# The copy links this tree's node_modules, from which the package takes Uppy's bundle.
build_deb() {
    local version out stage t0
    version=$(dpkg-parsechangelog -S Version)
    out=$ROOT/build/deb
    stage=$out/libapache2-mod-s3up-$version
    rm -rf "$out"
    mkdir -p "$stage"
    tar -C "$ROOT" --exclude=./.git --exclude=./build --exclude=./run --exclude=./t/tmp \
        --exclude=./node_modules --exclude=./htdocs/vendor --exclude='*.lo' --exclude='*.slo' \
        --exclude='*.la' --exclude=.libs -cf - . | tar -C "$stage" -xf -
    ln -s "$ROOT/node_modules" "$stage/node_modules"
    say "dpkg-buildpackage in $stage"
    t0=$SECONDS
    (cd "$stage" && dpkg-buildpackage -b -us -uc -j"$(nproc)") >"$out/build.log" 2>&1 || {
        tail -n 40 "$out/build.log" >&2
        say "the package build failed; its log: $out/build.log"
        exit 1
    }
    say "built in $((SECONDS - t0)) s (log: $out/build.log)"
    say "lintian"
    lintian --allow-root --info "$out"/libapache2-mod-s3up_"${version}"_*.deb
    rm -rf "$stage"
    ls -l "$out"/*.deb
    echo "install: apt install $out/$(cd "$out" && echo libapache2-mod-s3up_"${version}"_*.deb) && a2enmod s3up"
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
deb)
    install_deps "${DEB_PKGS[@]}"
    build_deb
    ;;
*)
    echo "usage: $0 [build|test|start|stop|deb]" >&2
    exit 2
    ;;
esac
