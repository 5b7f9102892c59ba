#!/bin/sh
# What `make run` shows a newcomer: a local instance started with the in-tree programs,
# then a few commands run inside it, then jobs of different shapes.
set -e
cd "$(dirname "$0")/.."
cat <<'EOT'
==> cli/flux start --size=4: a private munged and 4 ranks of flux-overlayd joined in a
    tree (kary:2) over encrypted loopback tcp links, flux-kvsd on rank 0 with a private
    PostgreSQL, flux-jobd and flux-schedd on rank 0, flux-resourced and flux-execd on
    every rank, as you, in /tmp
EOT
exec cli/flux start --size=4 --topo=kary:2 --test-hosts='fluke[0-3]' sh -c '
set -e
run() { echo; echo "\$ flux $*"; cli/flux "$@"; }
echo "    FLUX_URI=$FLUX_URI"
run getattr hostname
run overlay status
run ping -c 3 -i 0.2 3
run overlay parentof 3
run config get
run hostlist --count "fluke[3,108,6-103]"
run kvs put demo.answer=42 demo.greeting="\"hello from rank 3\""
(FLUX_URI=$(dirname $(dirname $FLUX_URI))/rank-3/router; export FLUX_URI; run kvs get demo.greeting)
run kvs eventlog append demo.log submit "{\"urgency\": 16}"
run kvs eventlog get demo.log
run kvs dir -R demo
run kvs stats
run resource status
run resource list
run resource drain fluke3 demo: node is fubar
run resource drain
run resource undrain fluke3
echo
echo "==> cron on rank 0: a command every second, as the instance owner"
run cron interval 1s "$PWD/cli/flux jobs -a -n | wc -l | xargs echo jobs so far:"
echo
echo "==> jobs: submitted, queued by priority, scheduled onto cores, run on the ranks"
run run -N4 -n4 hostname
run run -n2 sh -c "echo task \$FLUX_TASK_RANK of \$FLUX_JOB_SIZE on \$(hostname), cores \$(grep Cpus_allowed_list /proc/self/status | cut -f2)"
run submit --cc=1-24 -n1 -t 1m sleep 0.5 >/dev/null
run submit -N2 -x -t 1m sleep 1 >/dev/null
run submit --urgency=hold -n1 true >/dev/null
run submit -n2 -t 1m --job-name=lengthy sleep 1 >/dev/null
run queue status -v
run jobs -c 12
run resource list
run queue idle --timeout=60s
run jobs -a -c 8
run queue status -v
run cron list -o
run dmesg
echo
echo "==> done: the instance stops and cleans up after this command"
'
