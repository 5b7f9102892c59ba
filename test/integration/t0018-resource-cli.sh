#!/bin/bash
# flux resource: status, list, drain (the list), info and R printed exactly from a fixed
# STATUS (the admin guide's 16 fluke nodes, then one with every state), drain and undrain
# requests as sent, errors and usage; then the commands against the real resourced.
#
# The fixed STATUS comes from test/helpers/fakeresource, registered as the service
# "fakeres" (the real resourced holds "resource"), which flux resource asks instead when
# FLUX_RESOURCE_SERVICE names it.
. "$(dirname "$0")/lib.sh"
cd "$TEST_DIR" || exit 1
export TZ=UTC

# prints EXPECTED ARGS...: flux resource ARGS prints exactly EXPECTED (nothing at all when
# it is ""), nothing on stderr, and exits 0.
prints() {
    local expected=$1
    shift
    flux resource "$@" >out 2>err
    local rc=$?
    test $rc -eq 0 || { echo "exit status $rc"; cat err; return 1; }
    test ! -s err || { echo "stderr:"; cat err; return 1; }
    if [ -n "$expected" ]; then printf '%s\n' "$expected"; fi >expected
    cmp -s expected out || { echo "expected:"; cat expected; echo "got:"; cat out; return 1; }
}
# fails STATUS MESSAGE-REGEX ARGS...: flux resource ARGS prints nothing on stdout, exits
# STATUS, and its first stderr line matches "^flux-resource: MESSAGE-REGEX$".
fails() {
    local status=$1 regex=$2
    shift 2
    flux resource "$@" >out 2>err
    local rc=$?
    cat err
    test $rc -eq "$status" || { echo "exit status $rc, expected $status"; return 1; }
    test ! -s out || { echo "stdout:"; cat out; return 1; }
    head -1 err | grep -E -q -x "flux-resource: $regex" || { echo "no match: $regex"; return 1; }
}
# exits STATUS ARGS...: flux resource ARGS exits STATUS, printing its usage on stderr.
exits() {
    local status=$1
    shift
    flux resource "$@" >out 2>err
    local rc=$?
    test $rc -eq "$status" || { echo "exit status $rc, expected $status"; return 1; }
    grep -q "^Usage: flux resource" err || { echo "no usage:"; cat err; return 1; }
}
# sent LINE: the fake's last request was LINE ("drain {...}", keys sorted).
sent() {
    test "$(tail -1 "$TEST_DIR/fake.out")" = "$1" || { tail -1 "$TEST_DIR/fake.out"; return 1; }
}

R16='{"version":1,"execution":{"R_lite":[{"rank":"0-15","children":{"core":"0-3"}}],"starttime":0,"expiration":0,"nodelist":["fluke[25-40]"]}}'
R16GPU='{"version":1,"execution":{"R_lite":[{"rank":"0-7","children":{"core":"0-3"}},{"rank":"8-15","children":{"core":"0-3","gpu":"0-1"}}],"starttime":0,"expiration":0,"nodelist":["fluke[25-40]"]}}'

# The admin guide's instance: 16 nodes, all online, rank 0 drained.
guide_status() {
    cat >"$TEST_DIR/status.json" <<EOF
{"size": 16, "hosts": "fluke[25-40]", "R": $R16,
 "online": "0-15", "exclude": "", "torpid": "", "drained": "0", "draining": "",
 "allocated": "",
 "drains": {"0": {"timestamp": 1608109225.0, "reason": "node is fubar"}}}
EOF
}
# Every state: 12-15 offline, 15 excluded, 3 torpid, 0 and 12 drained for one reason at
# one time, 4 draining (allocated 4-7), GPUs on 8-15; a key this command does not know.
busy_status() {
    cat >"$TEST_DIR/status.json" <<EOF
{"size": 16, "hosts": "fluke[25-40]", "R": $R16GPU,
 "online": "0-11", "exclude": "15", "torpid": "3", "drained": "0,12", "draining": "4",
 "allocated": "4-7",
 "drains": {"0": {"timestamp": 1608109225.0, "reason": "node is fubar"},
            "12": {"timestamp": 1608109225.0, "reason": "node is fubar"},
            "4": {"timestamp": 1608109300.25, "reason": "bad dimm"}},
 "housekeeping": ""}
EOF
}

