#!/bin/bash
# flux kvs and flux job purge against a real kvsd: each subcommand's output and errors.
. "$(dirname "$0")/lib.sh"
cd "$TEST_DIR" || exit 1

# fails_with STATUS LINE CMD...: CMD exits with STATUS, prints nothing on stdout and exactly
# the one line LINE on stderr.
fails_with() {
    local status=$1 line=$2 rc
    shift 2
    "$@" >fw.out 2>fw.err
    rc=$?
    cat fw.err
    test "$rc" -eq "$status" || { echo "exit status $rc, expected $status"; return 1; }
    test ! -s fw.out || { echo "unexpected output:"; cat fw.out; return 1; }
    test "$(cat fw.err)" = "$line" || { echo "expected: $line"; return 1; }
}

# lines_are FILE LINE...: FILE holds exactly these lines.
lines_are() {
    local file=$1
    shift
    printf '%s\n' "$@" >expect.lines
    diff -u expect.lines "$file"
}

# stderr_is FILE LINE: FILE (a command's stderr) is exactly that one line.
stderr_is() {
    test "$(cat "$1")" = "$2" || { echo "stderr:"; cat "$1"; echo "expected: $2"; return 1; }
}

mkdir conf
echo 'access = { allow-guest-user = true; };' >conf/access.conf
start_instance -c "$TEST_DIR/conf" || { test_done; exit 1; }

test_expect_success 'flux help lists kvs and job' '
    flux help >out &&
    grep -E -q "^  kvs +read and write the key-value store" out &&
    grep -E -q "^  job +" out
'
test_expect_status 2 'flux kvs without a subcommand is a usage error' '
    flux kvs 2>err; rc=$?; grep -q "^Usage: flux kvs" err || exit 9; exit $rc'
test_expect_status 2 'an unknown subcommand is a usage error' '
    flux kvs frob 2>err; rc=$?; grep -q -x "flux-kvs: unknown subcommand .frob." err || exit 9; exit $rc'
test_expect_status 2 'get without a key is a usage error' 'flux kvs get'
test_expect_status 2 'get --count without --watch is a usage error' 'flux kvs get -c 2 a'
test_expect_status 2 'an unknown option is a usage error' 'flux kvs ls --frob'
test_expect_status 2 'eventlog without a subcommand is a usage error' 'flux kvs eventlog'
test_expect_success 'a subcommand'"'"'s --help prints its usage and exits 0' '
    flux kvs eventlog wait-event --help >out &&
    grep -q "^Usage: flux kvs eventlog wait-event" out &&
    grep -q -- "--namespace=NS" out
'
test_expect_success 'a router that is not there is one line of error, exit 1' '
    FLUX_URI=ipc://$TEST_DIR/nosuch flux kvs get a >out 2>err; rc=$?
    cat err
    test $rc -eq 1 && test ! -s out && test $(wc -l <err) -eq 1 && grep -q "^flux-kvs: " err
'

# flux job purge first: the store has no job yet.
test_expect_success 'job purge without -f on an empty store: no inactive jobs match' '
    flux job purge --age-limit=0 >out 2>err &&
    test ! -s out &&
    stderr_is err "flux-job: no inactive jobs match"
'
test_expect_status 2 'job purge without a limit is a usage error' '
    flux job purge 2>err; rc=$?; grep -q "^flux-job: purge: give --age-limit, --num-limit or both" err || exit 9; exit $rc'
test_expect_status 2 'flux job with another subcommand is a usage error listing purge' '
    flux job submit 2>err; rc=$?; grep -q "^  purge " err || exit 9; exit $rc'

# put and get
test_expect_success 'put stores JSON; get prints strings bare and other JSON compact' '
    flux kvs put n=42 "o={\"a\": 1, \"b\": [1, 2.5]}" "s=\"quoted\"" t=true z=null "w=hello world" &&
    flux kvs get n o s t z w >out &&
    lines_are out 42 "{\"a\":1,\"b\":[1,2.5]}" quoted true null "hello world"
