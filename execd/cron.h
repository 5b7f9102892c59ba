/* cron.h - what execd's cron service (cron.c) and its crontab file loader (cronfile.c)
 * share.  Other parts of execd use only cron_create/cron_destroy/cron_reload (execd.h).
 */
#ifndef EXECD_CRON_H
#define EXECD_CRON_H

#include <ev.h>
#include <stdint.h>

#include "execd/execd.h"
#include "services/crontab.h"

#define CRON_DEFAULT_DIR  FX_SYSCONFDIR "/flux/system/cron.d"
#define CRON_SYSTEM_CONF  FX_SYSCONFDIR "/flux/system/conf.d"
#define CRON_FILE_MAX     (1024 * 1024) /* bytes of one crontab */
#define CRON_ENTRIES_MAX  10000         /* entries in all */
#define CRON_COMMAND_MAX  65536         /* bytes of one command */
#define CRON_INTERVAL_MIN 0.001         /* seconds */

enum { CRON_INTERVAL, CRON_TAB };

struct cron_entry {
    struct cron *cron;
    uint64_t id;
    int type; /* CRON_INTERVAL or CRON_TAB */
    char *command;
    char *file; /* the crontab file it came from (reloaded with it), or NULL */
    int line;
    char schedule[FX_CRONTAB_SCHED_MAX]; /* as shown: "*\/5 * * * *" or "10s" */
    struct fx_cronsched sched;
    double interval, after; /* CRON_INTERVAL: seconds */
    int stopped;
    int stale; /* a file entry not found again by a reload (yet) */

    uint64_t runs;    /* runs started */
    uint64_t skipped; /* due while the previous run was still going */
    double last_start, last_end;
    int last_status; /* raw wait status; -1 before the first run ends */
    int last_timedout;
    char *last_output;
    double next; /* when it runs next (seconds since the epoch); 0 when stopped */

    ev_timer timer;       /* CRON_INTERVAL */
    ev_periodic periodic; /* CRON_TAB */
    struct run *run;      /* the run going on, or NULL */
    struct cron_entry *prev, *next_entry;
};

struct cron {
    struct execd *ed;
    uint64_t next_id;
    struct cron_entry *entries, *last; /* in id order */
    size_t count;
    int system_instance; /* the configuration is /etc/flux/system/conf.d */
    json_t *env;         /* the owner's minimal environment for commands */
    struct fx_metric *m_runs, *m_skipped;
};

/* cron.c */
/* A new entry (not yet scheduled): command copied.  NULL with ENOMEM or ENOSPC. */
struct cron_entry *cron_entry_create (struct cron *c, int type, const char *command, size_t len);
/* Schedule it (unless stopped). */
void cron_entry_arm (struct cron_entry *e);
/* Forget it: its run, if any, goes on (or is killed when kill is set), unwatched. */
void cron_entry_destroy (struct cron_entry *e, int kill);

/* cronfile.c */
/* Load every crontab in dir: entries of files are replaced, identical lines keep their
 * entry and its history; each bad line is logged as FILE:LINE: MESSAGE.  dir NULL removes
 * every file entry.  missing_ok: a directory that does not exist is not an error. */
void cronfile_load (struct cron *c, const char *dir, int missing_ok);

#endif
