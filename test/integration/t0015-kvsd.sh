#!/bin/bash
# kvsd under load and faults: concurrent writers, kill -9 of kvsd, PostgreSQL restarted under
# load, a full disk, guest access, a full restart with --state-dir, and watches whose
# requester went away on another rank.
TEST_NAME=t0015-kvsd
. "$(dirname "$0")/lib.sh"

WRITER=$HELPERS_DIR/kvswriter
PG_CTL=$(ls -d /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -1)

kvsd_pid() {
    pgrep -f "^/.*/flux-kvsd --rank=0 --size=[0-9]+ --uri=ipc://$(instance_rundir)/rank-0/router"
}

kvs_metric() {
    local url
    url=$(flux getattr metrics.kvsd) || return 1
    curl -sf "$url" | awk -v name="$1" '$1 == name { print $2 }'
}

# kvs_metric_cmp NAME OP N: kvsd's metric NAME (0 when absent) compares so with N.
kvs_metric_cmp() {
    local v
    v=$(kvs_metric "$1") || return 1
    awk -v v="${v:-0}" -v n="$3" "BEGIN { exit !(v + 0 $2 n + 0) }"
}

# kvsd_restarted OLDPID: a kvsd other than OLDPID runs.
kvsd_restarted() {
    local pid
    pid=$(kvsd_pid) && [ -n "$pid" ] && [ "$pid" != "$1" ]
}

# change_and_watches_gone: change remote.key (the watch answers) and see no watch left.
change_and_watches_gone() {
    flux kvs put remote.key=$RANDOM && kvs_metric_cmp flux_kvs_watches == 0
}

# commits_ok: how many commits kvsd has answered successfully.
commits_ok() {
    kvs_metric 'flux_kvs_commits_total{result="ok"}'
}

# pg_as_owner DATADIR CMD...: run a PostgreSQL tool as the account that owns the cluster.
pg_as_owner() {
    local owner
    owner=$(stat -L -c %U "$1")
    shift
    if [ "$owner" = "$(id -un)" ]; then "$@"; else runuser -u "$owner" -- "$@"; fi
}

mkdir -p "$TEST_DIR/conf"
echo 'access = { allow-guest-user = true; };' >"$TEST_DIR/conf/access.conf"
start_instance -c "$TEST_DIR/conf"
test_expect_success 'kvsd serves: put, get, watch through the router' '
    flux kvs put a.b=42 &&
    test "$(flux kvs get a.b)" = 42 &&
    (flux kvs get --watch --count=2 a.b >watch.out &) &&
    wait_for 10 kvs_metric_cmp flux_kvs_watches == 1 &&
    flux kvs put a.b=43 &&
    wait_for 10 grep -q 43 watch.out &&
    test "$(cat watch.out | tr "\n" " ")" = "42 43 "
'

test_expect_success 'a configuration reload keeps kvsd on its database' '
    flux config reload &&
    flux kvs put after.reload=1 &&
    ! flux dmesg | grep "kvsd.*configuration ignored"
'

test_expect_success '50 concurrent writers: every acknowledged commit is there, in order' '
    $WRITER write 50 3 2 con >write.out &&
    tail -1 write.out &&
    awk "/^total/ { exit !(\$2 > 50 && \$3 == 0) }" write.out &&
    $WRITER verify 50 3 con <write.out
'

test_expect_success 'kill -9 of kvsd mid-stream: nothing acknowledged lost, nothing half applied' '
    old=$(kvsd_pid) && test -n "$old" &&
    base=$(commits_ok) &&
    ($WRITER write 8 4 4 kill >kill.out &) &&
    wait_for 10 kvs_metric_cmp "flux_kvs_commits_total{result=\"ok\"}" ">" $((base + 300)) &&
    kill -9 $old &&
    wait_for 20 kvsd_restarted $old &&
    wait_for 20 grep -q "^total" kill.out &&
    cat kill.out | tail -1 &&
    $WRITER verify 8 4 kill <kill.out
'