'
test_expect_success 'a value that is not JSON is stored as a JSON string' '
    flux kvs put "p={not json" &&
    test "$(flux kvs get p)" = "{not json" &&
    flux kvs dir >out &&
    grep -q -x "p = \"{not json\"" out
'
test_expect_success 'put of several pairs is one transaction: the version goes up by one' '
    v0=$(flux kvs version) &&
    flux kvs put tx.a=1 tx.b=2 tx.c=3 &&
    v1=$(flux kvs version) &&
    test "$v1" -eq $((v0 + 1))
'
test_expect_success 'put without = fails, naming the argument; nothing is stored' '
    fails_with 1 "flux-kvs: bad: expected KEY=VALUE" flux kvs put good=1 bad &&
    ! flux kvs get good 2>/dev/null
'
test_expect_success 'put with an empty key fails' '
    fails_with 1 "flux-kvs: =5: expected KEY=VALUE" flux kvs put =5
'
test_expect_success 'an invalid key fails the whole transaction with kvsd'"'"'s message' '
    flux kvs put ok2=1 "bad key=2" >out 2>err; rc=$?
    cat err
    test $rc -eq 1 && test $(wc -l <err) -eq 1 && grep -q "^flux-kvs: .*bad key" err &&
    ! flux kvs get ok2 2>/dev/null
'
test_expect_success 'raw bytes from stdin come back as they are with get -r' '
    printf "a\0b\001\377\n" >bytes &&
    flux kvs put -r bin=- <bytes &&
    flux kvs get -r bin >out &&
    cmp bytes out
'
test_expect_success 'raw bytes from the command line; get without -r adds a newline' '
    flux kvs put -r r1=hello &&
    test "$(flux kvs get -r r1)" = hello &&
    flux kvs get r1 >out && printf "hello\n" >expect && cmp expect out &&
    flux kvs get -r r1 >out && printf "hello" >expect && cmp expect out
'
test_expect_success 'get of a missing key: KEY: No such key' '
    fails_with 1 "flux-kvs: nosuch.key: No such key" flux kvs get nosuch.key
'
test_expect_success 'get of a directory: KEY: Is a directory' '
    fails_with 1 "flux-kvs: tx: Is a directory" flux kvs get tx
'
test_expect_success 'put through a value that is not a directory fails' '
    flux kvs put n.sub=1 >out 2>err; rc=$?
    cat err
    test $rc -eq 1 && grep -q "^flux-kvs: n: Not a directory$" err
'

# ls and dir
test_expect_success 'set up a tree' '
    flux kvs put ls.a=1 ls.b.c=2 ls.b.d.e=3 ls.f=x &&
    flux kvs put -r ls2.raw=hi &&
    flux kvs eventlog append ls2.log first &&
    flux kvs eventlog append ls2.log second &&
    flux kvs mkdir ls2.empty
'
test_expect_success 'ls lists a directory one name per line, in key order' '
    flux kvs ls ls >out &&
    lines_are out a b f
'
test_expect_success 'ls -F marks directories with a dot' '
    flux kvs ls -F ls >out &&
    lines_are out a b. f
'
test_expect_success 'ls -1 is the same' '
    flux kvs ls -1 -F ls >out &&
    lines_are out a b. f
'
test_expect_success 'ls -R lists subdirectories under KEY: headers' '
    flux kvs ls -R ls >out &&
    lines_are out "ls:" a b f "" "ls.b:" c d "" "ls.b.d:" e
'
test_expect_success 'ls -d lists the key itself' '
    flux kvs ls -d -F ls >out &&
    lines_are out ls.
'
test_expect_success 'ls of a value names it; several keys get headers' '
    flux kvs ls ls.a >out &&
    lines_are out ls.a &&
    flux kvs ls ls.b ls.b.d >out &&
    lines_are out "ls.b:" c d "" "ls.b.d:" e
