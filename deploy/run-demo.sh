#!/bin/sh
# What `make run` shows a newcomer: a local instance started with the in-tree programs,
# then a few commands run inside it.  Later issues add jobs to this tour.
set -e
cd "$(dirname "$0")/.."
cat <<'EOT'
==> cli/flux start --size=8: a private munged and 8 ranks of flux-overlayd joined in a
    tree (kary:2) over encrypted loopback tcp links, flux-kvsd on rank 0 with a private
    PostgreSQL, and flux-resourced on every rank, as you, in /tmp
EOT
exec cli/flux start --size=8 --topo=kary:2 --test-hosts='fluke[0-15]' sh -c '
set -e
run() { echo; echo "\$ flux $*"; cli/flux "$@"; }
echo "    FLUX_URI=$FLUX_URI"
run getattr hostname
run overlay status
run ping -c 3 -i 0.2 7
run overlay parentof 7
run config get
run hostlist --count "fluke[3,108,6-103]"
run kvs put demo.answer=42 demo.greeting="\"hello from rank 7\""
(FLUX_URI=$(dirname $(dirname $FLUX_URI))/rank-7/router; export FLUX_URI; run kvs get demo.greeting)
run kvs eventlog append demo.log submit "{\"urgency\": 16}"
run kvs eventlog get demo.log
run kvs dir -R demo
run kvs stats
run resource status
run resource list
run resource drain fluke5 demo: node is fubar
run resource drain
run resource undrain fluke5
run dmesg
echo
echo "==> done: the instance stops and cleans up after this command"
'