start_instance
guide_status
"$HELPERS_DIR/fakeresource" fakeres "$TEST_DIR/status.json" >"$TEST_DIR/fake.out" 2>&1 &
FAKE_PID=$!
instance_pids+=("$FAKE_PID")
wait_for 10 grep -q ready "$TEST_DIR/fake.out" || echo "# fakeresource did not start" >&2
export FLUX_RESOURCE_SERVICE=fakeres

test_expect_success 'status: the guide example, with a header' '
    prints "    STATE NNODES RANKS           NODELIST
    avail     15 1-15            fluke[26-40]
  drained      1 0               fluke25" status
'
test_expect_success 'status -n drops the header; -s drain names both kinds' '
    prints "    avail     15 1-15            fluke[26-40]
    drain      1 0               fluke25" status -n -s avail,drain
'
test_expect_success 'status -s all -no {nodelist}: the whole hostlist' '
    prints "fluke[25-40]" status -s all -no {nodelist}
'
test_expect_success 'status: states named with -s are shown when empty' '
    prints "    STATE NNODES RANKS           NODELIST
  offline      0
  exclude      0" status --states=offline,exclude
'
test_expect_success 'status -s help lists the states and exits 0' '
    flux resource status -s help >out &&
    test "$(awk "{print \$1}" out | tr "\n" " ")" = "avail exclude draining drained drain torpid online offline allocated all "
'
test_expect_success 'status: an unknown state' '
    fails 1 "status: unknown state '"'"'foo'"'"' \(-s help lists them\)" status -s avail,foo
'
test_expect_success 'list: the guide example' '
    prints "    STATE NNODES   NCORES    NGPUS NODELIST
     free     15       60        0 fluke[26-40]
allocated      0        0        0
     down      1        4        0 fluke25" list
'
test_expect_success 'list -v: the resources instead of the nodelist' '
    prints "    STATE NNODES   NCORES    NGPUS LIST
     free     15       60        0 rank[1-15]/core[0-3]
allocated      0        0        0
     down      1        4        0 rank0/core[0-3]" list -v
'
test_expect_success 'drain: the drained list (UTC here)' '
    prints "TIMESTAMP            STATE    RANK     REASON                         NODELIST
2020-12-16T09:00:25  drained  0        node is fubar                  fluke25" drain
'
test_expect_success 'info and R' '
    prints "16 Nodes, 64 Cores, 0 GPUs" info &&
    prints "$R16" R
'

busy_status
test_expect_success 'status: offline ranks of a state on a STATE* line' '
    prints "    STATE NNODES RANKS           NODELIST
    avail     10 1-3,5-11        fluke[26-28,30-36]
   avail*      2 13-14           fluke[38-39]
 exclude*      1 15              fluke40
 draining      1 4               fluke29
  drained      1 0               fluke25
 drained*      1 12              fluke37
   torpid      1 3               fluke28" status
'
test_expect_success 'status: online, offline and all are not split' '
    prints "   online     12 0-11            fluke[25-36]
  offline      4 12-15           fluke[37-40]
      all     16 0-15            fluke[25-40]
allocated      4 4-7             fluke[29-32]" status -n -s online,offline,all,allocated
'
test_expect_success 'status: a named state with offline ranks only keeps its line' '
    prints "    STATE NNODES RANKS           NODELIST
  exclude      0
 exclude*      1 15              fluke40" status -s exclude
'
test_expect_success 'list: down is offline or drained less excluded; free is up less allocated' '
    prints "    STATE NNODES   NCORES    NGPUS NODELIST
     free      7       28        8 fluke[26-28,33-36]
allocated      4       16        0 fluke[29-32]
     down      5       20        6 fluke[25,29,37-39]" list
