/* check_pgcluster.c - a private PostgreSQL cluster: started, reached with libpq, reused,
 * stopped (also once restarted behind its back), and failures told in one line. */
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "services/pgcluster.h"
#include "test/unit/check.h"
#include "test/unit/pg.h"

/* Run sql on dsn; returns the first value of the first row (static storage), "" when the
 * statement returns no rows.  Fails the test on any error. */
static const char *query (const char *dsn, const char *sql)
{
    static char value[256];
    PGconn *conn = PQconnectdb (dsn);
    PGresult *res;

    ck_assert_msg (PQstatus (conn) == CONNECTION_OK, "%s: %s", dsn, PQerrorMessage (conn));
    res = PQexec (conn, sql);
    ck_assert_msg (PQresultStatus (res) == PGRES_TUPLES_OK ||
                       PQresultStatus (res) == PGRES_COMMAND_OK,
                   "%s: %s", sql, PQerrorMessage (conn));
    snprintf (value, sizeof (value), "%s",
              PQntuples (res) > 0 && PQnfields (res) > 0 ? PQgetvalue (res, 0, 0) : "");
    PQclear (res);
    PQfinish (conn);
    return value;
}

static void path (char *buf, size_t len, const char *name)
{
    snprintf (buf, len, "%s/%s", test_pg_dir, name);
}

/* Cases that make their own clusters still get a fresh directory, without a server. */
static void dir_setup (void)
{
    snprintf (test_pg_dir, sizeof (test_pg_dir), "/tmp/check_pgcluster.XXXXXX");
    ck_assert_ptr_nonnull (mkdtemp (test_pg_dir));
    chmod (test_pg_dir, 0755);
}

static void pg_setup (void)
{
    test_pg_setup ("check_pgcluster");
}

static struct fx_pgcluster *start (const char *data, const char *sock)
{
    struct fx_error err = {""};
    char d[128], s[128];
    struct fx_pgcluster *c;

    path (d, sizeof (d), data);
    path (s, sizeof (s), sock);
    c = fx_pgcluster_start (d, s, NULL, &err);
    ck_assert_msg (c != NULL, "%s", err.text);
    return c;
}

START_TEST (select_one)
{
    ck_assert_ptr_nonnull (test_pg_dsn);
    ck_assert_str_eq (getenv ("FLUX_TEST_PG_DSN"), test_pg_dsn);
    ck_assert_ptr_nonnull (strstr (test_pg_dsn, "host=/tmp/check_pgcluster."));
    ck_assert_str_eq (query (test_pg_dsn, "SELECT 1"), "1");
    /* Unix socket only. */
    ck_assert_str_eq (query (test_pg_dsn, "SHOW listen_addresses"), "");
}
END_TEST

START_TEST (datadir_reused)
{
    struct fx_pgcluster *c = start ("data", "sock");
    char expect[128];
    struct stat st;
    pid_t first;

    path (expect, sizeof (expect), "data");
    ck_assert_str_eq (fx_pgcluster_datadir (c), expect);
    ck_assert_int_eq (stat (expect, &st), 0);
    ck_assert_uint_eq (st.st_mode & 07777, 0700);
    query (fx_pgcluster_dsn (c), "CREATE TABLE kept (v text)");
    query (fx_pgcluster_dsn (c), "INSERT INTO kept VALUES ('across restarts')");
    first = fx_pgcluster_pid (c);
    ck_assert_int_gt (first, 0);
    fx_pgcluster_stop (c);
    ck_assert_int_eq (kill (first, 0), -1);

    c = start ("data", "sock");
    ck_assert_int_ne (fx_pgcluster_pid (c), first);
    ck_assert_str_eq (query (fx_pgcluster_dsn (c), "SELECT v FROM kept"), "across restarts");
    fx_pgcluster_stop (c);
}
END_TEST

START_TEST (bad_sockdir_one_line)
{
    struct fx_error err = {""};
    char data[128], sock[200];

    path (data, sizeof (data), "data");
    snprintf (sock, sizeof (sock), "%s/%0100d", test_pg_dir, 0);
    ck_assert_ptr_null (fx_pgcluster_start (data, sock, NULL, &err));
    ck_assert_int_eq (errno, ENAMETOOLONG);
    ck_assert_ptr_nonnull (strstr (err.text, "path too long for a unix socket"));
    ck_assert_ptr_null (strchr (err.text, '\n'));

    path (sock, sizeof (sock), "nosuch/sock");
    ck_assert_ptr_null (fx_pgcluster_start (data, sock, NULL, &err));
    ck_assert_ptr_nonnull (strstr (err.text, "nosuch/sock: No such file or directory"));
    ck_assert_ptr_null (strchr (err.text, '\n'));
    /* Nothing was made. */
    ck_assert_int_eq (access (data, F_OK), -1);
}
END_TEST

