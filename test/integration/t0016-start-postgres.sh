#!/bin/bash
# flux start's private PostgreSQL: FLUX_KVS_DSN, the unprivileged account, --state-dir,
# kvs.dsn instead, a server restarted or killed behind flux start's back, a broken cluster.
. "$(dirname "$0")/lib.sh"
cd "$TEST_DIR" || exit 1
unset FLUX_URI FLUX_MUNGE_SOCKET FLUX_KVS_DSN

# Runtime directories go under a private TMPDIR so that leftovers are this test's only.
mkdir tmp
export TMPDIR=$TEST_DIR/tmp
leftovers() {
    local procs
    procs=$(pgrep -a -f "$TMPDIR/flux-")
    test -z "$procs" && test -z "$(ls -A "$TMPDIR")" && return 1
    echo "$procs"
    ls -la "$TMPDIR"
}
no_leftovers() {
    wait_for 10 eval '! leftovers >/dev/null' || { leftovers; return 1; }
}
if [ "$(id -u)" -eq 0 ]; then
    PGUSER_NAME=$(id -un postgres 2>/dev/null || echo nobody)
    AS_PG="runuser -u $PGUSER_NAME --"
else
    PGUSER_NAME=$(id -un)
    AS_PG=
fi
PSQL='psql -X -A -t -q'
export AS_PG PSQL

# Commands for instances, as scripts: they run in $TEST_DIR with the instance's environment.
cat >rundir.sh <<'EOF'
RUNDIR=$(dirname "$(dirname "${FLUX_URI#ipc://}")")
EOF
cat >show.sh <<'EOF'
. ./rundir.sh
echo "$FLUX_KVS_DSN"
$PSQL "$FLUX_KVS_DSN" -c "SELECT 6 * 7"
$PSQL "$FLUX_KVS_DSN" -c "SHOW listen_addresses" | sed 's/^$/(none)/'
$PSQL "$FLUX_KVS_DSN" -c "SELECT current_user"
stat -c %a "$RUNDIR/pg"
EOF
cat >nested.sh <<'EOF'
printf 'kvs = { dsn = "%s"; };\n' "$FLUX_KVS_DSN" >conf/kvs.conf
flux start -c conf sh -c 'echo "$FLUX_KVS_DSN"; ls "$TMPDIR"/*/'
EOF
# Moving the store online: kvs.dsn changed and reloaded, kvsd goes to the other database.
cat >relocate.sh <<'EOF'
$PSQL "$FLUX_KVS_DSN" -c "CREATE DATABASE flux2" || exit 1
other=$(echo "$FLUX_KVS_DSN" | sed 's/dbname=postgres/dbname=flux2/')
printf 'kvs = { dsn = "%s"; };\n' "$FLUX_KVS_DSN" >conf/kvs.conf
flux start -c conf sh -c '
    flux kvs put where=first || exit 1
    printf "kvs = { dsn = \"%s\"; };\n" "$0" >conf/kvs.conf
    flux config reload || exit 1
    i=0
    until flux kvs put where=second 2>/dev/null; do
        i=$((i + 1)); [ $i -lt 200 ] || exit 1; sleep 0.05
    done
    flux kvs get where
' "$other" || exit 1
$PSQL "$FLUX_KVS_DSN" -c "SELECT jvalue FROM kvs_entry WHERE key = 'where'"
$PSQL "$other" -c "SELECT jvalue FROM kvs_entry WHERE key = 'where'"
EOF
# pg_ctl restart as the cluster account: the server flux start forked exits and another,
# not its child, takes its place.
cat >restart.sh <<'EOF'
. ./rundir.sh
$AS_PG pg_ctl -D "$RUNDIR/postgres" -l /dev/null -w restart >/dev/null || exit 1
$PSQL "$FLUX_KVS_DSN" -c "SELECT 1" || exit 1
head -1 "$RUNDIR/postgres/postmaster.pid"
EOF
cat >kill.sh <<'EOF'
. ./rundir.sh
kill -9 "$(head -1 "$RUNDIR/postgres/postmaster.pid")"
i=0
while ! grep -q "not restarted" err && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
echo done
EOF

test_expect_success 'the command gets FLUX_KVS_DSN naming a socket in the runtime directory' '
    flux start sh show.sh >out &&
    cat out &&
    grep -E -q "^host=$TMPDIR/flux-[^/ ]*/pg port=5432 dbname=postgres user=$PGUSER_NAME$" out &&
    grep -q -x 42 out &&
    no_leftovers
'
test_expect_success 'it listens on no tcp port, runs as the cluster account, socket dir 0700' '
    test "$(sed -n 3,5p out | tr "\n" " ")" = "(none) $PGUSER_NAME 700 "
'
test_expect_success '--state-dir keeps the database across runs' '
    flux start --state-dir=state sh -c "\$PSQL \"\$FLUX_KVS_DSN\" -c \"CREATE TABLE kept AS SELECT current_database () AS v\"" &&
    test -f state/postgres/PG_VERSION &&
    flux start --state-dir=state sh -c "\$PSQL \"\$FLUX_KVS_DSN\" -c \"SELECT v FROM kept\"" >out &&
    test "$(cat out)" = postgres &&
    no_leftovers
'
if [ "$(id -u)" -eq 0 ]; then
    test_expect_success 'as root, the state directory is 0711 and its cluster the account'"'"'s' '
        test "$(stat -c %a state)" = 711 &&
        test "$(stat -c %U state/postgres)" = "$PGUSER_NAME"
    '
fi
test_expect_success 'a kvs.dsn in the configuration replaces the private cluster' '
    mkdir -p conf &&
    flux start sh nested.sh >out &&
    cat out &&
    test "$(grep -c "^host=" out)" -eq 1 &&
    test "$(grep -c -x "pg" out)" -eq 1 &&
    no_leftovers
'
test_expect_success 'kvs.dsn changed and reloaded: kvsd moves to the other database at once' '
    mkdir -p conf &&
    flux start sh relocate.sh >out &&
    cat out &&
    test "$(tr "\n" " " <out)" = "second \"first\" \"second\" " &&
    no_leftovers
'
test_expect_success 'a server restarted behind flux start'"'"'s back is stopped at the end' '
    flux start sh restart.sh >out 2>err &&
    cat out err &&
    grep -q "^flux-start: postgres (pid [0-9]*) exited (status 0); not restarted:" err &&
    ! grep -E -q "exited with status|killed by signal|did not stop" err &&
    pid=$(tail -1 out) &&
    ! kill -0 "$pid" 2>/dev/null &&
    no_leftovers
'
test_expect_success 'a killed server is reported, not restarted; the command goes on' '
    flux start sh kill.sh >out 2>err
    rc=$?
    cat out err
    test $rc -eq 0 &&
    grep -q -x done out &&
    grep -q "^flux-start: postgres (pid [0-9]*) exited (signal 9); not restarted:" err &&
    no_leftovers
'
test_expect_status 1 'a cluster that does not start fails flux start with its FATAL line' '
    echo "no_such_setting = 1" >>state/postgres/postgresql.conf
    flux start --state-dir=state sh -c "echo ran" >out 2>err; rc=$?
    cat err
    ! grep -q ran out || exit 9
    grep -q "^flux-start: postgres exited with status 1: FATAL: .*postgresql.conf\" contains errors" err || exit 9
    no_leftovers || exit 9
    exit $rc
'
test_done
