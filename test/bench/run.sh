#!/bin/sh
# make bench: print the figures of doc/benchmarks.md, each measured in a fresh instance.
# Figures, not pass/fail: compare them with a baseline run on the same machine.
cd "$(dirname "$0")/../.." || exit 1
echo "== instance start and stop (1 rank), 10 runs"
for i in 1 2 3 4 5 6 7 8 9 10; do
    /usr/bin/time -f "%e" cli/flux start true 2>&1
done | sort -n | awk '{ a[NR] = $1 } END { printf "start+stop of a 1-rank instance: median %.3f s (min %.3f, max %.3f)\n", a[int((NR+1)/2)], a[1], a[NR] }'
echo "== ping (three runs each, baseline first)"
for i in 1 2 3; do
    test/bench/bench_nnping 20000
    cli/flux start test/bench/bench_ping 20000
done
echo "== overlay"
test/bench/overlay.sh
echo "== kvs on disk (--state-dir in /var/tmp; baseline: 1-row INSERT transactions straight"
echo "   to the same PostgreSQL, each one an fsync)"
state=$(mktemp -d /var/tmp/bench-kvs.XXXXXX)
cli/flux start --state-dir="$state" test/bench/bench_kvs 2
rm -rf "$state"
echo "== kvs in a throwaway instance (data on tmpfs: what kvsd itself costs)"
cli/flux start test/bench/bench_kvs 2
echo "== jobs"
test/bench/jobs.sh
echo "== jobs as their users: through flux-imp and flux-shell, against the owner's direct path"
test/bench/multiuser.sh 1000
echo "== resources on a large instance"
test/bench/resource.sh
echo "== restart with 64,000 inactive jobs"
test/bench/restart.sh 64000
