#!/bin/bash
# A multi-user instance: run as an unprivileged owner (fxowner) with guests allowed and
# exec.imp set to the test IMP (installed setuid root in $TEST_DIR), jobs of two guests
# (fxguest, fxguest2) run as those users through flux-imp exec and flux-shell; each guest's
# output file is its own; neither guest can see the other's output or cancel the other's
# job, the owner can; a cancel reaches the job through the IMP, and a job that ignores
# SIGTERM dies by the escalation (SIGKILL, sent to the IMP as SIGUSR1); without exec.imp a
# guest's job gets an exec exception that says so; with perilog.so, the prolog and epilog
# run as root on each rank through flux-imp run, with the allowed environment only, and a
# failing one drains the ranks with the reason.  Needs root (useradd, setuid).
TEST_NAME=t0027-multiuser
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/multiuser.sh"
multiuser_setup; rc=$?
if [ $rc -eq 2 ]; then
    test_skip 'multi-user execution' "$MULTIUSER_SKIP"
    test_done
    exit
fi
[ $rc -eq 0 ] || exit 1

mkdir -p "$TEST_DIR/conf-noimp" "$TEST_DIR/conf-stubborn"
echo 'access = { allow-guest-user = true; };' >"$TEST_DIR/conf-noimp/instance.conf"
cat >"$TEST_DIR/conf-stubborn/instance.conf" <<EOF
access = { allow-guest-user = true; };
exec = { imp = "$TEST_DIR/imp/flux-imp"; kill-timeout = "0.2s"; kill-signal = "SIGUSR2";
         max-kill-count = 2; };
EOF

# drained_for ID: a rank is drained because the job's processes outlived the escalation.
drained_for() {
    as_user $OWNER flux resource drain 2>/dev/null | grep -q "unkillable processes for job $1"
}

# inactive ID: the job has ended.
inactive() {
    as_user $OWNER flux jobs -A -a -n -o "{id.f58} {state}" | grep -q "^$1 INACTIVE\$"
}

# state_is ID ST: the job's status abbreviation (R, CD, CA, F...) is ST.
state_is() {
    as_user $OWNER flux jobs -A -a -n -o "{id.f58} {status_abbrev}" | grep -q "^$1 $2\$"
}

start_owner_instance "$TEST_DIR/conf" --size=2 || exit 1

test_expect_success 'jobs of two guests run as those users' '
    test "$(as_user $GUEST1 flux run id -u)" = "$(id -u $GUEST1)" &&
    test "$(as_user $GUEST2 flux run id -u)" = "$(id -u $GUEST2)" &&
    test "$(as_user $OWNER flux run id -u)" = "$(id -u $OWNER)"
'
test_expect_success 'a guest job gets its environment, working directory and FLUX_ variables' '
    as_user $GUEST1 env MYVAR=mine flux run -n2 sh -c \
        "echo \$MYVAR \$PWD \$FLUX_TASK_RANK \$FLUX_JOB_SIZE" | sort >out &&
    cat out &&
    test "$(sed -n 1p out)" = "mine $TEST_DIR/$GUEST1 0 2" &&
    test "$(sed -n 2p out)" = "mine $TEST_DIR/$GUEST1 1 2"
'
test_expect_success 'a guest job on two ranks: each rank reads J and runs its task as the guest' '
    as_user $GUEST2 flux run -N2 -n2 sh -c "echo \$FLUX_TASK_RANK \$(id -un)" | sort >out &&
    cat out &&
    test "$(cat out)" = "$(printf "0 $GUEST2\n1 $GUEST2")"
'
test_expect_success 'a guest job with a 400 KB environment runs (J through the IMP stdin)' '
    b=$(head -c 100000 /dev/zero | tr "\\0" x) &&
    out=$(as_user $GUEST1 env B1=$b B2=$b B3=$b B4=$b flux run sh -c \
        "echo \$((\${#B1} + \${#B2} + \${#B3} + \${#B4}))") &&
    test "$out" = 400000
'
test_expect_success 'a guest job output file belongs to the guest' '
    id=$(as_user $GUEST1 flux submit --output=job.{{id}}.out sh -c "echo to-file") &&
    as_user $GUEST1 flux job wait $id &&
    f=$TEST_DIR/$GUEST1/job.$id.out &&
    test "$(cat $f)" = to-file &&
    test "$(stat -c %U $f)" = $GUEST1
'
test_expect_success 'a command that is not found exits 127 with the shell message' '
    as_user $GUEST2 flux run nosuchcommand 2>err; rc=$?
    cat err && test $rc -eq 127 &&
    grep -q "^flux-shell: nosuchcommand: No such file or directory" err
