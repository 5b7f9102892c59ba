/* perilog.c - perilog.so, the job-manager plugin that runs job-manager.prolog.command when a
 * job's allocation is durable and job-manager.epilog.command once its tasks have ended
 * (doc/perilog.md).
 *
 * It holds the job with prolog-start/epilog-start (services/jobtap.h), runs the command on
 * rank 0 as a child of jobd (fx_jobtap_cmd_start: the instance owner's uid) with only
 * FLUX_JOB_ID (F58), FLUX_JOB_USERID, FLUX_JOB_RANKS, FLUX_URI, PATH and FLUX_MUNGE_SOCKET
 * (when jobd has one), and posts the finish with the command's wait status and, when it
 * failed, a note made of the last line of its output.  The configuration is read each time
 * (fx_jobtap_conf_get), so a `flux config reload` applies to the next job.  A fatal
 * exception during the prolog (a cancel) terminates it: its failure then raises nothing
 * more, and the job goes on to its epilog.  Failure policy: a command that cannot be started
 * finishes at once with status 127 << 8 and says why.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "services/jobtap.h"

#define PROLOG_TIMEOUT 1800.0 /* seconds, job-manager.prolog.timeout default */
#define KILL_TIMEOUT   10.0
#define ENV_MAX        8

/* A prolog or epilog that runs. */
struct run {
    struct run *next;
    struct perilog *pl;
    uint64_t id;
    int epilog;
    int canceled;       /* a fatal exception came during the prolog */
    char timeout[32];   /* as configured, for the note */
    char *env[ENV_MAX]; /* "NAME=value", NULL-terminated */
    struct fx_jobtap_cmd *cmd;
};

struct perilog {
    struct fx_jobtap *tap;
    struct run *runs;
};

static struct perilog *plugin; /* for fx_jobtap_fini */

static const char *kind (int epilog)
{
    return epilog ? "epilog" : "prolog";
}

static const char *description (int epilog)
{
    return epilog ? "job-manager.epilog" : "job-manager.prolog";
}

