#!/usr/bin/env bash
# A private single-node Ceph cluster (mon + bluestore OSD on a sparse file +
# radosgw) for the tests, everything inside one folder, bound to 127.0.0.1 on
# ports chosen at run time. No mgr, no systemd. See README.md, "Test bed".
#
#   t/lib/rgw.sh start DIR          start; writes DIR/rgw.env (S3UP_TEST_*)
#   t/lib/rgw.sh stop DIR           stop the daemons this DIR recorded
#   t/lib/rgw.sh bucket DIR NAME    create another bucket
#   t/lib/rgw.sh aws DIR ARGS...    run the aws cli against this gateway
#   t/lib/rgw.sh admin DIR ARGS...  run radosgw-admin on this cluster (the
#                                   test user is "test"; e.g. key create/rm)
#   t/lib/rgw.sh stop-radosgw DIR   kill radosgw alone, as a crash would (mon and
#                                   OSD keep running)
#   t/lib/rgw.sh start-radosgw DIR  start it again: same port, config, keys, data
#   t/lib/rgw.sh restart-radosgw DIR  both (an S3 outage; rgw.env stays valid)
#
# RGW_EXTRA_ADDRS (space-separated IPv4 addresses of this machine, e.g. the host
# side of a benchmark's delay link) makes the gateway listen there too, on the
# same port; S3UP_TEST_ENDPOINT stays on 127.0.0.1.
#
# Only PIDs recorded under DIR/pids are ever signalled.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RGW_NAME=client.rgw.t
MSGR_PORTS=12 # the OSD binds 4 (public, cluster, 2 heartbeat); room to spare

# The python3 first on PATH may be a pyenv one without Debian's modules.
AWS=/usr/bin/aws
[[ -x $AWS ]] || AWS=aws

say() { echo "rgw.sh: $*" >&2; }

usage() {
    echo "usage: $0 start DIR | stop DIR | bucket DIR NAME | aws DIR ARGS... | admin DIR ARGS..." \
        "| stop-radosgw DIR | start-radosgw DIR | restart-radosgw DIR" >&2
    exit 2
}

now() { date +%s.%N; }

# Random AWS-shaped keys: randstr LENGTH ALPHABET.
randstr() {
    /usr/bin/python3 -c 'import secrets, sys
print("".join(secrets.choice(sys.argv[2]) for _ in range(int(sys.argv[1]))))' "$@"
}

