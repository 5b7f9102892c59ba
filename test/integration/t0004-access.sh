#!/bin/bash
# Access: the owner, guests with and without allow-guest-user, root and allow-root-owner.
. "$(dirname "$0")/lib.sh"
cd "$TEST_DIR" || exit 1

GUEST_REFUSED='uid [0-9]+ is not the instance owner and guest access is disabled \(access\.allow-guest-user\)'

if ! ensure_guest_user; then
    test_skip 'access tests' 'cannot create the guest user'
    test_done
    exit
fi
GUEST_UID=$(id -u "$GUEST_USER")

mkdir conf
echo 'access = { allow-guest-user = false; };' >conf/access.conf
start_instance -c "$TEST_DIR/conf"
cache_metrics_url

test_expect_success 'the owner (root) is accepted' '
    test "$(flux getattr security.owner)" = "$(id -u)" &&
    flux ping -c 1 broker >out &&
    grep -q "^broker.ping pad=0 seq=0" out
'
test_expect_success 'the owner may reload the configuration' 'flux config reload'
test_expect_success 'the router socket can be opened by other users' '
    sock=${FLUX_URI#ipc://}
    ls -l "$sock"
    runuser -u "$GUEST_USER" -- test -w "$sock"
'
test_expect_status 1 'a guest is refused when guests are off, naming allow-guest-user' '
    as_guest flux ping -c 1 broker >out 2>err; rc=$?
    cat err
    test ! -s out || exit 9
    test $(wc -l <err) -eq 1 || exit 9
    grep -E -q "^flux-ping: .*$GUEST_REFUSED$" err || exit 9
    grep -q "uid $GUEST_UID " err || exit 9
    exit $rc
'
test_expect_status 1 'a refused guest cannot read the configuration either' '
    as_guest flux config get 2>err; rc=$?
    cat err
    grep -q "allow-guest-user" err || exit 9
    exit $rc
'
test_expect_success 'refusals are counted as auth failures, reason="access"' '
    metric_cmp flux_router_auth_failures_total "{reason=\"access\"}" ">=" 2 ||
        { metric flux_router_auth_failures_total "{reason=\"access\"}"; exit 1; }
'
test_expect_success 'a refusal is logged' '
    flux dmesg >out &&
    grep -E -q "overlayd\.warning\[0\]: refused hello from flux-ping: $GUEST_REFUSED" out
'
test_expect_success 'turning guests on is a reload away' '
    echo "access = { allow-guest-user = true; };" >conf/access.conf &&
    flux config reload &&
    test "$(flux config get access.allow-guest-user)" = true
'
test_expect_success 'a guest is accepted when guests are on' '
    as_guest flux ping -c 1 broker >out &&
    grep -q "^broker.ping pad=0 seq=0" out
'
test_expect_success 'a guest may read attributes and the configuration' '
    test "$(as_guest flux getattr rank)" = 0 &&
    test "$(as_guest flux config get access.allow-guest-user)" = true
'
test_expect_status 1 'a guest may not reload the configuration (EPERM)' '
    as_guest flux config reload 2>err; rc=$?
    cat err
    grep -q -x "flux-config: reload: config.reload requires the instance owner" err || exit 9
    exit $rc
'
test_expect_status 1 'a guest may not read the log (EPERM)' '
    as_guest flux dmesg >out 2>err; rc=$?
    cat err
    test ! -s out || exit 9
    grep -q -x "flux-dmesg: log.dmesg requires the instance owner" err || exit 9
    exit $rc
'
test_expect_success 'accepted guests are not counted as failures' '
    before=$(metric flux_router_auth_failures_total "{reason=\"access\"}") &&
    as_guest flux getattr rank >/dev/null &&
    test "$(metric flux_router_auth_failures_total "{reason=\"access\"}")" = "$before"
'
stop_instance
test_expect_success 'the instance stops cleanly' 'test $STOP_RC -eq 143'

# An instance started by the guest: root connecting to it is not its owner.
guest_tree
GDIR=$TEST_DIR/guest
mkdir "$GDIR" "$GDIR/conf"
chown "$GUEST_USER" "$GDIR"

# start_guest_instance CONFIG-TEXT: as the guest, start an instance configured with
# CONFIG-TEXT and point FLUX_URI at it (like start_instance, which runs as the caller).
start_guest_instance() {
    printf '%s\n' "$1" >"$GDIR/conf/access.conf"
    start_instance_as "$GDIR" 30 setpriv --reuid="$GUEST_USER" --regid="$(id -g "$GUEST_USER")" \
        --clear-groups env -u FLUX_URI -u FLUX_MUNGE_SOCKET TMPDIR="$GDIR" HOME="$GDIR" \
        PATH="$GUEST_BIN:$PATH" -- -c "$GDIR/conf"
}

start_guest_instance 'access = { allow-guest-user = false; };'
test_expect_success 'the guest owns the instance it started' '
    test "$(as_guest flux getattr security.owner)" = "$GUEST_UID" &&
    as_guest flux config reload
'
test_expect_status 1 'root is refused by a guest instance when guests are off' '
    flux ping -c 1 broker >out 2>err; rc=$?
    cat err
    test ! -s out || exit 9
    grep -E -q "^flux-ping: .*uid 0 is not the instance owner .*\(access\.allow-guest-user\)$" err || exit 9
    exit $rc
'
stop_instance
test_expect_success 'the guest instance stops cleanly' 'test $STOP_RC -eq 143'

start_guest_instance 'access = { allow-guest-user = true; };'
test_expect_success 'root is a guest of a guest instance when guests are on' '
    flux ping -c 1 broker >out &&
    grep -q "^broker.ping pad=0 seq=0" out
'
test_expect_status 1 'root as a guest may not reload the configuration (EPERM)' '
    flux config reload 2>err; rc=$?
    cat err
    grep -q -x "flux-config: reload: config.reload requires the instance owner" err || exit 9
    exit $rc
'
test_expect_status 1 'root as a guest may not read the log (EPERM)' '
    flux dmesg 2>err; rc=$?
    grep -q -x "flux-dmesg: log.dmesg requires the instance owner" err || exit 9
    exit $rc
'
stop_instance
test_expect_success 'the guest instance stops cleanly' 'test $STOP_RC -eq 143'

start_guest_instance 'access = { allow-root-owner = true; };'
test_expect_success 'with allow-root-owner, root is an owner of a guest instance' '
    flux config reload &&
    flux dmesg >out &&
    grep -q "configuration reloaded from $GDIR/conf$" out
'
stop_instance
test_expect_success 'the guest instance stops cleanly' 'test $STOP_RC -eq 143'
test_done
