# multiuser.sh - a multi-user instance for tests and benchmarks (bash; source lib.sh first,
# then this file, then call multiuser_setup).
#
#   multiuser_setup || exit         # users, the setuid test IMP, exec.imp in $TEST_DIR/conf
#   start_owner_instance "$TEST_DIR/conf" --size=2
#   as_user $GUEST1 flux run id -u
#
# The owner (fxowner) runs the instance; guests fxguest and fxguest2 submit.  The test IMP
# (imp/flux-imp-test) is installed setuid root in $TEST_DIR/imp with a root-owned conf.d that
# lets the owner start the job shell.  Needs root (useradd, setuid): multiuser_setup returns 2
# with MULTIUSER_SKIP set to the reason otherwise.

OWNER=fxowner
GUEST1=fxguest
GUEST2=fxguest2
IMP_SRC=$SRCDIR/imp/flux-imp-test

ensure_user() {
    id "$1" >/dev/null 2>&1 ||
        useradd --system --no-create-home --shell /bin/sh "$1" 2>/dev/null
    id "$1" >/dev/null 2>&1
}

multiuser_setup() {
    local u
    if [ "$(id -u)" -ne 0 ] || [ ! -x "$IMP_SRC" ] || [ ! -x "$SRCDIR/shell/flux-shell" ]; then
        MULTIUSER_SKIP='needs root, imp/flux-imp-test and shell/flux-shell'
        return 2
    fi
    for u in $OWNER $GUEST1 $GUEST2; do
        ensure_user $u || { echo "# cannot create user $u" >&2; return 1; }
    done
    # The programs, where every user can run them (guest_tree copies them when the checkout
    # cannot be reached by others).
    GUEST_USER=$OWNER
    guest_tree || return 1
    TREE=$(cd "$GUEST_BIN/.." && pwd)
    JOB_SHELL=$(realpath "$TREE/shell/flux-shell")
    # The IMP: root's, setuid, with a configuration only root can change.
    mkdir -p "$TEST_DIR/imp/conf.d" "$TEST_DIR/conf" &&
    install -o root -g root -m 4755 "$IMP_SRC" "$TEST_DIR/imp/flux-imp" &&
    cat >"$TEST_DIR/imp/conf.d/imp.conf" <<EOF &&
exec = { allowed-users = [ "$OWNER" ]; allowed-shells = [ "$JOB_SHELL" ]; };
EOF
    chmod 644 "$TEST_DIR/imp/conf.d/imp.conf" &&
    cat >"$TEST_DIR/conf/instance.conf" <<EOF || return 1
access = { allow-guest-user = true; };
exec = { imp = "$TEST_DIR/imp/flux-imp"; kill-timeout = "0.5s"; };
EOF
    # A working directory for each user.
    for u in $OWNER $GUEST1 $GUEST2; do
        mkdir -p "$TEST_DIR/$u" && chown $u: "$TEST_DIR/$u" || return 1
    done
}

# as_user USER CMD...: CMD as USER, in USER's directory, talking to the instance.
as_user() {
    local u=$1
    shift
    (cd "$TEST_DIR/$u" && runuser -u "$u" -- env FLUX_URI="$FLUX_URI" \
        FLUX_MUNGE_SOCKET="$FLUX_MUNGE_SOCKET" PATH="$GUEST_BIN:$PATH" "$@")
}

# start_owner_instance CONFDIR [FLUX START OPTIONS]: start_instance, with flux start run as
# the owner in its directory.  The test IMP finds its configuration through execd's
# environment, which flux start passes on.
start_owner_instance() {
    local conf=$1
    shift
    start_instance_as "$TEST_DIR/$OWNER" 60 setpriv --reuid=$OWNER --regid=$OWNER --init-groups \
        env -C "$TEST_DIR/$OWNER" HOME="$TEST_DIR/$OWNER" PATH="$GUEST_BIN:$PATH" \
        FLUX_IMP_CONF_DIR="$TEST_DIR/imp/conf.d" -- -c "$conf" "$@"
}
