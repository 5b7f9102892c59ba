#!/bin/bash
# The flux front end and flux start: commands, usage errors, unreachable routers, exit
# statuses, clean stops.
. "$(dirname "$0")/lib.sh"
cd "$TEST_DIR" || exit 1
unset FLUX_URI FLUX_MUNGE_SOCKET

USAGE='Usage: flux [-h] [-V] COMMAND [ARGS...]'
COMMANDS='start ping dmesg config getattr hostlist keygen overlay kvs submit run job jobs cancel queue resource cron perilog-run'

test_expect_success 'flux help lists the commands, one per line' '
    flux help >out &&
    for c in $COMMANDS; do
        grep -E -q "^  $c +[a-z]" out || { echo "$c is not listed"; exit 1; }
    done &&
    test $(grep -c -E "^  [a-z-]+ +[a-z]" out) -eq $(echo $COMMANDS | wc -w)
'
test_expect_success 'flux --help and flux -h print the same list' '
    flux help >help && flux --help >long && flux -h >short &&
    cmp help long && cmp help short
'
test_expect_success 'flux help COMMAND shows that command'"'"'s usage' '
    for c in $COMMANDS; do
        flux help $c >out || { echo "flux help $c failed"; exit 1; }
        grep -q "^Usage: flux $c" out || { echo "flux help $c:"; cat out; exit 1; }
    done
'
test_expect_success 'flux -V prints the version' '
    flux -V >out &&
    grep -E -q -x "flux [0-9]+\.[0-9]+\.[0-9]+.*" out
'
test_expect_status 2 'flux without a command prints usage' '
    flux >out 2>err; rc=$?
    test ! -s out && grep -q -x -F "$USAGE" err || exit 9
    exit $rc
'
test_expect_status 2 'an unknown command prints usage' '
    flux nosuchcmd >out 2>err; rc=$?
    cat err
    test ! -s out || exit 9
    grep -q -x "flux: unknown command .nosuchcmd." err && grep -q -x -F "$USAGE" err || exit 9
    exit $rc
'
test_expect_status 2 'an unknown option prints usage' '
    flux --bogus >out 2>err; rc=$?
    cat err
    test ! -s out || exit 9
    grep -q -x "flux: unknown option .--bogus." err && grep -q -x -F "$USAGE" err || exit 9
    exit $rc
'
test_expect_status 2 'flux help of an unknown command prints usage' '
    flux help nosuchcmd 2>err; rc=$?
    grep -q "nosuchcmd" err || exit 9
    exit $rc
'
test_expect_status 2 'a command name with a path is refused' '
    flux ../cli/flux-ping 2>err; rc=$?
    grep -q "invalid command name" err || exit 9
    exit $rc
'

# A router socket that is not there: one line, at once.
for cmd in "ping -c 1 broker" "getattr rank" "config get" "dmesg"; do
    name=${cmd%% *}
    test_expect_status 1 "flux $name with a missing socket fails at once with one line" "
        FLUX_URI=ipc://$TEST_DIR/nosuch timeout 3 flux $cmd >out 2>err; rc=\$?
        cat err
        test ! -s out || exit 9
        test \$(wc -l <err) -eq 1 || exit 9
        grep -q -x 'flux-$name: cannot connect to ipc://$TEST_DIR/nosuch: No such file or directory' err || exit 9
        exit \$rc
    "
done

# A socket file nobody answers on: an error within a few seconds, never a hang.  These need
# a munged to make the hello's credential, so they run inside an instance.
start_instance
touch "$TEST_DIR/plain"
python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$TEST_DIR/dead.sock"
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)' "$TEST_DIR/mute.sock" &
MUTE_PID=$!
wait_for 10 test -S "$TEST_DIR/mute.sock"
for target in plain dead.sock mute.sock; do
    case $target in
    plain) what="a plain file" ;;
    dead.sock) what="a socket nobody listens on" ;;
    mute.sock) what="a socket whose listener never answers" ;;
    esac
    test_expect_status 1 "FLUX_URI naming $what: an error within 10s, not a hang" "
        FLUX_URI=ipc://$TEST_DIR/$target timeout 10 flux getattr rank >out 2>err; rc=\$?
        cat err
        test ! -s out || exit 9
        test \$(wc -l <err) -eq 1 || exit 9
        grep -q '^flux-getattr: ipc://$TEST_DIR/$target: ' err || exit 9
        exit \$rc
    "
done
kill "$MUTE_PID"
wait "$MUTE_PID" 2>/dev/null
stop_instance

# flux start.  Each instance's runtime directory goes under a private TMPDIR so that the
# checks for leftovers see only this test's instances.
mkdir tmp
export TMPDIR=$TEST_DIR/tmp
# leftovers: print the processes and files left by instances under $TMPDIR; fail if any.
leftovers() {
    local procs
    procs=$(pgrep -a -f "$TMPDIR/flux-")
    test -z "$procs" && test -z "$(ls -A "$TMPDIR")" && return 1
    echo "$procs"
    ls -la "$TMPDIR"
}

