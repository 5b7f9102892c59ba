#!/bin/bash
# multiuser.sh - what running a job as its user costs (doc/imp.md): N `true` jobs submitted
# with --cc by the owner (execd runs them itself) and by a guest (flux-imp exec, then
# flux-shell, as the guest), in one multi-user instance, timed from the first submit to the
# last job's clean.  Figures, not pass/fail.  Needs root (users, the setuid test IMP).
#
#   test/bench/multiuser.sh [N]       default 500
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/multiuser.sh"
n=${1:-500}

multiuser_setup
case $? in
0) ;;
2) echo "multi-user jobs: skipped ($MULTIUSER_SKIP)"; exit 0 ;;
*) exit 1 ;;
esac
start_owner_instance "$TEST_DIR/conf" || exit 1

# jobs_per_s USER: N true jobs of USER, end to end.
jobs_per_s() {
    local t0 t1
    t0=$(date +%s.%N)
    as_user "$1" flux submit --cc=1-"$n" true >/dev/null || return 1
    as_user $OWNER flux queue drain || return 1
    t1=$(date +%s.%N)
    awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f jobs/s (%.2f s)", n / (b - a), b - a }'
}

for run in 1 2 3; do
    printf '%d true jobs, run %d: as the owner (direct) %s; as a guest (IMP and job shell) %s\n' \
        "$n" "$run" "$(jobs_per_s $OWNER)" "$(jobs_per_s $GUEST1)"
done
if as_user $OWNER flux jobs -A -a -n -o "{status_abbrev}" | grep -v -q -x CD; then
    echo "some jobs did not complete" >&2
    exit 1
fi
stop_instance
