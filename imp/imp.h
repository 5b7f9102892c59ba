/* imp.h - flux-imp, the setuid root helper that starts job shells as their users (exec) and
 * site scripts as root (run).  doc/imp.md is the contract; this header is what its files
 * share.
 *
 * main.c scrubs the process (environment, fds), checks that it runs setuid root and
 * dispatches; config.c refuses insecure configuration directories and loads the imp and
 * security spaces; exec.c and run.c are the two privileged commands; spawn.c forks the child
 * that becomes the target user and supervises it (signal forwarding, exit status).
 * Every refusal is one line "flux-imp: CMD: REASON" on stderr and exit status 1.
 */
#ifndef FX_IMP_H
#define FX_IMP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "services/error.h"

#define IMP_EXIT_REFUSED 1

struct imp {
    uid_t ruid; /* the caller */
    gid_t rgid;
    char caller[64];     /* the caller's user name, or its uid in decimal */
    char **env;          /* a copy of the caller's environment (untrusted) */
    json_t *conf;        /* the imp space */
    int64_t max_ttl;     /* sign.max-ttl of the security space */
    const char *imp_dir; /* configuration directories */
    const char *security_dir;
    const char *munge_socket; /* NULL: MUNGE's default */
};

/* config.c */

/* Check that dir, every file in it and every directory above it can be changed only by
 * root.  Returns 0, or -1 with a one-line reason naming the path in err. */
int imp_conf_check_secure (const char *dir, struct fx_error *err);

/* Check that a file run as root (run.NAME.path, absolute) can be changed only by root; its
 * resolved path, the one checked and so the one to run, is put in rp (PATH_MAX bytes). */
int imp_conf_check_file (const char *path, char *rp, struct fx_error *err);

/* Check both configuration directories and load them into imp->conf and imp->max_ttl.  A
 * missing imp directory is "no configuration"; a missing security directory gives the
 * default max-ttl.  Returns 0 or -1 with err set. */
int imp_conf_load (struct imp *imp, struct fx_error *err);

/* The string list at key (dotted), or at fallback when key is not set; NULL when neither. */
const json_t *imp_conf_list (const struct imp *imp, const char *key, const char *fallback);

/* Whether s is one of the strings of list (NULL list: false). */
bool imp_list_has (const json_t *list, const char *s);

/* Whether the caller's user name is in the list at key (or fallback). */
bool imp_caller_allowed (const struct imp *imp, const char *key, const char *fallback);

/* spawn.c */

/* What the child becomes before it execs. */
struct imp_target {
    uid_t uid;
    gid_t gid;
    const char *user; /* passwd name: initgroups(); NULL: no supplementary groups */
    const char *path; /* program run */
    char *const *argv;
    char *const *envp;
    int stdin_fd; /* dup'd onto fd 0 in the child, or -1 to keep fd 0 */
    /* Not NULL: a child that fails is reported on stderr as "flux-imp: REPORT exited N" (or
     * "killed by signal N"), so that whoever reads the output learns which script it was. */
    const char *report;
};

/* Fork; the child becomes t->uid/t->gid for good (and checks that it cannot get root back
 * unless t->uid is 0), starts its own process group, asks for SIGKILL when the IMP dies and
 * execs t->path.  The parent forwards signals to the child's group (SIGUSR1 as SIGKILL) and
 * waits.  Returns only on failure to start (-1 with err); otherwise the IMP exits with the
 * child's status, or dies of the signal that killed it. */
int imp_spawn (const struct imp_target *t, struct fx_error *err);

/* Drop every privilege for good: supplementary groups, gid then uid.  Returns 0, or -1 with
 * err set (also when setuid(0) still succeeds afterwards, uid not 0). */
int imp_drop_privileges (uid_t uid, gid_t gid, const char *user, struct fx_error *err);

/* exec.c, run.c: argv after the command name. */
int imp_cmd_exec (struct imp *imp, int argc, char **argv);
int imp_cmd_run (struct imp *imp, int argc, char **argv);

/* main.c */

/* One decision of exec or run, as syslog records it. */
struct imp_decision {
    const char *cmd;   /* "exec" or "run" */
    long target;       /* uid the command runs as, -1 while unknown */
    const char *jobid; /* NULL: unknown */
    const char *path;  /* the shell or script, NULL: unknown */
};

/* Log the refusal (LOG_AUTHPRIV), print "flux-imp: CMD: REASON" on stderr, exit 1. */
void imp_refuse (const struct imp *imp, const struct imp_decision *d, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4), noreturn));

/* Log that d is allowed. */
void imp_allow (const struct imp *imp, const struct imp_decision *d);

/* The caller's variable NAME (from the copy of its environment), or NULL. */
const char *imp_caller_env (const struct imp *imp, const char *name);

#endif
