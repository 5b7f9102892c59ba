#!/bin/bash
# t0020-jobs: jobs end to end (jobd, schedd, execd): submission, placement, priority,
# backfill, drains, timeouts, cancel, the queue, output, refusals, restarts and crashes.
. "$(dirname "$0")/lib.sh"

# jobid_dec F58: the decimal id (for kvs keys and rpc payloads).
dec() { flux job id --to=dec "$1" 2>/dev/null || python3 -c '
import sys
a = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
s = sys.argv[1].replace("\u0192", "")
s = s[1:] if s.startswith("f") else s
n = 0
for c in s: n = n * 58 + a.index(c)
print(n)' "$1"; }

# state ID: the job's state abbreviation, or result once inactive (flux jobs ST column).
state() { flux jobs -a -n -o '{id.f58} {status_abbrev}' | awk -v id="$1" '$1 == id { print $2 }'; }
is_state() { [ "$(state "$1")" = "$2" ]; }
tmode=--setattr=system.exec.test.run_duration

start_instance --size=2 --test-hosts=fluke[1-2]
ncores=$(flux resource list -n -o '{ncores}' -s free | head -1)

test_expect_success 'flux run -N2 hostname prints one line per node' '
    flux run -N2 -n2 hostname >out &&
    test $(wc -l <out) -eq 2
'
test_expect_success 'flux run gives the job its environment and exit status' '
    flux run -n1 sh -c "echo \$FLUX_JOB_SIZE \$FLUX_TASK_RANK; exit 3" >out; rc=$?
    test $rc -eq 3 && grep -x "1 0" out
'
# Commands leaving right after a job ended once returned credit after their goodbye, and
# the router's "unknown connection" answer made them exit 1 (about one run in twenty).
test_expect_success 'flux run 30 times in a row: each exits with the job status, no error' '
    for i in $(seq 30); do
        flux run sh -c "exit 3" 2>err; rc=$?
        test $rc -eq 3 && ! test -s err || { echo "run $i: rc=$rc $(cat err)"; exit 1; }
    done
'
test_expect_success 'flux submit prints an F58 id and the job completes' '
    id=$(flux submit true) &&
    case $id in ƒ*) ;; *) false ;; esac &&
    flux job wait $id &&
    is_state $id CD
'
test_expect_success '1,000 true jobs submitted with --cc all complete' '
    flux submit --cc=1-1000 true >ids &&
    test $(sort -u ids | wc -l) -eq 1000 &&
    flux queue drain --timeout=120s &&
    test $(flux jobs -a -n -f completed -c 0 -o "{id.f58}" | grep -cFf ids) -eq 1000
'
test_expect_success 'a request larger than the instance is refused at submission' '
    ! flux submit -N 3 true 2>err &&
    grep -i "unsatisfiable" err &&
    test $(wc -l <err) -eq 1
'
test_expect_success 'malformed requests to jobd get one line each and jobd keeps serving' '
    RPC=$SRCDIR/test/helpers/rpc &&
    ! "$RPC" job-manager.urgency "{\"id\":1,\"urgency\":1,\"bogus\":1}" >err 2>&1 && grep -q malformed err &&
    ! "$RPC" job-ingest.submit "{\"J\":\"a.b.c\"}" >err 2>&1 && test $(wc -l <err) -eq 1 &&
    ! "$RPC" job-list.eventlog "{}" >err 2>&1 && grep -q malformed err &&
    ! "$RPC" job-manager.raise "{\"id\":\"x\"}" >err 2>&1 &&
    flux queue status >/dev/null
'
test_expect_success 'a bad option is refused with one line' '
    ! flux submit -x -n2 true 2>err && test $(wc -l <err) -eq 1
'
test_expect_success 'a job past its time limit ends TIMEOUT' '
    ! flux run -t 1s sleep 60 2>err &&
    grep -i "expired\|timeout" err &&
    id=$(flux jobs -a -n -c 1 -o "{id.f58}") &&
    is_state $id TO
'
test_expect_success 'output of 10 MB arrives intact' '
    head -c 7500000 /dev/urandom | base64 >big &&
    flux run cat "$TEST_DIR/big" >big.out &&
    cmp big big.out
