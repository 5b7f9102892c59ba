#!/bin/bash
# Overlay figures: for each size, seconds from `flux start` to a full tree (every rank
# joined), memory per flux-overlayd (PSS: shared libraries split among processes, and
# private anonymous memory), and ping round trips to the deepest rank.
cd "$(dirname "$0")/../.." || exit 1
for size in ${SIZES:-64 256 1024}; do
    t0=$(date +%s.%N)
    cli/flux start --size="$size" bash -c '
        t1=$(date +%s.%N)
        pss=0; anon=0; n=0
        for p in $(pgrep -f "^/.*/flux-overlayd "); do
            read -r ps an < <(awk "/^Pss:/{p=\$2} /^Anonymous:/{a=\$2} END{print p, a}" /proc/$p/smaps_rollup)
            pss=$((pss + ps)); anon=$((anon + an)); n=$((n + 1))
        done
        deepest=$(( $0 - 1 ))
        printf "size %5d: full tree after %.2f s; per overlayd: PSS %d KiB, private %d KiB (%d processes)\n" \
            "$0" "$(echo "$t1 - $1" | bc)" $((pss / n)) $((anon / n)) "$n"
        test/bench/bench_ping 2000 "$deepest"
        rundir=$(dirname "$(dirname "${FLUX_URI#ipc://}")")
        out=$(mktemp)
        test/bench/bench_events sub "ipc://$rundir/rank-$deepest/router" 20000 >"$out" &
        until grep -q subscribed "$out"; do sleep 0.05; done
        test/bench/bench_events pub "$FLUX_URI" 20000 >/dev/null
        wait
        echo "events published at rank 0, seen at rank $deepest: $(tail -1 "$out")"
        rm -f "$out"
    ' "$size" "$t0"
done
