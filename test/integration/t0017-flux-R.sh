#!/bin/bash
# flux R: encode (the admin guide's example), decode and its pieces, verify against this
# machine, append/diff/intersect, and errors as a user sees them.
. "$(dirname "$0")/lib.sh"
cd "$TEST_DIR" || exit 1

# prints EXPECTED ARGS...: flux R ARGS (stdin as given) prints exactly EXPECTED, nothing on
# stderr, and exits 0.
prints() {
    local expected=$1
    shift
    flux R "$@" >out 2>err
    local rc=$?
    test $rc -eq 0 || { echo "exit status $rc"; cat err; return 1; }
    test ! -s err || { echo "stderr:"; cat err; return 1; }
    printf '%s\n' "$expected" >expected
    cmp -s expected out || { echo "expected:"; cat expected; echo "got:"; cat out; return 1; }
}
# fails STATUS MESSAGE-REGEX ARGS...: flux R ARGS prints nothing on stdout, exits STATUS,
# and its first stderr line matches "^flux-R: MESSAGE-REGEX$".
fails() {
    local status=$1 regex=$2
    shift 2
    flux R "$@" >out 2>err
    local rc=$?
    cat err
    test $rc -eq "$status" || { echo "exit status $rc, expected $status"; return 1; }
    test ! -s out || { echo "stdout:"; cat out; return 1; }
    head -1 err | grep -E -q -x "flux-R: $regex" || { echo "no match: $regex"; return 1; }
}

GUIDE='{"version":1,"execution":{"R_lite":[{"rank":"0-99","children":{"core":"0-3"}}],"starttime":0,"expiration":0,"nodelist":["fluke[3,108,6-103]"]}}'
HOST=$(hostname)
NCPUS=$(nproc)

test_expect_success 'the admin guide example prints R exactly' '
    prints "$GUIDE" encode --hosts="fluke[3,108,6-103]" --cores=0-3
'
test_expect_success 'encode without hosts is rank 0' '
    prints "{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"0\",\"children\":{\"core\":\"0-1\"}}],\"starttime\":0,\"expiration\":0}}" encode -c 0-1
'
test_expect_success 'encode with ranks, GPUs, zero-padded hosts and properties' '
    prints "{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"4-7\",\"children\":{\"core\":\"0-7\",\"gpu\":\"0-1\"}}],\"starttime\":0,\"expiration\":0,\"nodelist\":[\"node[001-003,010]\"],\"properties\":{\"all\":\"4-7\",\"fat\":\"5-6\"}}}" \
        encode -r 4-7 -H "node[001-003,010]" -c 0-7 -g 0-1 -p fat:5-6 --property=all
'
test_expect_success 'encode --local gives this machine'"'"'s CPUs' '
    flux R encode --local | flux R decode --count=core >out && test "$(cat out)" = "$NCPUS"
'
test_expect_success 'encode --local counts CUDA_VISIBLE_DEVICES as GPUs' '
    CUDA_VISIBLE_DEVICES=0,3,5 flux R encode -l -c 0 >R.json &&
    flux R decode --short <R.json >out && test "$(cat out)" = "rank0/core0,gpu[0-2]"
'
test_expect_success 'encode: hosts and ranks must agree' '
    fails 1 "encode: 3 hosts for 2 ranks" encode -r 0-1 -H "n[1-3]" -c 0
'
test_expect_success 'encode: a bad idset names the option' '
    fails 1 "encode: --cores: 0-: .*" encode -c 0-
'
test_expect_success 'encode: a bad hostlist names the option' '
    fails 1 "encode: --hosts: .*" encode -H "n[1-" -c 0
'
test_expect_success 'encode: a bad property name' '
    fails 1 "encode: --property: .*holds .\|." encode -c 0 -p "a|b:0"
'
test_expect_success 'encode: a property on a rank not in R' '
    fails 1 "encode: --property: fat: rank 5 is not in the set" encode -c 0 -r 0-3 -p fat:5
'
test_expect_success 'encode: a core id above the limit' '
    fails 1 "encode: cores: id 2000000 is above the limit 1048575" encode -c 2000000
'
test_expect_success 'encode: no resources is a usage error' '
    fails 2 "encode: --cores, --gpus or --local is required" encode -H n1 &&
    grep -q "^Usage: flux R encode" err
