#!/bin/bash
# execd.run on both ranks of a 2-rank instance (status, output, environment, timeout, bad
# requests, guests refused), then the cron service: interval entries, crontabs (flux cron
# tab and cron.directory), list/dump/stop/start/delete, and a `* * * * *` entry that runs at
# the next minute.
TEST_NAME=t0028-cron
. "$(dirname "$0")/lib.sh"

RPC=$HELPERS_DIR/rpc

# run RANK PAYLOAD: execd.run on RANK, the answer on stdout.
run() {
    "$RPC" execd.run "$2" "$1"
}

have_guest=0
ensure_guest_user && have_guest=1

mkdir -p "$TEST_DIR/conf" "$TEST_DIR/cron.d"
cat >"$TEST_DIR/conf/access.conf" <<'EOF'
access = { allow-guest-user = true; };
EOF
cat >"$TEST_DIR/conf/cron.conf" <<EOF
cron = { directory = "$TEST_DIR/cron.d"; };
EOF
cat >"$TEST_DIR/cron.d/sys" <<EOF
# a system crontab: one good entry, one bad line
*/5 * * * * echo from-cron-d >$TEST_DIR/from-cron-d
61 * * * * echo never
EOF
start_instance --size=2 -c "$TEST_DIR/conf"

test_cmp_files() {
    diff "$1" "$2"
}

test_expect_success 'execd.run on rank 0: status and output' '
    run 0 "{\"argv\":[\"sh\",\"-c\",\"echo out; echo err >&2; exit 3\"]}" >out &&
    test "$(jq .status out)" = 768 &&
    test "$(jq .timedout out)" = false &&
    test "$(jq -r .output out)" = "$(printf "out\nerr")"
'
test_expect_success 'execd.run on rank 1 runs there: FLUX_URI is the rank 1 router' '
    run 1 "{\"argv\":[\"sh\",\"-c\",\"echo \$FLUX_URI\"]}" >out &&
    test "$(jq -r .output out)" = "$(rank_uri 1)" &&
    test "$(jq .status out)" = 0
'
test_expect_success 'the environment is exactly env, FLUX_URI, the instance munged and a default PATH; cwd is /' '
    run 0 "{\"argv\":[\"sh\",\"-c\",\"pwd; env | sort\"],\"env\":{\"A\":\"1\"}}" >out &&
    jq -r .output out >env.out &&
    grep -x / env.out &&
    grep -x A=1 env.out &&
    grep -x PATH=/usr/sbin:/usr/bin:/sbin:/bin env.out &&
    grep -x "FLUX_URI=$(rank_uri 0)" env.out &&
    grep -x "FLUX_MUNGE_SOCKET=$FLUX_MUNGE_SOCKET" env.out &&
    { ! grep -v -E "^$|^(/|A=1|PATH=|FLUX_URI=|FLUX_MUNGE_SOCKET=|PWD=|SHLVL=|_=)" env.out; } &&
    ! grep -q ^HOME= env.out
'
test_expect_success 'argv[0] is searched in the PATH of env' '
    mkdir -p bin && printf "#!/bin/sh\necho mine\n" >bin/mycmd && chmod +x bin/mycmd &&
    run 1 "{\"argv\":[\"mycmd\"],\"env\":{\"PATH\":\"$TEST_DIR/bin\"}}" >out &&
    test "$(jq -r .output out)" = mine
'
test_expect_success 'a command that is not found: status 127<<8 and a message' '
    run 1 "{\"argv\":[\"no-such-command\"]}" >out &&
    test "$(jq .status out)" = 32512 &&
    jq -r .output out | grep -x "flux-execd: no-such-command: No such file or directory"
'
test_expect_success 'only the last 4096 bytes of output are kept, invalid UTF-8 made ?' '
    run 0 "{\"argv\":[\"sh\",\"-c\",\"seq 10000; printf \\\"\\\\\\\\377end\\\"\"]}" >out &&
    jq -j .output out >tail.out &&
    test "$(wc -c <tail.out)" -eq 4096 &&
    test "$(tail -c 4 tail.out)" = "?end" &&
    grep -x 9999 tail.out
