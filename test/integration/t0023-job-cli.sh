#!/bin/bash
# flux jobs, flux job, flux queue and flux cancel against the real jobd, schedd and execd:
# jobs submitted with flux submit (test-mode jobs with exec.test.run_duration, and real
# commands), their listing, urgency, cancel, signals, status and output, and the queue.
# The exact formats are checked against fixed data in t0023-job-cli-fake.sh.
#
# Pending: named .pending so that the runner skips it until jobd, schedd and execd run
# under flux start; rename it to t0023-job-cli.sh then.
. "$(dirname "$0")/lib.sh"
cd "$TEST_DIR" || exit 1

ME=$(id -u)

# state_is ID ST: flux jobs shows job ID with status abbreviation ST.
state_is() {
    test "$(flux jobs -n -o '{status_abbrev}' "$1" 2>/dev/null)" = "$2"
}

start_instance --size=2
if ! flux ping -c 1 job-list >/dev/null 2>&1; then
    test_skip 'job commands' 'jobd does not run yet'
    stop_instance
    test_done
    exit
fi

test_expect_success 'queue status: enabled and started' '
    flux queue status >out &&
    printf "%s\n" "flux-queue: Job submission is enabled" "flux-queue: Scheduling is enabled" | cmp - out
'
test_expect_success 'a running test-mode job and a held one; flux jobs lists both' '
    flux submit -S exec.test.run_duration=100 sleep 100 >id.run &&
    flux submit --urgency=hold --job-name=held true >id.held &&
    wait_for 10 state_is "$(cat id.run)" R &&
    state_is "$(cat id.held)" S &&
    flux jobs -n -o "{id.f58} {status_abbrev} {contextual_info}" >out &&
    grep -x "$(cat id.held) S held" out &&
    grep -E -x "$(cat id.run) R .+" out
'
test_expect_success 'jobs: the default header and a line per job' '
    flux jobs >out &&
    head -1 out | grep -E -x " +JOBID +USER +NAME +ST NTASKS NNODES +TIME INFO" &&
    test $(wc -l <out) -eq 3
'
test_expect_success 'jobs --json, -c, -u, -A' '
    flux jobs --json | grep -q "\"userid\":$ME" &&
    test $(flux jobs -n -c 1 | wc -l) -eq 1 &&
    test $(flux jobs -n -u 4242 | wc -l) -eq 0 &&
    test $(flux jobs -n -A | wc -l) -eq 2
'
test_expect_success 'queue status -v counts the running job' '
    flux queue status -v | grep -x "flux-queue: 1 running jobs"
'
test_expect_success 'job urgency: the held job runs once released' '
    flux job urgency -v "$(cat id.held)" default >out &&
    grep -x "$(cat id.held): urgency changed from 0 to 16" out &&
    flux job wait "$(cat id.held)" &&
    wait_for 10 state_is "$(cat id.held)" CD
'
test_expect_success 'job cancel: the running job ends CANCELED; status reports it' '
    flux job cancel "$(cat id.run)" &&
    flux job status -v "$(cat id.run)" >out; test $? -ne 0 &&
    grep -q "^$(cat id.run): " out &&
    wait_for 10 state_is "$(cat id.run)" CA &&
    flux jobs -n -o "{inactive_reason}" "$(cat id.run)" | grep -q "^Canceled"
'
test_expect_success 'job eventlog: submit first, clean last' '
    flux job eventlog "$(cat id.run)" >out &&
    head -1 out | grep -E -q "^[0-9]+\.[0-9]{6} submit urgency=16 userid=$ME " &&
    tail -1 out | grep -E -q "^[0-9]+\.[0-9]{6} clean"
'
test_expect_success 'job attach: output apart, the exit code, the message' '
    id=$(flux submit sh -c "echo hi; echo err >&2; exit 3") &&
    flux job attach "$id" >out 2>err; test $? -eq 3 &&
    test "$(cat out)" = hi &&
    printf "%s\n" err "flux-job: task(s) exited with exit code 3" | cmp - err