'
test_expect_success 'ls with no key lists the root' '
    flux kvs ls -F >out &&
    grep -q -x "ls." out && grep -q -x "n" out && grep -q -x "tx." out
'
test_expect_success 'ls of a missing key fails with its name' '
    fails_with 1 "flux-kvs: nosuch: No such key" flux kvs ls nosuch
'
test_expect_success 'ls pages through a directory of more than 1000 entries' '
    args=() && for i in $(seq 1000 2004); do args+=("big.k$i=$i"); done &&
    flux kvs put "${args[@]}" &&
    flux kvs ls big >out &&
    test $(wc -l <out) -eq 1005 &&
    test "$(head -1 out)" = k1000 && test "$(tail -1 out)" = k2004 &&
    test $(sort -u out | wc -l) -eq 1005
'
test_expect_success 'dir prints key = value with full keys; subdirectories end in a dot' '
    flux kvs dir ls >out &&
    lines_are out "ls.a = 1" "ls.b." "ls.f = \"x\""
'
test_expect_success 'dir -R descends' '
    flux kvs dir -R ls >out &&
    lines_are out "ls.a = 1" "ls.b.c = 2" "ls.b.d.e = 3" "ls.f = \"x\""
'
test_expect_success 'dir shows raw data as base64 and an eventlog by its length' '
    flux kvs dir ls2 >out &&
    lines_are out "ls2.empty." "ls2.log = eventlog (2 events)" "ls2.raw = raw:aGk="
'
test_expect_success 'dir -d prints keys only' '
    flux kvs dir -R -d ls >out &&
    lines_are out ls.a ls.b.c ls.b.d.e ls.f
'
test_expect_success 'dir of a value: KEY: Not a directory' '
    fails_with 1 "flux-kvs: ls.a: Not a directory" flux kvs dir ls.a
'
test_expect_success 'dir pages through more than 1000 entries' '
    flux kvs dir big >out &&
    test $(wc -l <out) -eq 1005 &&
    grep -q -x "big.k2004 = 2004" out
'

# unlink and mkdir
test_expect_success 'unlink of a missing key fails, and nothing is removed' '
    fails_with 1 "flux-kvs: nosuch: No such key" flux kvs unlink tx.a nosuch &&
    test "$(flux kvs get tx.a)" = 1
'
test_expect_success 'unlink -f ignores a missing key' '
    flux kvs unlink -f tx.a nosuch &&
    ! flux kvs get tx.a 2>/dev/null
'
test_expect_success 'unlink of a non-empty directory needs -R' '
    fails_with 1 "flux-kvs: ls.b: Directory not empty" flux kvs unlink ls.b &&
    test "$(flux kvs get ls.b.c)" = 2 &&
    flux kvs unlink -R ls.b &&
    fails_with 1 "flux-kvs: ls.b.c: No such key" flux kvs get ls.b.c &&
    flux kvs ls ls >out && lines_are out a f
'
test_expect_success 'unlink of an empty directory and of several keys at once' '
    flux kvs unlink ls2.empty tx.b tx.c &&
    flux kvs ls tx >out && test ! -s out &&
    ! flux kvs get ls2.empty 2>/dev/null
'
test_expect_success 'mkdir creates directories, parents too, in one transaction' '
    v0=$(flux kvs version) &&
    flux kvs mkdir md.one md.two.three &&
    test "$(flux kvs version)" -eq $((v0 + 1)) &&
    flux kvs ls -R -F md >out &&
    lines_are out "md:" one. two. "" "md.one:" "" "md.two:" three. "" "md.two.three:"
'

# eventlogs
test_expect_success 'eventlog append with -t and a context; get prints TIMESTAMP NAME K=V' '
    flux kvs eventlog append -t 1552593348.073045 ev submit "{\"urgency\":16,\"userid\":0}" &&
    flux kvs eventlog append -t 1552593349.5 ev alloc &&
    flux kvs eventlog append -t 1552593350 ev note "{\"text\":\"two words\",\"list\":[1,2],\"obj\":{\"k\":\"v\"}}" &&
    flux kvs eventlog get ev >out &&
    lines_are out "1552593348.073045 submit urgency=16 userid=0" \
        "1552593349.500000 alloc" \
        "1552593350.000000 note text=two words list=[1,2] obj={\"k\":\"v\"}"
