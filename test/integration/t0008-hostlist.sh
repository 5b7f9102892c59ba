#!/bin/bash
# flux hostlist: compress, expand, count, index, minus, union, sort, stdin, errors.
. "$(dirname "$0")/lib.sh"
cd "$TEST_DIR" || exit 1

# prints EXPECTED ARGS...: flux hostlist ARGS prints exactly EXPECTED (lines joined by \n),
# nothing on stderr, and exits 0.
prints() {
    local expected=$1
    shift
    flux hostlist "$@" >out 2>err
    local rc=$?
    test $rc -eq 0 || { echo "exit status $rc"; cat err; return 1; }
    test ! -s err || { echo "stderr:"; cat err; return 1; }
    printf '%s\n' "$expected" >expected
    cmp -s expected out || { echo "expected:"; cat expected; echo "got:"; cat out; return 1; }
}
# fails STATUS MESSAGE-REGEX ARGS...: flux hostlist ARGS prints nothing on stdout, exits
# STATUS, and its first stderr line matches "^flux-hostlist: MESSAGE-REGEX$".
fails() {
    local status=$1 regex=$2
    shift 2
    flux hostlist "$@" >out 2>err
    local rc=$?
    cat err
    test $rc -eq "$status" || { echo "exit status $rc, expected $status"; return 1; }
    test ! -s out || { echo "stdout:"; cat out; return 1; }
    head -1 err | grep -E -q -x "flux-hostlist: $regex" || { echo "no match: $regex"; return 1; }
}

test_expect_success 'hosts are compressed' 'prints "fluke[1-3]" fluke1 fluke2 fluke3'
test_expect_success 'order is kept when compressing' 'prints "fluke[3,1-2]" fluke3 fluke1 fluke2'
test_expect_success 'hostlists are joined in order' 'prints "fluke[1-3,2-4]" "fluke[1-3]" "fluke[2-4]"'
test_expect_success 'several prefixes' 'prints "a,b,c" a b c'
test_expect_success 'zero padding is part of the number' 'prints "foo[01-02,3]" foo01 foo02 foo3'
test_expect_success 'duplicates are kept' 'prints "fluke[1,1]" fluke1 fluke1'
test_expect_success 'a compressed list goes through unchanged' 'prints "f[1-2],g[01-02]" "f[1-2],g[01-02]"'
test_expect_success 'an empty hostlist prints an empty line' 'prints "" ""'

test_expect_success '-e expands one host per line' 'prints "fluke1
fluke2
fluke3" -e "fluke[1-3]"'
test_expect_success '--expand keeps a suffix after the brackets' 'prints "node1-ib
node2-ib" --expand "node[1-2]-ib"'
test_expect_success '-e keeps zero padding' 'prints "foo08
foo09
foo10" -e "foo[08-10]"'
test_expect_success '-d joins the expanded hosts with a delimiter' 'prints "fluke1,fluke2,fluke3" -d , "fluke[1-3]"'
test_expect_success '--delimiter with a space' 'prints "a1 a2 a3" --delimiter " " "a[1-3]"'
test_expect_success 'expand then compress gives the list back' '
    flux hostlist -e "fluke[0-15,20]" | flux hostlist >out &&
    test "$(cat out)" = "fluke[0-15,20]"
'

test_expect_success '-c counts hosts' 'prints 4 -c "fluke[1-3,5]"'
test_expect_success '--count counts duplicates' 'prints 2 --count fluke1 fluke1'
test_expect_success '-c of nothing is 0' 'prints 0 -c ""'
test_expect_success '-c of a large range' 'prints 100000 -c "fluke[0-99999]"'

test_expect_success '-n picks the host at an index, from 0' 'prints fluke2 -n 1 "fluke[1-3]"'
test_expect_success '-n -1 picks the last host' 'prints fluke3 -n -1 "fluke[1-3]"'
test_expect_success '--nth of the last of a large range' 'prints fluke99999 --nth=-1 "fluke[0-99999]"'
test_expect_success '-n with an idset picks several hosts' 'prints "fluke[1-2,4]" -n 0-1,3 "fluke[1-5]"'
test_expect_success '-n with -e' 'prints "x1
x2" -e -n 1,2 "x[0-9]"'
test_expect_success '-n past the end fails, naming the index and the count' '
    fails 1 "index 5 is out of range \(3 hosts\)" -n 5 "fluke[1-3]"