START_TEST (server_failure_one_line)
{
    struct fx_pgcluster *c = start ("data", "sock");
    struct fx_error err = {""};
    char conf[128], data[128], sock[128];
    FILE *f;

    fx_pgcluster_stop (c);
    path (conf, sizeof (conf), "data/postgresql.conf");
    ck_assert_ptr_nonnull (f = fopen (conf, "a"));
    fprintf (f, "no_such_setting = 1\n");
    fclose (f);
    path (data, sizeof (data), "data");
    path (sock, sizeof (sock), "sock");
    ck_assert_ptr_null (fx_pgcluster_start (data, sock, NULL, &err));
    ck_assert_msg (strncmp (err.text, "postgres exited with status 1: FATAL:", 37) == 0, "%s",
                   err.text);
    ck_assert_msg (strstr (err.text, "postgresql.conf\" contains errors"), "%s", err.text);
    ck_assert_ptr_null (strchr (err.text, '\n'));
}
END_TEST

/* A crashed server leaves postmaster.pid behind, naming a process that is gone. */
START_TEST (stale_pidfile_removed)
{
    struct fx_pgcluster *c = start ("data", "sock");
    char pidfile[128];
    pid_t dead = fork ();
    FILE *f;

    fx_pgcluster_stop (c);
    if (dead == 0)
        _exit (0);
    waitpid (dead, NULL, 0);
    path (pidfile, sizeof (pidfile), "data/postmaster.pid");
    ck_assert_ptr_nonnull (f = fopen (pidfile, "w"));
    fprintf (f, "%d\n/nowhere\n", (int) dead);
    fclose (f);
    c = start ("data", "sock");
    ck_assert_str_eq (query (fx_pgcluster_dsn (c), "SELECT 2"), "2");
    fx_pgcluster_stop (c);
}
END_TEST

/* pg_ctl restart, run as the cluster's account, replaces the server we started with one
 * that is not our child: stop finds it through postmaster.pid. */
START_TEST (stop_after_outside_restart)
{
    struct fx_pgcluster *c = start ("data", "sock");
    char pg_ctl[128], pidfile[128];
    struct stat st;
    pid_t pid, first = fx_pgcluster_pid (c), second = 0;
    int status;
    FILE *f;

    ck_assert_int_eq (stat (fx_pgcluster_datadir (c), &st), 0);
    snprintf (pg_ctl, sizeof (pg_ctl), "/usr/lib/postgresql/%s/bin/pg_ctl",
              query (fx_pgcluster_dsn (c), "SELECT current_setting('server_version_num')::int "
                                           "/ 10000"));
    if ((pid = fork ()) == 0) {
        int fd = open ("/dev/null", O_RDWR);
        dup2 (fd, 0);
        dup2 (fd, 1);
        dup2 (fd, 2);
        if (chdir ("/") < 0 ||
            (getuid () == 0 && (setgid (st.st_gid) < 0 || setuid (st.st_uid) < 0)))
            _exit (126);
        execl (pg_ctl, pg_ctl, "-D", fx_pgcluster_datadir (c), "-w", "restart", NULL);
        _exit (127);
    }
    ck_assert_int_eq (waitpid (pid, &status, 0), pid);
    ck_assert_int_eq (status, 0);
    path (pidfile, sizeof (pidfile), "data/postmaster.pid");
    ck_assert_ptr_nonnull (f = fopen (pidfile, "r"));
    ck_assert_int_eq (fscanf (f, "%d", &second), 1);
    fclose (f);
    ck_assert_int_ne (second, first);
    ck_assert_str_eq (query (fx_pgcluster_dsn (c), "SELECT 3"), "3");
    fx_pgcluster_stop (c);
    ck_assert_int_eq (access (pidfile, F_OK), -1);
}
END_TEST

static Suite *pgcluster_suite (void)
{
    Suite *s = suite_create ("pgcluster");
    const struct fx_check_case with_server[] = {
        {"select_one", select_one},
    };
    const struct fx_check_case own_clusters[] = {
        {"datadir_reused", datadir_reused},
        {"bad_sockdir_one_line", bad_sockdir_one_line},
        {"server_failure_one_line", server_failure_one_line},
        {"stale_pidfile_removed", stale_pidfile_removed},
        {"stop_after_outside_restart", stop_after_outside_restart},
    };
    const struct fx_check_fixtures pg = {.unchecked_setup = pg_setup,
                                         .unchecked_teardown = test_pg_teardown};
    const struct fx_check_fixtures dir = {.unchecked_setup = dir_setup,
                                          .unchecked_teardown = test_pg_teardown};

    fx_check_add_cases (s, with_server, sizeof (with_server) / sizeof (with_server[0]), &pg);
    fx_check_add_cases (s, own_clusters, sizeof (own_clusters) / sizeof (own_clusters[0]), &dir);
    return s;
}

int main (void)
{
    return fx_check_main (pgcluster_suite ());
}
