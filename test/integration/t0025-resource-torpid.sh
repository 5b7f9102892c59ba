#!/bin/bash
# t0025-resource-torpid: a rank whose broker stops answering is shown torpid by
# flux resource status (its parent publishes overlay.torpid), and no longer once it answers.
. "$(dirname "$0")/lib.sh"

mkdir -p "$TEST_DIR/conf"
echo 'tbon = { torpid_min = "0.2s"; torpid_max = "1s"; lost_timeout = "30s"; };' \
    >"$TEST_DIR/conf/tbon.conf"
start_instance --size=3 --test-hosts='fluke[0-2]' -c "$TEST_DIR/conf"

torpid_is() { [ "$(flux resource status -s torpid -no '{ranks}')" = "$1" ]; }

test_expect_success 'no rank is torpid at first' '
    test -z "$(flux resource status -s torpid -no "{ranks}")"
'
test_expect_success 'a rank whose broker hangs is shown torpid' '
    kill -STOP $(rank_pid 2) &&
    wait_for 10 torpid_is 2; rc=$?
    kill -CONT $(rank_pid 2); test $rc -eq 0
'
test_expect_success 'once it answers again it is no longer torpid' '
    wait_for 10 torpid_is ""
'
test_expect_success 'flux resource status lists the torpid state with its host' '
    kill -STOP $(rank_pid 1) &&
    wait_for 10 torpid_is 1 &&
    flux resource status -s torpid -n >out; rc=$?
    kill -CONT $(rank_pid 1); test $rc -eq 0 &&
    grep -E "^ *torpid +1 +1 +fluke1$" out
'
stop_instance
test_expect_success 'the instance stopped cleanly' 'test $STOP_RC -eq 143'
test_done