'
test_expect_success 'stderr goes to stderr' '
    flux run sh -c "echo out; echo err >&2" >o 2>e &&
    grep -x out o && grep -x err e && ! grep err o
'
test_expect_success 'cancel ends a running job CANCELED' '
    id=$(flux submit sleep 300) &&
    wait_for 20 is_state $id R &&
    flux cancel $id &&
    flux job wait $id; wait_for 20 is_state $id CA
'
test_expect_success 'cancelall asks first, then cancels every active job' '
    flux submit --cc=1-3 sleep 300 >ids &&
    flux job cancelall 2>err; grep -x "flux-job: Command matched 3 jobs (-f to confirm)" err &&
    flux job cancelall -f 2>err && grep -x "flux-job: Canceled 3 jobs (0 errors)" err &&
    for id in $(cat ids); do wait_for 20 is_state $id CA || exit 1; done
'
test_expect_success 'hold, expedite and urgency order the queue' '
    flux queue stop &&
    a=$(flux submit -N1 -x $tmode=0.2 true) &&
    b=$(flux submit -N1 -x --urgency=20 $tmode=0.2 true) &&
    c=$(flux submit -N1 -x --urgency=hold $tmode=0.2 true) &&
    d=$(flux submit -N1 -x --urgency=expedite $tmode=0.2 true) &&
    wait_for 10 sh -c "flux jobs -n -o \"{id.f58} {contextual_info}\" | grep \"^$c held\"" &&
    flux queue start &&
    for id in $a $b $d; do wait_for 30 is_state $id CD || exit 1; done &&
    is_state $c S &&
    order=$(flux jobs -a -n -o "{t_run} {id.f58}" | grep -E "$a|$b|$d" | sort -n | cut -d" " -f2 | tr "\n" " ") &&
    echo "$order" &&
    test "$order" = "$d $b $a "; rc=$?
    flux job urgency $c default && wait_for 30 is_state $c CD && test $rc -eq 0
'
test_expect_success 'a drained node is never used' '
    flux resource drain 1 "bench test" &&
    flux submit --cc=1-6 -N1 $tmode=0.1 true >ids &&
    flux queue idle --timeout=60s &&
    test -z "$(flux jobs -a -n -c 6 -o "{ranks}" | grep -v "^0$")" &&
    flux resource undrain 1
'
test_expect_success 'a node drained under a running job is draining, then drained when it ends' '
    id=$(flux submit -N2 -x sleep 300) && wait_for 20 is_state $id R &&
    flux resource drain 1 "maintenance" &&
    flux resource status -s draining -no "{ranks}" | grep -qx 1 &&
    flux cancel $id && wait_for 20 is_state $id CA &&
    wait_for 10 sh -c "flux resource status -s drained -no \"{ranks}\" | grep -qx 1" &&
    flux resource drain | grep -q "maintenance" &&
    flux resource undrain 1
'
if [ "$ncores" -ge 2 ]; then
test_expect_success 'flux resource list counts the cores in use, not whole nodes' '
    id=$(flux submit -n1 sleep 300) && wait_for 20 is_state $id R &&
    flux resource list -n -o "{state} {nnodes} {ncores}" >list &&
    grep -x "allocated 1 1" list &&
    grep -x "free 2 $((ncores - 1))" list; rc=$?
    flux cancel $id && wait_for 20 is_state $id CA && test $rc -eq 0
'
test_expect_success 'backfill: a short job runs in a hole, a long one waits' '
    long=$(flux submit -n1 -t 20s sleep 300) &&
    wait_for 20 is_state $long R &&
    head=$(flux submit -N2 -x -t 1m $tmode=1 true) &&
    wait_for 10 sh -c "flux jobs -n -o \"{id.f58} {status_abbrev}\" | grep -q \"^$head S\"" &&
    short=$(flux submit -n1 -t 5s $tmode=0.2 true) &&
    blocker=$(flux submit -n1 -t 1h $tmode=0.2 true) &&
    wait_for 20 is_state $short CD &&
    is_state $blocker S && is_state $head S &&
    flux cancel $long $head $blocker