'
test_expect_success 'job status: the largest exit code' '
    a=$(flux submit true) && b=$(flux submit sh -c "exit 5") &&
    flux job status "$a" "$b"; test $? -eq 5
'
test_expect_success 'job info: jobspec and R of a finished job' '
    id=$(flux submit true) && flux job wait "$id" &&
    flux job info "$id" jobspec | grep -q "\"version\":1" &&
    flux job info "$id" R | grep -q "\"R_lite\"" &&
    test "$(flux job info "$id" eventlog | head -1 | grep -c "\"name\":\"submit\"")" -eq 1
'
test_expect_success 'job kill: SIGKILL ends a real job with 137' '
    id=$(flux submit sleep 100) && wait_for 10 state_is "$id" R &&
    flux job kill -s KILL "$id" &&
    flux job status "$id"; test $? -eq 137
'
test_expect_success 'job raise: a severity-0 exception of a new type fails the job' '
    id=$(flux submit -S exec.test.run_duration=100 sleep 100) && wait_for 10 state_is "$id" R &&
    flux job raise -t test -m "by hand" "$id" &&
    says 1 "flux-job: $id: exception: test: by hand" flux job wait "$id"
'
test_expect_success 'queue stop: jobs wait in SCHED; cancelall counts and cancels them' '
    flux queue stop maintenance &&
    flux queue status | grep -x "flux-queue: Scheduling is disabled: maintenance" &&
    flux submit --cc=1-3 -S exec.test.run_duration=100 sleep 100 >ids &&
    for i in $(cat ids); do state_is $i S || exit 1; done &&
    says 0 "flux-job: Command matched 3 jobs (-f to confirm)" flux job cancelall &&
    says 0 "flux-job: Canceled 3 jobs (0 errors)" flux job cancelall -f &&
    for i in $(cat ids); do wait_for 10 state_is $i CA || exit 1; done &&
    flux queue start
'
test_expect_success 'queue disable: submissions refused with the reason; enable' '
    flux queue disable going down &&
    flux queue status | grep -x "flux-queue: Job submission is disabled: going down" &&
    ! flux submit true 2>err && grep -q "going down" err &&
    flux queue enable && flux submit true >/dev/null
'
test_expect_success 'queue idle and drain return once nothing runs' '
    flux queue idle --timeout=30s && flux queue drain --timeout=30s
'
test_expect_success 'queue drain --timeout gives up while a job runs' '
    id=$(flux submit -S exec.test.run_duration=100 sleep 100) &&
    says 1 "flux-queue: queue-drain: timed out after 0.5s" flux queue drain --timeout=0.5s &&
    flux cancel "$id" && flux job status "$id"; true
'
test_expect_success 'cancel --all, -n; unknown ids' '
    flux submit --cc=1-2 -S exec.test.run_duration=100 sleep 100 >ids &&
    says 0 "flux-cancel: Would cancel 2 jobs" flux cancel -n --all &&
    says 0 "flux-cancel: Canceled 2 jobs (0 errors)" flux cancel --all &&
    says 1 "flux-cancel: ƒ5: unknown job" flux cancel ƒ5 &&
    says 1 "flux-job: ƒ5: unknown job" flux job urgency ƒ5 hold
'
test_expect_success 'jobs -f: results and states' '
    test $(flux jobs -n -f canceled | wc -l) -ge 5 &&
    test $(flux jobs -n -f completed -o "{status_abbrev}" | sort -u) = CD &&
    test $(flux jobs -n -f failed -o "{status_abbrev}" | sort -u) = F &&
    test $(flux jobs -n -f pending,running | wc -l) -eq 0
'

stop_instance
test_expect_success 'the instance stopped cleanly' 'test "$STOP_RC" -eq 143'
test_done
