#!/bin/bash
# flux-imp: the setuid root helper (doc/imp.md).  The build tree's test variant is installed
# setuid root in $TEST_DIR; real users (useradd) call it: fxowner (the instance owner, the only
# allowed caller), fxguest and fxguest2 (job users; fxguest2 has a supplementary group).  A
# private munged signs the requests.  Each refusal is checked line for line.
. "$(dirname "$0")/lib.sh"
cd "$TEST_DIR" || exit 1

if [ "$(id -u)" -ne 0 ]; then
    test_skip 'flux-imp' 'needs root to create users and install a setuid binary'
    test_done
    exit
fi

# add_user NAME [GROUP]: a system user without a home, in GROUP as a supplementary group.
add_user() {
    id "$1" >/dev/null 2>&1 || useradd --system --no-create-home --shell /bin/sh "$1" || return 1
    [ -z "${2:-}" ] && return 0
    getent group "$2" >/dev/null || groupadd --system "$2" || return 1
    id -nG "$1" | grep -qw "$2" || usermod -a -G "$2" "$1"
}
ensure_guest_user && add_user fxowner && add_user fxguest2 fxjobgrp || {
    echo "Bail out! cannot create the test users"
    exit 1
}
imp_cleanup() {
    [ -n "${MUNGED_PID:-}" ] && kill "$MUNGED_PID" 2>/dev/null
    cleanup
}
trap imp_cleanup EXIT
start_private_munged || { echo "Bail out! munged did not start"; exit 1; }

OWNER_UID=$(id -u fxowner)
GUEST_UID=$(id -u fxguest)
GUEST2_UID=$(id -u fxguest2)
D=$(realpath "$TEST_DIR")
IMP=$D/imp/flux-imp
BIN=$D/bin

# The test IMP setuid root; forgej, the job shell and the run scripts where users reach them.
mkdir -p imp bin imp.d security.d expire.d scratch &&
    install -o root -g root -m 4755 "$SRCDIR/imp/flux-imp-test" "$IMP" &&
    install -m 0755 "$SRCDIR/test/helpers/forgej" "$BIN/forgej" && chmod 1777 scratch || exit 1
cat >"$BIN/shell" <<EOF
#!/bin/sh
case \$1 in
trap)  trap 'echo got TERM; exit 7' TERM
       sleep 1000 & echo \$\$ >$D/scratch/ready.\$1; wait; exit 3 ;;
