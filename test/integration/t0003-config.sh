#!/bin/bash
# flux config: the merged configuration of conf.d, reload, rejected files, flux start -c.
. "$(dirname "$0")/lib.sh"
cd "$TEST_DIR" || exit 1

CONF=$TEST_DIR/conf
mkdir "$CONF" tmp
# The access group is split across two files.
cat >"$CONF/10-access.conf" <<'EOF'
# guests welcome
access = {
    allow-guest-user = true;
};
EOF
cat >"$CONF/20-router.conf" <<'EOF'
access = { allow-root-owner = false; };
router = {
    lease = "30s";
};
EOF

# json_is FILE JSON: FILE holds one line, a JSON value equal to JSON.
json_is() {
    test "$(wc -l <"$1")" -eq 1 || { echo "not one line:"; cat "$1"; return 1; }
    python3 -c 'import json, sys
got = json.load(open(sys.argv[1])); want = json.loads(sys.argv[2])
if got != want:
    sys.exit("got %s, expected %s" % (json.dumps(got), json.dumps(want)))' "$1" "$2"
}

# bad_reload LINE-REGEX: flux config reload fails with exit 1 and one line naming FILE:LINE
# that matches LINE-REGEX, and the configuration in effect is unchanged.
bad_reload() {
    flux config get >before || return 1
    flux config reload >out 2>err
    rc=$?
    cat err
    test $rc -eq 1 || { echo "reload exit status $rc, expected 1"; return 1; }
    test ! -s out || { echo "unexpected output"; cat out; return 1; }
    test "$(wc -l <err)" -eq 1 || { echo "expected one line of error"; return 1; }
    grep -E -q -x "flux-config: reload: $1" err || { echo "message does not match: $1"; return 1; }
    flux config get >after || return 1
    cmp before after || { echo "the configuration changed"; return 1; }
}

start_instance -c "$CONF"

INITIAL='{"access": {"allow-guest-user": true, "allow-root-owner": false}, "router": {"lease": "30s"}}'

test_expect_success 'config get prints the merged configuration as JSON on one line' '
    flux config get >out &&
    json_is out "$INITIAL"
'
test_expect_success 'config get of a boolean prints true' '
    test "$(flux config get access.allow-guest-user)" = true &&
    test "$(flux config get access.allow-root-owner)" = false
'
test_expect_success 'config get of a string prints it bare' '
    test "$(flux config get router.lease)" = 30s
'
test_expect_success 'config get of a group merged from two files prints JSON' '
    flux config get access >out &&
    json_is out "{\"allow-guest-user\": true, \"allow-root-owner\": false}"
'
test_expect_status 1 'config get of an unset key fails with a message' '
    flux config get router.uri >out 2>err; rc=$?
    cat err
    test ! -s out || exit 9
    grep -q -x "flux-config: router.uri is not set" err || exit 9
    exit $rc
'
test_expect_status 1 'config get of an unknown key fails with a message' '
    flux config get nosuch.key 2>err; rc=$?
    grep -q -x "flux-config: nosuch.key is not set" err || exit 9
    exit $rc
'
test_expect_status 2 'config without a subcommand is a usage error' 'flux config 2>err; rc=$?; grep -q "^Usage: flux config" err || exit 9; exit $rc'
test_expect_status 2 'an unknown subcommand is a usage error' 'flux config set a b'
test_expect_status 2 'config get with two keys is a usage error' 'flux config get a b'
test_expect_status 2 'config reload with an argument is a usage error' 'flux config reload now'

test_expect_success 'reload picks up a changed file and a new one' '
    cat >"$CONF/20-router.conf" <<-EOF &&
	access = { allow-root-owner = true; };
	router = { lease = "10s"; };
	EOF
    echo "sched = { queue-depth = 8; };" >"$CONF/30-sched.conf" &&
    flux config reload >out 2>err &&
    test ! -s out && test ! -s err &&
    test "$(flux config get router.lease)" = 10s &&
    test "$(flux config get access.allow-root-owner)" = true &&
    test "$(flux config get sched.queue-depth)" = 8 &&
    flux config get >out &&
    json_is out "{\"access\": {\"allow-guest-user\": true, \"allow-root-owner\": true},
                  \"router\": {\"lease\": \"10s\"}, \"sched\": {\"queue-depth\": 8}}"
'
test_expect_success 'the reload is logged' '
    flux dmesg | grep -q "overlayd.info\[0\]: configuration reloaded from $CONF$"
'
test_expect_success 'reload after a file is removed drops its keys' '
    rm "$CONF/30-sched.conf" &&
    flux config reload &&
    ! flux config get sched 2>err &&
    grep -q -x "flux-config: sched is not set" err
'

test_expect_success 'a syntax error is rejected, naming file:line; the old config stays' '
    printf "# line 1\naccess = { allow-guest-user = = true; };\n" >"$CONF/90-bad.conf" &&
    bad_reload "$CONF/90-bad\.conf:2: .*syntax error.*"
    rc=$?; rm -f "$CONF/90-bad.conf"; exit $rc