test_expect_success 'flux start true exits 0' 'flux start true'
test_expect_status 7 'flux start exits with the status of its command' 'flux start sh -c "exit 7"'
test_expect_status 127 'flux start of a missing command exits 127 with a message' '
    flux start nosuchprogram 2>err; rc=$?
    grep -q "nosuchprogram" err || exit 9
    exit $rc
'
test_expect_success 'the command runs with FLUX_URI naming a live router' '
    flux start sh -c "echo \$FLUX_URI; flux ping -c 1 broker" >out &&
    grep -q "^ipc://$TMPDIR/flux-[^/]*/rank-0/router$" out &&
    grep -q "^broker.ping pad=0 seq=0" out
'
test_expect_success 'while it runs, its daemons run; after flux start true, nothing is left' '
    flux start sh -c "pgrep -a -f \"\$TMPDIR/flux-\"" >procs &&
    cat procs &&
    grep -q "flux-overlayd" procs &&
    grep -q "munged" procs &&
    ! leftovers
'
test_expect_success 'the runtime directory named by FLUX_URI is removed' '
    flux start sh -c "echo \${FLUX_URI#ipc://}" >path &&
    dir=$(dirname "$(dirname "$(cat path)")") &&
    echo "$dir" | grep -q "^$TMPDIR/flux-" &&
    test ! -e "$dir"
'
test_expect_success 'flux start --size=2 runs two ranks and leaves nothing behind' '
    flux start --size=2 flux ping -c 1 1 >out 2>err &&
    grep -q "^broker.ping pad=0 seq=0 .*!1)$" out &&
    ! leftovers
'
test_expect_status 2 'flux start --size=0 is a usage error' 'flux start --size=0 true'
test_expect_status 2 'flux start with an unknown option is a usage error' '
    flux start --bogus true 2>err; rc=$?
    grep -q "^Usage: flux start" err || exit 9
    exit $rc
'
test_expect_success 'flux start --test-hosts names rank 0 after the first host' '
    flux start --test-hosts="fluke[0-15]" flux getattr hostname >out &&
    test "$(cat out)" = fluke0
'
test_expect_success 'the start line in dmesg names the test host' '
    flux start --test-hosts="fluke[0-15]" flux dmesg >out &&
    grep -q "overlayd.info\[0\]: rank 0 of 1 on fluke0 serving " out
'
test_expect_status 1 'flux start --test-hosts with a bad hostlist fails with a message' '
    flux start --test-hosts="fluke[0-15" true 2>err; rc=$?
    cat err
    grep -q "^flux-start: --test-hosts: " err || exit 9
    exit $rc
'
test_expect_success 'flux start killed with SIGTERM while running sleep stops its daemons' '
    flux start sleep 100000 >out 2>&1 &
    pid=$!
    wait_for 30 pgrep -f "$TMPDIR/flux-.*/router" >/dev/null || { echo "the router never ran"; kill $pid; exit 1; }
    wait_for 10 pgrep -P $pid -x sleep >/dev/null || { echo "no sleep"; kill $pid; exit 1; }
    kill -TERM $pid
    timeout 20 tail --pid=$pid -f /dev/null || { echo "flux start did not exit"; exit 1; }
    wait $pid; rc=$?
    cat out
    test $rc -eq 143 || { echo "exit status $rc, expected 143"; exit 1; }
    ! leftovers
'
test_expect_success 'flux start killed with SIGHUP also stops everything' '
    flux start sleep 100000 >out 2>&1 &
    pid=$!
    wait_for 30 pgrep -P $pid -x sleep >/dev/null || { echo "no sleep"; kill $pid; exit 1; }
    kill -HUP $pid
    timeout 20 tail --pid=$pid -f /dev/null || { echo "flux start did not exit"; exit 1; }
    wait $pid
    ! leftovers
'

# A follower must not outlive its instance.
mkdir conf
echo 'router = { lease = "1s"; };' >conf/router.conf
test_expect_success 'a dmesg follower exits with an error when its instance stops' '
    # The instance'"'"'s command starts the follower and returns once it has printed the
    # start line (polled, at most 10s).
    flux start -c conf sh -c "flux dmesg -f >follow.out 2>follow.err & echo \$! >follow.pid
        i=0; until grep -q serving follow.out || [ \$i -ge 200 ]; do sleep 0.05; i=\$((i + 1)); done" &&
    grep -q serving follow.out &&
    pid=$(cat follow.pid) &&
    if ! wait_for 10 sh -c "! kill -0 $pid 2>/dev/null"; then
        echo "flux dmesg -f is still running 10s after its instance stopped"
        kill $pid
        exit 1
    fi
    cat follow.err
    test -s follow.err
'
unset TMPDIR
test_done
