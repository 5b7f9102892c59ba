/* pgcluster.h - a private PostgreSQL cluster for test instances and unit tests.
 *
 * fx_pgcluster_start() makes sure DATADIR holds a cluster (reused when it has PG_VERSION,
 * else copied from a per-user template that the first call makes with initdb), then runs the
 * highest PostgreSQL found under /usr/lib/postgresql as the caller's child, listening only on
 * a unix socket in SOCKDIR (no tcp), with local trust authentication: SOCKDIR is mode 0700,
 * and that is the protection.  Called as root, the cluster runs as the `postgres` account
 * (`nobody` when there is none), which owns DATADIR and SOCKDIR, since PostgreSQL refuses
 * to run as root.  The server dies with its parent (PR_SET_PDEATHSIG with SIGINT, a fast
 * shutdown).  doc/decisions.md explains the choices.
 */
#ifndef FX_PGCLUSTER_H
#define FX_PGCLUSTER_H

#include <sys/types.h>

#include "services/error.h"

struct fx_pgcluster;

/* Prepare DATADIR (created 0700 if absent) and SOCKDIR (created 0700; its path must leave
 * room for "/.s.PGSQL.5432" in a sun_path), fork the server and return without waiting for
 * it: call fx_pgcluster_wait() before using it.  The server's stderr (and initdb's output)
 * is appended to LOG; NULL means "DATADIR.log".  Relative paths are taken from the current
 * directory.  Blocks for the copy of the template (~50 ms), or for initdb (~1 s) the first
 * time.  Returns an object to give to fx_pgcluster_stop(), or NULL with errno and one line
 * in err naming the cause ("initdb failed: <its last error line>", "SOCKDIR: path too long
 * for a unix socket"); a failed call removes what it created. */
struct fx_pgcluster *fx_pgcluster_spawn (const char *datadir, const char *sockdir, const char *log,
                                         struct fx_error *err);

/* Wait (at most 30 s) until the server accepts connections: postmaster.pid says "ready",
 * its socket exists and PQping() answers PQPING_OK.  Returns 0, or -1 with one line in err
 * ("postgres exited with status 1: <its last FATAL line>", "postgres is not ready after
 * 30 s"); the caller then calls fx_pgcluster_stop().  Once ready, it returns 0 at once. */
int fx_pgcluster_wait (struct fx_pgcluster *c, struct fx_error *err);

/* fx_pgcluster_spawn() then fx_pgcluster_wait(): a running cluster, or NULL with errno and
 * one line in err (nothing is left running). */
struct fx_pgcluster *fx_pgcluster_start (const char *datadir, const char *sockdir, const char *log,
                                         struct fx_error *err);

/* The libpq connection string: "host=SOCKDIR port=5432 dbname=postgres user=USER", USER the
 * account the cluster runs as (initdb made it the superuser).  Valid while c is. */
const char *fx_pgcluster_dsn (const struct fx_pgcluster *c);

/* The absolute data directory and log paths.  Valid while c is. */
const char *fx_pgcluster_datadir (const struct fx_pgcluster *c);
const char *fx_pgcluster_log (const struct fx_pgcluster *c);

/* The postmaster we started (our child), or 0 once it was reaped. */
pid_t fx_pgcluster_pid (const struct fx_pgcluster *c);

/* The caller reaped the postmaster (a waitpid(-1) loop got fx_pgcluster_pid()) with status:
 * it is neither signalled nor waited for again, and fx_pgcluster_wait() reports the status. */
void fx_pgcluster_reaped (struct fx_pgcluster *c, int status);

/* Stop the server with a fast shutdown (SIGINT; SIGQUIT then SIGKILL if it is still there
 * after 10 s) and free c.  A server restarted behind our back (pg_ctl restart, so no longer
 * our child) is found through DATADIR/postmaster.pid and stopped the same way.  The data
 * stays in DATADIR, for a later start.  c may be NULL; errno is kept. */
void fx_pgcluster_stop (struct fx_pgcluster *c);

#endif
