#!/bin/bash
# resource.sh - flux resource on a large instance (issue 5's figures): the time of
# `flux resource status`, `flux resource list` and of draining (then undraining) 1,000
# nodes in one command, each the median of 5 runs, in an instance of SIZE ranks (default
# 1024; every rank runs, so this needs memory for SIZE × 4 daemons).  Figures only.
cd "$(dirname "$0")/../.." || exit 1
export PATH="$PWD/cli:$PATH"
size=${SIZE:-1024}
cli/flux start --size="$size" --topo=kary:32 --test-hosts="node[0-$((size - 1))]" bash -c '
    med() { sort -n | awk "{ a[NR] = \$1 } END { printf \"%.1f ms\", a[int((NR + 1) / 2)] * 1000 }"; }
    timeit() { local s e; s=$(date +%s.%N); "$@" >/dev/null || echo "failed: $*" >&2; e=$(date +%s.%N); echo "$e - $s" | bc; }
    until flux resource status -s online -no "{nnodes}" | grep -qx "$0"; do sleep 0.2; done
    last=$(( $0 < 1000 ? $0 - 1 : 999 ))
    printf "%d ranks online\n" "$0"
    printf "flux resource status: %s\n" "$(for i in 1 2 3 4 5; do timeit flux resource status; done | med)"
    printf "flux resource list:   %s\n" "$(for i in 1 2 3 4 5; do timeit flux resource list; done | med)"
    printf "drain %d nodes:     %s\n" $((last + 1)) "$(for i in 1 2 3 4 5; do
        timeit flux resource drain "0-$last" benchmark; timeit flux resource undrain "0-$last" >/dev/null; done | med)"
' "$size"