wait*) sleep 1000 & echo \$\$ >$D/scratch/ready.\$1; wait; exit 3 ;;
esac
echo "uid=\$(id -u)"
echo "groups=\$(id -G)"
echo "argv=\$*"
env | grep -v -E '^(PWD|SHLVL|_)=' | sort | sed 's/^/env:/'
echo "stdin:"
cat
EOF
cat >"$BIN/script" <<'EOF'
#!/bin/sh
echo "uid=$(id -u) groups=$(id -G) argv=$0 $*"
env | grep -v -E '^(PWD|SHLVL|_)=' | sort | sed 's/^/env:/'
EOF
printf '#!/bin/sh\nexit 5\n' >"$BIN/fail"
cp "$BIN/shell" "$BIN/othershell"
cp "$BIN/shell" "$BIN/weakshell"
chmod 0755 "$BIN"/* && chmod 0644 imp.d/* 2>/dev/null
chmod 0775 "$BIN/weakshell"
cat >imp.d/imp.conf <<EOF
exec = {
  allowed-users = [ "fxowner" ];
  allowed-shells = [ "$BIN/shell", "$BIN/weakshell" ];
};
run = {
  prolog = { path = "$BIN/script"; allowed-users = [ "fxowner" ];
             allowed-environment = [ "FLUX_*" ]; };
  fail = { path = "$BIN/fail"; allowed-users = [ "fxowner" ]; };
  relative = { path = "script"; allowed-users = [ "fxowner" ]; };
  linked = { path = "$D/owned/script"; allowed-users = [ "fxowner" ]; };
};
EOF
echo 'sign = { max-ttl = 3600; };' >security.d/sign.conf
echo 'sign = { max-ttl = 1; };' >expire.d/sign.conf

# as USER CMD...: run CMD as USER with the test IMP's variables and whatever else the caller
# put in CALLER_ENV.  A script that execs it, so that $! of a background `as` is CMD's pid.
cat >"$D/as" <<'EOF'
#!/bin/bash
user=$1
shift
exec setpriv --reuid="$user" --regid="$user" --init-groups -- env -i PATH=/usr/bin:/bin \
    FLUX_IMP_CONF_DIR="${IMP_CONF:-$D/imp.d}" FLUX_SECURITY_CONF_DIR="${SEC_CONF:-$D/security.d}" \
    FLUX_MUNGE_SOCKET="$FLUX_MUNGE_SOCKET" ${CALLER_ENV:-} "$@"
EOF
chmod 0755 "$D/as" && export D
as() {
    "$D/as" "$@"
}
# request USER [FORGEJ ARGS]: a request object on stdout with a J signed by USER.
request() {
    local user=$1
    shift
    printf '{"J":"%s","options":{}}\n' "$(as "$user" "$BIN/forgej" "$@")"
}

# group_gone PGID: no live process is left in process group PGID.
group_gone() {
    ! pgrep -g "$1" -r R,S,D,T >/dev/null
}

request fxguest >req.guest && request fxguest2 >req.guest2 || { echo "Bail out! forgej"; exit 1; }

test_expect_success 'version and whoami (setuid: real uid the caller, effective root)' '
    as fxowner "$IMP" version >out && echo "flux-imp 0.1.0" | cmp - out &&
    as fxowner "$IMP" whoami >out &&
    echo "ruid=$OWNER_UID euid=0 rgid=$(id -g fxowner) egid=$(id -g fxowner)" | cmp - out
'
test_expect_success 'exec runs the shell as the J user, with its groups and the request on stdin' '
    as fxowner "$IMP" exec "$BIN/shell" ƒ2Xy <req.guest2 >out &&
    grep -x "uid=$GUEST2_UID" out &&
    grep -x "groups=$(id -G fxguest2)" out && id -nG fxguest2 | grep -qw fxjobgrp &&
    grep -x "argv=ƒ2Xy" out &&
    sed -n "/^stdin:/,\$p" out | tail -n +2 | cmp - req.guest2
'
test_expect_success 'exec: the shell gets only HOME, USER, LOGNAME and PATH' '
    CALLER_ENV="LD_PRELOAD=/nonexistent/evil.so FOO=bar FLUX_X=1" \
        as fxowner "$IMP" exec "$BIN/shell" ƒ1 <req.guest >out &&
    grep "^env:" out >env &&
    printf "env:%s\n" "HOME=$(getent passwd fxguest | cut -d: -f6)" LOGNAME=fxguest \
        PATH=/usr/bin:/bin USER=fxguest | cmp - env
'
test_expect_success 'exec: a caller not in exec.allowed-users is refused' '
    says 1 "flux-imp: exec: user fxguest (uid $GUEST_UID) is not in exec.allowed-users" \
        as fxguest "$IMP" exec "$BIN/shell" ƒ1 <req.guest &&
    test ! -s out
'
test_expect_success 'exec: a shell not in exec.allowed-shells is refused' '
    says 1 "flux-imp: exec: shell $BIN/othershell is not in exec.allowed-shells" \
        as fxowner "$IMP" exec "$BIN/othershell" ƒ1 <req.guest
'
test_expect_success 'exec: an allowed shell that others than root could change is refused' '
    says 1 "flux-imp: exec: $BIN/weakshell: writable by group or others" \
        as fxowner "$IMP" exec "$BIN/weakshell" ƒ1 <req.guest
'
test_expect_success 'exec: a J signed by fxguest whose header names fxguest2 is refused' '
    request fxguest --userid=$GUEST2_UID >req.forged &&
    says 1 "flux-imp: exec: J: signed by uid $GUEST_UID, header says userid $GUEST2_UID" \
        as fxowner "$IMP" exec "$BIN/shell" ƒ1 <req.forged && test ! -s out
'
test_expect_success 'exec: a J older than sign.max-ttl is refused' '
    t0=$(date +%s) && request fxguest >req.old &&
    wait_for 10 sh -c "test \$(date +%s) -ge $((t0 + 2))" &&
    SEC_CONF=$D/expire.d as fxowner "$IMP" exec "$BIN/shell" ƒ1 <req.old 2>err; test $? -eq 1 &&
    grep -E -x "flux-imp: exec: signature expired \(encoded [0-9.]+s ago, sign.max-ttl is 1s\)" err
'
test_expect_success 'exec: a J signed by root is refused' '
    request root >req.root &&
    says 1 "flux-imp: exec: job user is root (uid 0): refused" \
        as fxowner "$IMP" exec "$BIN/shell" ƒ1 <req.root
'
test_expect_success 'exec: a request that is not JSON is refused' '
    echo "{\"J\":" | says 1 "flux-imp: exec: stdin: not a JSON object: string or '"'"'}'"'"' expected near end of file" \
        as fxowner "$IMP" exec "$BIN/shell" ƒ1 ||
    grep -E -x "flux-imp: exec: stdin: not a JSON object: .+" err
'
# pad_request IN SIZE: IN with a "pad" member that makes it SIZE bytes (newline included).
pad_request() {
    local j
    j=$(sed -n 's/^{"J":"\([^"]*\)".*/\1/p' "$1")
    printf '{"J":"%s","pad":"%s"}\n' "$j" "$(head -c $(($2 - ${#j} - 18)) /dev/zero | tr '\0' x)"
}
test_expect_success 'exec: a request of 1 MiB reaches the shell whole; one byte more is refused' '
    pad_request req.guest 1048576 >req.big && test $(wc -c <req.big) -eq 1048576 &&
    as fxowner "$IMP" exec "$BIN/shell" ƒ1 <req.big >out &&
    sed -n "/^stdin:/,\$p" out | tail -n +2 | cmp - req.big &&
    pad_request req.guest 1048577 >req.huge &&
    says 1 "flux-imp: exec: stdin: request over 1048576 bytes" \
        as fxowner "$IMP" exec "$BIN/shell" ƒ1 <req.huge
