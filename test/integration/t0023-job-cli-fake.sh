#!/bin/bash
# flux jobs, flux job, flux queue and flux cancel printed exactly from fixed data: the
# jobs of test/helpers/fakejobs (registered as fake-list and fake-manager beside whatever
# jobd runs; the commands ask them when FLUX_JOB_LIST_SERVICE and
# FLUX_JOB_MANAGER_SERVICE name them), the requests as sent, errors and usage.
# t0023-job-cli.sh runs the same commands against the real jobd.
. "$(dirname "$0")/lib.sh"
cd "$TEST_DIR" || exit 1
export TZ=UTC

ME=$(id -u)
ME_NAME=$(id -un)
U=$(printf '%-8s' "$ME_NAME")
H=$(printf "%-${#U}s" USER)
for k in 1 2 3 4 5 6 7 8 9 10; do eval "id$k=$((1099511627776 * k + 1024 * k))"; done

# prints EXPECTED CMD...: CMD prints exactly EXPECTED on stdout, nothing on stderr, exits 0.
prints() {
    local expected=$1
    shift
    "$@" >out 2>err
    local rc=$?
    test $rc -eq 0 || { echo "exit status $rc"; cat err; return 1; }
    test ! -s err || { echo "stderr:"; cat err; return 1; }
    if [ -n "$expected" ]; then printf '%s\n' "$expected"; fi >expected
    cmp -s expected out || { echo "expected:"; cat expected; echo "got:"; cat out; return 1; }
}
# sent LINE...: the fake's last requests were these lines ("raise {...}", keys sorted).
sent() {
    local n=$#
    printf '%s\n' "$@" >sent.expected
    tail -n "$n" "$TEST_DIR/fake.out" >sent.got
    cmp -s sent.expected sent.got || { echo "sent:"; cat sent.got; return 1; }
}

EV4='"eventlog": [
   {"timestamp": 990.0, "name": "submit", "context": {"urgency": 16, "userid": '$ME', "flags": 0, "version": 1}},
   {"timestamp": 990.5, "name": "priority", "context": {"priority": 16}},
   {"timestamp": 1000.0, "name": "alloc"},
   {"timestamp": 1001.234, "name": "finish", "context": {"status": 0}},
   {"timestamp": 1001.5, "name": "clean"}],
 "guest.output": [
   {"timestamp": 1000.1, "name": "header", "context": {"version": 1}},
   {"timestamp": 1000.2, "name": "data", "context": {"stream": "stdout", "rank": 0, "data": "hello\n"}},
   {"timestamp": 1000.3, "name": "data", "context": {"stream": "stderr", "rank": 0, "data": "oops\n"}},
   {"timestamp": 1000.4, "name": "data", "context": {"stream": "stdout", "rank": 0, "data": "YmluYXJ5/wo=", "encoding": "base64"}},
   {"timestamp": 1000.5, "name": "data", "context": {"stream": "stdout", "rank": 0, "eof": true}}],
 "R": {"version": 1, "execution": {"R_lite": [{"rank": "3", "children": {"core": "0"}}], "starttime": 1000.0, "expiration": 0.0, "nodelist": ["fluke3"]}},
 "jobspec": {"version": 1}'

