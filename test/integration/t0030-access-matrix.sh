#!/bin/bash
# The owner/guest matrix (DESIGN §3): what a guest may do to its own jobs, what it may not do
# to other users' jobs or to the instance, and that every refusal is one line and is logged
# with the guest's uid.  The owner is the user running the test (root in CI).
. "$(dirname "$0")/lib.sh"
cd "$TEST_DIR" || exit 1

if ! ensure_guest_user; then
    test_skip 'access matrix' 'cannot create the guest user'
    test_done
    exit
fi
GUEST_UID=$(id -u "$GUEST_USER")
tmode=--setattr=system.exec.test.run_duration

mkdir conf
echo 'access = { allow-guest-user = true; };' >conf/access.conf
start_instance --size=2 -c "$TEST_DIR/conf"

# refused CMD...: CMD fails with exactly one line on stderr, naming a permission problem.
refused() {
    "$@" >out 2>err && { echo "unexpected success: $*"; return 1; }
    cat err
    test "$(wc -l <err)" -eq 1 && grep -E -q "not permitted|requires the instance owner|only the instance owner|Permission denied" err
}

# guest_sees_name ID NAME: the guest's listing shows job ID with NAME.
guest_sees_name() {
    as_guest flux jobs -A -n -o "{id.f58} {name}" | grep -q "^$1 $2\$"
}

test_expect_success 'setup: a guest job done; with the queue stopped, an owner and a guest job pending' '
    as_guest flux submit $tmode=0 true >guest_done &&
    as_guest flux job wait $(cat guest_done) &&
    flux queue stop &&
    flux submit --job-name=secretname $tmode=10 true >owner_id &&
    as_guest flux submit $tmode=10 true >guest_id
'
OWNER_JOB=$(cat owner_id 2>/dev/null)
GUEST_JOB=$(cat guest_id 2>/dev/null)

test_expect_success 'a guest lists every job, but not other users'"'"' job names' '
    as_guest flux jobs -A -n -o "{id.f58} {name}" >list &&
    grep -q "^$OWNER_JOB (hidden)$" list &&
    grep -q "^$GUEST_JOB true$" list &&
    flux jobs -A -n -o "{id.f58} {name}" | grep -q "^$OWNER_JOB secretname$"
'
test_expect_success 'access.guest-job-details = true shows them, after a reload' '
    printf "access = { allow-guest-user = true; guest-job-details = true; };\n" >conf/access.conf &&
    flux config reload &&
    wait_for 10 guest_sees_name $OWNER_JOB secretname &&
    echo "access = { allow-guest-user = true; };" >conf/access.conf && flux config reload
'
test_expect_success 'a guest reads its own eventlog and output' '
    as_guest flux job eventlog $(cat guest_done) | grep -q finish &&
    as_guest flux job attach $(cat guest_done)
'
test_expect_success 'a guest lowers and raises its own urgency within 0..16' '
    as_guest flux job urgency $GUEST_JOB 5 && as_guest flux job urgency $GUEST_JOB 16 &&
    as_guest flux job urgency $GUEST_JOB hold
'
test_expect_success 'refused: urgency above 16, even on its own job' '
    refused as_guest flux job urgency $GUEST_JOB 17 &&
    refused as_guest flux job urgency $GUEST_JOB expedite &&
    refused as_guest flux submit --urgency=20 true
'
test_expect_success 'refused: another user'"'"'s eventlog, output, info, urgency' '
    refused as_guest flux job eventlog $OWNER_JOB &&
    refused as_guest flux job attach $OWNER_JOB &&
    refused as_guest flux job info $OWNER_JOB jobspec &&
    refused as_guest flux job urgency $OWNER_JOB 1
'
test_expect_success 'refused: cancel, raise or kill another user'"'"'s job' '
    refused as_guest flux cancel $OWNER_JOB &&
    refused as_guest flux job raise $OWNER_JOB &&
    refused as_guest flux job kill $OWNER_JOB &&
    flux jobs -n -o "{id.f58} {state}" | grep -q "^$OWNER_JOB SCHED$"
'
test_expect_success 'refused: cancelall for another user; --all cancels only its own' '
    refused as_guest flux cancel --user=$(id -un) &&
    refused as_guest flux cancel --user=all &&
    as_guest flux cancel --all &&
    wait_for 10 sh -c "flux jobs -A -a -n -o \"{id.f58} {status}\" | grep -q \"^$GUEST_JOB CANCELED$\"" &&
    flux jobs -n -o "{id.f58} {state}" | grep -q "^$OWNER_JOB SCHED$"
'
test_expect_success 'refused: drain and undrain' '
    refused as_guest flux resource drain 1 guest-was-here &&
    flux resource drain 1 owner-drain &&
    refused as_guest flux resource undrain 1 &&
    flux resource undrain 1
'
test_expect_success 'refused: every queue control' '
    for verb in disable enable stop start drain; do
        refused as_guest flux queue $verb || exit 1
    done
    refused as_guest flux queue idle &&
    as_guest flux queue status | grep -q "enabled"
'
test_expect_success 'refused: config reload and purge' '
    refused as_guest flux config reload &&
    refused as_guest flux job purge --force --num-limit=0
'
test_expect_success 'refused: kvs writes and reads outside the guest'"'"'s own namespaces' '
    refused as_guest flux kvs put guest.key=1 &&
    refused as_guest flux kvs get job &&
    refused as_guest flux kvs -N job-1 put x=1 &&
    refused as_guest flux kvs namespace create guestns
'
test_expect_success 'refused: the log and the scheduler'"'"'s own services' '
    refused as_guest flux dmesg &&
    ! as_guest "$SRCDIR/test/helpers/rpc" job-manager.sched-hello "{}" >out &&
    grep -q "requires the instance owner" out
'
test_expect_success 'a guest reads the configuration without the database connection string' '
    echo "kvs = { purge-num-limit = 100000; };" >conf/kvs.conf && flux config reload &&
    as_guest flux config get kvs.purge-num-limit | grep -q 100000 &&
    as_guest flux config get >guestconf && ! grep -q "postgresql:" guestconf
'
test_expect_success 'every refusal is logged with the guest'"'"'s uid' '
    flux dmesg >log &&
    for topic in job-manager.urgency job-list.eventlog job-list.info job-manager.raise \
        job-manager.kill resource.drain job-manager.queue-disable config.reload kvs.commit \
        kvs.get job-manager.sched-hello; do
        grep -q "denied $topic to uid $GUEST_UID: " log || { echo "no log for $topic"; exit 1; }
    done
'
test_expect_success 'the owner still does all of it' '
    flux job urgency $OWNER_JOB 31 && flux job urgency $OWNER_JOB hold &&
    flux job eventlog $GUEST_JOB >/dev/null &&
    flux queue disable maint && flux queue enable && flux queue start &&
    flux cancel $OWNER_JOB
'
stop_instance
test_expect_success 'the instance stopped cleanly' 'test $STOP_RC -eq 143'
test_done
