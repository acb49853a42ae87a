#!/usr/bin/env bash
# mod_s3up entry points (Debian 12; root, or sudo, to install packages):
#
#   ./build.sh          install what is missing, build (make)
#   ./build.sh test     ... then run every test (t/run)
#   ./build.sh start    ... then start a local portal in run/: Ceph RGW, an OpenID
#                       provider, httpd with the portal at /upload (sign in as demo)
#   ./build.sh stop     stop that stack
#   ./build.sh deb      build the Debian package into build/deb/ (docs/install.md)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$ROOT"

say() { echo "build.sh: $*" >&2; }

# Debian packages the build needs, then those of the test bed (see t/, TESTBED in the docs).
BUILD_PKGS=(
    build-essential pkg-config make perl curl ca-certificates
    apache2-dev libcurl4-openssl-dev libssl-dev libxml2-dev libaprutil1-dev libjansson-dev
)
PKGS=(
    "${BUILD_PKGS[@]}" python3 uuid-runtime
    apache2 libapache2-mod-auth-openidc
    ceph radosgw awscli python3-botocore
    wrk chromium clang-format
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

RUN=$ROOT/run

stack_info() {
    # shellcheck disable=SC1091
    source "$RUN/rgw/rgw.env"
    echo
    echo "mod_s3up local stack (run/):"
    if [[ -f $RUN/httpd/httpd.env ]]; then
        # shellcheck disable=SC1091
        source "$RUN/httpd/httpd.env"
        echo "  portal:        $HTTPD_URL/upload/"
        echo "                 sign in with login 'demo' and any password; files go to the"
        echo "                 endpoint 'demo' (s3://$S3UP_TEST_BUCKET/uploads/demo/)"
        echo "  httpd:         pid $HTTPD_PID; config and logs in run/httpd (completed"
        echo "                 multipart uploads: run/httpd/uploads.log)"
    else
        echo "  httpd:         not started"
    fi
    if [[ -f $RUN/oidc/oidc.env ]]; then
        echo "  OpenID:        $(sed -n 's/^OIDC_ISSUER=//p' "$RUN/oidc/oidc.env")   (test provider:" \
            "any login, any password)"
    fi
    echo "  S3 (Ceph RGW): $S3UP_TEST_ENDPOINT   (path-style, region $S3UP_TEST_REGION)"
    echo "  bucket:        $S3UP_TEST_BUCKET   (CORS rule for the portal: run/cors.log)"
    echo "  access key:    $S3UP_TEST_ACCESS_KEY"
    echo "  secret key:    $S3UP_TEST_SECRET_KEY   (also in $S3UP_TEST_SECRET_KEY_FILE)"
    echo "  aws cli:       t/lib/rgw.sh aws run/rgw s3 ls --recursive s3://$S3UP_TEST_BUCKET/uploads/"
    echo "  logs:          run/rgw/log, run/oidc/oidc.log, run/httpd"
    echo "  stop:          ./build.sh stop"
}

# The portal's part of httpd's config: mod_auth_openidc for the local provider (the
# fragment of t/lib/oidc-conf.sh) in front of <Location /upload>, as in
# conf/examples/portal-oidc.conf.
write_portal_conf() {
    local url=$1
    HTTPD_URL=$url t/lib/oidc-conf.sh "$RUN/oidc" /upload >"$RUN/oidc/oidc.conf"
    (umask 077 && openssl rand -hex 32 >"$RUN/link-secret")
    cat >"$RUN/portal.conf" <<EOF
# written by ./build.sh start
LoadModule auth_openidc_module /usr/lib/apache2/modules/mod_auth_openidc.so
Include "$RUN/oidc/oidc.conf"
OIDCSessionInactivityTimeout 3600
S3UpSecretFile "$RUN/link-secret"

<Location /upload>
    SetHandler s3up-upload
    # Not signed in: pages go to the login, API calls get mod_s3up's JSON 401.
    OIDCUnAuthAction pass "%{REQUEST_URI} =~ m#^/upload/(e/[^/]+/)?(s3|api)/#"
</Location>

LogFormat "%{%Y-%m-%dT%H:%M:%S%z}t %a user=\"%{S3UP_USER}e\" endpoint=\"%{S3UP_ENDPOINT}e\" key=\"%{S3UP_KEY}e\" bytes=%{S3UP_BYTES}e status=%>s" s3up_upload
CustomLog "$RUN/httpd/uploads.log" s3up_upload env=S3UP_KEY
EOF
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
    # From here on, a failure stops what was started (errtrace: also inside functions).
    set -E
    trap 'trap - ERR; say "start failed; stopping what it started"; stop_stack' ERR
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
    write_portal_conf "$url"
    mkdir -p "$RUN/httpd"
    HTTPD_PORT=$port bash t/lib/httpd.sh start "$RUN/httpd" "$RUN/portal.conf"
    trap - ERR
    stack_info
}

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