cat >jobs.json <<EOF
{"jobs": [
 {"id": $id10, "userid": 4242, "urgency": 16, "priority": 16, "state": 16, "name": "other", "ntasks": 1, "nnodes": 1, "ncores": 1, "ngpus": 0, "nodelist": "fluke5", "ranks": "5", "t_submit": 1000.0, "t_run": 1001.0, "duration": 0.0, "queue": "batch", "fail": "ƒ5ypjmyKm: Operation not permitted"},
 {"id": $id9, "userid": $ME, "urgency": 16, "priority": 16, "state": 8, "name": "sleep", "ntasks": 1, "nnodes": 0, "ncores": 1, "ngpus": 0, "t_submit": 1000.0, "duration": 60.0, "annotations": {"sched": {"reason_pending": "insufficient resources"}}},
 {"id": $id8, "userid": $ME, "urgency": 0, "priority": 0, "state": 8, "name": "averyveryverylongname", "ntasks": 2, "nnodes": 0, "ncores": 2, "ngpus": 0, "t_submit": 1000.0, "duration": 0.0},
 {"id": $id7, "userid": $ME, "urgency": 16, "priority": 16, "state": 2, "name": "dep", "ntasks": 1, "nnodes": 0, "ncores": 1, "ngpus": 0, "t_submit": 1000.0, "duration": 0.0, "dependencies": ["after-finish:ƒVtB5VqH"]},
 {"id": $id6, "userid": $ME, "urgency": 16, "priority": 16, "state": 4, "name": "prio", "ntasks": 1, "nnodes": 0, "ncores": 1, "ngpus": 0, "t_submit": 1000.0, "duration": 0.0},
 {"id": $id5, "userid": $ME, "urgency": 16, "priority": 16, "state": 16, "name": "hostname", "ntasks": 4, "nnodes": 2, "ncores": 4, "ngpus": 0, "nodelist": "fluke[3-4]", "ranks": "3-4", "t_submit": 1000.0, "t_run": 1001.0, "duration": 0.0},
 {"id": $id4, "userid": $ME, "urgency": 16, "priority": 16, "state": 64, "result": 1, "name": "true", "ntasks": 1, "nnodes": 1, "ncores": 1, "ngpus": 0, "nodelist": "fluke3", "ranks": "3", "t_submit": 990.0, "t_run": 1000.0, "t_cleanup": 1001.234, "t_inactive": 1001.5, "waitstatus": 0, "duration": 0.0, $EV4},
 {"id": $id3, "userid": $ME, "urgency": 16, "priority": 16, "state": 64, "result": 2, "name": "false", "ntasks": 2, "nnodes": 2, "ncores": 2, "ngpus": 0, "nodelist": "fluke[3-4]", "ranks": "3-4", "t_submit": 990.0, "t_run": 1000.0, "t_cleanup": 1150.0, "t_inactive": 1151.0, "waitstatus": 256, "duration": 0.0,
  "eventlog": [{"timestamp": 1150.0, "name": "finish", "context": {"status": 256}}, {"timestamp": 1151.0, "name": "clean"}]},
 {"id": $id2, "userid": $ME, "urgency": 16, "priority": 16, "state": 64, "result": 4, "name": "sleep", "ntasks": 1, "nnodes": 0, "ncores": 1, "ngpus": 0, "t_submit": 990.0, "t_inactive": 1002.0, "duration": 0.0, "exception": {"type": "cancel", "severity": 0, "note": "by admin"},
  "eventlog": [{"timestamp": 1001.0, "name": "exception", "context": {"type": "cancel", "severity": 0, "note": "by admin", "userid": 0}}, {"timestamp": 1002.0, "name": "clean"}]},
 {"id": $id1, "userid": $ME, "urgency": 16, "priority": 16, "state": 64, "result": 8, "name": "sleep", "ntasks": 1, "nnodes": 1, "ncores": 1, "ngpus": 0, "nodelist": "fluke3", "ranks": "3", "t_submit": 990.0, "t_run": 1000.0, "t_cleanup": 5320.0, "t_inactive": 5321.0, "waitstatus": 9, "duration": 4320.0, "exception": {"type": "timeout", "severity": 0, "note": "resource allocation expired"},
  "eventlog": [{"timestamp": 5319.0, "name": "exception", "context": {"type": "timeout", "severity": 0, "note": "resource allocation expired"}}, {"timestamp": 5320.0, "name": "finish", "context": {"status": 9}}, {"timestamp": 5321.0, "name": "clean"}]}
]}
EOF
echo '{"enabled": true, "started": false, "stop-reason": "maintenance", "queued": 2, "pending": 1, "running": 4, "free-pending": 0}' >queue.json

start_instance
"$HELPERS_DIR/fakejobs" fake "$TEST_DIR/jobs.json" "$TEST_DIR/queue.json" >"$TEST_DIR/fake.out" 2>&1 &
instance_pids+=("$!")
wait_for 10 grep -q ready "$TEST_DIR/fake.out" || echo "# fakejobs did not start" >&2
export FLUX_JOB_LIST_SERVICE=fake-list FLUX_JOB_MANAGER_SERVICE=fake-manager

test_expect_success 'jobs: the caller'"'"'s pending and running jobs by default; INFO says_quiet why' '
    prints "   ƒ5UwZhUVV  S insufficient resources
   ƒ4z4PcyfD  S held
   ƒ4VBDYUpw  D depends:after-finish:ƒVtB5VqH
   ƒ3zJ3Tyzf  P priority-wait
   ƒ3VQsPVAP  R fluke[3-4]" flux jobs -n -o "{id.f58:>12} {status_abbrev:>2.2} {contextual_info}" &&
    sent "list {\"max\":1000,\"states\":62,\"userid\":$ME}"
