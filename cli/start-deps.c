/* start-deps.c - what flux start brings up before the daemons and takes down after them:
 * a private munged (unless --munge-socket names one) and, unless the configuration names a
 * database (kvs.dsn), a private PostgreSQL for kvsd (services/pgcluster.c).
 *
 * PostgreSQL is started first and waited for only before kvsd, so that it comes up while
 * munged and the other daemons do.  It is stopped after the daemons and before munged, and
 * never restarted: kvsd reports the database unavailable.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/start.h"
#include "services/conf.h"
#include "services/confschema.h"
#include "services/pgcluster.h"

/* munged daemonizes once its socket is ready, so its exit status is our readiness. */
void start_munged (struct start *st)
{
    char key[PATH_MAX + 32], pidfile[PATH_MAX + 32], seed[PATH_MAX + 32], log[PATH_MAX + 32];
    char sockopt[PATH_MAX + 32], keyopt[PATH_MAX + 48], pidopt[PATH_MAX + 48];
    char seedopt[PATH_MAX + 48], logopt[PATH_MAX + 48];
    int status;
    pid_t pid;

    snprintf (st->munge_dir, sizeof (st->munge_dir), "%s/munge", st->rundir);
    if (mkdir (st->munge_dir, 0755) < 0)
        fail (st, "%s: %s", st->munge_dir, strerror (errno));
    snprintf (key, sizeof (key), "%s/munge.key", st->munge_dir);
    snprintf (pidfile, sizeof (pidfile), "%s/munged.pid", st->munge_dir);
    snprintf (seed, sizeof (seed), "%s/munged.seed", st->munge_dir);
    snprintf (log, sizeof (log), "%s/munged.log", st->munge_dir);
    snprintf (st->munge_sock, sizeof (st->munge_sock), "%s/munge.sock", st->munge_dir);
    snprintf (keyopt, sizeof (keyopt), "--keyfile=%s", key);
    const char *keygen[] = {"/usr/sbin/mungekey", "--create", keyopt, NULL};
    if ((pid = spawn (keygen, log, 0)) < 0 || waitpid (pid, &status, 0) < 0 || status != 0) {
        print_log_tail (log);
        fail (st, "mungekey failed");
    }
    snprintf (sockopt, sizeof (sockopt), "--socket=%s", st->munge_sock);
    snprintf (keyopt, sizeof (keyopt), "--key-file=%s", key);
    snprintf (pidopt, sizeof (pidopt), "--pid-file=%s", pidfile);
    snprintf (seedopt, sizeof (seedopt), "--seed-file=%s", seed);
    snprintf (logopt, sizeof (logopt), "--log-file=%s", log);
    /* In the foreground, so that it is our child (and dies with us); ready once its
     * socket exists. */
    const char *munged[] = {"/usr/sbin/munged", "--foreground", sockopt, keyopt,
                            pidopt,             seedopt,        logopt, NULL};
    double deadline = now () + START_TIMEOUT;
    if ((st->munged_pid = spawn (munged, log, 0)) < 0)
        fail (st, "fork: %s", strerror (errno));
    while (access (st->munge_sock, F_OK) < 0) {
        if (waitpid (st->munged_pid, &status, WNOHANG) != 0 || now () > deadline) {
            fprintf (stderr, "flux-start: munged failed to start:\n");
            print_log_tail (log);
            fail (st, "giving up");
        }
        poll (NULL, 0, 5);
    }
    st->munge_socket = st->munge_sock;
}

/* The configuration's kvs.dsn, if it names one.  A configuration that does not load stops
 * us here, before anything is started, with the loader's "FILE:LINE: message". */
void load_dsn (struct start *st)
{
    struct fx_error err = {""};
    json_t *conf, *dsn;

    if (!st->config_dir[0])
        return;
    if (!(conf = fx_conf_load (st->config_dir, &fx_conf_schema_system, &err)))
        die ("%s", err.text);
    if ((dsn = fx_conf_get (conf, "kvs.dsn")) && json_is_string (dsn)
        && !(st->dsn = strdup (json_string_value (dsn))))
        die ("out of memory");
    json_decref (conf);
}

/* A throwaway cluster goes on tmpfs when /dev/shm has room for several: a copy of the
 * template is about 1,000 files, which cost up to a second to create on a disk file system
 * that saw many recent deletions (ext4 skips recently freed inodes) and 30 ms on tmpfs.
 * RUNDIR/postgres links to it, so that it is found where it would otherwise be. */