'
test_expect_success 'list -v -s up,all' '
    prints "    STATE NNODES   NCORES    NGPUS LIST
       up     10       40        8 rank[1-3,5-7]/core[0-3] rank[8-11]/core[0-3],gpu[0-1]
      all     15       60       14 rank[0-7]/core[0-3] rank[8-14]/core[0-3],gpu[0-1]" list -v -s up,all
'
test_expect_success 'drain: one line per state, time and reason, in time order' '
    prints "TIMESTAMP            STATE    RANK     REASON                         NODELIST
2020-12-16T09:00:25  drained  0,12     node is fubar                  fluke[25,37]
2020-12-16T09:01:40  draining 4        bad dimm                       fluke29" drain
'
test_expect_success 'formats: widths, alignment, fill, braces, growing columns' '
    prints "{STATE}|  NNODES|RANKS.....|
{avail}|      10|1-3,5-11..|
{avail*}|       2|13-14.....|" status -s avail -o "{{{state}}}|{nnodes:8}|{ranks:.<10}|" &&
    prints "RANKS    X
1-3,5-11 X
13-14    X" status -s avail -o "{+:ranks} X" &&
    prints "2 0,12 [node is fubar]
1 4 [bad dimm]" drain -no "{nnodes} {ranks} [{reason}]"
'
test_expect_success 'formats: unknown fields and specs are errors' '
    fails 1 "status: format: unknown field '"'"'foo'"'"'" status -o "{foo}" &&
    fails 1 "status: format: unknown field '"'"'reason'"'"'" status -o "{reason}" &&
    fails 1 "list: format: unsupported spec .*" list -o "{nnodes:d}" &&
    fails 1 "drain: format: single .*" drain -o "}"
'

test_expect_success 'drain TARGETS REASON: mode fail, the words joined, nothing printed' '
    prints "" drain "fluke[25-26]" node is -5C cold &&
    sent "drain {\"mode\":\"fail\",\"reason\":\"node is -5C cold\",\"targets\":\"fluke[25-26]\"}"
'
test_expect_success 'drain -f, -ff, -u: update, overwrite, keep; no reason: none sent' '
    prints "" drain -f 3 why && sent "drain {\"mode\":\"update\",\"reason\":\"why\",\"targets\":\"3\"}" &&
    prints "" drain -ff 3 && sent "drain {\"mode\":\"overwrite\",\"targets\":\"3\"}" &&
    prints "" drain --force --force 3 && sent "drain {\"mode\":\"overwrite\",\"targets\":\"3\"}" &&
    prints "" drain -u 0-3 && sent "drain {\"mode\":\"keep\",\"targets\":\"0-3\"}"
'
test_expect_success 'undrain TARGETS' '
    prints "" undrain fluke25 && sent "undrain {\"targets\":\"fluke25\"}"
'
test_expect_success 'drain: the service refusal, in its words' '
    fails 1 "drain: rank 4 \(fluke7\) is already drained" drain "fail:rank 4 (fluke7) is already drained"
'
test_expect_success 'usage errors exit 2' '
    fails 2 "drain: unknown option .-x." drain -x 1 &&
    fails 2 "status: missing argument to option .--states." status --states &&
    fails 2 "list: no argument allowed to option .--verbose." list --verbose=1 &&
    fails 2 "unknown subcommand .foo." foo &&
    exits 2 drain -f -u 1 && exits 2 drain -fff 1 && exits 2 drain -f &&
    exits 2 undrain 1 2 && exits 2 undrain && exits 2 info extra && exits 2
'
test_expect_success '--help prints usage and exits 0' '
    flux resource --help | grep -q "^  status " &&
    flux resource drain --help | grep -q -- "-f, --force"
'

test_expect_success 'a missing service: the router'"'"'s message, exit 1' '
    FLUX_RESOURCE_SERVICE=nosuch fails 1 "status: service '"'"'nosuch'"'"' is not available" status
'
test_expect_success 'a STATUS whose hosts do not match its size' '
    sed -i "s/\"size\": 16/\"size\": 17/" status.json &&
    fails 1 "info: fakeres.status: hosts names 16 hosts for size 17" info
