/* flux-queue.c - the job queue from the command line: `flux queue SUBCOMMAND`.
 *
 *   enable | disable [REASON]   let jobs be submitted, or refuse them
 *   start | stop [REASON]       let jobs be scheduled, or hold them all
 *   status [-v]                 both states, and with -v the queue's counts
 *   drain | idle [--timeout]    wait until no job is active / none runs
 *
 * Each subcommand is one request to job-manager (doc/job.md, "Job manager services");
 * FLUX_JOB_MANAGER_SERVICE names another service, for tests only (test/helpers/fakejobs).
 * status prints the admin guide's lines ("flux-queue: Job submission is enabled") on stdout.
 *
 * Failure policy: a usage error prints usage and exits 2; anything else prints one line
 * "flux-queue: message" and exits 1.  Every request has a timeout (FX_JOB_RPC_TIMEOUT)
 * except drain and idle, which wait by design unless given --timeout.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/fsd.h"
#include "services/jobrpc.h"

struct queue_cmd {
    const char *name;
    int (*fn) (const struct queue_cmd *cmd, int argc, char **argv); /* argv[0]: the name */
    const char *synopsis;
    const char *help;
};

static const struct queue_cmd queue_cmds[];
static const char *service = "job-manager";

static void die (const char *fmt, ...) __attribute__ ((format (printf, 1, 2), noreturn));
static void die (const char *fmt, ...)
{
    va_list ap;

    fflush (stdout);
    fprintf (stderr, "flux-queue: ");
    va_start (ap, fmt);
    vfprintf (stderr, fmt, ap);
    va_end (ap);
    fprintf (stderr, "\n");
    exit (1);
}

static void usage (FILE *f, const struct queue_cmd *cmd, int status) __attribute__ ((noreturn));
static void usage (FILE *f, const struct queue_cmd *cmd, int status)
{
    if (cmd)
        fprintf (f, "Usage: flux queue %s\n%s", cmd->synopsis, cmd->help);
    else {
        fprintf (f, "Usage: flux queue SUBCOMMAND [OPTIONS]\n");
        for (const struct queue_cmd *c = queue_cmds; c->name; c++)
            fprintf (f, "  %-32s %s", c->synopsis, c->help + strspn (c->help, " "));
    }
    exit (status);
}

