#!/bin/bash
# Flow control: the router never loses a message to a peer that reads more slowly than it
# is sent to (nanomsg would drop it silently), and drops a peer that does not read at all.
. "$(dirname "$0")/lib.sh"
HELPERS=$SRCDIR/test/helpers

mkdir -p "$TEST_DIR/conf" # empty: for flux config reload, which logs a line
start_instance -c "$TEST_DIR/conf"

test_expect_success 'a burst of 5000 log entries all reach the ring buffer' '
    $HELPERS/logflood 5000 &&
    test $(timeout 30 flux dmesg | grep -c "logflood.info\[0\]: flood ") -eq 5000
'
test_expect_success 'a dmesg of 9000 entries of 1 KiB arrives whole, in order' '
    flux dmesg -C &&
    $HELPERS/logflood 9000 1024 &&
    timeout 30 flux dmesg >dmesg.out &&
    test $(grep -c ": flood " dmesg.out) -eq 9000 &&
    sed -n "s/.*: flood \([0-9]*\) .*/\1/p" dmesg.out >seq.out &&
    seq 0 8999 | cmp - seq.out
'
test_expect_success 'two followers each see every entry of a burst' '
    flux dmesg -C || exit 1
    base=$(metric flux_router_connections) || exit 1
    flux dmesg -f -n >f1.out & p1=$!
    flux dmesg -f -n >f2.out & p2=$!
    wait_for 10 metric_cmp flux_router_connections "" ">=" $((base + 2)) &&
    # Connected is not yet following: reload (which logs a line) until both have one.
    wait_for 10 sh -c "flux config reload && grep -q reloaded f1.out && grep -q reloaded f2.out" &&
    $HELPERS/logflood 3000 512 &&
    wait_for 20 sh -c "test \$(grep -c \": flood \" f1.out) -eq 3000 && test \$(grep -c \": flood \" f2.out) -eq 3000"
    rc=$?; kill $p1 $p2; wait $p1 $p2 2>/dev/null; exit $rc
'
stop_instance
test_expect_success 'the instance stops cleanly' 'test $STOP_RC -eq 143'

# Over the overlay: the parent-to-child direction uses the same window, and link frames
# must leave in counter order (a credit request once overtook queued frames, which the
# child then refused as replays: every event after the 64th was lost).
start_instance --size=4 --topo=kary:1
test_expect_success 'a burst of 3000 events crosses a chain of 4 ranks whole and in order' '
    $HELPERS/evtest sub "$(rank_uri 3)" burst. 3000 20 >sub.out &
    pid=$!
    wait_for 10 grep -q subscribed sub.out &&
    $HELPERS/evtest pub "$FLUX_URI" burst.x 3000 >/dev/null &&
    wait $pid &&
    test $(grep -c "^burst.x " sub.out) -eq 3000 &&
    awk "/^burst.x /{ if (\$3 != n++) exit 1 }" sub.out &&
    ! flux dmesg | grep -q "lost events"
'
stop_instance
test_expect_success 'the 4-rank instance stops cleanly' 'test $STOP_RC -eq 143'
test_done
