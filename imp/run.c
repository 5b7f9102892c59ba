/* run.c - `flux-imp run NAME`: run the configured run.NAME.path as root (prolog, epilog).
 *
 * The caller must be in run.NAME.allowed-users and the script must be changeable by root only
 * (config.c).  The script gets argv [path] and an environment built here, never the caller's:
 * FLUX_OWNER_USERID (the caller), FLUX_JOB_USERID, FLUX_JOB_ID and FLUX_JOB_RANKS when the
 * caller has them, HOME, USER and PATH for root, then the caller's variables whose names
 * match a glob of run.NAME.allowed-environment (a variable already set above is never
 * replaced, so a glob cannot let the caller forge FLUX_OWNER_USERID or PATH).  spawn.c runs
 * it as uid/gid 0 with no supplementary groups and forwards signals, so that the caller, who
 * cannot signal a root process, can still stop a hung script through the IMP.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imp/imp.h"
#include "services/conf.h"

#define RUN_ENV_MAX 1024 /* variables passed to the script, at most */

struct envbuf {
    char *v[RUN_ENV_MAX + 1];
    int n;
};

/* Whether name (len bytes) is already set in e. */
static bool env_has (const struct envbuf *e, const char *name, size_t len)
{
    for (int i = 0; i < e->n; i++) {
        if (strncmp (e->v[i], name, len) == 0 && e->v[i][len] == '=')
            return true;
    }
    return false;
}

static void env_set (struct envbuf *e, const char *name, const char *value)
{
    if (e->n >= RUN_ENV_MAX || env_has (e, name, strlen (name)))
        return;
    if (asprintf (&e->v[e->n], "%s=%s", name, value) < 0) {
        fprintf (stderr, "flux-imp: run: out of memory\n");
        exit (IMP_EXIT_REFUSED);
    }
    e->n++;
}

/* Whether the variable name (len bytes) matches a glob of list. */
static bool env_allowed (const json_t *list, const char *name, size_t len)
{
    char buf[256];
    const json_t *v;
    size_t i;

    if (len >= sizeof (buf))
        return false;
    memcpy (buf, name, len);
    buf[len] = '\0';
    json_array_foreach (list, i, v)
    {
        if (json_is_string (v) && fnmatch (json_string_value (v), buf, 0) == 0)
            return true;
    }
    return false;
}

static void env_build (const struct imp *imp, const json_t *allowed, struct envbuf *e)
{
    static const char *const job_vars[] = {"FLUX_JOB_USERID", "FLUX_JOB_ID", "FLUX_JOB_RANKS"};
    char uid[32];
    const char *v;

    snprintf (uid, sizeof (uid), "%lu", (unsigned long) imp->ruid);
    env_set (e, "FLUX_OWNER_USERID", uid);
    for (size_t i = 0; i < sizeof (job_vars) / sizeof (job_vars[0]); i++) {
        if ((v = imp_caller_env (imp, job_vars[i])))
            env_set (e, job_vars[i], v);
    }
    env_set (e, "HOME", "/root");
    env_set (e, "USER", "root");
    env_set (e, "PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    for (char **p = imp->env; p && *p && e->n < RUN_ENV_MAX; p++) {
        const char *eq = strchr (*p, '=');
        size_t len = eq ? (size_t) (eq - *p) : 0;
        if (len > 0 && env_allowed (allowed, *p, len) && !env_has (e, *p, len))
            e->v[e->n++] = *p;
    }
}

/* NAME is a key of the run group: letters, digits, '-' and '_'. */
static bool name_valid (const char *name)
{
    if (!*name || strlen (name) > 64)
        return false;
    for (; *name; name++) {
        if (!isalnum ((unsigned char) *name) && *name != '-' && *name != '_')
            return false;
    }
    return true;
}

int imp_cmd_run (struct imp *imp, int argc, char **argv)
{
    struct imp_decision d = {"run", 0, imp_caller_env (imp, "FLUX_JOB_ID"), NULL};
    char key[128], rp[PATH_MAX], report[PATH_MAX + 80], *args[2] = {NULL, NULL};
    static struct envbuf env;
    struct fx_error err;
    const json_t *path;

    if (argc != 1)
        imp_refuse (imp, &d, "usage: flux-imp run NAME");
    if (!name_valid (argv[0]))
        imp_refuse (imp, &d, "invalid name");
    snprintf (key, sizeof (key), "run.%s.path", argv[0]);
    if (!(path = fx_conf_get (imp->conf, key)) || !json_is_string (path))
        imp_refuse (imp, &d, "no run.%s in the configuration", argv[0]);
    d.path = json_string_value (path);
    snprintf (key, sizeof (key), "run.%s.allowed-users", argv[0]);
    if (!imp_caller_allowed (imp, key, NULL))
        imp_refuse (imp, &d, "user %s (uid %lu) is not in run.%s.allowed-users",
                    imp->caller[0] ? imp->caller : "?", (unsigned long) imp->ruid, argv[0]);
    if (imp_conf_check_file (d.path, rp, &err) < 0)
        imp_refuse (imp, &d, "%s", err.text);
    args[0] = (char *) d.path; /* argv [path] as configured; what runs is what was checked */
    d.path = rp;
    snprintf (key, sizeof (key), "run.%s.allowed-environment", argv[0]);
    env_build (imp, imp_conf_list (imp, key, NULL), &env);
    struct imp_target t = {
        .uid = 0,
        .gid = 0,
        .user = NULL,
        .path = d.path,
        .argv = args,
        .envp = env.v,
        .stdin_fd = -1,
        .report = report,
    };
    snprintf (report, sizeof (report), "run %s: %s", argv[0], rp);
    imp_allow (imp, &d);
    imp_spawn (&t, &err);
    imp_refuse (imp, &d, "%s", err.text);
}
