#!/bin/bash
# A hostile local peer: garbage, truncated and unauthenticated messages are counted, logged
# (throttled) and dropped; the router keeps serving.
. "$(dirname "$0")/lib.sh"
cd "$TEST_DIR" || exit 1

ROGUE=$SRCDIR/test/helpers/rogue
COUNT=50

# With a configuration directory, an executed config.reload would be logged.
mkdir conf
echo 'router = { lease = "30s"; };' >conf/router.conf
start_instance -c "$TEST_DIR/conf"
cache_metrics_url

test_expect_success 'before: nothing malformed, no auth failures' '
    metric_cmp flux_router_malformed_messages_total "" == 0 &&
    metric_cmp flux_router_auth_failures_total "{reason=\"unauthenticated\"}" == 0
'
test_expect_success "rogue sends $COUNT of each bad message and exits 0" '
    conns=$(metric flux_router_connections) &&
    "$ROGUE" "$FLUX_URI" $COUNT &&
    # No hello, no connection: the gauge of authenticated connections does not grow.
    metric_cmp flux_router_connections "" "<=" "$conns"
'
test_expect_status 2 'rogue without arguments is a usage error' '"$ROGUE"'
test_expect_success 'the router still answers ping' '
    flux ping -c 3 -i 0 broker >out &&
    test $(grep -c "^broker.ping pad=0 seq=[0-2] " out) -eq 3
'
test_expect_success 'the router still answers getattr and config get' '
    test "$(flux getattr rank)" = 0 &&
    test "$(flux config get router.lease)" = 30s
'
# Garbage, 3-byte and bad-version messages fail to decode: 3 per round.
test_expect_success 'at least 2 x COUNT malformed messages are counted' '
    wait_for 5 metric_cmp flux_router_malformed_messages_total "" ">=" $((2 * COUNT)) || {
        metric flux_router_malformed_messages_total; exit 1; }
'
test_expect_success 'at least COUNT requests without hello are counted as unauthenticated' '
    wait_for 5 metric_cmp flux_router_auth_failures_total "{reason=\"unauthenticated\"}" ">=" $COUNT || {
        metric flux_router_auth_failures_total "{reason=\"unauthenticated\"}"; exit 1; }
'
# One throttle covers every kind of bad input: the first bad message is logged, the rest of
# the 10s window is quiet.
test_expect_success 'the warnings are throttled: a few lines, not one per message' '
    flux dmesg >out &&
    warnings=$(grep -c "overlayd\.warning\[0\]: " out)
    malformed=$(grep -c -i "malformed" out)
    echo "$warnings warnings, $malformed lines mention malformed"
    test $warnings -ge 1 && test $warnings -le 3 && test $malformed -le 3 &&
    test $(grep -c "^[^ ]* overlayd\." out) -le 10
'
test_expect_success 'a warning says further messages are suppressed' '
    flux dmesg >out &&
    grep -E -q "overlayd\.warning\[0\]: .* \(further such messages suppressed for 10s\)$" out
'
test_expect_success 'the config.reload sent without hello was not executed' '
    ! flux dmesg | grep -q "configuration reloaded"
'
test_expect_success 'a second wave is counted too, and ping still works' '
    before=$(metric flux_router_malformed_messages_total) &&
    "$ROGUE" "$FLUX_URI" $COUNT &&
    wait_for 10 metric_cmp flux_router_malformed_messages_total "" ">=" $((before + 2 * COUNT)) &&
    flux ping -c 1 broker | grep -q "^broker.ping pad=0 seq=0"
'
test_expect_success 'the router log did not grow by one line per message' '
    test $(flux dmesg | grep -c -i malformed) -le 3
'
stop_instance
test_expect_success 'the instance stops cleanly' 'test $STOP_RC -eq 143'
test_done
