/* job-manage.c - `flux job` subcommands that change jobs: urgency, raise, kill, cancel,
 * cancelall.  Each is a request to job-manager per job (doc/job.md, "Job manager
 * services"); cancel and cancelall send theirs together (services/jobrpc.c).
 *
 * Failure policy: bad arguments are usage errors (exit 2); a job the service refuses
 * prints "flux-job: message" (the service's message names the job) and makes the exit
 * status 1, the other jobs are still handled.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/job.h"
#include "services/jobrpc.h"
#include "services/jobstate.h"

#define URGENCY_HOLD     0
#define URGENCY_DEFAULT  16
#define URGENCY_EXPEDITE 31

static long parse_long (const struct job_cmd *cmd, const char *s, long min, long max)
{
    char *end;
    long v;

    errno = 0;
    v = strtol (s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        fprintf (stderr, "flux-job: %s: '%s' is not a number from %ld to %ld\n", cmd->name, s, min,
                 max);
        job_usage (stderr, cmd, 2);
    }
    return v;
}

static int parse_urgency (const struct job_cmd *cmd, const char *s)
{
    static const struct {
        const char *name;
        int urgency;
    } names[] = {
        {"hold", URGENCY_HOLD},
        {"default", URGENCY_DEFAULT},
        {"expedite", URGENCY_EXPEDITE},
    };

    for (size_t i = 0; i < sizeof (names) / sizeof (names[0]); i++) {
        if (!strcasecmp (s, names[i].name))
            return names[i].urgency;
    }
    return (int) parse_long (cmd, s, URGENCY_HOLD, URGENCY_EXPEDITE);
}

int job_cmd_urgency (const struct job_cmd *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, verbose = 0, urgency, old;
    char buf[FX_FLUID_STRLEN];
    uint64_t id;
    json_t *out;

    while ((c = job_getopt (cmd, argc, argv, "v", opts)) != -1)
        verbose = 1;
    if (argc - optind != 2)
        job_usage (stderr, cmd, 2);
    id = job_parse_id (argv[optind]);
    urgency = parse_urgency (cmd, argv[optind + 1]);
    out = job_rpc (job_manager_service (), "urgency",
                   json_pack ("{s:I s:i}", "id", (json_int_t) id, "urgency", urgency));
    if (json_unpack (out, "{s:i}", "old_urgency", &old) < 0)
        job_die ("urgency: malformed answer");
    if (verbose)
        printf ("%s: urgency changed from %d to %d\n", job_f58 (buf, id), old, urgency);
    json_decref (out);
    return 0;
}

static void fail_cb (uint64_t id, int errnum, const char *msg, void *arg)
{
    (void) id;
    (void) errnum;
    (void) arg;
    fprintf (stderr, "flux-job: %s\n", msg);
}

/* Send job-manager.METHOD with tmpl (stolen) plus each id: the number that failed. */
static int each (const char *method, json_t *tmpl, const uint64_t *ids, size_t n)
{
    char topic[128];
    int failed;

    if (!tmpl)
        job_die ("out of memory");
    snprintf (topic, sizeof (topic), "%s.%s", job_manager_service (), method);
    failed = fx_job_rpc_each (job_peer (), topic, ids, n, tmpl, fail_cb, NULL);
    json_decref (tmpl);
    return failed;
}

/* The ids in argv[optind..argc-1], at least one. */
static uint64_t *parse_ids (const struct job_cmd *cmd, int argc, char **argv, size_t *n)
{
    uint64_t *ids;

    if (optind >= argc)
        job_usage (stderr, cmd, 2);
    *n = (size_t) (argc - optind);
    if (!(ids = calloc (*n, sizeof (*ids))))
        job_die ("out of memory");
    for (int i = optind; i < argc; i++)
        ids[i - optind] = job_parse_id (argv[i]);
    return ids;
}

/* The exception of raise, cancel and cancelall. */
static json_t *exception (const char *type, int severity, const char *note)
{
    json_t *o = json_pack ("{s:s s:i}", "type", type, "severity", severity);

    if (o && note && json_object_set_new (o, "note", json_string (note)) < 0) {
        json_decref (o);
        return NULL;
    }
    return o;
}