'
test_expect_success 'eventlog get -u prints the events as JSON' '
    flux kvs eventlog get -u ev >out &&
    test $(wc -l <out) -eq 3 &&
    python3 -c "import json, sys
evs = [json.loads(l) for l in open(\"out\")]
assert evs[0] == {\"timestamp\": 1552593348.073045, \"name\": \"submit\", \"context\": {\"urgency\": 16, \"userid\": 0}}, evs[0]
assert evs[1][\"name\"] == \"alloc\" and \"context\" not in evs[1], evs[1]" &&
    head -1 out | grep -q "\"timestamp\":1552593348.073045,"
'
test_expect_success 'eventlog get -H prints local date and time' '
    TZ=UTC flux kvs eventlog get -H ev >out &&
    head -1 out >first &&
    lines_are first "2019-03-14T19:55:48.073045 submit urgency=16 userid=0"
'
test_expect_success 'an event without -t gets the current time' '
    before=$(date +%s) &&
    flux kvs eventlog append ev2 now &&
    t=$(flux kvs eventlog get ev2 | cut -d" " -f1) &&
    after=$(date +%s) &&
    awk -v t="$t" -v b="$before" -v a="$after" "BEGIN { exit !(t >= b - 1 && t <= a + 1) }"
'
test_expect_success 'kvs get of an eventlog prints one JSON event per line' '
    flux kvs get ev >out &&
    test $(wc -l <out) -eq 3 &&
    head -1 out | grep -q "^{\"timestamp\":1552593348.073045,\"name\":\"submit\""
'
test_expect_success 'append with a context that is not an object fails' '
    fails_with 1 "flux-kvs: [1]: the context is not a JSON object" flux kvs eventlog append ev x "[1]" &&
    fails_with 1 "flux-kvs: {bad: the context is not a JSON object" flux kvs eventlog append ev x "{bad"
'
test_expect_success 'append to a value that is not an eventlog fails with kvsd'"'"'s message' '
    fails_with 1 "flux-kvs: n: Not an eventlog" flux kvs eventlog append n x
'
test_expect_success 'eventlog get of a value that is not an eventlog fails' '
    fails_with 1 "flux-kvs: n: Not an eventlog" flux kvs eventlog get n
'
test_expect_success 'eventlog get of a missing key fails' '
    fails_with 1 "flux-kvs: nolog: No such key" flux kvs eventlog get nolog
'
test_expect_success 'eventlog get pages through more than 1000 events' '
    for i in $(seq 0 1005); do flux kvs eventlog append -t 5 long e$i || exit 1; done &&
    flux kvs eventlog get long >out &&
    test $(wc -l <out) -eq 1006 &&
    test "$(tail -1 out)" = "5.000000 e1005"
'
test_expect_success 'eventlog get --watch waits for the eventlog, prints --count events' '
    timeout 30 flux kvs eventlog get -w -c 3 wlog >wlog.out & pid=$!
    flux kvs eventlog append -t 1 wlog one &&
    flux kvs eventlog append -t 2 wlog two "{\"x\":1}" &&
    flux kvs eventlog append -t 3 wlog three &&
    flux kvs eventlog append -t 4 wlog four &&
    wait $pid &&
    lines_are wlog.out "1.000000 one" "2.000000 two x=1" "3.000000 three"
'
test_expect_success 'wait-event waits for the event, appended later, and prints it' '
    timeout 30 flux kvs eventlog wait-event -t 30s wev finish >wev.out & pid=$!
    flux kvs eventlog append -t 10 wev start &&
    flux kvs eventlog append -t 11 wev finish "{\"status\":0}" &&
    wait $pid &&
    lines_are wev.out "11.000000 finish status=0"
'
test_expect_success 'wait-event -v prints the events before it too; -u as JSON' '
    flux kvs eventlog wait-event -v wev finish >out &&
    lines_are out "10.000000 start" "11.000000 finish status=0" &&
    flux kvs eventlog wait-event -u wev start >out &&
    lines_are out "{\"timestamp\":10.0,\"name\":\"start\"}"
'
test_expect_success 'wait-event -q prints nothing' '
    flux kvs eventlog wait-event -q wev start >out && test ! -s out
'
test_expect_success 'wait-event gives up after its timeout' '
    fails_with 1 "flux-kvs: wait-event timeout on event '"'"'nosuch'"'"'" \
        timeout 30 flux kvs eventlog wait-event -t 0.2s wev nosuch
'
test_expect_success 'wait-event of an eventlog that never comes also times out' '
    fails_with 1 "flux-kvs: wait-event timeout on event '"'"'x'"'"'" \
        timeout 30 flux kvs eventlog wait-event -t 0.2s never.there x
'

# watches of values
test_expect_success 'get --watch prints the value, then each new one, until --count' '
    flux kvs put wk=1 || exit 1
    timeout 30 flux kvs get -w -c 2 wk >wk.out & pid=$!
    wait_for 10 test -s wk.out &&
    flux kvs put wk=2 &&
    wait $pid &&
    lines_are wk.out 1 2
'
test_expect_success 'get --watch ends with an error when the key is removed' '
    flux kvs put wk2=\"a\" || exit 1
    timeout 30 flux kvs get -w wk2 >wk2.out 2>wk2.err & pid=$!
    wait_for 10 test -s wk2.out &&
    flux kvs unlink wk2 &&
    wait $pid; rc=$?
    test $rc -eq 1 && lines_are wk2.out a && stderr_is wk2.err "flux-kvs: wk2: No such key"
'
test_expect_success 'get --waitcreate waits for the key, prints it and exits' '
    timeout 30 flux kvs get -W later >later.out & pid=$!
    flux kvs put later=5 &&
    wait $pid &&
    lines_are later.out 5
'
test_expect_success 'get --watch of a missing key fails at once' '
    fails_with 1 "flux-kvs: nowatch: No such key" timeout 30 flux kvs get -w nowatch
'

# namespaces
test_expect_success 'namespace create, list, use, remove' '
    flux kvs namespace create test-ns &&
    flux kvs namespace list >out &&
    head -1 out | grep -E -q "^NAMESPACE +OWNER +VERSION$" &&
    grep -E -q "^primary +$(id -u) +[0-9]+$" out &&
    grep -E -q "^test-ns +$(id -u) +0$" out &&
    flux kvs -N test-ns put a=1 &&
    test "$(flux kvs get --namespace=test-ns a)" = 1 &&
    test "$(flux kvs version -N test-ns)" = 1 &&
    ! flux kvs get a 2>/dev/null &&
    flux kvs namespace remove test-ns &&
    ! flux kvs namespace list | grep -q "^test-ns "
'
test_expect_success 'a namespace that does not exist: NS: No such namespace' '
    fails_with 1 "flux-kvs: test-ns: No such namespace" flux kvs get -N test-ns a &&
    fails_with 1 "flux-kvs: test-ns: No such namespace" flux kvs put -N test-ns a=1
'
test_expect_success 'creating a namespace twice fails' '
    flux kvs namespace create twice &&
    fails_with 1 "flux-kvs: twice: namespace exists" flux kvs namespace create twice &&
    flux kvs namespace remove twice
'
test_expect_success 'namespace create -o with an unknown user fails' '
    fails_with 1 "flux-kvs: no-such-user-here: no such user" \
        flux kvs namespace create -o no-such-user-here x
'

# guests
if ensure_guest_user; then
    GUEST_UID=$(id -u "$GUEST_USER")
    test_expect_success 'a guest reading primary: primary: Operation not permitted' '
        as_guest flux kvs get n >out 2>err; rc=$?
        cat err
        test $rc -eq 1 && test ! -s out && stderr_is err "flux-kvs: primary: Operation not permitted"
    '
    test_expect_success 'a guest cannot write primary or see the statistics' '
        as_guest flux kvs put n=1 2>err; rc=$?
        test $rc -eq 1 && stderr_is err "flux-kvs: primary: Operation not permitted" &&
        test "$(flux kvs get n)" = 42 &&
        ! as_guest flux kvs stats 2>err && grep -q "^flux-kvs: " err
    '
    test_expect_success 'a guest uses a namespace created for it (by name), lists namespaces' '
        flux kvs namespace create -o "$GUEST_USER" guest-ns &&
        as_guest flux kvs -N guest-ns put a=\"mine\" &&
        test "$(as_guest flux kvs -N guest-ns get a)" = mine &&
        as_guest flux kvs namespace list >out &&
        grep -E -q "^guest-ns +$GUEST_UID +1$" out
    '
    test_expect_success 'a guest cannot create or remove namespaces' '
        ! as_guest flux kvs namespace create g2 2>err && grep -q "^flux-kvs: " err &&
        ! as_guest flux kvs namespace remove guest-ns 2>err && grep -q "^flux-kvs: " err
    '
    test_expect_success 'a guest cannot purge jobs' '
        ! as_guest flux job purge --num-limit=0 2>err && grep -q "^flux-job: " err
    '
else
    test_skip 'guest access' 'cannot create the guest user'
fi

# stats
test_expect_success 'stats prints the database size, namespaces and prefixes' '
    flux kvs stats >out &&
    cat out &&
    head -1 out | grep -E -q "^database: [0-9.]+ (B|KiB|MiB|GiB)$" &&
    grep -E -q "^NAMESPACE +ENTRIES +EVENTS +BYTES$" out &&
    grep -E -q "^primary +[0-9]+ +[0-9]+ +[0-9.]+ (B|KiB|MiB)$" out &&
    grep -E -q "^NAMESPACE +PREFIX +ENTRIES +BYTES$" out &&
    grep -E -q "^primary +big +100[0-9] +[0-9.]+ (B|KiB|MiB)$" out
'
test_expect_success 'stats --json prints kvsd'"'"'s answer' '
    flux kvs stats --json >out &&
    python3 -c "import json
s = json.load(open(\"out\"))
assert s[\"database_bytes\"] > 0
assert \"primary\" in [n[\"name\"] for n in s[\"namespaces\"]]"
'

# job purge with a job
JOBDIR=job.0000.0004.b200.0000
test_expect_success 'job purge counts an inactive job without -f, removes it with -f' '
    flux kvs put $JOBDIR.jobspec="{\"tasks\":1}" &&
    flux kvs eventlog append -t 100 $JOBDIR.eventlog submit &&
    flux kvs eventlog append -t 101 $JOBDIR.eventlog clean &&
    flux job purge --num-limit=0 >out 2>err &&
    test ! -s out && stderr_is err "flux-job: use --force to purge 1 job" &&
    flux kvs get $JOBDIR.jobspec &&
    flux job purge --num-limit=0 -f 2>err &&
    cat err &&
    grep -E -q -x "flux-job: purged 1 inactive job \([0-9]+ entr(y|ies), [0-9.]+ (B|KiB)\)" err &&
    ! flux kvs get $JOBDIR.jobspec 2>/dev/null &&
    flux job purge --num-limit=0 2>err && stderr_is err "flux-job: no inactive jobs match"
'
test_expect_success 'an active job is not purged' '
    flux kvs eventlog append -t 100 job.0000.0005.0000.0000.eventlog submit &&
    flux job purge --age-limit=0 -f 2>err &&
    stderr_is err "flux-job: no inactive jobs match" &&
    flux kvs get job.0000.0005.0000.0000.eventlog >/dev/null
'

stop_instance
test_expect_success 'the instance stops cleanly' 'test $STOP_RC -eq 143'
test_done
