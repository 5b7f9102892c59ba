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
test_expect_success 'the environment is exactly env, FLUX_URI and a default PATH; cwd is /' '
    run 0 "{\"argv\":[\"sh\",\"-c\",\"pwd; env | sort\"],\"env\":{\"A\":\"1\"}}" >out &&
    jq -r .output out >env.out &&
    grep -x / env.out &&
    grep -x A=1 env.out &&
    grep -x PATH=/usr/sbin:/usr/bin:/sbin:/bin env.out &&
    grep -x "FLUX_URI=$(rank_uri 0)" env.out &&
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

stop_instance
test_expect_success 'the instance stopped cleanly' 'test "$STOP_RC" = 143'
test_done
