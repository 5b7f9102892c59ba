# lib.sh - helpers for integration tests (bash).  Source it first:
#
#   . "$(dirname "$0")/lib.sh"
#   start_instance [flux start options]     # FLUX_URI now points at it
#   test_expect_success 'flux ping answers' 'flux ping -c 1 broker'
#   stop_instance
#   test_done
#
# Output is TAP.  Every wait polls with a deadline (wait_for); nothing sleeps a fixed time.
# Each test file gets a private directory $TEST_DIR, removed at the end, and every instance
# it started is stopped, even when the file fails half way.

set -u
TEST_NAME=$(basename "$0" .sh)
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export PATH="$SRCDIR/cli:$PATH"
TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/$TEST_NAME.XXXXXX")
chmod 755 "$TEST_DIR"
test_count=0
test_failed=0
instance_pids=()

cleanup() {
    local pid
    for pid in "${instance_pids[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for pid in "${instance_pids[@]}"; do
        wait "$pid" 2>/dev/null
    done
    [ -n "${KEEP_TEST_DIR:-}" ] && echo "# kept $TEST_DIR" >&2 || rm -rf "$TEST_DIR"
}
trap cleanup EXIT

# test_expect_success DESCRIPTION SCRIPT: pass when SCRIPT (evaluated) exits 0.
test_expect_success() {
    test_count=$((test_count + 1))
    local out="$TEST_DIR/out.$test_count"
    if (cd "$TEST_DIR" && eval "$2") >"$out" 2>&1; then
        echo "ok $test_count - $1"
    else
        test_failed=$((test_failed + 1))
        echo "not ok $test_count - $1"
        sed 's/^/#   /' "$out" | tail -20
    fi
}

# test_expect_failure_status STATUS DESCRIPTION SCRIPT: pass when SCRIPT exits with STATUS.
test_expect_status() {
    test_expect_success "$2" "( $3 ); rc=\$?; test \$rc -eq $1 || { echo \"exit status \$rc, expected $1\"; false; }"
}

test_skip() {
    test_count=$((test_count + 1))
    echo "ok $test_count - $1 # SKIP $2"
}

test_done() {
    echo "1..$test_count"
    [ "$test_failed" -eq 0 ]
}

# wait_for SECONDS COMMAND...: poll COMMAND every 50ms until it succeeds or time runs out.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.05
    done
}

# says STATUS STDERR CMD...: CMD exits STATUS and prints exactly STDERR on stderr.
says() {
    local status=$1 expected=$2
    shift 2
    "$@" >out 2>err
    local rc=$?
    test $rc -eq "$status" || { echo "exit status $rc, expected $status"; cat err; return 1; }
    printf '%s\n' "$expected" >expected
    cmp -s expected err || { echo "expected:"; cat expected; echo "got:"; cat err; return 1; }
}

# says_quiet STATUS STDERR CMD...: says, and CMD prints nothing on stdout.
says_quiet() {
    says "$@" || return 1
    test ! -s out || { echo "stdout:"; cat out; return 1; }
}

# start_instance [flux start options]: start an instance in the background and point
# FLUX_URI and FLUX_MUNGE_SOCKET at it.  The instance runs until stop_instance.
# Sets INSTANCE_PID (the `flux start` process).
instance_seq=0
start_instance() {
    start_instance_as "$TEST_DIR" 30 -- "$@"
}

# start_instance_as DIR WAIT LAUNCH... -- [flux start options]: start_instance with flux
# start run through LAUNCH (setpriv, env: each must exec the next, so that INSTANCE_PID is
# flux start), its address written in DIR (which that user can write), waiting at most WAIT
# seconds.  The log is $TEST_DIR/instance.N.log, where stop_instance looks.
start_instance_as() {
    local dir=$1 wait=$2 launch=() info log
    shift 2
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        launch+=("$1")
        shift
    done
    shift
    instance_seq=$((instance_seq + 1))
    info=$dir/instance.$instance_seq
    log=$TEST_DIR/instance.$instance_seq.log
    "${launch[@]}" flux start "$@" -- sh -c 'echo "$FLUX_URI $FLUX_MUNGE_SOCKET" >"$0.tmp" && mv "$0.tmp" "$0" && exec sleep 100000' "$info" \
        >"$log" 2>&1 &
    INSTANCE_PID=$!
    instance_pids+=("$INSTANCE_PID")
    if ! wait_for "$wait" test -s "$info"; then
        echo "# instance failed to start:" >&2
        sed 's/^/#   /' "$log" >&2
        return 1
    fi
    read -r FLUX_URI FLUX_MUNGE_SOCKET <"$info"
    export FLUX_URI FLUX_MUNGE_SOCKET
}

