#!/bin/bash
# flux-execd on both ranks of a 2-rank instance, driven directly with execd.start as jobd
# would (test/helpers/execstart): output in guest.output, exit status, environment, cwd,
# affinity, kill, an unkillable task draining its rank, expiration, test mode, reattach,
# 10 MB of output intact, bad requests, and answers when the instance stops.
TEST_NAME=t0022-execd
. "$(dirname "$0")/lib.sh"

X=$HELPERS_DIR/execstart
RPC=$HELPERS_DIR/rpc

# dothex ID: the KVS form of a job id.
dothex() {
    local hex
    hex=$(printf "%016x" "$1")
    echo "${hex:0:4}.${hex:4:4}.${hex:8:4}.${hex:12:4}"
}
# output ID: the job's guest.output, one JSON event per line.
output() {
    flux kvs eventlog get -u "job.$(dothex "$1").guest.output"
}
# stream ID NAME: the data of one stream, reassembled.
stream() {
    output "$1" | jq -j "select(.name == \"data\" and .context.stream == \"$2\") | .context.data"
}
drained() {
    "$RPC" resource.status '{}' 0 | grep -q "$1"
}

mkdir -p "$TEST_DIR/conf" "$TEST_DIR/sub"
cat >"$TEST_DIR/conf/exec.conf" <<'EOF'
exec = { kill-timeout = "0.2s"; kill-signal = "SIGUSR1"; max-kill-count = 2; };
EOF
start_instance --size=2 -c "$TEST_DIR/conf"

test_expect_success 'a task runs: start, output in guest.output, finish with its status' '
    "$X" -i 100 0 sh -c "echo hello; echo oops >&2; exit 3" >out &&
    cat out &&
    test "$(sed -n 1p out)" = "{\"type\":\"start\",\"id\":100}" &&
    test "$(sed -n 2p out)" = "{\"type\":\"finish\",\"status\":768,\"id\":100}" &&
    test $(wc -l <out) -eq 2 &&
    output 100 | head -1 | grep -q "\"name\":\"header\".*\"count\":{\"stdout\":1,\"stderr\":1}" &&
    test "$(stream 100 stdout)" = hello &&
    test "$(stream 100 stderr)" = oops &&
    test $(output 100 | grep -c "\"eof\":true") -eq 2
'
test_expect_success 'a command that is not found exits 127 with a message on its stderr' '
    "$X" -i 101 1 nosuchcommand >out &&
    grep -q "\"status\":32512" out &&
    stream 101 stderr | grep -q "^flux-execd: nosuchcommand: No such file or directory"
'
test_expect_success 'tasks get the job environment, their ranks and their share of the cores' '
    test "$(nproc)" -ge 2 || exit 0
    "$X" -i 102 -n 2 -C 0-1 1 sh -c "env; grep Cpus_allowed_list /proc/self/status" >out &&
    grep -q "\"status\":0" out &&
    stream 102 stdout >env.out &&
    grep -q "^FLUX_JOB_ID=ƒ" env.out &&
    test $(grep -c "^FLUX_JOB_SIZE=2$" env.out) -eq 2 &&
    grep -q "^FLUX_TASK_RANK=0$" env.out && grep -q "^FLUX_TASK_RANK=1$" env.out &&
    grep -q "^FLUX_TASK_LOCAL_ID=1$" env.out &&
    grep -q "^FLUX_JOB_NNODES=1$" env.out &&
    grep -q "^FLUX_URI=$(rank_uri 1)$" env.out &&
    grep -q "^PATH=$PATH$" env.out &&
    output 102 | grep "\"rank\":0" | grep -q "Cpus_allowed_list:\\\\t0\\\\n" &&
    output 102 | grep "\"rank\":1" | grep -q "Cpus_allowed_list:\\\\t1\\\\n"
'
test_expect_success 'GPUs of the allocation are in CUDA_VISIBLE_DEVICES' '
    "$X" -i 103 -G 0-1 0 sh -c "echo \$CUDA_VISIBLE_DEVICES" >out &&
    test "$(stream 103 stdout)" = "0,1"
'
test_expect_success 'the jobspec cwd is the tasks working directory' '
    "$X" -i 104 -d "$TEST_DIR/sub" 0 pwd >out &&
    test "$(stream 104 stdout)" = "$TEST_DIR/sub"
'
test_expect_success 'a cwd that does not exist is an exec exception, and nothing runs' '
    "$X" -i 105 -d /nonexistent 0 true >out &&
    cat out &&
    test "$(cat out)" = "{\"type\":\"exception\",\"data\":{\"severity\":0,\"type\":\"exec\",\"note\":\"cwd /nonexistent: No such file or directory\"},\"id\":105}"
'
test_expect_success 'attributes.system.output writes to files ({{id}} is the job id)' '
    "$X" -i 106 -o "out.{{id}}" -d "$TEST_DIR/sub" 0 sh -c "echo to-file; echo err-file >&2" >out &&
    grep -q "\"status\":0" out &&
    cat "$TEST_DIR"/sub/out.ƒ* >file.out &&
    grep -q "^to-file$" file.out && grep -q "^err-file$" file.out &&
    ! output 106 | grep -q to-file
