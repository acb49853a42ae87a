# shellcheck shell=bash
# TAP for bash test scripts (t/integration/*.t), run by prove.
#   source "$(dirname "$0")/../lib/tap.sh"
#   is "$got" "$expected" "name";  ok COMMAND... ;  like "$got" REGEX "name"
#   done_testing   (last line; exits non-zero if anything failed)
# A failure says what was expected and what came.

TAP_N=0
TAP_FAILED=0

tap_result() {
    local pass=$1 name=$2
    TAP_N=$((TAP_N + 1))
    if ((pass)); then
        echo "ok $TAP_N - $name"
    else
        TAP_FAILED=$((TAP_FAILED + 1))
        echo "not ok $TAP_N - $name"
    fi
}

diag() { printf '# %s\n' "$@"; }

# ok NAME COMMAND... : passes when COMMAND exits 0.
ok() {
    local name=$1
    shift
    local out rc=0
    out=$("$@" 2>&1) || rc=$?
    tap_result $((rc == 0)) "$name"
    ((rc == 0)) || diag "command: $*" "exit $rc, output:" "$out"
    return 0
}

is() {
    local got=$1 want=$2 name=$3
    tap_result "$([[ $got == "$want" ]] && echo 1 || echo 0)" "$name"
    [[ $got == "$want" ]] || diag "expected: '$want'" "     got: '$got'"
    return 0
}

like() {
    local got=$1 re=$2 name=$3
    tap_result "$([[ $got =~ $re ]] && echo 1 || echo 0)" "$name"
    [[ $got =~ $re ]] || diag "expected to match: /$re/" "got: '$got'"
    return 0
}

BAIL_OUT() {
    echo "Bail out! $*"
    exit 255
}

done_testing() {
    echo "1..$TAP_N"
    ((TAP_FAILED == 0))
}