# stop_instance: stop the most recent instance (call it outside test_expect_*, which run
# in subshells).  Sets STOP_RC to flux start's exit status (143: the command was killed as
# asked; anything else is a failure).
stop_instance() {
    pkill -TERM -P "$INSTANCE_PID" sleep 2>/dev/null
    wait "$INSTANCE_PID"
    STOP_RC=$?
    # flux start reports daemons that crashed or left a sanitizer report at exit.
    if grep -E "^flux-start: .*(exited with status|killed by signal|did not stop)" \
        "$TEST_DIR/instance.$instance_seq.log" 2>/dev/null >&2; then
        STOP_RC=1
    fi
    unset FLUX_URI FLUX_MUNGE_SOCKET METRICS_URL
}

# A second, unprivileged user for multi-user tests (created once, kept).
GUEST_USER=fxguest
ensure_guest_user() {
    id "$GUEST_USER" >/dev/null 2>&1 && return 0
    [ "$(id -u)" -eq 0 ] || return 1
    useradd --system --no-create-home --shell /bin/sh "$GUEST_USER" 2>/dev/null
    id "$GUEST_USER" >/dev/null 2>&1
}

# guest_tree: set GUEST_BIN to a cli/ directory the guest can run programs from.  When the
# source tree is not reachable by other users (a checkout under /root), the programs are
# copied, laid out like the tree, into $TEST_DIR (0755).
guest_tree() {
    local dst=$TEST_DIR/tree f
    if runuser -u "$GUEST_USER" -- test -x "$SRCDIR/cli/flux" &&
        runuser -u "$GUEST_USER" -- test -x "$SRCDIR/overlayd/flux-overlayd"; then
        GUEST_BIN=$SRCDIR/cli
        return 0
    fi
    mkdir -p "$dst/cli" "$dst/services" || return 1
    for f in "$SRCDIR"/cli/flux "$SRCDIR"/cli/flux-*; do
        case $f in *.c|*.o|*.d) ;; *) cp "$f" "$dst/cli/" ;; esac
    done
    for f in "$SRCDIR"/*/flux-*; do
        case $f in */cli/*|*.c|*.o|*.d) ;; *) mkdir -p "$dst/$(basename "$(dirname "$f")")" &&
            cp "$f" "$dst/$(basename "$(dirname "$f")")/" ;; esac
    done
    mkdir -p "$dst/jobd/plugins" && cp "$SRCDIR"/jobd/plugins/*.so "$dst/jobd/plugins/" 2>/dev/null
    cp "$SRCDIR/services/msg.h" "$dst/services/"  # marks a source tree (services/paths.c)
    chmod -R a+rX "$dst"
    GUEST_BIN=$dst/cli
}

# as_guest CMD...: run CMD as the guest user with the instance environment.
as_guest() {
    [ -n "${GUEST_BIN:-}" ] || guest_tree
    runuser -u "$GUEST_USER" -- env FLUX_URI="$FLUX_URI" FLUX_MUNGE_SOCKET="$FLUX_MUNGE_SOCKET" \
        PATH="$GUEST_BIN:$PATH" "$@"
}

# metric NAME [LABELS]: print the value of a metric from the router's /metrics endpoint.
# Set METRICS_URL (see cache_metrics_url) to read it without connecting to the router:
# polling through `flux getattr` would add a connection of its own to every sample.
# Fails when the endpoint does not answer; prints nothing for a metric with no sample yet.
metric() {
    local url=${METRICS_URL:-} text
    [ -n "$url" ] || url=$(flux getattr metrics.overlayd) || return 1
    text=$(curl -sf "$url") || return 1
    printf '%s\n' "$text" | awk -v name="$1${2:-}" '$1 == name { print $2 }'
}

# metric_cmp NAME LABELS OP N: compare a metric (0 when it has no sample) with N; OP is an
# awk operator (==, >=, <...).  For wait_for: metric_cmp flux_router_connections "" == 0
metric_cmp() {
    local v
    v=$(metric "$1" "$2") || return 1
    awk -v v="${v:-0}" -v n="$4" "BEGIN { exit !(v + 0 $3 n + 0) }"
}

# cache_metrics_url: export METRICS_URL for the current instance (stop_instance forgets it).
cache_metrics_url() {
    METRICS_URL=$(flux getattr metrics.overlayd) && export METRICS_URL
}

# --- Tree overlay helpers (multi-rank instances) ---

HELPERS_DIR=$SRCDIR/test/helpers

# instance_rundir: the runtime directory of the current instance (derived from FLUX_URI,
# ipc://RUNDIR/rank-0/router).
instance_rundir() {
    local path=${FLUX_URI#ipc://}
    dirname "$(dirname "$path")"
}

# rank_uri RANK: the router URI of RANK in the current instance.
rank_uri() {
    echo "ipc://$(instance_rundir)/rank-$1/router"
}

# instance_log: flux start's own log (stdout and stderr) for the current instance.
instance_log() {
    echo "$TEST_DIR/instance.$instance_seq.log"
}

# rank_pid RANK: the pid of RANK's flux-overlayd in the current instance (only this
# instance's: the pattern is anchored and names its runtime directory).
rank_pid() {
    pgrep -f "^/.*/flux-overlayd --rank=$1 --size=[0-9]+ --uri=ipc://$(instance_rundir)/rank-$1/router"
}