'
test_expect_success 'execd.kill SIGTERM ends a job: finish with status 15' '
    "$X" -i 107 -k 15 1 sleep 100 >out &&
    test "$(sed -n 2p out)" = "{\"type\":\"finish\",\"status\":15,\"id\":107}"
'
test_expect_success 'a task that ignores the term and kill signals gets its rank drained' '
    "$X" -i 108 1 sh -c "trap \"\" TERM USR1; echo \$\$ >$TEST_DIR/stubborn.pid; while :; do sleep 0.1; done" >stubborn.out &
    # Kill only once the traps are set: a TERM that came first ended the shell at once.
    wait_for 10 test -s "$TEST_DIR/stubborn.pid" &&
    "$X" -i 108 -K 15 1 &&
    wait_for 10 drained "unkillable processes for job ƒ" &&
    drained "\"drained\":\"1\"" &&
    kill -9 -- -$(cat "$TEST_DIR/stubborn.pid") &&
    wait $! &&
    grep -q "\"status\":9" stubborn.out &&
    "$RPC" resource.undrain "{\"targets\":\"1\"}" 0
'
test_expect_success 'the allocation expires: timeout exception, then the job is killed' '
    "$X" -i 109 -e 0.3 0 sleep 100 >out &&
    grep -q "\"type\":\"exception\",\"data\":{\"severity\":0,\"type\":\"timeout\",\"note\":\"resource allocation expired\"}" out &&
    grep -q "\"type\":\"finish\",\"status\":15" out
'
test_expect_success 'test mode: no process, finish 0 after run_duration, or the signal' '
    "$X" -i 110 -t 0.1 0-1 >out &&
    test $(grep -c "\"type\":\"start\"" out) -eq 2 &&
    test $(grep -c "\"type\":\"finish\",\"status\":0" out) -eq 2 &&
    "$X" -i 111 -t 100 -k 15 0-1 >out &&
    test $(grep -c "\"type\":\"finish\",\"status\":15" out) -eq 2
'
test_expect_success 'a job outlives its requester; a reattach answers start, then finish' '
    "$X" -i 112 1 sleep 100 >r.out &
    pid=$! &&
    wait_for 10 grep -q start r.out &&
    kill -9 $pid &&
    "$X" -i 112 -a -k 15 1 >out &&
    cat out &&
    test "$(cat out)" = "{\"type\":\"start\",\"id\":112}
{\"type\":\"finish\",\"status\":15,\"id\":112}" &&
    "$X" -i 112 -a 1 >out &&
    test "$(cat out)" = "{\"type\":\"finish\",\"status\":15,\"id\":112}"
'
test_expect_success 'a reattach to an unknown job answers an exception lost' '
    "$X" -i 113 -a 0 >out &&
    grep -q "\"type\":\"lost\"" out
'
test_expect_success '10 MB of output arrive intact' '
    "$X" -i 114 0 sh -c "head -c 10000000 /dev/urandom | base64 | tee $TEST_DIR/big.txt" >out &&
    grep -q "\"status\":0" out &&
    test "$(stream 114 stdout | sha256sum)" = "$(sha256sum <"$TEST_DIR/big.txt")"
'
test_expect_success 'output that is not UTF-8 is base64' '
    "$X" -i 115 0 printf "\\377\\376abc" >out &&
    output 115 | grep -q "\"data\":\"//5hYmM=\",\"encoding\":\"base64\""
'
# A start for a job this rank already ran is answered as a reattach (a jobd that restarted
# before it recorded the start must not run the job twice).
test_expect_success 'bad requests get one line each and execd keeps serving' '
    ! "$X" -P "{\"id\":1}" 0 >out &&
    test "$(cat out)" = "error: execd.start: expected {\"id\",\"userid\",\"jobspec\",\"R\",\"reattach\"}" &&
    ! "$X" -i 116 -R 1 0 true >out &&
    test "$(cat out)" = "error: R: rank 0 is not in the allocation" &&
    "$X" -i 100 0 true >out &&
    grep -q "\"type\":\"finish\"" out &&
    "$RPC" execd.ping "{}" 0 >/dev/null &&
    "$RPC" execd.ping "{}" 1 >/dev/null
'
test_expect_success 'metrics count tasks and output bytes' '
    url=$(flux getattr metrics.execd) &&
    curl -sf "$url" >metrics &&
    grep -E "^flux_execd_tasks_started_total [1-9]" metrics &&
    grep -E "^flux_execd_output_bytes_total\{stream=\"stdout\"\} [1-9]" metrics &&
    grep -E "^flux_execd_jobs_running 0" metrics
'
"$X" -i 117 1 sleep 100 >"$TEST_DIR/stopped.out" &
stopped_pid=$!
wait_for 10 grep -q start "$TEST_DIR/stopped.out"
stop_instance
wait $stopped_pid
test_expect_success 'the instance stops cleanly' 'test $STOP_RC -eq 143'
test_expect_success 'a job running when execd stops gets an exception and its finish' '
    cat stopped.out &&
    grep -q "\"type\":\"exec\",\"note\":\"flux-execd on rank 1 stopped\"" stopped.out &&
    grep -q "\"type\":\"finish\",\"status\":15" stopped.out
'
test_done