'
test_expect_status 143 'exec: a shell killed by SIGTERM: the IMP dies of SIGTERM' '
    "$D/as" fxowner "$IMP" exec "$BIN/shell" wait2 <req.guest &
    pid=$!
    wait_for 10 test -s scratch/ready.wait2 && kill -TERM $pid
    wait $pid
'
test_expect_success 'exec: SIGTERM to the IMP reaches the shell; the IMP exits as it did' '
    "$D/as" fxowner "$IMP" exec "$BIN/shell" trap <req.guest >sig.out 2>&1 &
    pid=$! &&
    wait_for 10 test -s scratch/ready.trap &&
    kill -TERM $pid; wait $pid; rc=$?
    test $rc -eq 7 && grep -x "got TERM" sig.out
'
test_expect_success 'exec: SIGUSR1 kills the shell; the IMP dies of SIGKILL too' '
    "$D/as" fxowner "$IMP" exec "$BIN/shell" wait <req.guest &
    pid=$! &&
    wait_for 10 test -s scratch/ready.wait &&
    kill -USR1 $pid; wait $pid; rc=$?
    test $rc -eq 137 && wait_for 5 group_gone "$(cat scratch/ready.wait)"
'
test_expect_success 'run NAME: the script runs as root with only the run environment' '
    CALLER_ENV="LD_PRELOAD=/nonexistent/evil.so FOO=bar FLUX_X=1 FLUX_JOB_ID=ƒ1 FLUX_JOB_USERID=$GUEST_UID FLUX_OWNER_USERID=0 PATH=/evil" \
        as fxowner "$IMP" run prolog >out &&
    grep -x "uid=0 groups=0 argv=$BIN/script " out &&
    grep "^env:" out >env &&
    printf "env:%s\n" FLUX_IMP_CONF_DIR=$D/imp.d FLUX_JOB_ID=ƒ1 FLUX_JOB_USERID=$GUEST_UID \
        FLUX_MUNGE_SOCKET=$FLUX_MUNGE_SOCKET FLUX_OWNER_USERID=$OWNER_UID \
        FLUX_SECURITY_CONF_DIR=$D/security.d FLUX_X=1 HOME=/root \
        PATH=/usr/sbin:/usr/bin:/sbin:/bin USER=root | sort | cmp - env
