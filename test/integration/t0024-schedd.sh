#!/bin/bash
# flux-schedd in a 4-rank instance: resources acquired from resourced (up, down on drain),
# feasibility, allocation by sched.alloc (plain requests from the rpc helper), a pending job
# started when resources are freed, allocated and draining ranks in flux resource status,
# jobd going away, schedd restarted by flux start, and schedd serving without jobd.
TEST_NAME=t0024-schedd
. "$(dirname "$0")/lib.sh"

RPC=$HELPERS_DIR/rpc

daemon_pid() {
    pgrep -f "^/.*/flux-$1 --rank=0 --size=[0-9]+ --uri=ipc://$(instance_rundir)/rank-0/router"
}
# sched_metric NAME LABELS OP N: compare one of schedd's metrics (its port changes when it
# restarts, so the URL is looked up each time).
sched_metric() {
    METRICS_URL=$(flux getattr metrics.schedd) metric_cmp "$@"
}
sched_value() {
    METRICS_URL=$(flux getattr metrics.schedd) metric "$@"
}
allocated_is() {
    "$RPC" sched.resource-status '{}' 0 | grep -q "\"allocated\":\"$1\""
}
status_has() {
    "$RPC" resource.status '{}' 0 | grep -q "$1"
}
# alloc ID JOBSPEC: a plain sched.alloc (answered once, when allocated or denied).
alloc() {
    "$RPC" sched.alloc "{\"id\":$1,\"priority\":16,\"userid\":$(id -u),\"t_submit\":$1.0,\"jobspec\":$2}" 0
}
# nowait TOPIC PAYLOAD: a request that gets no answer (the helper would wait for one).
nowait() {
    "$RPC" "$1" "$2" 0 >/dev/null 2>&1 &
    echo $! >>"$TEST_DIR/nowait.pids"
}
dmesg_count() {
    flux dmesg 2>/dev/null | grep -c -E "$1"
}
hello_count_ge() {
    [ "$(dmesg_count 'schedd.info.*jobd is ready')" -ge "$1" ]
}

start_instance --size=4 --test-hosts='fluke[0-3]'
JS2=$(flux submit --dry-run -N2 -n2 -x hostname)
JS4=$(flux submit --dry-run -N4 -n4 -x hostname)
JS8=$(flux submit --dry-run -N8 -n8 hostname)

test_expect_success 'schedd serves with every core free and none down' '
    allocated_is "" &&
    wait_for 10 sched_metric flux_sched_cores "{state=\"down\"}" == 0 &&
    sched_metric flux_sched_cores "{state=\"free\"}" ">" 0 &&
    sched_metric flux_sched_alloc_total "" == 0
'
FREE=$(sched_value flux_sched_cores '{state="free"}')
PER_RANK=$((FREE / 4))

test_expect_success 'a drained rank is down for the scheduler, and up again once undrained' '
    "$RPC" resource.drain "{\"targets\":\"3\",\"reason\":\"test\"}" 0 &&
    wait_for 10 sched_metric flux_sched_cores "{state=\"down\"}" == $PER_RANK &&
    sched_metric flux_sched_cores "{state=\"free\"}" == $((FREE - PER_RANK)) &&
    "$RPC" resource.undrain "{\"targets\":\"3\"}" 0 &&
    wait_for 10 sched_metric flux_sched_cores "{state=\"down\"}" == 0 &&
    sched_metric flux_sched_cores "{state=\"free\"}" == $FREE
'
test_expect_success 'feasibility: more nodes than the instance has is unsatisfiable' '
    "$RPC" sched.feasibility "{\"jobspec\":$JS8}" 0 >f8.out;
    grep -q "error: unsatisfiable: requested 8 nodes, instance has 4" f8.out &&
    "$RPC" sched.feasibility "{\"jobspec\":$JS2}" 0 | grep -q "^{}$" &&
    "$RPC" sched.feasibility "{\"jobspec\":{}}" 0 | grep -q "^error: "
'
test_expect_success 'an exclusive two-node alloc gets whole ranks 0-1 with R' '
    alloc 1 "$JS2" >a1.out &&
    grep -q "\"type\":\"success\"" a1.out &&
    grep -q "\"rank\":\"0-1\"" a1.out &&
    grep -q "\"nslots\":2" a1.out &&
    grep -q "\"nodelist\":\[\"fluke\[0-1\]\"\]" a1.out &&
    allocated_is "0-1" &&
    status_has "\"allocated\":\"0-1\"" &&
    sched_metric flux_sched_cores "{state=\"allocated\"}" == $((2 * PER_RANK)) &&
    sched_metric flux_sched_alloc_total "" == 1 &&
    sched_metric flux_sched_jobs "{state=\"running\"}" == 1
'
test_expect_success 'a drained rank that is allocated shows as draining' '
    "$RPC" resource.drain "{\"targets\":\"1\"}" 0 &&
    status_has "\"draining\":\"1\"" &&
    status_has "\"drained\":\"\"" &&
    "$RPC" resource.undrain "{\"targets\":\"1\"}" 0
'
test_expect_success 'an alloc that does not fit waits, and starts once the first is freed' '
    (alloc 2 "$JS4" >a2.out &) &&
    wait_for 10 sched_metric flux_sched_jobs "{state=\"pending\"}" == 1 &&
    ! grep -q success a2.out &&
    nowait sched.free "{\"id\":1}" &&
    wait_for 10 grep -q "\"rank\":\"0-3\"" a2.out &&
    sched_metric flux_sched_jobs "{state=\"pending\"}" == 0 &&
    allocated_is "0-3"
'
test_expect_success 'a job larger than the instance is denied' '
    alloc 3 "$JS8" | grep -q "\"type\":\"deny\",\"note\":\"unsatisfiable: requested 8 nodes"
'
test_expect_success 'when jobd goes away schedd forgets its allocations and says hello again' '
    kill -9 $(daemon_pid jobd) &&
    wait_for 20 hello_count_ge 2 &&
    allocated_is "" &&
    sched_metric flux_sched_jobs "{state=\"running\"}" == 0
'
test_expect_success 'a killed schedd is restarted and acquires the resources again' '
    old=$(daemon_pid schedd) &&
    kill -9 $old &&
    wait_for 20 sh -c "pid=\$(pgrep -f \"flux-schedd --rank=0 --size=4 --uri=ipc://$(instance_rundir)/\"); test -n \"\$pid\" && test \"\$pid\" != $old" &&
    wait_for 20 allocated_is "" &&
    wait_for 20 hello_count_ge 3 &&
    sched_metric flux_sched_cores "{state=\"free\"}" == $FREE
'
test_expect_success 'schedd serves without jobd, and says hello once jobd answers' '
    jobd=$(daemon_pid jobd) &&
    kill -STOP $jobd &&
    old=$(daemon_pid schedd) &&
    kill -9 $old &&
    wait_for 20 sh -c "pid=\$(pgrep -f \"flux-schedd --rank=0 --size=4 --uri=ipc://$(instance_rundir)/\"); test -n \"\$pid\" && test \"\$pid\" != $old" &&
    wait_for 20 allocated_is "" &&
    "$RPC" sched.feasibility "{\"jobspec\":$JS2}" 0 | grep -q "^{}$" &&
    kill -CONT $jobd &&
    wait_for 30 hello_count_ge 4 &&
    test "$(dmesg_count "no hello with jobd yet")" -le 1
'
[ -f "$TEST_DIR/nowait.pids" ] && kill $(cat "$TEST_DIR/nowait.pids") 2>/dev/null
stop_instance_after_faults
test_expect_success 'the instance stops cleanly' 'test $STOP_RC -eq 143'
test_done