'
test_expect_success 'a STATUS with a rank beyond its size' '
    busy_status && sed -i "s/\"torpid\": \"3\"/\"torpid\": \"3,16\"/" status.json &&
    fails 1 "status: fakeres.status: torpid: rank 16 is not below size 16" status
'
test_expect_success 'a STATUS without its sets' '
    echo "{\"size\": 1, \"hosts\": \"a\", \"R\": null}" >status.json &&
    fails 1 "list: fakeres.status: .online. is missing or not a string" list
'

kill "$FAKE_PID" 2>/dev/null
wait "$FAKE_PID" 2>/dev/null
unset FLUX_RESOURCE_SERVICE

stop_instance
test_expect_success 'the first instance stopped cleanly' 'test "$STOP_RC" -eq 143'

# The real resourced on two ranks, started by hand until flux start runs it (see
# doc/resource.md); then the commands as an administrator uses them.
start_instance --size=2 --test-hosts='fluke[0-1]'
rd_pids=()
if ! flux ping -c 1 resource >/dev/null 2>&1; then
    for r in 0 1; do
        "$SRCDIR/resourced/flux-resourced" --rank=$r --size=2 --uri="$(rank_uri $r)" \
            --hostname="fluke$r" --hosts='fluke[0-1]' >>"$TEST_DIR/resourced.$r.log" 2>&1 &
        rd_pids[$r]=$!
        instance_pids+=("$!")
    done
fi
online_is() {
    test "$(flux resource status -s online -no '{ranks}' 2>/dev/null)" = "$1"
}

test_expect_success 'resourced: both ranks avail' '
    wait_for 10 online_is 0-1 &&
    prints "    STATE NNODES RANKS           NODELIST
    avail      2 0-1             fluke[0-1]" status &&
    flux resource info | grep -E -x "2 Nodes, [0-9]+ Cores, [0-9]+ GPUs" &&
    flux resource list -n -s free | grep -E -x " +free +2 +[0-9]+ +[0-9]+ fluke\[0-1\]"
'
test_expect_success 'resourced: drain a host with a reason; the list shows it' '
    prints "" drain fluke1 going away &&
    flux resource drain -n >out && cat out &&
    grep -E -q -x "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8} +drained +1 +going away +fluke1" out &&
    prints "    avail      1 0               fluke0
  drained      1 1               fluke1" status -n &&
    flux resource list -n -s down | grep -E -x " +down +1 +[0-9]+ +[0-9]+ fluke1"
'
test_expect_success 'resourced: drain again fails, -f changes the reason, -u keeps it' '
    fails 1 "drain: rank 1 \(fluke1\) is already drained.*" drain 1 again &&
    prints "" drain -f 1 again &&
    prints "again" drain -no "{reason}" &&
    prints "" drain -u fluke1 &&
    prints "again" drain -no "{reason}"
'
test_expect_success 'resourced: bad targets in the service'"'"'s words' '
    fails 1 "drain: unknown host fluke9" drain fluke9 &&
    fails 1 "undrain: rank 0 \(fluke0\) is not drained" undrain 0
'
test_expect_success 'resourced: undrain' '
    prints "" undrain fluke1 &&
    prints "" drain -n &&
    prints "    avail      2 0-1             fluke[0-1]" status -n
'
if [ -n "${rd_pids[1]:-}" ]; then
    test_expect_success 'resourced: a rank gone offline is shown as avail*' '
        kill ${rd_pids[1]} && wait_for 10 online_is 0 &&
        prints "    avail      1 0               fluke0
   avail*      1 1               fluke1" status -n &&
        prints "     down      1" list -n -s down -o "{+:state:>9} {nnodes:>6}"
    '
    kill "${rd_pids[@]}" 2>/dev/null
    wait "${rd_pids[@]}" 2>/dev/null
else
    test_skip 'resourced: a rank gone offline is shown as avail*' 'flux start runs resourced'
fi

stop_instance
test_expect_success 'the instance stopped cleanly' 'test "$STOP_RC" -eq 143'
test_done