'
else
test_skip 'backfill: a short job runs in a hole, a long one waits' 'fewer than 2 cores per rank'
fi
test_expect_success 'queue disable refuses submissions with the reason; enable restores them' '
    flux queue disable "maintenance window" &&
    ! flux submit true 2>err; flux queue enable &&
    grep "maintenance window" err &&
    flux queue disable "maintenance window" &&
    flux queue status | grep -x "flux-queue: Job submission is disabled: maintenance window" &&
    flux queue enable && flux submit true >/dev/null
'
test_expect_success 'queue stop keeps jobs pending; idle and drain return once done' '
    flux queue stop &&
    id=$(flux submit $tmode=0.1 true) &&
    flux queue idle --timeout=10s &&
    is_state $id S &&
    flux queue start &&
    flux queue drain --timeout=30s && is_state $id CD
'
stop_instance
test_expect_success 'the instance stopped cleanly' 'test $STOP_RC -eq 143'

state_dir=$TEST_DIR/state
mkdir -p "$state_dir"
start_instance --size=1 --state-dir="$state_dir"
test_expect_success 'pending and held jobs are submitted before a restart' '
    flux submit sleep 300 >running && wait_for 20 is_state $(cat running) R &&
    flux submit true >done_ && flux job wait $(cat done_) &&
    flux queue stop &&
    flux submit --urgency=hold true >held &&
    flux submit --urgency=5 true >pending
'
stop_instance
start_instance --size=1 --state-dir="$state_dir"
test_expect_success 'after a full restart the jobs are back with their urgencies' '
    flux jobs -a -n -o "{id.f58} {urgency} {status_abbrev}" >after &&
    grep -x "$(cat held) 0 S" after &&
    grep -x "$(cat pending) 5 S" after &&
    grep -x "$(cat done_) 16 CD" after
'
test_expect_success 'a job running when the instance stopped ended with a shutdown exception' '
    is_state $(cat running) F &&
    flux job eventlog $(cat running) | grep "exception.*shutdown"
'
test_expect_success 'new ids are larger than every id before the restart' '
    new=$(flux submit --urgency=hold true) &&
    test $(dec $new) -gt $(dec $(cat pending)) &&
    test $(dec $new) -gt $(dec $(cat held))
'
test_expect_success 'the queue stayed stopped across the restart' '
    flux queue status | grep -x "flux-queue: Scheduling is disabled"
'
stop_instance

mkdir -p "$TEST_DIR/conf"
echo 'access = { allow-guest-user = true; };' >"$TEST_DIR/conf/access.conf"
start_instance --size=2 -c "$TEST_DIR/conf"
test_expect_success 'hold then release while waiting for resources: the job still runs' '
    blocker=$(flux submit -N2 -x sleep 300) && wait_for 20 is_state $blocker R &&
    id=$(flux submit -n1 $tmode=0.1 true) &&
    wait_for 10 sh -c "flux jobs -n -o \"{id.f58} {contextual_info}\" | grep -q \"^$id .*insufficient\"" &&
    flux job urgency $id hold && flux job urgency $id default &&
    flux cancel $blocker && wait_for 20 is_state $id CD
'
test_expect_success 'a guest may not cancel, nor depend on, the owner'"'"'s jobs' '
    ensure_guest_user || exit 0
    id=$(flux submit --urgency=hold true) &&
    ! as_guest flux cancel $id 2>err && grep -i "not permitted" err &&
    ! as_guest flux submit --dependency=afterany:$id $tmode=0 true 2>err &&
    grep "Permission denied" err &&
    gid=$(as_guest flux submit $tmode=0 true) && as_guest flux job wait $gid; rc=$?
    flux cancel $id && test $rc -eq 0
'
test_expect_success 'kill -9 of jobd and schedd mid-load: no job lost, none runs twice' '
    flux submit --cc=1-300 sh -c "echo \$FLUX_JOB_ID >>$TEST_DIR/ran" >ids &&
    pkill -9 -f "flux-jobd .*$(instance_rundir)/" &&
    pkill -9 -f "flux-schedd .*$(instance_rundir)/" &&
    wait_for 60 flux queue drain --timeout=60s &&
    test $(wc -l <ids) -eq 300 &&
    test $(sort ran | uniq -d | wc -l) -eq 0 &&
    test $(flux jobs -a -n -c 0 -o "{id.f58}" | grep -cFf ids) -eq 300
'
stop_instance
test_done