/* Parse the options of a subcommand: -h, and --timeout/-v where the subcommand takes them. */
static void parse_opts (const struct queue_cmd *cmd, int argc, char **argv, double *timeout,
                        int *verbose)
{
    static const struct option lopts[] = {
        {"timeout", required_argument, NULL, 't'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct fx_error err = {""};
    int c;

    optind = 0;
    while ((c = getopt_long (argc, argv, "+t:vh", lopts, NULL)) != -1) {
        if (c == 'h')
            usage (stdout, cmd, 0);
        else if (c == 't' && timeout) {
            if (fx_fsd_parse (optarg, timeout, &err) < 0)
                die ("--timeout: %s", err.text);
        } else if (c == 'v' && verbose)
            *verbose = 1;
        else
            usage (stderr, cmd, 2);
    }
}

/* The words of argv from optind, joined by spaces; NULL when there are none. */
static char *join_words (int argc, char **argv)
{
    size_t len = 0;
    char *s;

    if (optind >= argc)
        return NULL;
    for (int i = optind; i < argc; i++)
        len += strlen (argv[i]) + 1;
    if (!(s = calloc (1, len)))
        die ("out of memory");
    for (int i = optind; i < argc; i++) {
        if (i > optind)
            strcat (s, " ");
        strcat (s, argv[i]);
    }
    return s;
}

/* Send SERVICE.method with in (stolen), wait at most timeout (<= 0: for ever); the answer
 * (caller owns it), or die with the service's message. */
static json_t *rpc (const char *method, json_t *in, double timeout)
{
    struct fx_error err = {""};
    struct fx_peer *p;
    char topic[128];
    json_t *out = NULL;

    if (!in)
        die ("out of memory");
    snprintf (topic, sizeof (topic), "%s.%s", service, method);
    if (!(p = fx_peer_create (EV_DEFAULT, NULL, "flux-queue", &err)))
        die ("%s", err.text);
    if (fx_rpc_call (p, topic, FX_NODEID_ANY, in, timeout, &out, &err) < 0) {
        if (errno == ETIMEDOUT && timeout > 0 && !isinf (timeout))
            die ("%s: timed out after %gs", method, timeout);
        die ("%s", err.text);
    }
    json_decref (in);
    fx_peer_destroy (p);
    return out;
}

/* enable, disable, start, stop: "queue-NAME" with the reason, if any. */
static int cmd_set (const struct queue_cmd *cmd, int argc, char **argv)
{
    int takes_reason = !strcmp (cmd->name, "disable") || !strcmp (cmd->name, "stop");
    char method[64], *reason;
    json_t *in;

    parse_opts (cmd, argc, argv, NULL, NULL);
    reason = join_words (argc, argv);
    if (reason && !takes_reason)
        usage (stderr, cmd, 2);
    in = reason ? json_pack ("{s:s}", "reason", reason) : json_object ();
    snprintf (method, sizeof (method), "queue-%s", cmd->name);
    json_decref (rpc (method, in, FX_JOB_RPC_TIMEOUT));
    free (reason);
    return 0;
}

/* drain, idle: wait, print nothing. */
static int cmd_wait (const struct queue_cmd *cmd, int argc, char **argv)
{
    double timeout = INFINITY;
    char method[64];

    parse_opts (cmd, argc, argv, &timeout, NULL);
    if (optind != argc)
        usage (stderr, cmd, 2);
    snprintf (method, sizeof (method), "queue-%s", cmd->name);
    json_decref (rpc (method, json_object (), isinf (timeout) ? 0 : timeout));
    return 0;
}

static int cmd_status (const struct queue_cmd *cmd, int argc, char **argv)
{
    int verbose = 0, enabled, started;
    json_int_t queued = 0, pending = 0, running = 0, free_pending = 0;
    const char *dreason = NULL, *sreason = NULL;
    json_t *out;

    parse_opts (cmd, argc, argv, NULL, &verbose);
    if (optind != argc)
        usage (stderr, cmd, 2);
    out = rpc ("queue-status", json_object (), FX_JOB_RPC_TIMEOUT);
    if (json_unpack (out, "{s:b s?s s:b s?s s?I s?I s?I s?I}", "enabled", &enabled,
                     "disable-reason", &dreason, "started", &started, "stop-reason", &sreason,
                     "queued", &queued, "pending", &pending, "running", &running, "free-pending",
                     &free_pending)
        < 0)
        die ("queue-status: malformed answer");
    printf ("flux-queue: Job submission is %s%s%s\n", enabled ? "enabled" : "disabled",
            !enabled && dreason ? ": " : "", !enabled && dreason ? dreason : "");
    printf ("flux-queue: Scheduling is %s%s%s\n", started ? "enabled" : "disabled",
            !started && sreason ? ": " : "", !started && sreason ? sreason : "");
    if (verbose) {
        printf ("flux-queue: %lld alloc requests queued\n", (long long) queued);
        printf ("flux-queue: %lld alloc requests pending to scheduler\n", (long long) pending);
        printf ("flux-queue: %lld free requests pending to scheduler\n", (long long) free_pending);
        printf ("flux-queue: %lld running jobs\n", (long long) running);
    }
    json_decref (out);
    return 0;
}

static const struct queue_cmd queue_cmds[] = {
    {"enable", cmd_set, "enable", "  enable job submission\n"},
    {"disable", cmd_set, "disable [REASON...]", "  disable job submission\n"},
    {"start", cmd_set, "start", "  start scheduling\n"},
    {"stop", cmd_set, "stop [REASON...]",
     "  stop scheduling (jobs may be submitted; none is given resources)\n"},
    {"status", cmd_status, "status [-v]",
     "  get queue status\n"
     "  -v, --verbose        also the counts of queued, pending and running work\n"},
    {"drain", cmd_wait, "drain [--timeout=FSD]",
     "  wait for the queue to become empty (no active jobs)\n"
     "  -t, --timeout=FSD    give up after FSD (1m, 30s...)\n"},
    {"idle", cmd_wait, "idle [--timeout=FSD]",
     "  wait for the queue to become idle (nothing running, no alloc pending)\n"
     "  -t, --timeout=FSD    give up after FSD (1m, 30s...)\n"},
    {NULL, NULL, NULL, NULL},
};

int main (int argc, char **argv)
{
    const char *s = getenv ("FLUX_JOB_MANAGER_SERVICE");

    if (s && *s)
        service = s;
    if (argc >= 2 && (!strcmp (argv[1], "-h") || !strcmp (argv[1], "--help")))
        usage (stdout, NULL, 0);
    for (const struct queue_cmd *c = queue_cmds; argc >= 2 && c->name; c++) {
        if (!strcmp (c->name, argv[1]))
            return c->fn (c, argc - 1, argv + 1);
    }
    if (argc >= 2)
        fprintf (stderr, "flux-queue: unknown subcommand '%s'\n", argv[1]);
    usage (stderr, NULL, 2);
}