'
test_expect_success 'jobs: the default format: ST, TIME as run time, - for nothing' '
    prints "       JOBID $H NAME       ST NTASKS NNODES     TIME INFO
   ƒ2zXhJzL7 $U true       CD      1      1   1.234s fluke3
   ƒ2VeXEVVq $U false       F      2      2     2.5m fluke[3-4]
    ƒzmM9zfZ $U sleep      CA      1      -        -
    ƒVtB5VqH $U sleep      TO      1      1     1.2h fluke3" flux jobs -f inactive
'
test_expect_success 'jobs -A: QUEUE appears once a job has one; a uid with no name' '
    flux jobs -A -f running >out &&
    sed -n 1p out | grep -q "^       JOBID QUEUE    USER  *NAME  " &&
    sed -n 2p out | grep -q "^   ƒ5ypjmyKm batch    4242  *other  " &&
    sent "list {\"max\":1000,\"states\":48,\"userid\":-1}"
'
test_expect_success 'jobs: NAME cut at 10 with +' '
    flux jobs -n -o "{name:<10.10+}|" | grep -x "averyvery+|"
'
test_expect_success 'jobs -f: results, states and groups as job-list takes them' '
    prints "3298534886400 FAILED 1  0:02:30 -
2199023257600 CANCELED  cancel  -" flux jobs -n -f failed,canceled -o "{id.dec} {status} {returncode} {exception.type} {runtime!H} {duration!F:h}" &&
    sent "list {\"max\":1000,\"results\":6,\"states\":0,\"userid\":$ME}" &&
    flux jobs -f running,timeout -n -o "{id}" >out && test $(wc -l <out) -eq 2 &&
    sent "list {\"max\":1000,\"results\":8,\"states\":48,\"userid\":$ME}" &&
    flux jobs -a -u 4242 -n -c 5 -o "{id}" && sent "list {\"max\":5,\"states\":127,\"userid\":4242}"
'
test_expect_success 'jobs -o endreason and deps' '
    prints "   ƒ2zXhJzL7 $U true       CD 1970-01-01T00:16:41 Exit 0
   ƒ2VeXEVVq $U false       F 1970-01-01T00:19:11 Exit 1
    ƒzmM9zfZ $U sleep      CA 1970-01-01T00:16:42 Canceled: by admin
    ƒVtB5VqH $U sleep      TO 1970-01-01T01:28:41 Timeout" flux jobs -n -f inactive -o endreason &&
    flux jobs -n -o deps | grep -x "   ƒ4VBDYUpw $U dep         D after-finish:ƒVtB5VqH"
'
test_expect_success 'jobs --json: the JOB objects as job-list sent them' '
    flux jobs --json -c 1 >out &&
    grep -q "^{\"jobs\":\[{\"id\":$id9,\"userid\":$ME," out && test $(wc -l <out) -eq 1
'
test_expect_success 'jobs ID...: job-list.info for each, any encoding' '
    prints "ƒ2zXhJzL7 CD
ƒ3VQsPVAP R" flux jobs -n -o "{id} {status_abbrev}" ƒ2zXhJzL7 $id5
'
test_expect_success 'jobs: errors' '
    says_quiet 1 "flux-jobs: format: unknown field '"'"'foo'"'"'" flux jobs -o "{foo}" &&
    says_quiet 1 "flux-jobs: --filter: unknown state '"'"'bogus'"'"'" flux jobs -f running,bogus &&
    says_quiet 1 "flux-jobs: unknown user '"'"'no-such-user'"'"'" flux jobs -u no-such-user &&
    says_quiet 1 "flux-jobs: ƒ5: unknown job" flux jobs ƒ5 &&
    FLUX_JOB_LIST_SERVICE=nosuch says_quiet 1 "flux-jobs: service '"'"'nosuch'"'"' is not available" flux jobs &&
    flux jobs --bogus 2>err; test $? -eq 2 && grep -q "^Usage: flux jobs" err
'

test_expect_success 'queue status -v: the guide'"'"'s lines' '
    prints "flux-queue: Job submission is enabled
flux-queue: Scheduling is disabled: maintenance
flux-queue: 2 alloc requests queued
flux-queue: 1 alloc requests pending to scheduler
flux-queue: 0 free requests pending to scheduler
flux-queue: 4 running jobs" flux queue status -v &&
    echo "{\"enabled\": false, \"disable-reason\": \"going down\", \"started\": true}" >queue.json &&
    prints "flux-queue: Job submission is disabled: going down