test_expect_success 'PostgreSQL restarted under load: errors in the gap, then writes again' '
    pid=$(kvsd_pid) &&
    data=$(instance_rundir)/postgres &&
    base=$(commits_ok) &&
    ($WRITER write 4 2 4 pgr >pgr.out &) &&
    wait_for 10 kvs_metric_cmp "flux_kvs_commits_total{result=\"ok\"}" ">" $((base + 100)) &&
    pg_as_owner $data $PG_CTL -D $data -m fast -w restart >pgctl.out 2>&1 &&
    wait_for 20 grep -q "^total" pgr.out &&
    tail -1 pgr.out &&
    $WRITER verify 4 2 pgr <pgr.out &&
    test "$(kvsd_pid)" = "$pid" &&
    wait_for 10 flux kvs put after.restart=1 &&
    test "$(flux kvs get after.restart)" = 1
'

test_expect_success 'a database that is down gives a clear error within bounded time' '
    data=$(instance_rundir)/postgres &&
    pg_as_owner $data $PG_CTL -D $data -m fast -w stop >/dev/null 2>&1 &&
    ! timeout 20 flux kvs put down.x=1 2>err.out &&
    grep "flux-kvs: kvs: database unavailable" err.out &&
    pg_as_owner $data $PG_CTL -D $data -w -l $data/restart.log \
        -o "-k $(instance_rundir)/pg -c listen_addresses=" start >/dev/null 2>&1 &&
    wait_for 20 flux kvs put down.x=2 &&
    test "$(flux kvs get down.x)" = 2
'

test_expect_success 'a database that hangs: errors within bounded time, then it works again' '
    data=$(instance_rundir)/postgres &&
    pm=$(head -1 $data/postmaster.pid) &&
    pids="$pm $(pgrep -P $pm | tr "\n" " ")" &&
    kill -STOP $pids || exit 1
    start=$(date +%s)
    timeout 30 flux kvs put hung.x=1 2>hung.err
    rc=$?
    elapsed=$(($(date +%s) - start))
    kill -CONT $pids
    test $rc -ne 0 && cat hung.err &&
    grep "flux-kvs: kvs: database unavailable: no answer within 10s" hung.err &&
    test $elapsed -le 15 &&
    wait_for 20 flux kvs put hung.x=2 &&
    test "$(flux kvs get hung.x)" = 2
'

test_expect_success 'guests: no primary, no other users'\'' namespaces, only their own' '
    ensure_guest_user &&
    uid=$(id -u $GUEST_USER) &&
    flux kvs namespace create -o $uid guestns &&
    flux kvs namespace create -o 4242 otherns &&
    flux kvs put -N otherns secret=1 &&
    as_guest flux kvs put -N guestns mine=7 &&
    test "$(as_guest flux kvs get -N guestns mine)" = 7 &&
    ! as_guest flux kvs get a.b 2>g1.err &&
    grep "flux-kvs: primary: Operation not permitted" g1.err &&
    ! as_guest flux kvs get -N otherns secret 2>g2.err &&
    grep "otherns: Operation not permitted" g2.err &&
    ! as_guest flux kvs put -N otherns secret=2 2>/dev/null &&
    test "$(flux kvs get -N otherns secret)" = 1 &&
    test "$(flux kvs get -N guestns mine)" = 7
'
# fake_job ID LASTEVENT: a job's data as jobd will write it, its eventlog ending in LASTEVENT.
fake_job() {
    flux kvs put job.0000.0000.0000.$1.jobspec='{"version":1}' &&
    flux kvs eventlog append job.0000.0000.0000.$1.eventlog submit &&
    flux kvs eventlog append job.0000.0000.0000.$1.eventlog "$2"
}
test_expect_success 'flux job purge: counts, then removes the oldest inactive jobs' '
    fake_job 0001 clean && fake_job 0002 clean && fake_job 0003 clean && fake_job 0004 start &&
    flux job purge --num-limit=1 2>purge1.out &&
    grep "use --force to purge 2 jobs" purge1.out &&
    flux job purge --num-limit=1 -f 2>purge2.out &&
    grep "purged 2 inactive jobs" purge2.out &&
    ! flux kvs get job.0000.0000.0000.0001.jobspec 2>/dev/null &&
    ! flux kvs get job.0000.0000.0000.0002.jobspec 2>/dev/null &&
    flux kvs get job.0000.0000.0000.0003.jobspec &&
    flux kvs get job.0000.0000.0000.0004.jobspec
