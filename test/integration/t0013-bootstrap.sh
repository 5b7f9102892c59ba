#!/bin/bash
# A system-instance style bootstrap on one machine: three "hosts" on loopback with their
# own bind/connect endpoints and an explicit parent (a custom tree), ranks taken from host
# names, a host that is not listed refused, and identity carried across the overlay.
. "$(dirname "$0")/lib.sh"

read -r P0 P1 < <("$SRCDIR/test/helpers/freeport" 2 | tr '\n' ' ')
mkdir -p "$TEST_DIR/conf"
flux keygen "$TEST_DIR/curve.cert"
cat >"$TEST_DIR/conf/bootstrap.conf" <<EOF2
bootstrap = {
    curve_cert = "$TEST_DIR/curve.cert";
    hosts = (
        { host = "boot0"; bind = "tcp://127.0.0.1:$P0"; connect = "tcp://127.0.0.1:$P0"; },
        { host = "boot1"; bind = "tcp://127.0.0.1:$P1"; connect = "tcp://127.0.0.1:$P1"; },
        { host = "boot2"; parent = "boot1"; }
    );
};
access = { allow-guest-user = true; };
EOF2

declare -a PIDS
start_host() {
    mkdir -p "$TEST_DIR/$1"
    "$SRCDIR/overlayd/flux-overlayd" --config-path="$TEST_DIR/conf" --hostname="$1" \
        --uri="ipc://$TEST_DIR/$1/router" --munge-socket="$FLUX_MUNGE_SOCKET" \
        >"$TEST_DIR/$1.log" 2>&1 &
    PIDS+=($!)
}
boot_cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    [ -n "${MUNGED_PID:-}" ] && kill "$MUNGED_PID" 2>/dev/null
    cleanup
}
trap boot_cleanup EXIT
at() { local h=$1; shift; FLUX_URI="ipc://$TEST_DIR/$h/router" "$@"; }
joined() { at boot2 flux ping -c 1 -t 1 0 >/dev/null 2>&1; }

start_private_munged
start_host boot2; start_host boot1; start_host boot0

test_expect_success 'every host joins; ranks come from the position of its name' '
    wait_for 15 joined &&
    test "$(at boot0 flux getattr rank)" = 0 &&
    test "$(at boot1 flux getattr rank)" = 1 &&
    test "$(at boot2 flux getattr rank)" = 2 &&
    test "$(at boot2 flux getattr size)" = 3
'
test_expect_success 'an explicit parent makes a custom tree: boot2 hangs under boot1' '
    test "$(at boot0 flux overlay parentof 2)" = 1 &&
    at boot0 flux ping -c 1 2 | grep -q "(0\.[0-9]*!1\.[0-9]*!2\.[0-9]*!2)$" &&
    at boot0 flux overlay status >out && cat out &&
    printf "0 boot0: full\n└─ 1 boot1: full\n   └─ 2 boot2: full\n" | diff -u - out
'
test_expect_success 'a host not in bootstrap.hosts refuses to start, saying so' '
    timeout 10 "$SRCDIR/overlayd/flux-overlayd" --config-path="$TEST_DIR/conf" \
        --hostname=stranger --uri="ipc://$TEST_DIR/stranger" 2>err; rc=$?
    cat err; test $rc -eq 1 &&
    grep -q "this host (stranger) is not in bootstrap.hosts" err
'
test_expect_success 'the owner crossing the overlay is still the owner at rank 0' '
    at boot2 flux ping -u -c 1 0 >out && cat out &&
    grep -q "userid=$(id -u) rolemask=0x1$" out
'
if ensure_guest_user; then
    test_expect_success 'a guest connected at rank 2 is seen at rank 0 with its own uid, as a guest' '
        FLUX_URI="ipc://$TEST_DIR/boot2/router" as_guest flux ping -u -c 1 0 >out && cat out &&
        grep -q "userid=$(id -u $GUEST_USER) rolemask=0x2$" out
    '
    test_expect_status 1 'and may not do owner things there' '
        FLUX_URI="ipc://$TEST_DIR/boot2/router" as_guest flux overlay disconnect 1 2>err; rc=$?
        cat err; grep -q "requires the instance owner" err || exit 9; exit $rc
    '
else
    test_skip 'identity of a guest across the overlay' 'cannot create the guest user'
fi
test_done