'
test_expect_success 'an unknown key is rejected, naming file:line and the key' '
    printf "# line 1\n\nrouter = { bogus = 1; };\n" >"$CONF/90-bad.conf" &&
    bad_reload "$CONF/90-bad\.conf:3: .*router\.bogus.*"
    rc=$?; rm -f "$CONF/90-bad.conf"; exit $rc
'
test_expect_success 'a value of the wrong type is rejected, naming file:line and the key' '
    printf "# line 1\nrouter = { uri = 5; };\n" >"$CONF/90-bad.conf" &&
    bad_reload "$CONF/90-bad\.conf:2: router\.uri: expected string"
    rc=$?; rm -f "$CONF/90-bad.conf"; exit $rc
'
test_expect_success 'a boolean given as a string is rejected, naming file:line' '
    printf "metrics = { bind = \"127.0.0.1\"; };\naccess = { allow-guest-user = \"yes\"; };\n" >"$CONF/05-bad.conf" &&
    bad_reload "$CONF/05-bad\.conf:2: access\.allow-guest-user: expected boolean"
    rc=$?; rm -f "$CONF/05-bad.conf"; exit $rc
'
test_expect_success 'a key set in two files is rejected, naming both places' '
    printf "# line 1\n# line 2\nrouter = { lease = \"1s\"; };\n" >"$CONF/90-bad.conf" &&
    bad_reload "$CONF/90-bad\.conf:3: router\.lease already set in $CONF/20-router\.conf:2"
    rc=$?; rm -f "$CONF/90-bad.conf"; exit $rc
'
test_expect_success 'a bad duration is rejected, naming file:line' '
    sed -i "s/10s/soon/" "$CONF/20-router.conf" &&
    bad_reload "$CONF/20-router\.conf:2: router\.lease: .*duration.*"
    rc=$?; sed -i "s/soon/10s/" "$CONF/20-router.conf"; exit $rc
'
test_expect_success 'an out-of-range lease is rejected; the old config stays' '
    sed -i "s/10s/0s/" "$CONF/20-router.conf" &&
    bad_reload ".*router\.lease.*"
    rc=$?; sed -i "s/0s/10s/" "$CONF/20-router.conf"; exit $rc
'
test_expect_success 'a rejected reload is logged with its reason' '
    flux dmesg >out &&
    grep -q "overlayd\.err\[0\]: config reload rejected, keeping the old one: $CONF/90-bad\.conf:2: router\.uri: expected string$" out
'
test_expect_success 'after the bad files are gone, reload works again' '
    flux config reload &&
    test "$(flux config get router.lease)" = 10s
'
stop_instance
test_expect_success 'the instance stops cleanly' 'test $STOP_RC -eq 143'

start_instance
test_expect_success 'without -c the configuration is empty' '
    flux config get >out &&
    json_is out "{}"
'
test_expect_status 1 'without -c reload fails with a message' '
    flux config reload 2>err; rc=$?
    cat err
    grep -q -x "flux-config: reload: this instance was started without a configuration directory" err || exit 9
    exit $rc
'
stop_instance

# flux start with a bad file: nothing is left behind.  The instance's runtime directory goes
# under a private TMPDIR, so other instances on the machine do not disturb the check.
# no_leftovers: no process and no file of an instance started with TMPDIR=$TEST_DIR/tmp.
no_leftovers() {
    local procs
    procs=$(pgrep -a -f "$TEST_DIR/tmp/flux-")
    test -z "$procs" || { echo "processes left:"; echo "$procs"; return 1; }
    test -z "$(ls -A tmp)" || { echo "files left:"; ls -la tmp; return 1; }
}
mkdir bad
printf 'router = { lease = "5s"; };\n' >bad/10-ok.conf
printf '# line 1\naccess = { allow-guest-users = true; };\n' >bad/20-typo.conf
test_expect_success 'flux start -c with a bad file refuses to start, naming file:line' '
    TMPDIR=$TEST_DIR/tmp timeout 30 flux start -c bad sh -c "echo ran" >out 2>err
    rc=$?
    cat err
    test $rc -ne 0 || { echo "flux start exit status 0"; exit 1; }
    test $rc -ne 124 || { echo "flux start hung"; exit 1; }
    ! grep -q ran out || { echo "the command ran"; exit 1; }
    grep -q "$TEST_DIR/bad/20-typo\.conf:2: unknown key .access\.allow-guest-users." err
'
test_expect_success 'the refused start leaves no process and no runtime directory' 'no_leftovers'
test_expect_success 'flux start -c with a key set twice refuses to start' '
    printf "router = { lease = \"1s\"; };\n" >bad/20-typo.conf &&
    TMPDIR=$TEST_DIR/tmp timeout 30 flux start -c bad true 2>err
    rc=$?
    cat err
    test $rc -ne 0 && test $rc -ne 124 &&
    grep -q "$TEST_DIR/bad/20-typo\.conf:1: router\.lease already set in $TEST_DIR/bad/10-ok\.conf:1" err &&
    no_leftovers
'
test_expect_status 1 'flux start -c with a missing directory fails with a message' '
    TMPDIR=$TEST_DIR/tmp flux start -c nosuch true 2>err; rc=$?
    cat err
    grep -q -x "flux-start: nosuch: No such file or directory" err || exit 9
    no_leftovers || exit 9
    exit $rc
'
test_done
