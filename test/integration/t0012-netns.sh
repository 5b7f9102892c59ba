#!/bin/bash
# Separate hosts: three network namespaces joined by a bridge, each running flux-overlayd
# from a system-instance style bootstrap configuration (rank from the host name).  Then a
# partition: a short one changes nothing, a long one makes the node lost, healing brings it
# back; and rank 0 stopping makes the others exit to be restarted.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! ip netns add fxprobe.$$ 2>/dev/null; then
    test_skip 'separate hosts in network namespaces' 'needs root and ip netns'
    test_done
    exit 0
fi
ip netns del fxprobe.$$

NS=(fxn0.$$ fxn1.$$ fxn2.$$)
HOSTS=(fxn0 fxn1 fxn2)
NET=10.251.$(($$ % 200)).
PORT=8050
pids=()

netns_cleanup() {
    local p
    pkill -9 -f "^$SRCDIR/overlayd/flux-overlayd --config-path=$TEST_DIR/conf "
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    [ -n "${MUNGED_PID:-}" ] && kill "$MUNGED_PID" 2>/dev/null
    for n in "${NS[@]}"; do ip netns del "$n" 2>/dev/null; done
    cleanup
}
trap netns_cleanup EXIT

# The bridge lives inside fxn0, so nothing outside the test's namespaces changes.
setup_network() {
    local i
    for n in "${NS[@]}"; do ip netns add "$n" || return 1; done
    ip -n "${NS[0]}" link add br0 type bridge &&
    ip -n "${NS[0]}" addr add "${NET}1/24" dev br0 &&
    ip -n "${NS[0]}" link set br0 up &&
    ip -n "${NS[0]}" link set lo up || return 1
    for i in 1 2; do
        ip link add "fxv$i.$$" type veth peer name "fxp$i" netns "${NS[0]}" &&
        ip link set "fxv$i.$$" netns "${NS[$i]}" &&
        ip -n "${NS[$i]}" link set "fxv$i.$$" name eth0 &&
        ip -n "${NS[$i]}" addr add "${NET}$((i + 1))/24" dev eth0 &&
        ip -n "${NS[$i]}" link set eth0 up &&
        ip -n "${NS[$i]}" link set lo up &&
        ip -n "${NS[0]}" link set "fxp$i" master br0 &&
        ip -n "${NS[0]}" link set "fxp$i" up || return 1
    done
}

write_config() {
    mkdir -p "$TEST_DIR/conf" &&
    flux keygen "$TEST_DIR/curve.cert" &&
    cat >"$TEST_DIR/conf/bootstrap.conf" <<EOF
bootstrap = {
    curve_cert = "$TEST_DIR/curve.cert";
    default_port = $PORT;
    default_bind = "tcp://0.0.0.0:%p";
    default_connect = "tcp://%h:%p";
    hosts = (
        { host = "fxn0"; connect = "tcp://${NET}1:%p"; },
        { host = "fxn[1-2]"; }
    );
};
tbon = { torpid_min = "0.2s"; torpid_max = "1s"; lost_timeout = "3s"; };
EOF
}

# start_rank I: run rank I's overlayd in its namespace, as systemd would; its exit status
# lands in r$I.status.
start_rank() {
    mkdir -p "$TEST_DIR/r$1"
    rm -f "$TEST_DIR/r$1.status"
    (
        ip netns exec "${NS[$1]}" "$SRCDIR/overlayd/flux-overlayd" \
            --config-path="$TEST_DIR/conf" --hostname="${HOSTS[$1]}" \
            --uri="ipc://$TEST_DIR/r$1/router" --munge-socket="$TEST_DIR/munge/sock" \
            >>"$TEST_DIR/r$1.log" 2>&1
        echo $? >"$TEST_DIR/r$1.status"
    ) &
    pids[$1]=$!
}

rank_uri() { echo "ipc://$TEST_DIR/r$1/router"; }
ping_from0() { FLUX_URI=$(rank_uri 0) flux ping -c 1 -t 1 "$1" >/dev/null 2>&1; }
dmesg0() { FLUX_URI=$(rank_uri 0) flux dmesg; }
dmesg_has() { dmesg0 | grep -q "$1"; }
exited() { test -s "$TEST_DIR/r$1.status"; }
exit_status() { cat "$TEST_DIR/r$1.status"; }


setup_network >"$TEST_DIR/setup.log" 2>&1
test_expect_success 'three hosts in network namespaces, joined by a bridge' '
    cat "$TEST_DIR/setup.log" &&
    ip -n ${NS[1]} -br addr show eth0 | grep -q "${NET}2/24" &&
    ip -n ${NS[2]} -br addr show eth0 | grep -q "${NET}3/24"
'
start_private_munged && write_config
# Brokers start in any order: the children first, rank 0 last.
start_rank 2; start_rank 1; start_rank 0

test_expect_success 'ranks come from the host names in bootstrap.hosts' '
    wait_for 10 test -S "$TEST_DIR/r1/router" &&
    test "$(FLUX_URI=$(rank_uri 1) flux getattr rank)" = 1 &&
    test "$(FLUX_URI=$(rank_uri 2) flux getattr size)" = 3
'
test_expect_success 'children started before rank 0 join once it is up' '
    wait_for 15 ping_from0 1 && wait_for 15 ping_from0 2
'
test_expect_success 'rank 1 reaches rank 2 through rank 0' '
    FLUX_URI=$(rank_uri 1) flux ping -c 1 2 | grep -q "!0\.[0-9]*!2\.[0-9]*!2)$"
'
test_expect_success 'a partition shorter than lost_timeout changes nothing' '
    ip -n ${NS[1]} link set eth0 down &&
    wait_for 5 dmesg_has "(rank 1) has been unresponsive" &&
    ip -n ${NS[1]} link set eth0 up &&
    wait_for 5 ping_from0 1 &&
    ! dmesg0 | grep -q "rank 1 (fxn1) is lost" &&
    ! exited 1
'
test_expect_success 'a long partition makes the node lost, and pings fail promptly' '
    ip -n ${NS[1]} link set eth0 down &&
    wait_for 10 dmesg_has "rank 1 (fxn1) is lost: lost connection" &&
    start=$SECONDS &&
    ! ping_from0 1 &&
    test $((SECONDS - start)) -le 2 &&
    FLUX_URI=$(rank_uri 0) flux ping -c 1 1 2>&1 | grep -q "rank 1.* is lost"
'
test_expect_success 'the partitioned node gives up on its parent and exits to be restarted' '
    wait_for 10 exited 1 && test "$(exit_status 1)" = 75 &&
    grep -q "lost the parent" "$TEST_DIR/r1.log"
'
test_expect_success 'healing the partition and restarting it brings it back' '
    ip -n ${NS[1]} link set eth0 up && start_rank 1 &&
    wait_for 15 ping_from0 1 &&
    dmesg0 | grep -q "rank 1 (fxn1) joined"
'
test_expect_success 'rank 0 stopping makes the other brokers exit with the restart status' '
    pkill -TERM -f "^$SRCDIR/overlayd/flux-overlayd --config-path=$TEST_DIR/conf --hostname=fxn0 " &&
    wait_for 10 exited 1 && wait_for 10 exited 2 &&
    test "$(exit_status 1)" = 75 && test "$(exit_status 2)" = 75 &&
    test "$(exit_status 0)" = 0
'
test_expect_success 'starting them again in any order gives a full tree' '
    start_rank 1; start_rank 0; start_rank 2
    wait_for 15 ping_from0 1 && wait_for 15 ping_from0 2
'
test_done