flux-queue: Scheduling is enabled" flux queue status
'
test_expect_success 'queue enable, disable REASON, start, stop REASON' '
    prints "" flux queue disable going down now && sent "queue-disable {\"reason\":\"going down now\"}" &&
    prints "" flux queue enable && sent "queue-enable {}" &&
    prints "" flux queue stop && sent "queue-stop {}" &&
    prints "" flux queue stop "for the night" && sent "queue-stop {\"reason\":\"for the night\"}" &&
    prints "" flux queue start && sent "queue-start {}"
'
test_expect_success 'queue drain, idle: wait, print nothing; --timeout gives up' '
    prints "" flux queue drain && sent "queue-drain {}" &&
    prints "" flux queue idle --timeout=5s && sent "queue-idle {}" &&
    echo "{\"enabled\": true, \"started\": true, \"hang\": true}" >queue.json &&
    says_quiet 1 "flux-queue: queue-drain: timed out after 0.2s" flux queue drain --timeout=0.2s
'
test_expect_success 'queue: usage errors' '
    flux queue enable why 2>err; test $? -eq 2 && grep -q "^Usage: flux queue enable" err &&
    flux queue frobnicate 2>err; test $? -eq 2 && grep -q "unknown subcommand" err &&
    says_quiet 1 "flux-queue: --timeout: -1: duration is negative" flux queue idle --timeout=-1 ||
    { cat err; false; }
'

test_expect_success 'job urgency: names and numbers; -v prints the change' '
    prints "ƒ4VBDYUpw: urgency changed from 16 to 0" flux job urgency -v ƒ4VBDYUpw hold &&
    sent "urgency {\"id\":$id7,\"urgency\":0}" &&
    prints "" flux job urgency $id7 EXPEDITE && sent "urgency {\"id\":$id7,\"urgency\":31}" &&
    prints "" flux job urgency 0x$(printf %x $id7) default && sent "urgency {\"id\":$id7,\"urgency\":16}" &&
    prints "" flux job urgency ƒ4VBDYUpw 7 && sent "urgency {\"id\":$id7,\"urgency\":7}"
'
test_expect_success 'job urgency: errors' '
    flux job urgency ƒ4VBDYUpw 32 2>err; test $? -eq 2 &&
    says_quiet 1 "flux-job: ƒ5: unknown job" flux job urgency ƒ5 hold &&
    says_quiet 1 "flux-job: ƒ5ypjmyKm: Operation not permitted" flux job urgency ƒ5ypjmyKm 0 &&
    says_quiet 1 "flux-job: nope: invalid decimal digit '"'"'n'"'"'" flux job urgency nope 0 ||
    { cat err; false; }
'
test_expect_success 'job cancel, raise, kill' '
    prints "" flux job cancel ƒ4VBDYUpw &&
    sent "raise {\"id\":$id7,\"severity\":0,\"type\":\"cancel\"}" &&
    prints "" flux job raise -t test -s 3 -m "a note" ƒ4VBDYUpw &&
    sent "raise {\"id\":$id7,\"note\":\"a note\",\"severity\":3,\"type\":\"test\"}" &&
    prints "" flux job kill -s KILL ƒ4VBDYUpw && sent "kill {\"id\":$id7,\"signal\":9}" &&
    prints "" flux job kill ƒ4VBDYUpw && sent "kill {\"id\":$id7,\"signal\":15}"
'
test_expect_success 'job cancel: one refused, the others canceled, exit 1' '
    says_quiet 1 "flux-job: ƒ5ypjmyKm: Operation not permitted" flux job cancel ƒ5ypjmyKm ƒ4VBDYUpw
'
test_expect_success 'job cancelall: counts without -f, cancels with it' '
    says_quiet 0 "flux-job: Command matched 5 jobs (-f to confirm)" flux job cancelall &&
    sent "list {\"max\":0,\"states\":63,\"userid\":$ME}" &&
    says_quiet 0 "flux-job: Canceled 4 jobs (0 errors)" flux job cancelall -f --states=pending &&
    says_quiet 1 "flux-job: ƒ5ypjmyKm: Operation not permitted
flux-job: Canceled 1 jobs (1 errors)" flux job cancelall -f -s run -u all
'
test_expect_success 'cancel: ids, --all, -u, -S, -n' '
    prints "" flux cancel ƒ4VBDYUpw $id6 &&
    sent "raise {\"id\":$id7,\"severity\":0,\"type\":\"cancel\"}" "raise {\"id\":$id6,\"severity\":0,\"type\":\"cancel\"}" &&
    says_quiet 0 "flux-cancel: Canceled 5 jobs (0 errors)" flux cancel --all &&
    says_quiet 0 "flux-cancel: Would cancel 1 jobs" flux cancel -n -S running &&
    sent "list {\"max\":0,\"states\":48,\"userid\":$ME}" &&
    says_quiet 1 "flux-cancel: ƒ5ypjmyKm: Operation not permitted
