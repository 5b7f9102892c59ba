#!/bin/bash
# flux-resourced on every rank of a 4-rank instance: it assembles R from the ranks' hellos,
# tracks which are online, drains and undrains durably in resource.eventlog, and refuses
# bad targets.
TEST_NAME=t0019-resourced
. "$(dirname "$0")/lib.sh"

RPC=$HELPERS_DIR/rpc
RESOURCED=$SRCDIR/resourced/flux-resourced

# start_resourced RANK: a resourced for RANK started by hand (after flux start's has gone);
# its pid is kept in a file, since tests run in subshells.
start_resourced() {
    "$RESOURCED" --rank="$1" --size=4 --uri="$(rank_uri "$1")" --hostname="fluke$1" \
        --hosts='fluke[0-3]' >>"$TEST_DIR/resourced.$1.log" 2>&1 &
    echo $! >"$TEST_DIR/resourced.$1.pid"
}
status_has() {
    "$RPC" resource.status '{}' 0 | grep -q "$1"
}
stop_resourced() {
    local f
    for f in "$TEST_DIR"/resourced.*.pid; do
        [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null && rm -f "$f"
    done
}
resourced_pid() {
    pgrep -f "^/.*/flux-resourced --rank=$1 --size=[0-9]+ --uri=ipc://$(instance_rundir)/rank-$1/router"
}

mkdir -p "$TEST_DIR/state" "$TEST_DIR/conf"
echo 'access = { allow-guest-user = true; };' >"$TEST_DIR/conf/access.conf"
start_instance --size=4 --test-hosts='fluke[0-3]' --state-dir="$TEST_DIR/state" -c "$TEST_DIR/conf"

test_expect_success 'every rank says hello: R is assembled, all four online' '
    wait_for 10 status_has "\"online\":\"0-3\"" &&
    "$RPC" resource.status "{}" 0 >status.out &&
    grep -q "\"nodelist\":\[\"fluke\[0-3\]\"\]" status.out &&
    grep -q "\"hosts\":\"fluke\[0-3\]\"" status.out
'
test_expect_success 'drain a host with a reason: recorded in resource.eventlog' '
    "$RPC" resource.drain "{\"targets\":\"fluke2\",\"reason\":\"node is fubar\"}" 0 >d.out &&
    grep -q "\"ranks\":\"2\"" d.out &&
    status_has "\"drained\":\"2\"" &&
    status_has "\"reason\":\"node is fubar\"" &&
    flux kvs eventlog get resource.eventlog | grep -q "drain idset=2 nodelist=fluke2 reason=node is fubar"
'
test_expect_success 'draining it again fails unless asked to update the reason' '
    "$RPC" resource.drain "{\"targets\":\"2\",\"reason\":\"x\"}" 0 >again.out;
    grep -q "error: rank 2 (fluke2) is already drained" again.out &&
    "$RPC" resource.drain "{\"targets\":\"2\",\"reason\":\"new reason\",\"mode\":\"update\"}" 0 &&
    status_has "\"reason\":\"new reason\""
'
test_expect_success 'unknown hosts, ranks beyond the instance, undrain of an undrained rank fail' '
    "$RPC" resource.drain "{\"targets\":\"fluke9\"}" 0 | grep -q "error: unknown host fluke9" &&
    "$RPC" resource.drain "{\"targets\":\"7\"}" 0 | grep -q "error: rank 7 is not in this instance" &&
    "$RPC" resource.undrain "{\"targets\":\"1\"}" 0 | grep -q "error: rank 1 (fluke1) is not drained"
'
test_expect_success 'a guest sees the status but cannot drain or undrain' '
    ensure_guest_user || exit 0
    as_guest flux resource status >g.status &&
    grep -q "fluke\[0-1,3\]" g.status &&
    ! as_guest flux resource drain 1 guest was here 2>g.err &&
    cat g.err &&
    grep -q "requires the instance owner" g.err &&
    ! as_guest flux resource undrain 2 2>/dev/null &&
    ! status_has "\"drained\":\"1" &&
    status_has "\"drained\":\"2\""
'
test_expect_success 'a rank whose resourced stops goes offline' '
    kill $(resourced_pid 3) &&
    wait_for 10 status_has "\"online\":\"0-2\""
'
test_expect_success 'it comes back online when it says hello again' '
    start_resourced 3 &&
    wait_for 10 status_has "\"online\":\"0-3\""
'
stop_resourced
stop_instance
test_expect_success 'the instance stops cleanly' 'test $STOP_RC -eq 143'

start_instance --size=4 --test-hosts='fluke[0-3]' --state-dir="$TEST_DIR/state"
test_expect_success 'after a full restart the drain and its reason are back' '
    wait_for 10 status_has "\"online\":\"0-3\"" &&
    status_has "\"drained\":\"2\"" &&
    status_has "\"reason\":\"new reason\""
'
test_expect_success 'undrain: the rank is available again, durably' '
    "$RPC" resource.undrain "{\"targets\":\"fluke2\"}" 0 | grep -q "\"ranks\":\"2\"" &&
    status_has "\"drained\":\"\"" &&
    flux kvs eventlog get resource.eventlog | grep -q "undrain idset=2"
'
stop_instance
test_expect_success 'the second instance stops cleanly' 'test $STOP_RC -eq 143'

# More test hosts than ranks (make run does this): only the ranks' hosts count.
start_instance --size=2 --test-hosts='fluke[0-5]'
test_expect_success 'more hosts named than ranks run: the status names the ranks'"'"' hosts' '
    wait_for 10 status_has "\"online\":\"0-1\"" &&
    status_has "\"hosts\":\"fluke\[0-1\]\"" &&
    flux resource status -s all -no {nodelist} >nl.out &&
    test "$(cat nl.out)" = "fluke[0-1]"
'
stop_instance
test_done
