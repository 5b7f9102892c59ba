#!/bin/bash
# t0029-perilog: perilog.so and flux perilog-run on a 3-rank instance: the prolog runs on
# every rank before the tasks and the epilog after them, resources are freed only once the
# epilog has ended, a failing or hanging prolog fails the job and drains only its rank with
# a reason naming the script, host and status, an epilog failure drains only where it
# failed, a cancel during the prolog drains nothing, and the eventlog shows it all.
. "$(dirname "$0")/lib.sh"

D=$TEST_DIR
mkdir -p "$D/conf" "$D/prolog.d" "$D/epilog.d"
# The per-rank script: its rank from FLUX_URI (ipc://RUNDIR/rank-N/router); control files
# in $D make it fail (fail-KIND.RANK), hang (hang-KIND.RANK) or wait (hold-KIND).
cat >"$D/perilog.sh" <<EOF
#!/bin/sh
kind=\$1
r=\${FLUX_URI%/router}; r=\${r##*/rank-}
echo "\$kind \$r \$FLUX_JOB_ID \$FLUX_JOB_USERID \$FLUX_JOB_RANKS" >>"$D/log"
if [ -e "$D/fail-\$kind.\$r" ]; then echo "checking node"; echo "disk check failed on \$r"; exit 3; fi
if [ -e "$D/hang-\$kind.\$r" ]; then exec sleep 300; fi
while [ -e "$D/hold-\$kind" ]; do sleep 0.05; done
exit 0
EOF
cat >"$D/prolog.d/10-rank0" <<EOF
#!/bin/sh
echo "prolog.d \$FLUX_JOB_ID" >>"$D/log"
EOF
chmod +x "$D/perilog.sh" "$D/prolog.d/10-rank0"
cat >"$D/conf/job-manager.conf" <<EOF
job-manager = {
  plugins = ( { load = "perilog.so"; } );
  prolog = { command = [ "flux", "perilog-run", "prolog", "-e", "$D/perilog.sh,prolog",
                         "-t", "4s", "-d", "$D/prolog.d" ]; };
  epilog = { command = [ "flux", "perilog-run", "epilog", "-e", "$D/perilog.sh,epilog",
                         "-t", "30s", "-d", "$D/epilog.d" ]; };
};
EOF
start_instance --size=3 --test-hosts=fluke[1-3] -c "$D/conf"

state() { flux jobs -a -n -o '{id.f58} {status_abbrev}' | awk -v id="$1" '$1 == id { print $2 }'; }
is_state() { [ "$(state "$1")" = "$2" ]; }
drained() { flux resource drain -n -o '{ranks}|{reason}' | sort; }
undrain_all() { for r in 0 1 2; do flux resource undrain $r 2>/dev/null; done; true; }
events() { flux job eventlog "$1" | awk '{ print $2 }' | tr '\n' ' '; }

test_expect_success 'a job runs after the prolog on every rank, the epilog after it' '
    : >"$D/log" &&
    id=$(flux submit -N3 -n3 sh -c "echo task \$FLUX_TASK_RANK >>$D/log") &&
    flux job wait "$id" &&
    wait_for 10 is_state "$id" CD &&
    cat "$D/log" &&
    test $(grep -c "^prolog [012] $id $(id -u) 0-2$" "$D/log") -eq 3 &&
    test $(grep -c "^epilog [012] $id " "$D/log") -eq 3 &&
    grep -qx "prolog.d $id" "$D/log" &&
    last_prolog=$(grep -n "^prolog" "$D/log" | tail -1 | cut -d: -f1) &&
    first_task=$(grep -n "^task" "$D/log" | head -1 | cut -d: -f1) &&
    last_task=$(grep -n "^task" "$D/log" | tail -1 | cut -d: -f1) &&
    first_epilog=$(grep -n "^epilog" "$D/log" | head -1 | cut -d: -f1) &&
    test "$last_prolog" -lt "$first_task" && test "$last_task" -lt "$first_epilog"
'
test_expect_success 'the eventlog shows prolog-start/finish before start, epilog-start/finish before free' '
    id=$(flux jobs -a -n -c 1 -o "{id.f58}") &&
    events "$id" >ev && cat ev &&
    grep -q "alloc prolog-start prolog-finish start .*finish .*epilog-start epilog-finish .*free clean" ev &&
    flux job eventlog "$id" | grep "prolog-finish" | grep -q "status=0"
'
test_expect_success 'resources are freed only once the epilog has ended' '
    touch "$D/hold-epilog" &&
    a=$(flux submit -N3 -x true) &&
    wait_for 20 is_state "$a" C &&
    b=$(flux submit -N3 -x true) &&
    is_state "$b" S &&
    is_state "$a" C &&
    rm "$D/hold-epilog" &&
    flux job wait "$b" && wait_for 10 is_state "$a" CD &&
    t_free=$(flux job eventlog "$a" | awk "\$2 == \"free\" { print \$1 }") &&
    t_alloc=$(flux job eventlog "$b" | awk "\$2 == \"alloc\" { print \$1 }") &&
    echo "a freed at $t_free, b allocated at $t_alloc" &&
    awk -v f="$t_free" -v a="$t_alloc" "BEGIN { exit !(a >= f) }"
'
rm -f "$D/hold-epilog"
test_expect_success 'a prolog failing on rank 1: prolog exception, the job never runs, only rank 1 drained' '
    touch "$D/fail-prolog.1" && rm -f "$D/ran" &&
    id=$(flux submit -N3 touch "$D/ran") &&
    ! flux job wait "$id" &&
    wait_for 10 is_state "$id" F &&
    test ! -e "$D/ran" &&
    flux jobs -a -n -o "{exception.type}|{exception.note}" "$id" >exc && cat exc &&
    grep -q "^prolog|prolog failed: flux-perilog-run: prolog: $D/perilog.sh prolog failed on fluke2 (rank 1), exit 3: disk check failed on 1 (exit 1)$" exc &&
    drained >d && cat d &&
    echo "1|prolog: $D/perilog.sh prolog failed on fluke2 (rank 1), exit 3: disk check failed on 1" | cmp - d &&
    ! flux job eventlog "$id" | awk "{ print \$2 }" | grep -qx start
'
rm -f "$D/fail-prolog.1"; undrain_all
test_expect_success 'a prolog hanging on rank 2 is killed after -t; the reason says it timed out' '
    touch "$D/hang-prolog.2" &&
    id=$(flux submit -N3 true) &&
    ! flux job wait "$id" &&
    wait_for 20 is_state "$id" F &&
    drained >d && cat d &&
    echo "2|prolog: $D/perilog.sh prolog on fluke3 (rank 2) timed out after 4s, killed" | cmp - d
'
rm -f "$D/hang-prolog.2"; undrain_all
test_expect_success 'an epilog failing on rank 2 drains only rank 2; the tasks ran' '
    touch "$D/fail-epilog.2" && rm -f "$D/ran" &&
    id=$(flux submit -N3 -n3 touch "$D/ran") &&
    wait_for 20 is_state "$id" F &&
    test -e "$D/ran" &&
    flux jobs -a -n -o "{exception.type}" "$id" | grep -qx epilog &&
    drained >d && cat d &&
    echo "2|epilog: $D/perilog.sh epilog failed on fluke3 (rank 2), exit 3: disk check failed on 2" | cmp - d
'
rm -f "$D/fail-epilog.2"; undrain_all
test_expect_success 'a cancel during a long prolog ends it: job canceled, nothing drained' '
    : >"$D/log" && touch "$D/hold-prolog" &&
    id=$(flux submit -N3 touch "$D/ran") && rm -f "$D/ran" &&
    wait_for 10 grep -q "^prolog 2 $id" "$D/log" &&
    flux cancel "$id" &&
    wait_for 20 is_state "$id" CA &&
    rm -f "$D/hold-prolog" &&
    test ! -e "$D/ran" &&
    events "$id" >ev && cat ev &&
    grep -q "prolog-start exception prolog-finish epilog-start epilog-finish" ev &&
    test -z "$(drained)"
'
rm -f "$D/hold-prolog"
# jobd killed during a prolog: its prolog got SIGTERM with it; the new jobd fails the job.
test_expect_success 'a prolog interrupted by a jobd restart fails the job, drains nothing' '
    : >"$D/log" && touch "$D/hold-prolog" &&
    id=$(flux submit -N3 true) &&
    wait_for 10 grep -q "^prolog 2 $id" "$D/log" &&
    pkill -9 -f "flux-jobd .*$(instance_rundir)/" &&
    rm -f "$D/hold-prolog" &&
    wait_for 30 is_state "$id" F &&
    flux jobs -a -n -o "{exception.type}|{exception.note}" "$id" >exc && cat exc &&
    grep -qx "prolog|prolog interrupted by a restart of jobd" exc &&
    events "$id" >ev && cat ev &&
    grep -q "prolog-start prolog-finish exception epilog-start epilog-finish" ev &&
    test -z "$(drained)"
'
rm -f "$D/hold-prolog"
test_expect_success 'flux perilog-run without the job variables says what is missing' '
    ! env -u FLUX_JOB_ID flux perilog-run prolog 2>err &&
    grep -qx "flux-perilog-run: FLUX_JOB_ID is not set (perilog.so sets it)" err
'
stop_instance_after_faults  # jobd was killed with -9 above
test_expect_success 'the instance stopped cleanly' 'test "$STOP_RC" = 143'
test_done
