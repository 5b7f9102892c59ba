#!/bin/bash
# The tree overlay when all is well: flux overlay status/parentof/lookup/errors on trees of
# several shapes, pings routed through every rank's ancestors, events reaching every rank in
# order, and the refusals of hellos that do not belong (wrong certificate, rank, host name,
# version), plus a certificate file with a loose mode.
. "$(dirname "$0")/lib.sh"
cd "$TEST_DIR" || exit 1

EVTEST=$HELPERS_DIR/evtest
FAKECHILD=$HELPERS_DIR/fakechild
for h in "$EVTEST" "$FAKECHILD"; do
    [ -x "$h" ] || { echo "Bail out! $h is not built (make ${h#$SRCDIR/})"; exit 1; }
done

# The shape being tested: SIZE ranks, kary:K (K=0 flat), HOST[r] the host name of rank r.
SIZE=0
K=0
HOST=()

PARENT=()
set_parents() {
    local r
    PARENT=(-1)
    for ((r = 1; r < SIZE; r++)); do
        if [ "$K" -eq 0 ]; then PARENT[$r]=0; else PARENT[$r]=$(( (r - 1) / K )); fi
    done
}
parent_of() {
    echo "${PARENT[$1]}"
}

# draw RANK PREFIX LAST ROOT: the expected `flux overlay status` drawing below RANK, every
# rank full, children in rank order.
draw() {
    local r=$1 prefix=$2 last=$3 root=$4 c kids=() i
    for ((c = 1; c < SIZE; c++)); do
        [ "${PARENT[$c]}" -eq "$r" ] && kids+=("$c")
    done
    if [ "$root" -eq 1 ]; then
        echo "$r ${HOST[$r]}: full"
    else
        if [ "$last" -eq 1 ]; then echo "$prefix└─ $r ${HOST[$r]}: full"; prefix="$prefix   "
        else echo "$prefix├─ $r ${HOST[$r]}: full"; prefix="$prefix│  "; fi
    fi
    for ((i = 0; i < ${#kids[@]}; i++)); do
        draw "${kids[$i]}" "$prefix" $((i == ${#kids[@]} - 1 ? 1 : 0)) 0
    done
}

# path_to RANK: the ranks from 0 down to RANK, space separated.
path_to() {
    local r=$1 p=$1
    while [ "$r" -ne 0 ]; do
        r=${PARENT[$r]}
        p="$r $p"
    done
    echo "$p"
}

# ping_all: every rank answers a ping, by a route through each of its ancestors.
ping_all() {
    local r out route want
    for ((r = 0; r < SIZE; r++)); do
        out=$(flux ping -c 1 "$r") || { echo "ping $r failed"; return 1; }
        route=$(printf '%s\n' "$out" | sed -n 's/^broker\.ping pad=0 seq=0 time=[0-9.]* ms (\(.*\))$/\1/p' |
            tr '!' '\n' | sed 's/\..*//' | tr '\n' ' ')
        want="$(path_to "$r") $r "
        [ "$route" = "$want" ] || { echo "rank $r: route '$out', want ranks '$want'"; return 1; }
    done
}

all_subscribed() {
    local r
    for ((r = 0; r < SIZE; r++)); do
        grep -q '^subscribed$' "ev.$r" 2>/dev/null || return 1
    done
}

# events_everywhere COUNT: a subscriber on every rank gets the COUNT events published at
# rank 0, in order, with the sequence numbers rank 0 gave them.
events_everywhere() {
    local n=$1 r pids=() rc=0
    rm -f ev.*
    for ((r = 0; r < SIZE; r++)); do
        "$EVTEST" sub "$(rank_uri $r)" ovtest. "$n" 15 >"ev.$r" 2>&1 &
        pids+=($!)
    done
    wait_for 20 all_subscribed || { echo "subscribers not ready"; kill "${pids[@]}"; return 1; }
    "$EVTEST" pub "$FLUX_URI" ovtest.tick "$n" >pub || { kill "${pids[@]}"; return 1; }
    [ "$(wc -l <pub)" -eq "$n" ] || { cat pub; return 1; }
    for ((r = 0; r < SIZE; r++)); do
        wait "${pids[$r]}" || { echo "rank $r subscriber failed:"; cat "ev.$r"; rc=1; continue; }
        grep -v '^subscribed$' "ev.$r" | cmp -s - pub ||
            { echo "rank $r got:"; cat "ev.$r"; echo "published:"; cat pub; rc=1; }
    done
    return $rc
}

# tree_tests LABEL: the checks every healthy tree gets.
tree_tests() {
    local label=$1
    set_parents
    test_expect_success "$label: every rank joins and is full" '
        wait_for 10 overlay_all_full
    '
    # protocol.md: "Log lines of every rank are also appended to rank 0's ring buffer".
    test_expect_success "$label: every rank's start-up lines reached rank 0 (flux dmesg)" '
        joined_all() {
            test $(flux dmesg | grep -c "overlayd\.info\[[0-9]*\]: joined the instance through rank") -eq $((SIZE - 1))
        }
        wait_for 5 joined_all || {
            flux dmesg | sed -n "s/.*overlayd\.info\[\([0-9]*\)\]: joined the instance.*/\1/p" | sort >seen
            seq 1 $((SIZE - 1)) | sort | comm -23 - seen | sort -n | tr "\n" " " >missing
            echo "no \"joined the instance\" line in rank 0'"'"'s dmesg from ranks: $(cat missing)"
            false
        }
    '
    test_expect_success "$label: flux overlay status draws the tree" '
        draw 0 "" 1 1 >expect &&
        flux overlay status >out &&
        diff -u expect out
    '
    test_expect_success "$label: flux getattr size" '
        test "$(flux getattr size)" = "$SIZE"
    '
    test_expect_success "$label: every rank answers a ping routed through its ancestors" '
        ping_all
    '
    test_expect_success "$label: events published at rank 0 reach every rank in order" '
        events_everywhere 5
    '
    test_expect_success "$label: parentof gives each rank its parent" '
        for ((r = 1; r < SIZE; r++)); do
            test "$(flux overlay parentof $r)" = "$(parent_of $r)" ||
                { echo "parentof $r: $(flux overlay parentof $r)"; exit 1; }
        done
    '
    test_expect_success "$label: lookup rank -> host name" '
        for r in 0 $((SIZE / 2)) $((SIZE - 1)); do
            test "$(flux overlay lookup $r)" = "${HOST[$r]}" || exit 1
        done
    '
    test_expect_success "$label: --summary counts every rank full, --down and errors show no problem" '
        flux overlay status --summary >sum &&
        test "$(sed -n 1p sum)" = "0 ${HOST[0]}: full" &&
        grep -E -q "^full: $SIZE [^ ]+ \(ranks 0-$((SIZE - 1))\)$" sum &&
        test $(wc -l <sum) -eq 2 &&
        flux overlay status --down >down &&
        test "$(cat down)" = "0 ${HOST[0]}: full" &&
        flux overlay errors >errs &&
        test ! -s errs
    '
}

# --- 8 ranks, kary:2, fluke[0-7] ---
SIZE=8 K=2 HOST=(fluke0 fluke1 fluke2 fluke3 fluke4 fluke5 fluke6 fluke7)
start_instance --size=8 --topo=kary:2 --test-hosts='fluke[0-7]'
tree_tests "8 ranks kary:2"

test_expect_success '8 ranks kary:2: the drawing is exactly the guide'"'"'s' '
    cat >expect <<-EOF &&
	0 fluke0: full
	├─ 1 fluke1: full
	│  ├─ 3 fluke3: full
	│  │  └─ 7 fluke7: full
	│  └─ 4 fluke4: full
	└─ 2 fluke2: full
	   ├─ 5 fluke5: full
	   └─ 6 fluke6: full
	EOF
    flux overlay status >out &&
    diff -u expect out
'
test_expect_success 'status -r 1 draws the subtree of rank 1' '
    cat >expect <<-EOF &&
	1 fluke1: full
	├─ 3 fluke3: full
	│  └─ 7 fluke7: full
	└─ 4 fluke4: full
	EOF
    flux overlay status -r 1 >out &&
    diff -u expect out
'
test_expect_success 'status -v adds the time in the state, -vv the round trip' '
    flux overlay status -v >v &&
    test $(grep -c -E ": full for [0-9.]+(ms|s|m|h|d)$" v) -eq 8 &&
    flux overlay status -vv >vv &&
    test $(grep -c -E ": full for [0-9.]+(ms|s|m|h|d) \([0-9]+\.[0-9]{3} ms\)$" vv) -eq 8
'
test_expect_success 'status --summary names the hosts' '
    flux overlay status --summary >sum &&
    printf "0 fluke0: full\nfull: 8 fluke[0-7] (ranks 0-7)\n" >expect &&
    diff -u expect sum
'
test_expect_success 'lookup host name -> rank, hostlist -> ranks' '
    test "$(flux overlay lookup fluke5)" = 5 &&
    test "$(flux overlay lookup "fluke[1-3,7]")" = "1-3,7"
'
test_expect_status 1 'lookup of an unknown host fails, named' '
    flux overlay lookup nosuch 2>err; rc=$?
    grep -q "^flux-overlay: .*nosuch" err || exit 9; exit $rc
'
test_expect_status 1 'lookup of a rank beyond the size fails' 'flux overlay lookup 8'
test_expect_status 1 'parentof 0 is an error' '
    flux overlay parentof 0 2>err; rc=$?
    grep -q "^flux-overlay: rank 0 has no parent" err || exit 9; exit $rc
'
test_expect_status 1 'parentof a rank beyond the size is an error' '
    flux overlay parentof 8 2>err; rc=$?
    grep -q "^flux-overlay: there is no rank 8" err || exit 9; exit $rc
'
test_expect_status 1 'disconnect 0 is an error' '
    flux overlay disconnect 0 2>err; rc=$?
    grep -q "^flux-overlay: rank 0 has no parent" err || exit 9; exit $rc
'
test_expect_status 1 'status -r of a rank that does not exist fails promptly' '
    timeout 5 flux overlay status -r 99 2>err; rc=$?
    grep -q "^flux-overlay: .*99" err || exit 9; exit $rc
'
test_expect_status 2 'flux overlay without a subcommand is a usage error' 'flux overlay'
test_expect_status 2 'an unknown subcommand is a usage error' 'flux overlay bogus'
test_expect_status 2 'parentof without a rank is a usage error' 'flux overlay parentof'
test_expect_status 2 'parentof of a non-number is a usage error' 'flux overlay parentof x'
test_expect_status 2 'status with a bad timeout is a usage error' 'flux overlay status -t 0'
test_expect_status 2 'status with an unknown option is a usage error' 'flux overlay status --bogus'
test_expect_success 'flux help overlay shows its usage' '
    flux help overlay | grep -q "^Usage: flux overlay"
'

# Refusals: hellos at rank 0's (and rank 1's) tcp endpoint that do not belong.
RUNDIR=$(instance_rundir)
CERT=$RUNDIR/curve.cert
VERSION=$(flux getattr version)
URI0=$(rank_bind_uri 0)
URI1=$(rank_bind_uri 1)
cache_metrics_url
test_expect_success 'rank 0 and rank 1 listen on tcp for their children' '
    case $URI0 in tcp://127.0.0.1:*) ;; *) echo "rank 0: $URI0"; exit 1;; esac &&
    case $URI1 in tcp://127.0.0.1:*) ;; *) echo "rank 1: $URI1"; exit 1;; esac
'
test_expect_success 'a hello signed with another certificate is refused, logged, counted' '
    flux keygen "$TEST_DIR/other.cert" &&
    "$FAKECHILD" "$TEST_DIR/other.cert" "$URI0" 1 fluke1 "$VERSION" >out; rc=$?
    cat out; test $rc -eq 1 &&
    grep -q "^refused: hello not signed with this instance.s certificate$" out &&
    dmesg_has "overlayd.err\[0\]: refused overlay hello: hello not signed with this instance.s certificate" &&
    metric_cmp flux_router_auth_failures_total "{reason=\"certificate\"}" == 1
'
test_expect_success 'a rank that is not the parent'"'"'s child is refused, logged, counted' '
    "$FAKECHILD" "$CERT" "$URI0" 3 fluke3 "$VERSION" >out; rc=$?
    cat out; test $rc -eq 1 &&
    grep -q "^refused: rank 3 (fluke3) is not a child of rank 0 (fluke0)$" out &&
    dmesg_has "overlayd.err\[0\]: refused overlay hello: rank 3 \(fluke3\) is not a child of rank 0" &&
    metric_cmp flux_router_auth_failures_total "{reason=\"rank\"}" == 1
'
test_expect_success 'a rank that does not exist is refused' '
    "$FAKECHILD" "$CERT" "$URI0" 4000000000 fluke1 "$VERSION" >out; rc=$?
    cat out; test $rc -eq 1 &&
    grep -q "^refused: rank 4000000000 .*is not a child of rank 0" out &&
    metric_cmp flux_router_auth_failures_total "{reason=\"rank\"}" == 2
'
test_expect_success 'a wrong host name for the rank is refused, logged, counted' '
    "$FAKECHILD" "$CERT" "$URI0" 1 fluke9 "$VERSION" >out; rc=$?
    cat out; test $rc -eq 1 &&
    grep -q "^refused: rank 1 claims host name fluke9 but the configuration says fluke1$" out &&
    dmesg_has "overlayd.err\[0\]: refused overlay hello: rank 1 claims host name fluke9" &&
    metric_cmp flux_router_auth_failures_total "{reason=\"hostname\"}" == 1
'
test_expect_success 'a different version is refused, logged, counted' '
    "$FAKECHILD" "$CERT" "$URI0" 2 fluke2 "$VERSION.1" >out; rc=$?
    cat out; test $rc -eq 1 &&
    grep -q "^refused: fluke2 (rank 2) runs version $VERSION.1, this is $VERSION: versions must match$" out &&
    dmesg_has "overlayd.err\[0\]: refused overlay hello: fluke2 \(rank 2\) runs version" &&
    metric_cmp flux_router_auth_failures_total "{reason=\"version\"}" == 1
'
test_expect_success 'an interior router (rank 1) refuses too, and rank 0 hears of it' '
    "$FAKECHILD" "$TEST_DIR/other.cert" "$URI1" 3 fluke3 "$VERSION" >out; rc=$?
    cat out; test $rc -eq 1 &&
    grep -q "^refused: hello not signed" out &&
    "$FAKECHILD" "$CERT" "$URI1" 5 fluke5 "$VERSION" >out; rc=$?
    cat out; test $rc -eq 1 &&
    grep -q "^refused: rank 5 (fluke5) is not a child of rank 1 (fluke1)$" out &&
    wait_for 5 dmesg_has "overlayd.err\[1\]: refused overlay hello: rank 5 \(fluke5\) is not a child of rank 1" &&
    url=$(FLUX_URI=$(rank_uri 1) flux getattr metrics.overlayd) &&
    METRICS_URL=$url metric_cmp flux_router_auth_failures_total "{reason=\"certificate\"}" == 1 &&
    METRICS_URL=$url metric_cmp flux_router_auth_failures_total "{reason=\"rank\"}" == 1
'
test_expect_success 'after the refusals the instance is still full and every rank answers' '
    overlay_all_full &&
    draw 0 "" 1 1 >expect && flux overlay status >out && diff -u expect out &&
    ping_all
'
test_expect_success 'a replayed frame and a garbage frame are refused and counted' '
    "$FAKECHILD" "$CERT" "$URI1" 4 fluke4 "$VERSION" 5 replay >out; rc=$?
    cat out; test $rc -eq 0 &&
    url=$(FLUX_URI=$(rank_uri 1) flux getattr metrics.overlayd) &&
    METRICS_URL=$url wait_for 5 metric_cmp flux_router_auth_failures_total "{reason=\"frame\"}" == 2 &&
    wait_for 5 dmesg_has "overlayd.warning\[1\]: rank 4 \(fluke4\): .*replay"
'
ping4() { flux ping -c 1 -t 1 4 >/dev/null 2>&1; }
test_expect_success 'the real rank 4, displaced by that impostor, is told to rejoin and does' '
    wait_for 30 ping4 &&
    grep -q "^flux-start: flux-overlayd rank 4 exited with status 75$" "$(instance_log)" &&
    wait_for 10 overlay_all_full && ping_all
'
test_expect_success 'a certificate readable by others keeps a rank from starting, naming file and mode' '
    flux keygen "$TEST_DIR/loose.cert" && chmod 0644 "$TEST_DIR/loose.cert" &&
    timeout 10 "$SRCDIR/overlayd/flux-overlayd" --rank=1 --size=2 --cert="$TEST_DIR/loose.cert" \
        --parent-uri="$URI0" --uri="ipc://$TEST_DIR/loose-router" \
        --munge-socket="$FLUX_MUNGE_SOCKET" 2>err; rc=$?
    cat err; test $rc -eq 1 &&
    grep -q "loose.cert: certificate is readable by group or others (mode 0644)" err
'
stop_instance_after_faults # rank 4 was displaced and restarted on purpose
test_expect_success '8 ranks kary:2: the instance stops cleanly' 'test $STOP_RC -eq 143'

# --- 16 ranks, flat ---
SIZE=16 K=0 HOST=()
for ((r = 0; r < 16; r++)); do HOST[$r]=node$r; done
start_instance --size=16 --topo=flat --test-hosts='node[0-15]'
tree_tests "16 ranks flat"
stop_instance
test_expect_success '16 ranks flat: the instance stops cleanly' 'test $STOP_RC -eq 143'

# --- 64 ranks, default shape (kary:32), default host names ---
THIS_HOST=$(hostname)
SIZE=64 K=32 HOST=()
for ((r = 0; r < 64; r++)); do HOST[$r]=$THIS_HOST; done
start_instance --size=64
tree_tests "64 ranks default"
test_expect_success '64 ranks default: lookup of this host gives every rank' '
    test "$(flux overlay lookup "$THIS_HOST")" = "0-63"
'
stop_instance
test_expect_success '64 ranks default: the instance stops cleanly' 'test $STOP_RC -eq 143'

# --- 64 ranks, kary:4 ---
SIZE=64 K=4 HOST=()
for ((r = 0; r < 64; r++)); do HOST[$r]=host$((r + 100)); done
start_instance --size=64 --topo=kary:4 --test-hosts='host[100-163]'
tree_tests "64 ranks kary:4"
test_expect_success '64 ranks kary:4: the deepest rank is reached through three routers' '
    test "$(flux overlay parentof 63)" = 15 && test "$(flux overlay parentof 15)" = 3 &&
    test "$(flux overlay parentof 3)" = 0 &&
    flux ping -c 1 63 | grep -q "(0\.[0-9]*!3\.[0-9]*!15\.[0-9]*!63\.[0-9]*!63)$"
'
stop_instance
test_expect_success '64 ranks kary:4: the instance stops cleanly' 'test $STOP_RC -eq 143'

# --- a guest may look at the tree but not disconnect ranks ---
if ensure_guest_user; then
    mkdir -p guestconf
    echo 'access = { allow-guest-user = true; };' >guestconf/access.conf
    start_instance --size=3 --test-hosts='g[0-2]' -c "$TEST_DIR/guestconf"
    test_expect_success 'guest: flux overlay status works (health crosses the links)' '
        wait_for 10 overlay_all_full &&
        as_guest flux overlay status >out && cat out &&
        printf "0 g0: full\n├─ 1 g1: full\n└─ 2 g2: full\n" >expect &&
        diff -u expect out &&
        test "$(as_guest flux overlay parentof 2)" = 0
    '
    test_expect_status 1 'guest: flux overlay disconnect is refused' '
        as_guest flux overlay disconnect 1 >out 2>err; rc=$?
        cat out err; grep -q "^flux-overlay: " err || exit 9; exit $rc
    '
    test_expect_success 'guest: after the refused disconnect the tree is still full' '
        overlay_all_full && ! dmesg_has "disconnected by request"
    '
    stop_instance
    test_expect_success 'guest: the instance stops cleanly' 'test $STOP_RC -eq 143'
else
    test_skip 'guest access to flux overlay' 'cannot create the guest user'
fi
test_done
