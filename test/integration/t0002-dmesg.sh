#!/bin/bash
# flux dmesg: the router's log ring buffer: print, clear, read-clear, follow, new, owner only.
. "$(dirname "$0")/lib.sh"
cd "$TEST_DIR" || exit 1

mkdir conf
echo 'access = { allow-guest-user = true; };' >conf/access.conf
start_instance -c "$TEST_DIR/conf"

# An entry as flux dmesg prints it: "TIMESTAMP name.level[rank]: message".
TS='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z'
RELOADED="overlayd.info[0]: configuration reloaded from $TEST_DIR/conf"

# count_lines FILE FIXED-STRING: how many lines of FILE contain the string.
count_lines() {
    grep -cF -- "$2" "$1"
}
# has_lines FILE FIXED-STRING N: FILE has exactly N lines containing the string.
has_lines() {
    test "$(count_lines "$1" "$2")" -eq "$3"
}

test_expect_success 'dmesg prints the router start line' '
    flux dmesg >out &&
    grep -E -x "$TS overlayd\.info\[0\]: rank 0 of 1 on .* serving .*" out >started &&
    test $(wc -l <started) -eq 1 &&
    grep -F -q " on $(uname -n) serving $FLUX_URI" started
'
test_expect_success 'every line has the form TIMESTAMP name.level[rank]: message' '
    flux dmesg >out &&
    test -s out &&
    ! grep -E -v -x "$TS [a-z-]+\.(emerg|alert|crit|err|warning|notice|info|debug)\[[0-9]+\]: .*" out
'
test_expect_success 'a reload is logged' '
    flux config reload &&
    flux dmesg >out &&
    grep -E -q -x "$TS overlayd\.info\[0\]: configuration reloaded from $TEST_DIR/conf" out
'
test_expect_success 'dmesg -C prints nothing and clears the buffer' '
    flux dmesg >before &&
    test -s before &&
    flux dmesg -C >out 2>err &&
    test ! -s out && test ! -s err &&
    flux dmesg >after &&
    ! grep -F -x -f before after
'
test_expect_success 'dmesg -c prints the buffer, then clears it' '
    flux config reload &&
    flux dmesg -c >out &&
    test $(count_lines out "$RELOADED") -eq 1 &&
    flux dmesg >after &&
    ! grep -F -x -f out after
'
test_expect_success 'dmesg -f prints the backlog, then new entries as they come' '
    flux config reload || exit 1
    flux dmesg -f >follow 2>follow.err &
    pid=$!
    (
        wait_for 10 has_lines follow "$RELOADED" 1 || { echo "no backlog"; cat follow; exit 1; }
        flux config reload || exit 1
        wait_for 10 has_lines follow "$RELOADED" 2 || { echo "new entry not followed"; cat follow; exit 1; }
        kill -0 $pid || { echo "the follower exited"; exit 1; }
    )
    rc=$?
    kill $pid 2>/dev/null; wait $pid 2>/dev/null
    test ! -s follow.err || cat follow.err
    exit $rc
'
test_expect_success 'dmesg -f -n skips the backlog and prints only new entries' '
    flux config reload && flux dmesg >backlog && test -s backlog || exit 1
    flux dmesg -f -n >new 2>new.err &
    pid=$!
    (
        # The request may not be in place yet: reload until an entry shows up.
        wait_for 10 sh -c "flux config reload && test -s new" || { echo "nothing followed"; exit 1; }
        ! grep -F -x -f backlog new || { echo "backlog entries were printed"; exit 1; }
        ! grep -F -v "$RELOADED" new || { echo "unexpected entries"; exit 1; }
        kill -0 $pid || { echo "the follower exited"; exit 1; }
    )
    rc=$?
    kill $pid 2>/dev/null; wait $pid 2>/dev/null
    exit $rc
'
test_expect_status 2 '-C with -f is a usage error' 'flux dmesg -C -f'
test_expect_status 2 '-C with -c is a usage error' 'flux dmesg -C -c'
test_expect_status 2 'an unknown option is a usage error' 'flux dmesg --bogus'
test_expect_status 2 'an argument is a usage error' 'flux dmesg extra 2>err; rc=$?; grep -q "^Usage: flux dmesg" err || exit 9; exit $rc'
test_expect_success 'dmesg --help prints the options and exits 0' '
    flux dmesg --help >out && grep -q "^Usage: flux dmesg" out && grep -q -- "--follow" out
'

if ensure_guest_user; then
    test_expect_status 1 'a guest may not read the buffer (EPERM)' '
        as_guest flux dmesg >out 2>err; rc=$?
        cat err
        test ! -s out || exit 9
        grep -q -x "flux-dmesg: log.dmesg requires the instance owner" err || exit 9
        exit $rc
    '
    test_expect_status 1 'a guest may not follow the buffer (EPERM)' '
        as_guest timeout 10 flux dmesg -f 2>err; rc=$?
        cat err
        grep -q -x "flux-dmesg: log.dmesg requires the instance owner" err || exit 9
        exit $rc
    '
    test_expect_status 1 'a guest may not clear the buffer (EPERM)' '
        flux config reload &&
        as_guest flux dmesg -C 2>err; rc=$?
        cat err
        grep -q -x "flux-dmesg: log.clear requires the instance owner" err || exit 9
        flux dmesg | grep -q -F "$RELOADED" || { echo "the buffer was cleared"; exit 9; }
        exit $rc
    '
else
    test_skip 'a guest may not read the buffer (EPERM)' 'cannot create the guest user'
    test_skip 'a guest may not follow the buffer (EPERM)' 'cannot create the guest user'
    test_skip 'a guest may not clear the buffer (EPERM)' 'cannot create the guest user'
fi

stop_instance
test_expect_success 'the instance stops cleanly' 'test $STOP_RC -eq 143'
test_done