'
test_expect_success 'a timeout kills the process group (SIGTERM) and says so' '
    start=$SECONDS &&
    run 1 "{\"argv\":[\"sh\",\"-c\",\"sleep 100 & sleep 100\"],\"timeout\":0.5}" >out &&
    test "$(jq .timedout out)" = true &&
    test "$(jq .status out)" = 15 &&
    test $((SECONDS - start)) -lt 10
'
test_expect_success 'a command that ignores SIGTERM is killed kill-timeout later' '
    run 0 "{\"argv\":[\"sh\",\"-c\",\"trap \\\"\\\" TERM; while :; do sleep 0.1; done\"],\"timeout\":0.2,\"kill-timeout\":0.3}" >out &&
    test "$(jq .timedout out)" = true &&
    test "$(jq .status out)" = 9
'
test_expect_success 'a command that leaves a process holding its output is answered once it exits' '
    start=$SECONDS &&
    timeout 20 "$RPC" execd.run "{\"argv\":[\"sh\",\"-c\",\"sleep 3002 & echo \$!\"]}" 0 >out &&
    kill "$(jq -r .output out)" &&
    test "$(jq .status out)" = 0 &&
    test "$(jq .timedout out)" = false &&
    test $((SECONDS - start)) -lt 10
'
test_expect_success 'bad requests get one-line errors' '
    ! run 0 "{}" >out && grep -q "^error: execd.run: " out &&
    ! run 0 "{\"argv\":[]}" >out && grep -q "argv must be an array" out &&
    ! run 0 "{\"argv\":[\"true\"],\"x\":1}" >out && grep -q "^error: execd.run: " out &&
    ! run 0 "{\"argv\":[\"true\"],\"env\":{\"A\":1}}" >out && grep -q "env: A must be a string" out &&
    ! run 0 "{\"argv\":[\"true\"],\"timeout\":-1}" >out && grep -q "timeout" out &&
    ! run 1 "{\"argv\":[1]}" >out && grep -q "argv\[0\] must be a string" out &&
    test $(wc -l <out) -eq 1
'
if [ "$have_guest" = 1 ]; then
    test_expect_success 'a guest may not use execd.run' '
        ! as_guest "$RPC" execd.run "{\"argv\":[\"id\"]}" 0 >out &&
        cat out &&
        grep -x "error: execd.run requires the instance owner" out
    '
else
    test_skip 'a guest may not use execd.run' 'cannot create the guest user'
fi


# field ID NAME: one line of flux cron dump.
field() {
    flux cron dump "$1" | sed -n "s/^$2: //p"
}
runs_at_least() {
    [ "$(field "$1" runs)" -ge "$2" ]
}
lines() {
    if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi
}

test_expect_success 'the crontab of cron.directory is loaded at start' '
    flux cron list >out &&
    grep -E "^ +1 crontab +\*/5 \* \* \* \* .* echo from-cron-d" out &&
    test "$(field 1 source)" = "$TEST_DIR/cron.d/sys:2" &&
    test $(grep -c crontab out) -eq 1
'
test_expect_success 'its bad line is logged once, as FILE:LINE' '
    flux dmesg >log &&
    test $(grep -c "cron: $TEST_DIR/cron.d/sys:3: minute: .61.: out of range 0-59" log) -eq 1
'
test_expect_success 'an interval entry runs repeatedly; list shows its status and output' '
    flux cron interval 0.1s "echo tick >>$TEST_DIR/ticks; echo tock" >id &&
    test "$(cat id)" = 2 &&
    wait_for 20 runs_at_least 2 3 &&
    flux cron list -o >out &&
    grep -E "^ +2 interval +100ms .* exit 0 " out &&
    grep -x "       | tock" out &&
    test "$(lines ticks)" -ge 3
'
test_expect_success 'a failing command shows its exit status and its output' '
    flux cron interval 0.1s "echo bad >&2; exit 3" >id &&
    wait_for 20 runs_at_least "$(cat id)" 1 &&
    wait_for 20 sh -c "flux cron dump $(cat id) | grep -x \"last-status: exit 3\"" &&
    flux cron dump "$(cat id)" >out &&
    test "$(sed -n "/^last-output:/{n;p}" out)" = bad &&
    flux cron list | grep -E "^ +$(cat id) interval .* exit 3 "