'
test_expect_success '-n too far from the end fails' '
    fails 1 "index -4 is out of range \(3 hosts\)" -n -4 "fluke[1-3]"
'
test_expect_success '-n of an empty list fails' 'fails 1 "index 0 is out of range \(0 hosts\)" -n 0 ""'
test_expect_success '-n with a bad index fails' 'fails 1 "invalid index.*" -n x "fluke[1-3]"'

test_expect_success '-m removes the other lists from the first' '
    prints "fluke[1-2]" -m "fluke[1-5]" fluke3 "fluke[4-9]"
'
test_expect_success '--minus of everything leaves an empty list' 'prints "" --minus "fluke[1-3]" "fluke[1-3]"'
test_expect_success '-m with one list leaves it as is' 'prints fluke1 -m fluke1'
test_expect_success '-u sorts and removes duplicates' 'prints "fluke[1-3]" -u "fluke[3,1]" fluke2 fluke1'
test_expect_success '--union merges overlapping ranges' 'prints "fluke[1-4]" --union "fluke[1-3]" "fluke[2-4]"'
test_expect_success '-u then -n' 'prints fluke5 -u -n -1 "fluke[5,1-3]"'
test_expect_success '-s sorts and keeps duplicates' 'prints "fluke1
fluke1
fluke2
fluke3" -s -e "fluke[3,1]" fluke2 fluke1'
test_expect_success '--sort sorts numbers as numbers and prefixes as strings' '
    prints "a[1-2,10],b1" --sort b1 a2 a10 a1
'

test_expect_success 'with no arguments, hosts come from stdin' '
    printf "b1 b2\nb3\n" | flux hostlist >out &&
    test "$(cat out)" = "b[1-3]"
'
test_expect_success '"-" reads stdin in place' '
    echo "b1 b2" | flux hostlist a - c >out &&
    test "$(cat out)" = "a,b[1-2],c"
'
test_expect_success 'options apply to stdin too' '
    printf "n3\nn1\n\n  n2\n" | flux hostlist -u >out &&
    test "$(cat out)" = "n[1-3]"
'
test_expect_success '-q prints nothing and exits 0 for a non-empty list' '
    flux hostlist -q "fluke[1-3]" >out 2>&1 && test ! -s out
'
test_expect_status 1 '-q exits 1 for an empty list' 'flux hostlist -q -m a a >out 2>&1; rc=$?; test ! -s out || exit 9; exit $rc'

test_expect_success 'an unterminated range fails' 'fails 1 "fluke\[1-: .*" "fluke[1-"'
test_expect_success 'a missing bracket fails' 'fails 1 "fluke\[1-3: .*" "fluke[1-3"'
test_expect_success 'a backwards range fails' 'fails 1 "fluke\[3-1\]: .*" "fluke[3-1]"'
test_expect_success 'a letter in brackets fails' 'fails 1 "fluke\[a\]: .*" "fluke[a]"'
test_expect_success 'an empty host name fails' 'fails 1 ".*empty host name.*" "a,,b"'
test_expect_success 'a bad host on stdin fails' '
    echo "ok1 bad[" | flux hostlist >out 2>err; rc=$?
    cat err
    test $rc -eq 1 && test ! -s out && grep -q "^flux-hostlist: bad\[: " err
'
test_expect_success 'an error exits 1 even with -q' 'fails 1 ".*" -q "fluke[1-"'

test_expect_success 'an unknown long option is a usage error' '
    fails 2 "unknown option .--bogus." --bogus a && grep -q "^Usage: flux hostlist" err
'
test_expect_success 'an unknown short option is a usage error' '
    fails 2 "unknown option .-x." -x a && grep -q "^Usage: flux hostlist" err
'
test_expect_success 'a missing option argument is a usage error' 'fails 2 "missing argument to option .-n." -n'
test_expect_success 'a missing long option argument is a usage error' 'fails 2 "missing argument to option .--nth." --nth'
test_expect_success 'an argument to a flag is a usage error' 'fails 2 "no argument allowed to option .--count." --count=3 a'
test_expect_success '--help prints usage on stdout and exits 0' '
    flux hostlist --help >out 2>err && test ! -s err &&
    grep -q "^Usage: flux hostlist" out && grep -q -- "--minus" out
'
test_done
