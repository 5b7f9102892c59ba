#!/bin/bash
# Leases: a local peer silent past router.lease is dropped; live peers heartbeat and stay.
. "$(dirname "$0")/lib.sh"
cd "$TEST_DIR" || exit 1

# holds MILLISECONDS COMMAND...: COMMAND keeps succeeding, polled every 50ms, for that long.
holds() {
    local end=$(($(date +%s%3N) + $1))
    shift
    while [ "$(date +%s%3N)" -lt "$end" ]; do
        "$@" || return 1
        sleep 0.05
    done
}
# dropped: the lease-drop counter (0 before the first drop).
dropped() {
    local v
    v=$(metric flux_router_connections_dropped_total '{reason="lease"}') || return 1
    echo "${v:-0}"
}
# settled: no connection is left but the daemons' (BASE: kvsd's; a command that exited
# without its goodbye arriving lingers until its lease expires); every check starts there.
settled() {
    wait_for 10 metric_cmp flux_router_connections "" == $BASE || {
        echo "connections did not settle to 0: $(metric flux_router_connections)"
        return 1
    }
}
# Only the metrics endpoint is polled (curl): a flux command would be a connection itself.

mkdir conf
echo 'router = { lease = "1s"; };' >conf/router.conf
start_instance -c "$TEST_DIR/conf"
cache_metrics_url
BASE=$(metric flux_router_connections)

test_expect_success 'the lease is configured to 1s' '
    test "$(flux config get router.lease)" = 1s
'
test_expect_success 'a follower killed with SIGKILL is dropped when its lease expires' '
    settled || exit 1
    flux dmesg -f >killed.out 2>&1 &
    pid=$!
    if ! wait_for 10 metric_cmp flux_router_connections "" == $((BASE + 1)); then
        echo "the follower is not counted: $(metric flux_router_connections)"
        kill $pid; exit 1
    fi
    before=$(dropped) &&
    kill -KILL $pid && { wait $pid; true; } &&
    # No goodbye was sent: the connection stays until the lease runs out.
    wait_for 10 metric_cmp flux_router_connections_dropped_total "{reason=\"lease\"}" ">=" $((before + 1)) || {
        echo "not dropped: dropped=$(dropped) connections=$(metric flux_router_connections)"; exit 1; }
    wait_for 10 metric_cmp flux_router_connections "" == $BASE || {
        echo "connections: $(metric flux_router_connections)"; exit 1; }
'
test_expect_success 'the drop is logged: dropped flux-dmesg (connection N, uid U): lease expired' '
    flux dmesg >out &&
    grep -E "overlayd\.info\[0\]: dropped flux-dmesg \(connection [0-9]+, uid $(id -u)\): lease expired$" out
'
test_expect_success 'a live follower is not dropped: its heartbeats keep it alive' '
    settled || exit 1
    flux dmesg -f -n >live.out 2>live.err &
    pid=$!
    (
        wait_for 10 metric_cmp flux_router_connections "" == $((BASE + 1)) || { echo "not counted"; exit 1; }
        before=$(dropped) || exit 1
        # Three times the lease: the follower is running, counted, and nothing was dropped.
        holds 3500 metric_cmp flux_router_connections "" == $((BASE + 1)) || {
            echo "the follower was dropped: connections=$(metric flux_router_connections)"; exit 1; }
        kill -0 $pid || { echo "the follower exited"; cat live.err; exit 1; }
        test "$(dropped)" -eq "$before" || { echo "dropped went from $before to $(dropped)"; exit 1; }
        # Still served: a new entry reaches it.
        flux config reload || exit 1
        wait_for 10 grep -q "configuration reloaded from $TEST_DIR/conf$" live.out || {
            echo "the follower got no new entry"; cat live.out live.err; exit 1; }
    )
    rc=$?
    kill $pid 2>/dev/null; wait $pid 2>/dev/null
    exit $rc
'
test_expect_success 'commands that exit normally say goodbye: no lease drop for them' '
    settled || exit 1
    before=$(dropped) &&
    for i in $(seq 50); do flux getattr rank >/dev/null || exit 1; done
    # A lost goodbye leaves the connection counted until its lease expires, then drops it.
    settled || exit 1
    after=$(dropped)
    test "$after" -eq "$before" || {
        echo "$((after - before)) of 50 exited flux getattr connections were dropped for lease expiry"
        flux dmesg | grep "dropped flux-getattr"
        exit 1
    }
'
stop_instance
test_expect_success 'the instance stops cleanly' 'test $STOP_RC -eq 143'

# A shorter lease by reload: peers connected under the old lease must not be dropped.
mkdir conf2
echo 'router = { lease = "4s"; };' >conf2/router.conf
start_instance -c "$TEST_DIR/conf2"
cache_metrics_url
BASE=$(metric flux_router_connections)
test_expect_success 'a live follower survives a reload that shortens the lease' '
    settled || exit 1
    flux dmesg -f -n >live2.out 2>live2.err &
    pid=$!
    (
        wait_for 10 metric_cmp flux_router_connections "" == $((BASE + 1)) || { echo "not counted"; exit 1; }
        echo "router = { lease = \"1s\"; };" >conf2/router.conf
        flux config reload || exit 1
        wait_for 10 grep -q "configuration reloaded from $TEST_DIR/conf2$" live2.out || {
            echo "the follower got no entry"; exit 1; }
        # Four times the new lease.  The follower is the only flux-dmesg connection.
        holds 4000 kill -0 $pid 2>/dev/null || { echo "the follower exited:"; cat live2.err; }
        flux dmesg >log || exit 1
        ! grep "dropped flux-dmesg" log || exit 1
        kill -0 $pid || exit 1
        test ! -s live2.err || { cat live2.err; exit 1; }
    )
    rc=$?
    kill $pid 2>/dev/null; wait $pid 2>/dev/null
    exit $rc
'
stop_instance
test_expect_success 'the instance stops cleanly' 'test $STOP_RC -eq 143'
test_done