'
test_expect_success 'one guest cannot read nor cancel the other guest job; the owner can' '
    id=$(as_user $GUEST1 flux submit sh -c "echo secret; sleep 300") &&
    wait_for 20 state_is $id R &&
    ! as_user $GUEST2 flux job attach $id 2>err && cat err && test -s err &&
    ! as_user $GUEST2 flux job eventlog $id 2>err2 && cat err2 && test -s err2 &&
    ! as_user $GUEST2 flux cancel $id 2>err3 && cat err3 && grep -i "not permitted" err3 &&
    state_is $id R &&
    as_user $OWNER flux cancel $id &&
    wait_for 20 state_is $id CA
'
test_expect_success 'flux cancel ends a running guest job: SIGTERM reaches it through the IMP' '
    rm -f $TEST_DIR/$GUEST1/ready &&
    id=$(as_user $GUEST1 flux submit sh -c "trap \"echo got-term; exit 3\" TERM; echo \$\$ >ready; while :; do sleep 0.1; done") &&
    wait_for 20 test -s $TEST_DIR/$GUEST1/ready &&
    as_user $GUEST1 flux cancel $id &&
    wait_for 20 state_is $id CA &&
    as_user $GUEST1 flux job attach $id 2>/dev/null | grep -q got-term
'
test_expect_success 'a guest job that ignores SIGTERM dies by the escalation' '
    id=$(as_user $GUEST2 flux submit sh -c "trap \"\" TERM; echo \$\$ >pid; while :; do sleep 0.1; done") &&
    wait_for 20 test -s $TEST_DIR/$GUEST2/pid &&
    pid=$(cat $TEST_DIR/$GUEST2/pid) &&
    as_user $GUEST2 flux cancel $id &&
    wait_for 20 state_is $id CA &&
    ! kill -0 $pid 2>/dev/null &&
    ! as_user $OWNER flux resource status 2>/dev/null | grep -q unkillable
'
test_expect_success 'SIGSTOP or SIGPIPE to a guest job is not sent to its IMP: a cancel still ends it' '
    id=$(as_user $GUEST1 flux submit sh -c "echo \$\$ >stopped; while :; do sleep 0.1; done") &&
    wait_for 20 test -s $TEST_DIR/$GUEST1/stopped &&
    as_user $GUEST1 flux job kill -s STOP $id &&
    as_user $GUEST1 flux job kill -s 13 $id &&
    as_user $GUEST1 flux cancel $id &&
    wait_for 20 state_is $id CA &&
    ! kill -0 $(cat $TEST_DIR/$GUEST1/stopped) 2>/dev/null &&
    ! drained_for $id
'
test_expect_success 'a guest job does not outlive a killed execd (the IMP kills it)' '
    id=$(as_user $GUEST2 flux submit sh -c "echo \$\$ >orphan; while :; do sleep 0.1; done") &&
    wait_for 20 test -s $TEST_DIR/$GUEST2/orphan &&
    pid=$(cat $TEST_DIR/$GUEST2/orphan) &&
    pkill -9 -f "flux-execd --rank=0 .*$(instance_rundir)/" &&
    wait_for 20 sh -c "! kill -0 $pid 2>/dev/null" &&
    wait_for 30 inactive $id
'
stop_instance_after_faults
test_expect_success 'the multi-user instance stopped cleanly' 'test $STOP_RC -eq 143'

start_owner_instance "$TEST_DIR/conf-stubborn" || exit 1
test_expect_success 'a guest job that survives the escalation drains its rank' '
    id=$(as_user $GUEST1 flux submit sh -c "trap \"\" TERM USR2; echo \$\$ >stubborn; while :; do sleep 0.1; done") &&
    wait_for 20 test -s $TEST_DIR/$GUEST1/stubborn &&
    as_user $GUEST1 flux cancel $id &&
    wait_for 20 drained_for $id &&
    state_is $id C &&
    kill -9 $(cat $TEST_DIR/$GUEST1/stubborn) &&
    wait_for 20 state_is $id CA
'
stop_instance
test_expect_success 'the instance with a stubborn job stopped cleanly' 'test $STOP_RC -eq 143'

start_owner_instance "$TEST_DIR/conf-noimp" || exit 1
test_expect_success 'without exec.imp a guest job gets an exec exception that says why' '
    ! as_user $GUEST1 flux run true 2>err; cat err &&
    grep -q "multi-user execution needs exec.imp" err &&
    test "$(as_user $OWNER flux run id -u)" = "$(id -u $OWNER)"
'
stop_instance
test_expect_success 'the single-user instance stopped cleanly' 'test $STOP_RC -eq 143'

