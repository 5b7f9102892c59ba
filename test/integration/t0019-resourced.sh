#!/bin/bash
# flux-resourced (not yet started by flux start: see doc/resource.md): started by hand on
# every rank of a 4-rank instance, it assembles R from the ranks' hellos, tracks which are
# online, drains and undrains durably in resource.eventlog, and refuses bad targets.
TEST_NAME=t0019-resourced
. "$(dirname "$0")/lib.sh"

RPC=$HELPERS_DIR/rpc
RESOURCED=$SRCDIR/resourced/flux-resourced
rd_pids=()

# start_resourced RANK: this instance's resourced for RANK, in the background.
start_resourced() {
    "$RESOURCED" --rank="$1" --size=4 --uri="$(rank_uri "$1")" --hostname="fluke$1" \
        --hosts='fluke[0-3]' >>"$TEST_DIR/resourced.$1.log" 2>&1 &
    rd_pids[$1]=$!
}
status_has() {
    "$RPC" resource.status '{}' 0 | grep -q "$1"
}
stop_resourced() {
    kill "${rd_pids[@]}" 2>/dev/null
    wait "${rd_pids[@]}" 2>/dev/null
}

mkdir -p "$TEST_DIR/state"
start_instance --size=4 --test-hosts='fluke[0-3]' --state-dir="$TEST_DIR/state"
for r in 0 1 2 3; do start_resourced $r; done

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
test_expect_success 'a guest cannot drain' '
    ensure_guest_user || exit 0
    as_guest "$RPC" resource.drain "{\"targets\":\"1\"}" 0 >g.out;
    cat g.out;
    grep -q "^error:" g.out &&
    ! status_has "\"drained\":\"1"
'
test_expect_success 'a rank whose resourced stops goes offline' '
    kill ${rd_pids[3]} && wait ${rd_pids[3]} 2>/dev/null;
    wait_for 10 status_has "\"online\":\"0-2\""
'
test_expect_success 'it comes back online when it says hello again' '
    start_resourced 3 &&
    wait_for 10 status_has "\"online\":\"0-3\""
'
stop_resourced
stop_instance

start_instance --size=4 --test-hosts='fluke[0-3]' --state-dir="$TEST_DIR/state"
rd_pids=()
for r in 0 1 2 3; do start_resourced $r; done
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
stop_resourced
stop_instance
test_done
