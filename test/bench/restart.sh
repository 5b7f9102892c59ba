#!/bin/bash
# restart.sh - restart with many inactive jobs in the store (TARGETS.md: 64,000 jobs, < 3 s
# to accepting jobs).  Fills a --state-dir instance with N test-mode jobs (default 64000;
# this part takes minutes), stops it, then times a start that submits one job: the whole
# `flux start` to the job's id, and jobd's own "jobs restored" line.  Figures only.
cd "$(dirname "$0")/../.." || exit 1
export PATH="$PWD/cli:$PATH"
n=${1:-64000}
state=$(mktemp -d /var/tmp/bench-restart.XXXXXX)
trap 'rm -rf "$state"' EXIT
cli/flux start --state-dir="$state" bash -c "
    flux submit --cc=1-$n --setattr=system.exec.test.run_duration=0 true >/dev/null &&
    flux queue drain" || exit 1
for i in 1 2 3; do
    t0=$(date +%s.%N)
    cli/flux start -v --state-dir="$state" flux submit --urgency=hold true 2>"$state/log" >/dev/null
    t1=$(date +%s.%N)
    restored=$(grep -o "[0-9]* jobs restored.*" "$state/log" | head -1)
    printf "restart with %d inactive jobs: %.2f s from flux start to a new job's id (jobd: %s)\n" \
        "$n" "$(echo "$t1 - $t0" | bc)" "$restored"
done