'
test_expect_success 'run NAME: a relative run.NAME.path is refused (the caller would choose its directory)' '
    (cd "$BIN" && says 1 "flux-imp: run: script: not an absolute path" as fxowner "$IMP" run relative)
'
test_expect_success 'run NAME: a path through a link the caller owns runs the file that was checked' '
    mkdir -p owned && chown fxowner owned && ln -sfn "$BIN/script" owned/script &&
    as fxowner "$IMP" run linked >out &&
    grep -x "uid=0 groups=0 argv=$BIN/script " out
'
test_expect_status 5 'run NAME: the IMP exits with the script status and names the script' '
    as fxowner "$IMP" run fail 2>err; rc=$?
    cat err
    test "$(cat err)" = "flux-imp: run fail: $BIN/fail exited 5" || exit 9
    exit $rc
'
test_expect_success 'run NAME: a caller not in run.NAME.allowed-users is refused' '
    says 1 "flux-imp: run: user fxguest (uid $GUEST_UID) is not in run.prolog.allowed-users" \
        as fxguest "$IMP" run prolog &&
    says 1 "flux-imp: run: no run.nosuch in the configuration" as fxowner "$IMP" run nosuch
'
if [ -e /etc/flux/imp/conf.d ]; then
    test_skip 'the installed IMP ignores FLUX_IMP_CONF_DIR' '/etc/flux/imp/conf.d exists here'
else
    test_expect_success 'the installed IMP ignores FLUX_IMP_CONF_DIR' '
        install -o root -g root -m 4755 "$SRCDIR/imp/flux-imp" imp/installed &&
        says 1 "flux-imp: exec: no configuration (/etc/flux/imp/conf.d: No such file or directory)" \
            as fxowner "$D/imp/installed" exec "$BIN/shell" ƒ1 <req.guest
    '
fi
test_expect_success 'not setuid: refused' '
    install -o root -g root -m 0755 "$IMP" imp/plain &&
    says 1 "flux-imp: not installed setuid root (euid $OWNER_UID)" \
        as fxowner "$D/imp/plain" exec "$BIN/shell" ƒ1 <req.guest
'
test_expect_success 'a group-writable configuration directory is refused' '
    cp -a imp.d gw.d && chmod 0775 gw.d &&
    IMP_CONF=$D/gw.d says 1 "flux-imp: exec: $D/gw.d: writable by group or others" \
        as fxowner "$IMP" exec "$BIN/shell" ƒ1 <req.guest
'
test_expect_success 'a configuration file owned by another user is refused' '
    cp -a imp.d owned.d && chown fxguest owned.d/imp.conf &&
    IMP_CONF=$D/owned.d says 1 "flux-imp: run: $D/owned.d/imp.conf: owned by uid $GUEST_UID, not root" \
        as fxowner "$IMP" run prolog
'
test_expect_success 'a directory above the configuration that a user owns is refused' '
    mkdir -p user && cp -a imp.d user/conf.d && chown fxguest user &&
    IMP_CONF=$D/user/conf.d says 1 "flux-imp: exec: $D/user: owned by uid $GUEST_UID, not root" \
        as fxowner "$IMP" exec "$BIN/shell" ƒ1 <req.guest
'
test_expect_success 'a symbolic link in the configuration directory is refused' '
    cp -a imp.d link.d && ln -s "$D/imp.d/imp.conf" link.d/z.conf &&
    IMP_CONF=$D/link.d says 1 "flux-imp: exec: $D/link.d/z.conf: is a symbolic link" \
        as fxowner "$IMP" exec "$BIN/shell" ƒ1 <req.guest
'
test_expect_success 'no configuration directory: refused' '
    IMP_CONF=$D/none says 1 "flux-imp: exec: no configuration ($D/none: No such file or directory)" \
        as fxowner "$IMP" exec "$BIN/shell" ƒ1 <req.guest
'
test_done
