#!/bin/bash
# flux submit / flux run: options to jobspec (--dry-run prints the jobspec and sends nothing,
# so no instance is needed), {cc} substitution, the environment rules, and usage errors.
. "$(dirname "$0")/lib.sh"
cd "$TEST_DIR" || exit 1

# dry CMD EXPECTED ARGS...: flux CMD --dry-run --env=-* --cwd=/x ARGS prints exactly EXPECTED.
dry() {
    local cmd=$1 expected=$2
    shift 2
    flux "$cmd" --dry-run --env=-\* --cwd=/x "$@" >out 2>err || { cat err; return 1; }
    printf '%s\n' "$expected" >expected
    cmp -s expected out || { echo "expected:"; cat expected; echo "got:"; cat out; return 1; }
}
# fails CMD STATUS MESSAGE ARGS...: flux CMD ARGS exits STATUS, its first stderr line is
# exactly "flux-CMD: MESSAGE", nothing on stdout.
fails() {
    local cmd=$1 status=$2 message=$3
    shift 3
    flux "$cmd" "$@" >out 2>err
    local rc=$?
    test $rc -eq "$status" || { echo "exit status $rc, expected $status"; cat err; return 1; }
    test ! -s out || { echo "stdout:"; cat out; return 1; }
    test "$(head -1 err)" = "flux-$cmd: $message" || { echo "got: $(head -1 err)"; return 1; }
}

SLOT1='"resources":[{"type":"slot","count":1,"label":"task","with":[{"type":"core","count":1}]}]'
TRUE='"tasks":[{"command":["true"],"slot":"task","count":{"per_slot":1}}]'

test_expect_success 'submit --dry-run: one task, one core, no time limit' '
    dry submit "{\"version\":1,$SLOT1,$TRUE,\"attributes\":{\"system\":{\"duration\":0.0,\"cwd\":\"/x\",\"environment\":{}}}}" true
'
test_expect_success 'every option lands in the jobspec' '
    dry submit "{\"version\":1,\"resources\":[{\"type\":\"node\",\"count\":2,\"with\":[{\"type\":\"slot\",\"count\":3,\"label\":\"task\",\"with\":[{\"type\":\"core\",\"count\":2},{\"type\":\"gpu\",\"count\":1}]}],\"exclusive\":true}],\"tasks\":[{\"command\":[\"echo\",\"hi\"],\"slot\":\"task\",\"count\":{\"total\":5}}],\"attributes\":{\"system\":{\"duration\":300.0,\"cwd\":\"/x\",\"queue\":\"batch\",\"job\":{\"name\":\"foo\"},\"environment\":{},\"dependencies\":[{\"scheme\":\"afterok\",\"value\":\"f123\"}],\"exec\":{\"test\":{\"run_duration\":1.0}},\"output\":{\"stdout\":\"o.{{id}}\",\"stderr\":\"e\"}},\"user\":{\"foo\":{\"a\":1},\"s\":\"text\"}}}" \
        -N2 -n5 -c2 -g1 -x -t 5 --job-name=foo --output="o.{{id}}" --error=e \
        --dependency=afterok:f123 -S system.exec.test.run_duration=1s -q batch \
        -S user.foo={\"a\":1} -S user.s=text echo hi
'
test_expect_success '-N without -n runs one task per node, evenly: per_slot' '
    flux submit --dry-run -N3 true >out && grep -q "\"count\":3,\"with\":\\[{\"type\":\"slot\",\"count\":1," out &&
    grep -q "\"per_slot\":1" out
'
test_expect_success '-t: a bare number is minutes, else a duration; inf is unlimited' '
    flux submit --dry-run -t 1.5 true | grep -q "\"duration\":90.0," &&
    flux submit --dry-run -t 2h true | grep -q "\"duration\":7200.0," &&
    flux submit --dry-run -t inf true | grep -q "\"duration\":0.0,"
'
test_expect_success 'the environment is the whole current one by default' '
    FOO_T21=bar flux submit --dry-run true | grep -q "\"FOO_T21\":\"bar\""
'
test_expect_success '--env rules apply in order: remove, pass, set; --env-remove' '
    A_T21=1 B_T21=2 dry submit "{\"version\":1,$SLOT1,$TRUE,\"attributes\":{\"system\":{\"duration\":0.0,\"cwd\":\"/x\",\"environment\":{\"A_T21\":\"1\",\"C\":\"x=y\"}}}}" \
        --env=?_T21 --env=C=x=y --env-remove=B_* true
'
test_expect_success '--cc: one jobspec per id, {cc} replaced, FLUX_JOB_CC set' '
    flux submit --dry-run --env=-\* --cc=1,3 --job-name=j{cc} --output=o{cc} echo "{cc}" >out &&
    test $(wc -l <out) -eq 2 &&
    sed -n 1p out | grep -q "\"command\":\\[\"echo\",\"1\"\\]" &&
    sed -n 2p out | grep -q "\"command\":\\[\"echo\",\"3\"\\]" &&
    sed -n 2p out | grep -q "\"name\":\"j3\"" &&
    sed -n 2p out | grep -q "\"environment\":{\"FLUX_JOB_CC\":\"3\"}" &&
    sed -n 2p out | grep -q "\"stdout\":\"o3\""
'
test_expect_success 'options after the command belong to it' '
    flux submit --dry-run --env=-\* ls -n -l | grep -q "\"command\":\\[\"ls\",\"-n\",\"-l\"\\]"
'
test_expect_success 'run --dry-run prints the same jobspec' '
    dry run "{\"version\":1,$SLOT1,$TRUE,\"attributes\":{\"system\":{\"duration\":0.0,\"cwd\":\"/x\",\"environment\":{}}}}" true
'
test_expect_success 'usage errors exit 2 with one line' '
    fails submit 2 "a command is required" --dry-run &&
    fails submit 2 "--ntasks: expected an integer from 1 to 100000, got '"'"'0'"'"'" -n 0 true &&
    fails submit 2 "--exclusive requires --nodes" -x true &&
    fails submit 2 "-N 3 is more than -n 2 tasks" -N3 -n2 true &&
    fails submit 2 "--time-limit: soon: duration does not start with a number" -t soon true &&
    fails submit 2 "--urgency: expected 0-31, hold, default or expedite, got '"'"'32'"'"'" --urgency=32 true &&
    fails submit 2 "unknown option --bogus" --bogus=1 true &&
    fails submit 2 "missing argument to -n" -n &&
    fails submit 2 "attributes.system.foo: unknown key" -S foo=1 true &&
    fails submit 2 "--dependency: expected SCHEME:VALUE, got '"'"':x'"'"'" --dependency=:x true &&
    fails run 2 "unknown option --cc" --cc=1-2 true
'
test_expect_success '--help prints the usage and exits 0' '
    flux submit --help | grep -q "^Usage: flux submit" && flux submit --help | grep -q -- --cc &&
    flux run --help | grep -q "^Usage: flux run" && ! flux run --help | grep -q -- --cc
'
test_done