'

test_expect_success 'decode re-emits canonical R' 'echo "$GUIDE" | prints "$GUIDE" decode'
test_expect_success 'decode groups consecutive ranks with the same children' '
    echo "{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"1\",\"children\":{\"core\":\"0-3\"}},{\"rank\":\"0\",\"children\":{\"core\":\"0-3\"}},{\"rank\":\"2\",\"children\":{\"core\":\"0-1\"}}]}}" |
    prints "{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"0-1\",\"children\":{\"core\":\"0-3\"}},{\"rank\":\"2\",\"children\":{\"core\":\"0-1\"}}],\"starttime\":0,\"expiration\":0}}" decode
'
test_expect_success 'decode --short' 'echo "$GUIDE" | prints "rank[0-99]/core[0-3]" decode --short'
test_expect_success 'decode -s of mixed ranks' '
    (flux R encode -r 0-1 -c 0-3 -g 0-1; flux R encode -r 2 -c 0) | flux R append >R.json &&
    prints "rank[0-1]/core[0-3],gpu[0-1] rank2/core0" decode -s <R.json
'
test_expect_success 'decode --nodelist' 'echo "$GUIDE" | prints "fluke[3,108,6-103]" decode --nodelist'
test_expect_success 'decode -n of R without hosts fails' '
    flux R encode -c 0 | fails 1 "decode: R has no nodelist" decode -n
'
test_expect_success 'decode --count=core, gpu and node' '
    flux R encode -H "n[1-4]" -c 0-3 -g 0 >R.json &&
    prints 16 decode --count=core <R.json && prints 4 decode --count=gpu <R.json &&
    prints 4 decode -c node <R.json
'
test_expect_success 'decode --ranks' '
    flux R encode -r 0-3,7 -c 0 | prints "0-3,7" decode --ranks
'
test_expect_success 'decode --properties prints NAME:RANKS lines' '
    flux R encode -r 0-3 -c 0 -p b:1 -p a:0,2 | prints "a:0,2
b:1" decode --properties
'
test_expect_success 'decode with several options prints each piece in order' '
    echo "$GUIDE" | prints "400
0-99
fluke[3,108,6-103]
rank[0-99]/core[0-3]" decode -s -n -r -c core
'
test_expect_success 'decode: a bad idset names the field' '
    echo "{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"0\",\"children\":{\"core\":\"0\"}},{\"rank\":\"1\",\"children\":{\"core\":\"0\"}},{\"rank\":\"2\",\"children\":{\"core\":\"0-\"}}]}}" |
    fails 1 "decode: R_lite\[2\]\.children\.core: invalid idset .0-." decode
'
test_expect_success 'decode: unknown keys in execution are named' '
    echo "{\"version\":1,\"execution\":{\"R_lite\":[],\"foo\":1,\"bar\":2}}" |
    fails 1 "decode: execution: unknown keys .foo., .bar." decode
'
test_expect_success 'decode: a nodelist that does not name every rank' '
    echo "{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"0-3\",\"children\":{\"core\":\"0\"}}],\"nodelist\":[\"n[1-3]\"]}}" |
    fails 1 "decode: nodelist: 3 hosts for 4 ranks" decode
'
test_expect_success 'decode: version 2 is refused' '
    echo "{\"version\":2,\"execution\":{\"R_lite\":[]}}" |
    fails 1 "decode: version: only version 1 is supported" decode
'
test_expect_success 'decode: invalid JSON' 'echo "{\"version\":" | fails 1 "decode: R 1: .*" decode'
test_expect_success 'decode: empty input' 'fails 1 "decode: stdin holds 0 R objects, expected 1" decode </dev/null'
test_expect_success 'decode: two R objects' '
    (echo "$GUIDE"; echo "$GUIDE") | fails 1 "decode: stdin holds more than 1 R object" decode
'
test_expect_success 'decode: an unknown count type is a usage error' '
    echo "$GUIDE" | fails 2 "decode: --count: unknown type .socket. \(core, gpu or node\)" decode -c socket
'

test_expect_success 'verify: R of this machine (--local) passes silently' '
    flux R encode --local >R.json && flux R verify <R.json >out 2>&1 && test ! -s out