# rank_has_new_pid RANK OLDPID: RANK's overlayd runs with a pid other than OLDPID.
rank_has_new_pid() {
    local pid
    pid=$(rank_pid "$1") && [ -n "$pid" ] && [ "$pid" != "$2" ]
}

# rank_bind_uri RANK: the tcp endpoint RANK listens on for its children (from its command
# line; empty for a leaf).
rank_bind_uri() {
    local pid
    pid=$(rank_pid "$1") || return 1
    tr '\0' '\n' <"/proc/$pid/cmdline" | sed -n 's/^--bind=//p'
}

# overlay_rank_state RANK STATE [STATUS OPTIONS]: `flux overlay status` shows RANK in STATE.
overlay_rank_state() {
    local rank=$1 state=$2
    shift 2
    flux overlay status "$@" 2>/dev/null | grep -E -q "(^|─ )$rank [^ ]+: $state( |\$)"
}

# overlay_all_full [STATUS OPTIONS]: every rank of the instance is shown, and shown full.
overlay_all_full() {
    local out size
    size=$(flux getattr size) || return 1
    out=$(flux overlay status "$@" 2>/dev/null) || return 1
    [ "$(printf '%s\n' "$out" | grep -c -E ': full$')" -eq "$size" ] &&
        [ "$(printf '%s\n' "$out" | wc -l)" -eq "$size" ]
}

# dmesg_has PATTERN: rank 0's log ring buffer (all ranks' lines) has a line matching the
# extended regular expression PATTERN.
dmesg_has() {
    flux dmesg 2>/dev/null | grep -E -q "$1"
}

# log_has FILE PATTERN: FILE exists and has a line matching PATTERN (ERE).
log_has() {
    [ -f "$1" ] && grep -E -q "$2" "$1"
}

# stop_instance_after_faults: stop_instance for files that kill or disconnect ranks on
# purpose.  flux start reports each such exit; a rank killed with SIGKILL (signal 9) or
# exiting 75 (lost its parent, disconnected: restart me) is expected there, while any other
# exit status or signal, or a daemon that did not stop, still sets STOP_RC to 1.
stop_instance_after_faults() {
    local log
    log=$(instance_log)
    pkill -TERM -P "$INSTANCE_PID" sleep 2>/dev/null
    wait "$INSTANCE_PID"
    STOP_RC=$?
    if grep -E "^flux-start: .*(exited with status|killed by signal|did not stop)" "$log" |
        grep -v -E "(exited with status 75|killed by signal 9)$" >&2; then
        STOP_RC=1
    fi
    unset FLUX_URI FLUX_MUNGE_SOCKET METRICS_URL
}

# start_private_munged: a munged of the test's own (socket in $TEST_DIR/munge), for tests
# that run daemons without flux start; exports FLUX_MUNGE_SOCKET, sets MUNGED_PID.
start_private_munged() {
    mkdir -p "$TEST_DIR/munge" && chmod 755 "$TEST_DIR/munge" &&
    mungekey --create --keyfile="$TEST_DIR/munge/key" &&
    munged --socket="$TEST_DIR/munge/sock" --key-file="$TEST_DIR/munge/key" \
        --pid-file="$TEST_DIR/munge/pid" --seed-file="$TEST_DIR/munge/seed" \
        --log-file="$TEST_DIR/munge/log" &&
    MUNGED_PID=$(cat "$TEST_DIR/munge/pid") &&
    export FLUX_MUNGE_SOCKET=$TEST_DIR/munge/sock
}