/* A duration as the configuration holds it: a number of seconds or "N[ms|s|m|h|d]". */
static double duration (const json_t *v, double dflt, char *text, size_t len)
{
    static const struct {
        const char *unit;
        double scale;
    } units[] = {{"", 1}, {"ms", 0.001}, {"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}};
    const char *s;
    char *end;
    double d;

    if (json_is_number (v)) {
        snprintf (text, len, "%gs", json_number_value (v));
        return json_number_value (v);
    }
    if (!(s = json_string_value (v)))
        goto dflt;
    d = strtod (s, &end);
    for (size_t i = 0; i < sizeof (units) / sizeof (units[0]); i++) {
        if (!strcmp (end, units[i].unit)) {
            snprintf (text, len, "%s", s);
            return d * units[i].scale;
        }
    }
dflt:
    snprintf (text, len, "%gs", dflt);
    return dflt;
}

static void run_destroy (struct run *r)
{
    if (!r)
        return;
    for (int i = 0; i < ENV_MAX; i++)
        free (r->env[i]);
    free (r);
}

static void run_unlink (struct run *r)
{
    for (struct run **pp = &r->pl->runs; *pp; pp = &(*pp)->next) {
        if (*pp == r) {
            *pp = r->next;
            return;
        }
    }
}

static int run_env (struct run *r, const struct fx_jobtap_job *job)
{
    const char *path = getenv ("PATH"), *munge = getenv ("FLUX_MUNGE_SOCKET");
    const char *uri = fx_jobtap_uri (r->pl->tap);
    int n = 0;

    if (asprintf (&r->env[n++], "FLUX_JOB_ID=%s", job->f58) < 0
        || asprintf (&r->env[n++], "FLUX_JOB_USERID=%" PRIu32, job->userid) < 0
        || asprintf (&r->env[n++], "FLUX_JOB_RANKS=%s", job->ranks ? job->ranks : "") < 0
        || asprintf (&r->env[n++], "FLUX_URI=%s", uri ? uri : "") < 0
        || asprintf (&r->env[n++], "PATH=%s", path ? path : "/usr/sbin:/usr/bin:/sbin:/bin") < 0
        || (munge && asprintf (&r->env[n++], "FLUX_MUNGE_SOCKET=%s", munge) < 0)) {
        r->env[n - 1] = NULL;
        return -1;
    }
    return 0;
}

/* The last non-empty line of output, at most len - 1 bytes, into buf ("" when none). */
static const char *last_line (const char *output, char *buf, size_t len)
{
    size_t end = strlen (output), start;

    while (end > 0 && (output[end - 1] == '\n' || output[end - 1] == '\r'))
        end--;
    start = end;
    while (start > 0 && output[start - 1] != '\n')
        start--;
    snprintf (buf, len, "%.*s", (int) (end - start), output + start);
    return buf;
}

static void note_for (const struct run *r, int status, int timedout, const char *output, char *note,
                      size_t len)
{
    char line[384], how[64];

    if (timedout) {
        snprintf (note, len, "%s timed out after %s", kind (r->epilog), r->timeout);
        return;
    }
    if (WIFEXITED (status))
        snprintf (how, sizeof (how), "exit %d", WEXITSTATUS (status));
    else if (WIFSIGNALED (status))
        snprintf (how, sizeof (how), "killed by signal %d", WTERMSIG (status));
    else
        snprintf (how, sizeof (how), "status %d", status);
    if (*last_line (output, line, sizeof (line)))
        snprintf (note, len, "%s failed: %s (%s)", kind (r->epilog), line, how);
    else
        snprintf (note, len, "%s failed (%s)", kind (r->epilog), how);
}

static void finish (struct run *r, int status, const char *note)
{
    struct fx_jobtap *tap = r->pl->tap;

    if (r->epilog)
        fx_jobtap_epilog_finish (tap, r->id, description (1), status, note);
    else
        fx_jobtap_prolog_finish (tap, r->id, description (0), status, note);
}

static void done_cb (struct fx_jobtap_cmd *cmd, int status, int timedout, const char *output,
                     void *arg)
{
    struct run *r = arg;
    char note[512] = "";

    (void) cmd;
    run_unlink (r);
    if (status != 0 && !r->canceled)
        note_for (r, status, timedout, output, note, sizeof (note));
    finish (r, status, note[0] ? note : NULL);
    run_destroy (r);
}

/* argv from job-manager.{prolog,epilog}.command, NULL-terminated (the caller frees it). */
static char **command_argv (const json_t *command)
{
    size_t n = json_array_size (command);
    char **argv = n ? calloc (n + 1, sizeof (*argv)) : NULL;

    for (size_t i = 0; argv && i < n; i++)
        argv[i] = (char *) json_string_value (json_array_get (command, i));
    return argv;
}

static void start (struct perilog *pl, const struct fx_jobtap_job *job, int epilog)
{
    char key[64], note[512];
    const json_t *conf, *command;
    struct fx_error err = {""};
    struct run *r;
    char **argv;
    double timeout, kill_timeout;

    snprintf (key, sizeof (key), "job-manager.%s", kind (epilog));
    if (!(conf = fx_jobtap_conf_get (pl->tap, key))
        || !(command = json_object_get (conf, "command")))
        return;
    if (!(r = calloc (1, sizeof (*r))))
        return;
    *r = (struct run){.pl = pl, .id = job->id, .epilog = epilog};
    timeout = duration (json_object_get (conf, "timeout"), epilog ? 0 : PROLOG_TIMEOUT, r->timeout,
                        sizeof (r->timeout));
    kill_timeout =
        duration (json_object_get (conf, "kill-timeout"), KILL_TIMEOUT, key, sizeof (key));
    if ((epilog ? fx_jobtap_epilog_start (pl->tap, job->id, description (1))
                : fx_jobtap_prolog_start (pl->tap, job->id, description (0)))
        < 0) {
        run_destroy (r);
        return;
    }
    argv = command_argv (command);
    if (run_env (r, job) < 0 || !argv
        || !(r->cmd = fx_jobtap_cmd_start (pl->tap, argv, r->env, timeout, kill_timeout, done_cb, r,
                                           &err))) {
        snprintf (note, sizeof (note), "%s failed: %s", kind (epilog),
                  err.text[0] ? err.text : "out of memory");
        finish (r, 127 << 8, note);
        run_destroy (r);
        free (argv);
        return;
    }
    free (argv);
    r->next = pl->runs;
    pl->runs = r;
}

static void prolog_cb (struct fx_jobtap *tap, const struct fx_jobtap_job *job, void *arg)
{
    (void) tap;
    start (arg, job, 0);
}

static void epilog_cb (struct fx_jobtap *tap, const struct fx_jobtap_job *job, void *arg)
{
    (void) tap;
    start (arg, job, 1);
}

/* A fatal exception (a cancel) while the prolog runs: end it.  Its finish raises nothing
 * more, and perilog-run, terminated, drains nothing. */
static void exception_cb (struct fx_jobtap *tap, const struct fx_jobtap_job *job, void *arg)
{
    struct perilog *pl = arg;

    (void) tap;
    for (struct run *r = pl->runs; r; r = r->next) {
        if (r->id == job->id && !r->epilog) {
            r->canceled = 1;
            fx_jobtap_cmd_terminate (r->cmd);
        }
    }
}

int fx_jobtap_init (struct fx_jobtap *tap, const json_t *conf, struct fx_error *err);
void fx_jobtap_fini (void);

int fx_jobtap_init (struct fx_jobtap *tap, const json_t *conf, struct fx_error *err)
{
    if (conf && json_object_size (conf) > 0) {
        snprintf (err->text, sizeof (err->text),
                  "conf: perilog.so takes no conf (see job-manager.prolog and .epilog)");
        errno = EINVAL;
        return -1;
    }
    if (plugin || !(plugin = calloc (1, sizeof (*plugin)))) {
        snprintf (err->text, sizeof (err->text), plugin ? "loaded twice" : "out of memory");
        errno = plugin ? EEXIST : ENOMEM;
        return -1;
    }
    plugin->tap = tap;
    if (fx_jobtap_on (tap, FX_JOBTAP_PROLOG, prolog_cb, plugin) < 0
        || fx_jobtap_on (tap, FX_JOBTAP_EPILOG, epilog_cb, plugin) < 0
        || fx_jobtap_on (tap, FX_JOBTAP_EXCEPTION, exception_cb, plugin) < 0) {
        snprintf (err->text, sizeof (err->text), "cannot register callbacks");
        return -1;
    }
    return 0;
}

/* jobd has ended the commands already (without callbacks): free what is left. */
void fx_jobtap_fini (void)
{
    struct run *r, *next;

    if (!plugin)
        return;
    for (r = plugin->runs; r; r = next) {
        next = r->next;
        run_destroy (r);
    }
    free (plugin);
    plugin = NULL;
}