'
test_expect_success 'verify: this host name picks its rank' '
    flux R encode --local -H "$HOST" >mine.json &&
    flux R encode -r 1 -H "elsewhere" -c 0-9999 >other.json &&
    cat mine.json other.json | flux R append >R.json &&
    flux R verify <R.json >out 2>&1 && test ! -s out
'
test_expect_success 'verify: more cores than exist fails with one line' '
    flux R encode -c 0-9999 | fails 1 "verify: rank 0: only $NCPUS of 10000 cores \(missing [0-9]+-9999\)" verify &&
    test "$(wc -l <err)" -eq 1
'
test_expect_success 'verify: missing cores and GPUs, named by host' '
    flux R encode -H "$HOST" -c 0-9999 -g 0-1 |
    CUDA_VISIBLE_DEVICES= fails 1 "verify: rank 0 \($HOST\): only $NCPUS of 10000 cores \(missing [0-9]+-9999\), only 0 of 2 gpus \(missing 0-1\)" verify
'
test_expect_success 'verify: R without rank 0 or this host' '
    flux R encode -r 3 -H elsewhere -c 0 | fails 1 "verify: R has no rank 0 and no rank on host .*" verify
'

test_expect_success 'append: disjoint sets are joined' '
    (flux R encode -r 0-1 -H "n[0-1]" -c 0-3; flux R encode -r 2-3 -H "n[2-3]" -c 0-3) |
    prints "{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"0-3\",\"children\":{\"core\":\"0-3\"}}],\"starttime\":0,\"expiration\":0,\"nodelist\":[\"n[0-3]\"]}}" append
'
test_expect_success 'append: concatenated JSON without newlines' '
    printf "%s%s" "$(flux R encode -r 0 -c 0)" "$(flux R encode -r 0 -c 1)" | flux R append |
    flux R decode -s >out && test "$(cat out)" = "rank0/core[0-1]"
'
test_expect_success 'append: overlapping cores fail' '
    (flux R encode -r 0-3 -c 0-3; flux R encode -r 3 -c 2-5) | fails 1 "append: rank 3: cores 2-3 in both sets" append
'
test_expect_success 'append: different hosts for one rank fail' '
    (flux R encode -H a -c 0; flux R encode -H b -c 1) | fails 1 "append: rank 0: host a in one set, b in the other" append
'
test_expect_success 'diff: cores and ranks of the first not in the second' '
    (flux R encode -r 0-3 -c 0-3; flux R encode -r 1-2 -c 2-3; flux R encode -r 3 -c 0-3) | flux R diff >R.json &&
    prints "rank0/core[0-3] rank[1-2]/core[0-1]" decode -s <R.json
'
test_expect_success 'intersect: what both have' '
    (flux R encode -r 0-3 -H "n[0-3]" -c 0-3 -g 0; flux R encode -r 2-5 -c 2-7) | flux R intersect >R.json &&
    prints "rank[2-3]/core[2-3]" decode -s <R.json && prints "n[2-3]" decode -n <R.json
'
test_expect_success 'diff: one R is not enough' '
    echo "$GUIDE" | fails 1 "diff: stdin holds 1 R object, expected at least 2" diff
'
test_expect_success 'intersect: a bad second R is named' '
    (echo "$GUIDE"; echo "{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"0\"}]}}") |
    fails 1 "intersect: R 2: R_lite\[0\]\.children: missing" intersect
'

test_expect_success 'flux help lists R' 'flux help | grep -q "^  R  *make, read, check and combine"'
test_expect_success 'flux R --help' 'flux R --help >out && grep -q "^Usage: flux R COMMAND" out'
test_expect_success 'flux R decode --help' 'prints "$(flux R decode -h)" decode --help && grep -q -- "--nodelist" out'
test_expect_success 'an unknown command is a usage error' 'fails 2 "unknown command .bogus." bogus'
test_expect_success 'no command is a usage error' 'fails 2 "missing command"'
test_expect_success 'an unknown option is a usage error' 'fails 2 "decode: unknown option .--bogus." decode --bogus'
test_expect_success 'a missing option argument is a usage error' 'fails 2 "encode: missing argument to option .--cores." encode --cores'
test_expect_success 'an extra argument is a usage error' 'fails 2 "verify: unexpected argument .x." verify x'
test_done