flux-cancel: Canceled 5 jobs (1 errors)" flux cancel -u all -m why &&
    grep -q "raise {\"id\":$id9,\"note\":\"why\",\"severity\":0,\"type\":\"cancel\"}" fake.out
'
test_expect_success 'cancel: ids and --all together, or neither, are usage errors' '
    flux cancel 2>err; test $? -eq 2 && flux cancel --all ƒ4VBDYUpw 2>err; test $? -eq 2
'

test_expect_success 'job eventlog: seconds, -H dates, guest.output' '
    prints "990.000000 submit urgency=16 userid=$ME flags=0 version=1
990.500000 priority priority=16
1000.000000 alloc
1001.234000 finish status=0
1001.500000 clean" flux job eventlog ƒ2zXhJzL7 &&
    flux job eventlog -H ƒ2zXhJzL7 | head -1 | grep -x "1970-01-01T00:16:30.000000 submit .*" &&
    flux job eventlog -p guest.output ƒ2zXhJzL7 | sed -n 2p | grep -x "1000.200000 data stream=stdout rank=0 data=hello"
'
test_expect_success 'job attach: stdout and stderr apart, base64 decoded' '
    flux job attach ƒ2zXhJzL7 >out 2>err &&
    printf "hello\nbinary\377\n" | cmp - out && test "$(cat err)" = "oops"
'
test_expect_success 'job attach: a failed job exits with its exit code and says_quiet so' '
    flux job attach ƒ2VeXEVVq >out 2>err; test $? -eq 1 &&
    test "$(cat err)" = "flux-job: task(s) exited with exit code 1"
'
test_expect_success 'job status: the largest exit code; -v says_quiet how each ended' '
    flux job status ƒ2zXhJzL7 ƒ2VeXEVVq; test $? -eq 1 &&
    flux job status ƒ2zXhJzL7 ƒVtB5VqH ƒ2VeXEVVq; test $? -eq 137 &&
    flux job status -v ƒ2zXhJzL7 ƒzmM9zfZ ƒVtB5VqH >out; test $? -eq 137 &&
    printf "%s\n" "ƒ2zXhJzL7: exited with exit code 0" "ƒzmM9zfZ: exception: cancel: by admin" \
        "ƒVtB5VqH: exception: timeout: resource allocation expired" | cmp - out
'
test_expect_success 'job wait: 0 when completed, else why' '
    prints "" flux job wait ƒ2zXhJzL7 &&
    says_quiet 1 "flux-job: ƒ2VeXEVVq: exited with exit code 1" flux job wait ƒ2VeXEVVq &&
    says_quiet 1 "flux-job: ƒzmM9zfZ: exception: cancel: by admin" flux job wait ƒzmM9zfZ
'
test_expect_success 'job info: jobspec, R, eventlog' '
    prints "{\"version\":1}" flux job info ƒ2zXhJzL7 jobspec &&
    flux job info ƒ2zXhJzL7 R | grep -q "^{\"version\":1,\"execution\"" &&
    test $(flux job info ƒ2zXhJzL7 eventlog | wc -l) -eq 5 &&
    says_quiet 1 "flux-job: ƒ2VeXEVVq: no R (the job has not been allocated resources)" flux job info ƒ2VeXEVVq R &&
    says_quiet 1 "flux-job: info: unknown key '"'"'foo'"'"' (jobspec, R or eventlog)" flux job info ƒ2VeXEVVq foo
'
test_expect_success 'job id: every encoding' '
    prints "$id4" flux job id --to=dec ƒ2zXhJzL7 &&
    prints "ƒ2zXhJzL7" flux job id $id4 &&
    prints "0000.0400.0000.1000" flux job id --to=dothex ƒ2zXhJzL7
'
test_expect_success 'job: --help, unknown subcommands' '
    flux job --help | grep -q "^  cancelall " &&
    flux job attach --help | grep -q "^Usage: flux job attach ID" &&
    flux job frob 2>err; test $? -eq 2 && grep -q "unknown subcommand" err
'

stop_instance
test_expect_success 'the instance stopped cleanly' 'test "$STOP_RC" -eq 143'
test_done