# Prolog and epilog as root on each rank of a job: perilog.so runs flux perilog-run as the
# owner, which runs `flux-imp run prolog` on every rank through execd.run.  env passes the
# test IMP its configuration directory (the installed IMP has it compiled in).
for x in prolog epilog; do
    cat >"$TEST_DIR/imp/$x" <<EOF
#!/bin/sh
test -e "$TEST_DIR/imp/fail-$x" && { echo "$x: scratch filesystem missing"; exit 4; }
echo "\$(id -u) \$(env | grep -v -E '^(PWD|SHLVL|_)=' | sort | tr '\\n' ' ')" >>"$TEST_DIR/imp/$x.out"
EOF
    chmod 755 "$TEST_DIR/imp/$x"
done
cat >>"$TEST_DIR/imp/conf.d/imp.conf" <<EOF
run = {
  prolog = { path = "$TEST_DIR/imp/prolog"; allowed-users = [ "$OWNER" ];
             allowed-environment = [ "FLUX_URI" ]; };
  epilog = { path = "$TEST_DIR/imp/epilog"; allowed-users = [ "$OWNER" ]; };
};
EOF
mkdir -p "$TEST_DIR/conf-perilog"
IMP_RUN="env,FLUX_IMP_CONF_DIR=$TEST_DIR/imp/conf.d,$TEST_DIR/imp/flux-imp,run"
cat >"$TEST_DIR/conf-perilog/instance.conf" <<EOF
access = { allow-guest-user = true; };
exec = { imp = "$TEST_DIR/imp/flux-imp"; };
job-manager = {
  plugins = ( { load = "perilog.so"; } );
  prolog = { command = [ "flux", "perilog-run", "prolog", "-d", "$TEST_DIR/none",
                         "-e", "$IMP_RUN,prolog" ]; };
  epilog = { command = [ "flux", "perilog-run", "epilog", "-d", "$TEST_DIR/none",
                         "-e", "$IMP_RUN,epilog" ]; };
};
EOF

# env_of FILE: the names of the variables the script saw on its first run, sorted, on a line.
env_of() {
    sed -n 1p "$1" | tr ' ' '\n' | sed -n 's/=.*//p' | sort | tr '\n' ' '
}
# lines_are N FILE: FILE has N lines.
lines_are() {
    test -f "$2" && test "$(wc -l <"$2")" -eq "$1"
}

start_owner_instance "$TEST_DIR/conf-perilog" --size=2 || exit 1
test_expect_success 'prolog and epilog run as root on each rank of a guest job, allowed environment only' '
    id=$(as_user $GUEST1 flux submit -N2 -n2 true) &&
    as_user $GUEST1 flux job wait $id &&
    wait_for 20 lines_are 2 $TEST_DIR/imp/epilog.out &&
    lines_are 2 $TEST_DIR/imp/prolog.out &&
    test $(grep -c "^0 " $TEST_DIR/imp/prolog.out) -eq 2 &&
    test $(grep -c "^0 " $TEST_DIR/imp/epilog.out) -eq 2 &&
    grep -q "FLUX_JOB_USERID=$(id -u $GUEST1) " $TEST_DIR/imp/prolog.out &&
    grep -q "FLUX_OWNER_USERID=$(id -u $OWNER) " $TEST_DIR/imp/prolog.out &&
    grep -q "FLUX_JOB_RANKS=0-1 " $TEST_DIR/imp/epilog.out &&
    test "$(env_of $TEST_DIR/imp/prolog.out)" = "FLUX_JOB_ID FLUX_JOB_RANKS FLUX_JOB_USERID FLUX_OWNER_USERID FLUX_URI HOME PATH USER " &&
    test "$(env_of $TEST_DIR/imp/epilog.out)" = "FLUX_JOB_ID FLUX_JOB_RANKS FLUX_JOB_USERID FLUX_OWNER_USERID HOME PATH USER "
'
test_expect_success 'a root prolog that fails drains the job ranks, naming the script, host and status' '
    touch $TEST_DIR/imp/fail-prolog &&
    ! as_user $GUEST2 flux run -N2 -n2 true 2>err; cat err &&
    rm -f $TEST_DIR/imp/fail-prolog &&
    grep -q "prolog" err &&
    as_user $OWNER flux resource drain >drained && cat drained &&
    grep -q "prolog: $TEST_DIR/imp/prolog failed on .* (rank 0), exit 4: prolog: scratch filesystem missing" drained &&
    grep -q "prolog: $TEST_DIR/imp/prolog failed on .* (rank 1), exit 4: prolog: scratch filesystem missing" drained &&
    as_user $OWNER flux resource undrain 0-1
'
stop_instance
test_expect_success 'the instance with a root prolog and epilog stopped cleanly' 'test $STOP_RC -eq 143'

test_done
