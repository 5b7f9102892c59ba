/* start.h - what the files of flux start share: the instance being started, and the
 * helpers that say why it failed.
 *
 * flux-start.c   arguments, the daemons, supervision, the command, stopping
 * start-deps.c   what the daemons need before them: munged and the private PostgreSQL
 */
#ifndef FLUX_START_H
#define FLUX_START_H

#include <ftw.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/types.h>

#define START_TIMEOUT 15.0 /* seconds for a daemon to become ready */
#define STOP_TIMEOUT  5.0  /* seconds between SIGTERM and SIGKILL */
#define MAX_ARGS      16
#define MAX_RESTARTS  10 /* within one instance's life, per process */

struct proc {
    pid_t pid;
    char name[64];
    char log[256];
    char *argv[MAX_ARGS]; /* owned, for restarts */
    int restarts;
    double restart_at; /* when to restart it (0: not waiting) */
    double started;    /* when it was last started */
    int stage;         /* stop order, highest first: deepest rank, then last daemon */
};

struct start {
    int size;
    const char *test_hosts;
    const char *state_dir;
    char config_dir[PATH_MAX];
    const char *munge_socket;
    const char *topo;
    double restart_delay; /* seconds before restarting a daemon that exited */
    int verbose;
    char **command;
    char rundir[160]; /* short: socket paths under it must fit in sun_path */
    char munge_dir[200];
    char munge_sock[240];
    char uri[240];
    int notify_fd;
    struct proc *procs; /* size * NDAEMONS of them */
    int nprocs;
    pid_t munged_pid;
    struct fx_pgcluster *pg; /* the private PostgreSQL, when kvs.dsn is not configured */
    char *dsn;               /* kvs.dsn or pg's: kvsd's --dsn, the command's FLUX_KVS_DSN */
    char pg_scratch[64];     /* a throwaway cluster's directory on tmpfs, removed at the end */
};

/* start-deps.c */
void start_munged (struct start *st);
void stop_munged (struct start *st);
void load_dsn (struct start *st);
void start_postgres (struct start *st);
void wait_postgres (struct start *st);
void stop_postgres (struct start *st);
void reaped_other (struct start *st, pid_t pid, int status, int report);

/* flux-start.c */
/* Before anything was started: say why and exit 1. */
void die (const char *fmt, ...) __attribute__ ((format (printf, 1, 2), noreturn));
/* After processes were started: say why, stop them, clean up, exit 1. */
void fail (struct start *st, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3), noreturn));
double now (void);
/* Fork and exec argv with stderr (and stdout) to logpath, in a new session. */
pid_t spawn (const char *const argv[], const char *logpath, int verbose);
void print_log_tail (const char *path);
int remove_cb (const char *path, const struct stat *sb, int flag, struct FTW *ftw);

#endif
