#!/bin/bash
# jobs.sh - end-to-end job throughput (doc/benchmarks.md, TARGETS.md): N jobs submitted with
# --cc, timed from the first submit to the last job's clean (flux queue drain), in a fresh
# instance each time.  Figures, not pass/fail.
#
#   test/bench/jobs.sh [N...]         default: 1000 10000
#   JOBS_SIZES="1 4"                  instance sizes
#   JOBS_TESTMODE_N="2000 16000 64000" queue depths for the test-mode (no process) runs
cd "$(dirname "$0")/../.." || exit 1
export PATH="$PWD/cli:$PATH"
counts=${*:-1000 10000}
sizes=${JOBS_SIZES:-1 4}
testmode_counts=${JOBS_TESTMODE_N:-2000 16000 64000}

# One run inside an instance: prints "submit S s, total T s" and the daemons' peak memory.
inner() {
    local n=$1 mode=$2 t0 t1 t2 rundir
    local attr=()
    [ "$mode" = test ] && attr=(--setattr=system.exec.test.run_duration=0)
    t0=$(date +%s.%N)
    flux submit --cc=1-"$n" "${attr[@]}" true >/dev/null || exit 1
    t1=$(date +%s.%N)
    flux queue drain || exit 1
    t2=$(date +%s.%N)
    rundir=$(dirname "$(dirname "${FLUX_URI#ipc://}")")
    printf '%s\n' "$(awk -v n="$n" -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN {
        printf "submit %.0f jobs/s, end to end %.0f jobs/s (%.2f s)", n / (b - a), n / (c - a), c - a }')"
    for pid in $(grep -l -s -a "$rundir/rank-0/router" /proc/[0-9]*/cmdline | cut -d/ -f3); do
        name=$(tr '\0' ' ' </proc/"$pid"/cmdline | awk '{ print $1 }')
        hwm=$(awk '/VmHWM/ { print $2 }' /proc/"$pid"/status 2>/dev/null)
        [ -n "$hwm" ] && printf '    %s peak %d MiB\n' "$(basename "$name")" $((hwm / 1024))
    done
}
export -f inner

run() { # N SIZE MODE
    printf '%6d jobs, %d rank(s), %-4s: ' "$1" "$2" "$3"
    cli/flux start --size="$2" bash -c "inner $1 $3" 2>&1
}

echo "== submission latency, one job at a time (signing is a round trip to munged)"
cli/flux start test/bench/bench_submit 1000
echo "== jobs end to end: real processes (/bin/true)"
for size in $sizes; do
    for n in $counts; do
        run "$n" "$size" real
    done
done
echo "== jobs end to end: test mode (no processes), as the queue grows"
for n in $testmode_counts; do
    run "$n" 1 test
done