# PID file -> PID, only if that process is still ours: its command line names
# our config file (guards against PID reuse after a crash).
live_pid() {
    local f=$1 pid
    [[ -s $f ]] || return 1
    pid=$(<"$f")
    [[ -r /proc/$pid/cmdline ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$CONF" || return 1
    echo "$pid"
}

# Stop one recorded daemon: SIG, wait up to $3 s, then SIGKILL; wait for exit.
stop_one() {
    local name=$1 sig=$2 wait=$3 pid i
    pid=$(live_pid "$D/pids/$name") || {
        rm -f "$D/pids/$name"
        return 0
    }
    kill "-$sig" "$pid" 2>/dev/null || true
    for ((i = 0; i < wait * 10; i++)); do
        [[ -d /proc/$pid ]] || break
        sleep 0.1
    done
    if [[ -d /proc/$pid ]]; then
        say "$name (pid $pid) still running after SIG$sig for ${wait}s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        while [[ -d /proc/$pid ]]; do sleep 0.1; done
    fi
    rm -f "$D/pids/$name"
}

stop_all() {
    stop_one rgw KILL 10
    stop_one osd.0 TERM 20
    stop_one mon.a TERM 20
}

# Start a daemon in its own session (so a Ctrl-C at the terminal does not
# reach it: `stop` is the one way down) and record its PID.
launch() {
    local name=$1 pid i
    shift
    setsid "$@" </dev/null >"$D/log/$name.out" 2>&1 &
    pid=$!
    echo "$pid" >"$D/pids/$name"
    # Until the child has exec'd, its command line is this script's, and live_pid
    # would take it for a daemon that exited (seen on a loaded machine).
    for ((i = 0; i < 100; i++)); do
        if live_pid "$D/pids/$name" >/dev/null || [[ ! -d /proc/$pid ]]; then break; fi
        sleep 0.05
    done
}

# On a start failure: say what failed, show the log that explains it, stop
# what was started, exit non-zero.
STAGE=setup
STAGE_LOG=
fail() {
    local rc=$?
    trap - EXIT INT TERM
    local f n=40
    if ((rc == 130)); then
        say "interrupted during: $STAGE; stopping what was started"
        STAGE_LOG=
    else
        say "FAILED during: $STAGE (exit $rc)"
    fi
    for f in $STAGE_LOG; do # the log that explains the stage first
        [[ -s $f ]] || continue
        echo "---- tail $f" >&2
        tail -n "$n" "$f" >&2
        n=10
    done
    echo "---- logs kept in $D/log" >&2
    stop_all
    exit $((rc ? rc : 1))
}

# Wait (up to $2 s) for command $3... to succeed, failing early if daemon $1 died.
wait_for() {
    local name=$1 secs=$2 i
    shift 2
    for ((i = 0; i < secs * 5; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        if [[ -n $name ]] && ! live_pid "$D/pids/$name" >/dev/null; then
            say "$name exited"
            return 1
        fi
        sleep 0.2
    done
    say "timed out after ${secs}s waiting for: $*"
    return 1
}

ceph_cli() { ceph -c "$CONF" --connect-timeout 30 "$@"; }

osd_up() { ceph_cli osd dump 2>/dev/null | grep -q '^osd\.0 up'; }

http_up() { curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$RGW_PORT/"; }

aws_cmd() {
    # shellcheck disable=SC1091
    source "$D/rgw.env"
    AWS_CONFIG_FILE=$D/aws/config AWS_SHARED_CREDENTIALS_FILE=$D/aws/credentials \
        AWS_PAGER='' AWS_EC2_METADATA_DISABLED=true \
        "$AWS" --endpoint-url "$S3UP_TEST_ENDPOINT" "$@"
}

make_bucket() {
    aws_cmd s3api create-bucket --bucket "$1" >/dev/null
}

write_conf() {
    cat >"$CONF" <<EOF
[global]
fsid = $FSID
mon host = [v2:127.0.0.1:$MON_PORT]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
ms bind msgr2 = true
ms bind port min = $MSGR_MIN
ms bind port max = $MSGR_MAX
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $D/keyring
run dir = $D/run
admin socket = $D/run/\$cluster-\$name.asok
pid file = $D/run/\$cluster-\$name.pid
log file = $D/log/\$name.log
mon cluster log file = $D/log/cluster.log
crash dir = $D/crash
log to syslog = false
err to syslog = false
log to journald = false
err to journald = false
mon data = $D/mon/\$cluster-\$id
osd data = $D/osd/\$cluster-\$id
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
mon data avail warn = 1
mon data avail crit = 0

[osd]
osd objectstore = bluestore
bluestore block path = $D/osd/block
bluestore block create = true
bluestore block size = 8589934592
osd memory target = 939524096
osd op num shards = 1
osd op num threads per shard = 2

[$RGW_NAME]
rgw data = $D/rgw
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT$EXTRA_ENDPOINTS
rgw dns name = 127.0.0.1
rgw thread pool size = 64
# Deleted and overwritten data waits for GC, 2 h by default: big test
# uploads would fill the 8 GiB OSD file.
rgw gc obj min wait = 30
rgw gc processor period = 30
# Server-side encryption for the tests: SSE-KMS with its key kept here (the
# "testing" backend), allowed over plain HTTP. RGW 16 accepts and ignores
# x-amz-server-side-encryption: AES256 (no SSE-S3 before Ceph 17).
rgw crypt s3 kms backend = testing
rgw crypt s3 kms encryption keys = $KMS_KEY_ID=$KMS_KEY
rgw crypt require ssl = false
EOF
}

# A first port with $MSGR_PORTS free ports after it, below the ephemeral range
# (so outgoing connections do not take them meanwhile), picked at random so
# two clusters started at once do not pick the same range.
pick_msgr_range() {
    /usr/bin/python3 - "$MSGR_PORTS" "$@" <<'EOF'
import random, socket, sys
n = int(sys.argv[1])
taken = {int(p) for p in sys.argv[2:]}
for _ in range(200):
    base = random.randrange(20000, 32000 - n)
    socks = []
    try:
        for p in range(base, base + n):
            if p in taken:
                raise OSError
            s = socket.socket()
            socks.append(s)
            s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(base)
    sys.exit(0)
sys.exit("no free port range")
EOF
}

cmd_start() {
    if [[ -e $D/pids ]] && [[ -n $(ls -A "$D/pids") ]]; then
        say "$D already has recorded daemons; run: $0 stop $D"
        exit 1
    fi
    if ((${#D} > 70)); then
        # Admin sockets live in DIR/run; a unix socket path has 107 bytes at most.
        say "DIR path too long for admin sockets (${#D} > 70 chars): $D"
        exit 1
    fi
    local t0 t1
    t0=$(now)
    rm -rf "${D:?}"/{mon,osd,rgw,run,log,crash,pids,aws,keyring,monmap,ceph.conf,rgw.env,secret}
    mkdir -p "$D"/{mon,osd/ceph-0,rgw,run,log,crash,pids,aws}
    trap fail EXIT
    trap 'exit 130' INT TERM

    read -r MON_PORT RGW_PORT < <("$HERE/freeport" 2 | xargs)
    MSGR_MIN=$(pick_msgr_range "$MON_PORT" "$RGW_PORT")
    MSGR_MAX=$((MSGR_MIN + MSGR_PORTS - 1))
    FSID=$(uuidgen)
    EXTRA_ENDPOINTS=
    local a
    for a in ${RGW_EXTRA_ADDRS:-}; do EXTRA_ENDPOINTS+=" endpoint=$a:$RGW_PORT"; done
    KMS_KEY_ID=s3up-test
    KMS_KEY=$(openssl rand -base64 32)
    write_conf

    STAGE="keyring and monmap"
    STAGE_LOG=
    local kr=$D/keyring
    ceph-authtool --create-keyring "$kr" --gen-key -n mon. --cap mon 'allow *' >/dev/null
    ceph-authtool "$kr" --gen-key -n client.admin \
        --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
    ceph-authtool "$kr" --gen-key -n osd.0 \
        --cap mon 'allow profile osd' --cap osd 'allow *' --cap mgr 'allow profile osd' >/dev/null
    ceph-authtool "$kr" --gen-key -n "$RGW_NAME" \
        --cap mon 'allow rw' --cap osd 'allow rwx' --cap mgr 'allow rw' >/dev/null
    chmod 600 "$kr"
    monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" "$D/monmap" >/dev/null

    STAGE="ceph-mon mkfs and start"
    STAGE_LOG="$D/log/mon.a.log $D/log/mon.a.out"
    ceph-mon -c "$CONF" --mkfs -i a --monmap "$D/monmap" --keyring "$kr" >"$D/log/mon.a.out" 2>&1
    launch mon.a ceph-mon -c "$CONF" -i a -f

    STAGE="ceph-osd mkfs and start"
    STAGE_LOG="$D/log/osd.0.log $D/log/osd.0.out $D/log/mon.a.log"
    local osd_uuid
    osd_uuid=$(uuidgen)
    ceph_cli osd new "$osd_uuid" 0 >/dev/null
    ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" >"$D/log/osd.0.out" 2>&1
    launch osd.0 ceph-osd -c "$CONF" -i 0 -f
    wait_for osd.0 90 osd_up

    STAGE="radosgw start"
    STAGE_LOG="$D/log/$RGW_NAME.log $D/log/rgw.out $D/log/osd.0.log"
    launch rgw radosgw -c "$CONF" -n "$RGW_NAME" -f
    wait_for rgw 90 http_up

    STAGE="S3 user"
    STAGE_LOG="$D/log/radosgw-admin.out"
    local ak sk
    ak=$(randstr 20 ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789)
    sk=$(randstr 40 ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789)
    radosgw-admin -c "$CONF" user create --uid test --display-name "s3up test" \
        --access-key "$ak" --secret "$sk" >"$D/log/radosgw-admin.out" 2>&1
    (
        umask 077
        printf '%s' "$sk" >"$D/secret"
        printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
            "$ak" "$sk" >"$D/aws/credentials"
    )
    printf '[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n' >"$D/aws/config"
    (
        umask 077
        cat >"$D/rgw.env" <<EOF
S3UP_TEST_ENDPOINT=http://127.0.0.1:$RGW_PORT
S3UP_TEST_REGION=us-east-1
S3UP_TEST_ACCESS_KEY=$ak
S3UP_TEST_SECRET_KEY=$sk
S3UP_TEST_SECRET_KEY_FILE=$D/secret
S3UP_TEST_BUCKET=s3up-test
S3UP_TEST_RGW_DIR=$D
S3UP_TEST_KMS_KEY_ID=$KMS_KEY_ID
S3UP_TEST_STORAGE_CLASS=COLD
EOF
    )

    # A second storage class, COLD, beside STANDARD. The zone exists once
    # radosgw has made it, and radosgw reads it when it starts: so again,
    # stopped gently (a killed one leaves its watch behind, and the next
    # radosgw-admin change would wait 30 s for it).
    STAGE="storage class"
    STAGE_LOG="$D/log/placement.out"
    {
        radosgw-admin -c "$CONF" zonegroup placement add --rgw-zonegroup default \
            --placement-id default-placement --storage-class COLD &&
            radosgw-admin -c "$CONF" zone placement add --rgw-zone default \
                --placement-id default-placement --storage-class COLD \
                --data-pool default.rgw.cold.data
    } >"$D/log/placement.out" 2>&1
    stop_one rgw TERM 10
    launch rgw radosgw -c "$CONF" -n "$RGW_NAME" -f
    wait_for rgw 90 http_up

    STAGE="test bucket"
    STAGE_LOG="$D/log/$RGW_NAME.log"
    make_bucket s3up-test

    trap - EXIT INT TERM
    t1=$(now)
    say "$(printf 'Ceph RGW up in %.1f s: http://127.0.0.1:%s (mon %s, msgr %s-%s), dir %s' \
        "$(awk "BEGIN{print $t1 - $t0}")" "$RGW_PORT" "$MON_PORT" "$MSGR_MIN" "$MSGR_MAX" "$D")"
}

# radosgw alone, down and up again: what an S3 outage looks like to the module. The
# cluster under it keeps running, so the gateway comes back on the same port with the
# same config, users, keys and buckets (rgw.env stays valid) within seconds.
rgw_port() { sed -n 's/^rgw frontends = beast endpoint=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$CONF"; }

cmd_stop_radosgw() {
    stop_one rgw KILL 10
    drop_dead_watchers
}

# A killed radosgw leaves its watches on the control objects for 30 s: until they time
# out, every radosgw-admin change (a key, a user) waits for it to acknowledge, in vain.
# With no radosgw running, every watcher there is a dead one: blocklisting its address
# makes the OSD drop its watches now (the next radosgw has another address). A radosgw
# watches every notify.N: the first one names them all.
drop_dead_watchers() {
    local addr
    { rados -c "$CONF" -p default.rgw.control listwatchers notify.0 2>/dev/null || true; } |
        sed -n 's/^watcher=\([^ ]*\) .*/\1/p' | sort -u | while read -r addr; do
        ceph_cli osd blocklist add "$addr" 3600 >/dev/null 2>&1 ||
            say "could not blocklist the dead radosgw's address $addr"
    done
}

cmd_start_radosgw() {
    if live_pid "$D/pids/rgw" >/dev/null; then
        say "radosgw of $D is running already"
        exit 1
    fi
    live_pid "$D/pids/osd.0" >/dev/null || {
        say "the cluster of $D is not running: $0 start $D"
        exit 1
    }
    RGW_PORT=$(rgw_port)
    launch rgw radosgw -c "$CONF" -n "$RGW_NAME" -f
    wait_for rgw 90 http_up || {
        tail -n 40 "$D/log/$RGW_NAME.log" "$D/log/rgw.out" >&2
        exit 1
    }
}

[[ $# -ge 2 ]] || usage
ACTION=$1
[[ $ACTION == start ]] && mkdir -p "$2"
[[ -d $2 ]] || { say "no such folder: $2"; exit 1; }
D=$(cd "$2" && pwd)
CONF=$D/ceph.conf
shift 2

case $ACTION in
start)
    [[ $# -eq 0 ]] || usage
    cmd_start
    ;;
stop)
    [[ $# -eq 0 ]] || usage
    [[ -d $D/pids ]] && stop_all
    ;;
bucket)
    [[ $# -eq 1 ]] || usage
    make_bucket "$1"
    ;;
aws)
    aws_cmd "$@"
    ;;
admin)
    radosgw-admin -c "$CONF" "$@"
    ;;
stop-radosgw)
    [[ $# -eq 0 ]] || usage
    cmd_stop_radosgw
    ;;
start-radosgw)
    [[ $# -eq 0 ]] || usage
    cmd_start_radosgw
    ;;
restart-radosgw)
    [[ $# -eq 0 ]] || usage
    cmd_stop_radosgw
    cmd_start_radosgw
    ;;
*) usage ;;
esac