int job_cmd_raise (const struct job_cmd *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        {"type", required_argument, NULL, 't'},
        {"severity", required_argument, NULL, 's'},
        {"message", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *type = "cancel", *note = NULL;
    int c, severity = 0, failed;
    uint64_t *ids;
    size_t n;

    while ((c = job_getopt (cmd, argc, argv, "t:s:m:", opts)) != -1) {
        if (c == 't')
            type = optarg;
        else if (c == 's')
            severity = (int) parse_long (cmd, optarg, 0, 7);
        else
            note = optarg;
    }
    if (!*type || strchr (type, ' ') || strchr (type, '='))
        job_die ("raise: the type must be one word");
    ids = parse_ids (cmd, argc, argv, &n);
    failed = each ("raise", exception (type, severity, note), ids, n);
    free (ids);
    return failed ? 1 : 0;
}

/* A signal by number, or name with or without "SIG". */
static int parse_signal (const struct job_cmd *cmd, const char *s)
{
    static const struct {
        const char *name;
        int sig;
    } sigs[] = {
        {"HUP", SIGHUP},   {"INT", SIGINT},     {"QUIT", SIGQUIT}, {"KILL", SIGKILL},
        {"USR1", SIGUSR1}, {"USR2", SIGUSR2},   {"ALRM", SIGALRM}, {"TERM", SIGTERM},
        {"CONT", SIGCONT}, {"STOP", SIGSTOP},   {"TSTP", SIGTSTP}, {"URG", SIGURG},
        {"XCPU", SIGXCPU}, {"WINCH", SIGWINCH},
    };
    const char *name = strncasecmp (s, "SIG", 3) ? s : s + 3;

    for (size_t i = 0; i < sizeof (sigs) / sizeof (sigs[0]); i++) {
        if (!strcasecmp (name, sigs[i].name))
            return sigs[i].sig;
    }
    return (int) parse_long (cmd, s, 1, 64);
}

int job_cmd_kill (const struct job_cmd *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        {"signal", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, sig = SIGTERM, failed;
    uint64_t *ids;
    size_t n;

    while ((c = job_getopt (cmd, argc, argv, "s:", opts)) != -1)
        sig = parse_signal (cmd, optarg);
    ids = parse_ids (cmd, argc, argv, &n);
    failed = each ("kill", json_pack ("{s:i}", "signal", sig), ids, n);
    free (ids);
    return failed ? 1 : 0;
}

int job_cmd_cancel (const struct job_cmd *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        {"message", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *note = NULL;
    int c, failed;
    uint64_t *ids;
    size_t n;

    while ((c = job_getopt (cmd, argc, argv, "m:", opts)) != -1)
        note = optarg;
    ids = parse_ids (cmd, argc, argv, &n);
    failed = each ("raise", exception ("cancel", 0, note), ids, n);
    free (ids);
    return failed ? 1 : 0;
}

/* The ids of the jobs job-list finds. */
static uint64_t *list_ids (int states, long userid, size_t *n)
{
    struct fx_error err = {""};
    uint64_t *ids;
    json_t *jobs;

    if (!(jobs = fx_job_list (job_peer (), job_list_service (), 0, states, 0, userid, &err)))
        job_die ("%s", err.text);
    *n = json_array_size (jobs);
    if (!(ids = calloc (*n + 1, sizeof (*ids))))
        job_die ("out of memory");
    for (size_t i = 0; i < *n; i++)
        ids[i] = fx_job_id (json_array_get (jobs, i));
    json_decref (jobs);
    return ids;
}

int job_cmd_cancelall (const struct job_cmd *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        {"force", no_argument, NULL, 'f'},      {"states", required_argument, NULL, 'S'},
        {"user", required_argument, NULL, 'u'}, {"message", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
    };
    struct fx_error err = {""};
    int c, force = 0, states = FX_JOB_ACTIVE, results, failed;
    long userid = (long) getuid ();
    const char *note = NULL;
    uint64_t *ids;
    size_t n;

    while ((c = job_getopt (cmd, argc, argv, "fS:s:u:m:", opts)) != -1) {
        if (c == 'f')
            force = 1;
        else if (c == 'u')
            userid = job_parse_user (optarg);
        else if (c == 'm')
            note = optarg;
        else if (fx_job_parse_states (optarg, &states, &results, &err) < 0)
            job_die ("cancelall: --states: %s", err.text);
        else if (!(states &= FX_JOB_ACTIVE))
            job_die ("cancelall: --states: '%s' names no active state", optarg);
    }
    if (optind != argc)
        job_usage (stderr, cmd, 2);
    ids = list_ids (states, userid, &n);
    if (!force) {
        fprintf (stderr, "flux-job: Command matched %zu jobs (-f to confirm)\n", n);
        free (ids);
        return 0;
    }
    failed = each ("raise", exception ("cancel", 0, note), ids, n);
    fprintf (stderr, "flux-job: Canceled %zu jobs (%d errors)\n", n - (size_t) failed, failed);
    free (ids);
    return failed ? 1 : 0;
}