'
# entry 2 ticks into $TEST_DIR/ticks; entry 3 fails every 0.1 s: a clock for the waits below.
test_expect_success 'stop: the entry no longer runs and shows stopped; start resumes it' '
    flux cron stop 2 &&
    flux cron list | grep -E "^ +2 interval .* stopped " &&
    n=$(lines ticks) &&
    c=$(field 3 runs) &&
    wait_for 20 runs_at_least 3 $((c + 5)) &&
    test "$(lines ticks)" -eq "$n" &&
    flux cron start 2 &&
    wait_for 20 sh -c "test \$(wc -l <ticks) -gt $n"
'
test_expect_success 'delete: the entry is gone and runs no more' '
    flux cron delete 2 &&
    ! flux cron dump 2 2>err &&
    grep -x "flux-cron: cron entry 2 not found" err &&
    c=$(field 3 runs) && wait_for 20 runs_at_least 3 $((c + 3)) &&
    n=$(lines ticks) &&
    c=$(field 3 runs) && wait_for 20 runs_at_least 3 $((c + 5)) &&
    test "$(lines ticks)" -eq "$n" &&
    flux cron delete 3
'
test_expect_success 'a run still going when the next is due is skipped and counted' '
    flux cron interval 0.1s "sleep 0.6" >id &&
    wait_for 20 sh -c "test \$(flux cron dump $(cat id) | sed -n \"s/^skipped: //p\") -ge 2" &&
    flux cron delete "$(cat id)"
'
test_expect_success 'delete --kill kills the running command' '
    flux cron interval --after=0 1h "exec sleep 3001" >id &&
    wait_for 20 pgrep -x -f "sleep 3001" &&
    test "$(field "$(cat id)" running)" = yes &&
    flux cron delete --kill "$(cat id)" &&
    wait_for 20 sh -c "! pgrep -x -f \"sleep 3001\""
'
test_expect_success 'flux cron tab adds entries and prints their ids; a bad line adds none' '
    printf "# comment\n\n0 3 * * mon-fri echo weekday\n@hourly echo hourly\n" | flux cron tab >ids &&
    test $(wc -l <ids) -eq 2 &&
    flux cron list | grep -E "^ +$(head -1 ids) crontab +0 3 \* \* mon-fri .* echo weekday$" &&
    test "$(field "$(tail -1 ids)" schedule)" = @hourly &&
    printf "0 0 * * * echo ok\n0 0 30 feb * echo never\n" >bad.tab &&
    flux cron list >before &&
    ! flux cron tab bad.tab 2>err &&
    grep -x "flux-cron: bad.tab:2: day-of-month: no such day in the months given" err &&
    flux cron list >after &&
    test_cmp_files before after
'
test_expect_success 'a reload replaces the entries of files; others and unchanged lines stay' '
    printf "*/5 * * * * echo from-cron-d >$TEST_DIR/from-cron-d\n0 1 * * * echo added\n" \
        >"$TEST_DIR/cron.d/sys" &&
    flux cron list >before &&
    flux config reload &&
    wait_for 10 sh -c "flux cron list | grep -q \"echo added\"" &&
    flux cron list >after &&
    grep -E "^ +1 crontab +\*/5" after &&
    grep -c weekday after &&
    test "$(flux cron list | grep -c crontab)" -eq 4 &&
    rm "$TEST_DIR/cron.d/sys" && flux config reload &&
    wait_for 10 sh -c "! flux cron list | grep -q \"echo added\"" &&
    test "$(flux cron list | grep -c crontab)" -eq 2
'
if [ "$have_guest" = 1 ]; then
    test_expect_success 'a guest may not use flux cron' '
        ! as_guest flux cron list >out 2>err &&
        grep -x "flux-cron: cron.list requires the instance owner" err &&
        ! as_guest flux cron interval 1s true 2>err &&
        grep -x "flux-cron: cron.interval requires the instance owner" err
    '
else
    test_skip 'a guest may not use flux cron' 'cannot create the guest user'
fi
test_expect_success 'a * * * * * entry runs at the start of the next minute' '
    echo "* * * * * date +%S >$TEST_DIR/minute" | flux cron tab >id &&
    wait_for 65 test -s "$TEST_DIR/minute" &&
    test "$(sed "s/^0//" "$TEST_DIR/minute")" -le 5 &&
    test "$(field "$(cat id)" runs)" -ge 1
'

stop_instance
test_expect_success 'the instance stopped cleanly' 'test "$STOP_RC" = 143'
test_done