'
test_expect_success 'a guest may not purge' '
    ! as_guest flux job purge --num-limit=0 -f 2>gpurge.err &&
    grep -i "owner" gpurge.err &&
    flux kvs get job.0000.0000.0000.0003.jobspec
'
test_expect_success 'kvs.purge-num-limit applies at reload, no command needed' '
    echo "kvs = { purge-num-limit = 0; };" >"$TEST_DIR/conf/kvs.conf" &&
    flux config reload &&
    wait_for 10 sh -c "! flux kvs get job.0000.0000.0000.0003.jobspec 2>/dev/null" &&
    flux kvs get job.0000.0000.0000.0004.jobspec &&
    flux dmesg | grep "purged 1 inactive jobs"
'
stop_instance_after_faults
test_expect_success 'the first instance stopped cleanly' 'test $STOP_RC -eq 143'

mkdir -p "$TEST_DIR/state"
start_instance --state-dir="$TEST_DIR/state"
test_expect_success 'state dir: data written in the first run...' '
    flux kvs put kept.value="\"across restarts\"" &&
    flux kvs eventlog append kept.log first
'
stop_instance
start_instance --state-dir="$TEST_DIR/state"
test_expect_success '...is read in the second' '
    test "$(flux kvs get kept.value)" = "across restarts" &&
    flux kvs eventlog get kept.log | grep -q first
'
stop_instance

if [ "$(id -u)" -eq 0 ] && mkdir -p "$TEST_DIR/small" &&
    mount -t tmpfs -o size=96m tmpfs "$TEST_DIR/small" 2>/dev/null; then
    start_instance --state-dir="$TEST_DIR/small"
    test_expect_success 'disk full: writes fail with a clear error, reads work' '
        flux kvs put before.full=1 &&
        avail=$(df --output=avail -k "$TEST_DIR/small" | tail -1) &&
        fallocate -l $(( (avail - 2048) * 1024 )) "$TEST_DIR/small/filler" &&
        head -c 3000000 /dev/urandom | base64 -w0 >big &&
        for i in 1 2 3 4 5 6; do
            flux kvs put -r big.$i=- <big 2>full.err || break
        done &&
        grep "flux-kvs: kvs: disk full" full.err &&
        test "$(flux kvs get before.full)" = 1 &&
        test "$(kvs_metric flux_kvs_writable)" = 0 &&
        flux dmesg | grep -q "writes are failing"
    '
    test_expect_success 'disk full: writes resume once space is freed, no restart' '
        pid=$(kvsd_pid) &&
        rm -f "$TEST_DIR/small/filler" &&
        wait_for 20 flux kvs put after.free=1 &&
        test "$(flux kvs get after.free)" = 1 &&
        test "$(kvs_metric flux_kvs_writable)" = 1 &&
        test "$(kvsd_pid)" = "$pid"
    '
    stop_instance
    umount "$TEST_DIR/small"
else
    test_skip 'disk full: writes fail with a clear error, reads work' 'needs root for a tmpfs'
    test_skip 'disk full: writes resume once space is freed' 'needs root for a tmpfs'
fi

start_instance --size=2
test_expect_success 'a watch whose requester on rank 1 went away is freed on rank 0' '
    flux kvs put remote.key=1 &&
    (FLUX_URI=$(rank_uri 1) flux kvs get --watch remote.key >remote.out 2>&1 & echo $! >watcher.pid) &&
    wait_for 10 kvs_metric_cmp flux_kvs_watches == 1 &&
    kill $(cat watcher.pid) &&
    wait_for 10 change_and_watches_gone
'
stop_instance
test_done