static void scratch_datadir (struct start *st, char *data, size_t len)
{
    struct statvfs vfs;
    char link[200];

    if (statvfs ("/dev/shm", &vfs) < 0 || (double) vfs.f_bavail * vfs.f_frsize < 512e6)
        return;
    snprintf (st->pg_scratch, sizeof (st->pg_scratch), "/dev/shm/flux-pg-XXXXXX");
    if (!mkdtemp (st->pg_scratch) || chmod (st->pg_scratch, 0711) < 0) {
        st->pg_scratch[0] = '\0';
        return;
    }
    snprintf (link, sizeof (link), "%s/postgres", st->rundir);
    snprintf (data, len, "%s/postgres", st->pg_scratch);
    if (symlink (data, link) < 0)
        fail (st, "%s: %s", link, strerror (errno));
}

/* Fork the private PostgreSQL: its data in STATE-DIR/postgres (kept across runs) or
 * RUNDIR/postgres, its socket in RUNDIR/pg, its log in RUNDIR/postgres.log.  When we are
 * root it runs as the postgres account, which must be able to reach the state directory. */
void start_postgres (struct start *st)
{
    struct fx_error err = {""};
    char data[PATH_MAX], sock[200], log[200];

    if (st->dsn)
        return;
    if (st->state_dir && geteuid () == 0 && chmod (st->state_dir, 0711) < 0)
        fail (st, "%s: %s", st->state_dir, strerror (errno));
    snprintf (data, sizeof (data), "%s/postgres", st->state_dir ? st->state_dir : st->rundir);
    if (!st->state_dir)
        scratch_datadir (st, data, sizeof (data));
    snprintf (sock, sizeof (sock), "%s/pg", st->rundir);
    snprintf (log, sizeof (log), "%s/postgres.log", st->rundir);
    if (!(st->pg = fx_pgcluster_spawn (data, sock, log, &err))) {
        print_log_tail (log);
        fail (st, "%s", err.text);
    }
    if (!(st->dsn = strdup (fx_pgcluster_dsn (st->pg))))
        fail (st, "out of memory");
}

/* Wait until the private PostgreSQL accepts connections (at once when it already does, or
 * when there is none). */
void wait_postgres (struct start *st)
{
    struct fx_error err = {""};

    if (st->pg && fx_pgcluster_wait (st->pg, &err) < 0) {
        print_log_tail (fx_pgcluster_log (st->pg));
        fail (st, "%s", err.text);
    }
}

/* A child that is not a daemon was reaped: munged's first process, an orphan we adopted as
 * subreaper, or the postmaster, which is not restarted (kvsd reports the database
 * unavailable) and is reported when report is set. */
void reaped_other (struct start *st, pid_t pid, int status, int report)
{
    if (!st->pg || pid != fx_pgcluster_pid (st->pg))
        return;
    fx_pgcluster_reaped (st->pg, status);
    if (!report)
        return;
    fprintf (stderr, "flux-start: postgres (pid %d) exited (%s %d); not restarted:\n", (int) pid,
             WIFSIGNALED (status) ? "signal" : "status",
             WIFSIGNALED (status) ? WTERMSIG (status) : WEXITSTATUS (status));
    print_log_tail (fx_pgcluster_log (st->pg));
}


void stop_postgres (struct start *st)
{
    fx_pgcluster_stop (st->pg);
    st->pg = NULL;
    if (st->pg_scratch[0]) {
        nftw (st->pg_scratch, remove_cb, 16, FTW_DEPTH | FTW_PHYS);
        st->pg_scratch[0] = '\0';
    }
}

void stop_munged (struct start *st)
{
    double deadline;
    int status;

    if (st->munged_pid <= 0)
        return;
    kill (st->munged_pid, SIGTERM);
    deadline = now () + STOP_TIMEOUT;
    while (waitpid (st->munged_pid, &status, WNOHANG) == 0 && now () < deadline)
        poll (NULL, 0, 5);
    if (kill (st->munged_pid, 0) == 0) {
        kill (st->munged_pid, SIGKILL);
        waitpid (st->munged_pid, &status, 0);
    }
    st->munged_pid = 0;
}
