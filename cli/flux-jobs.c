/* flux-jobs.c - list jobs: `flux jobs [OPTIONS] [JOBID...]`.
 *
 * Asks job-list.list (doc/job.md) for the jobs of the states and user asked for, newest
 * first as jobd sends them, and prints one line per job in a format (services/format.h)
 * over the fields of cli/jobs-fields.c; or, given job ids, asks job-list.info for each.
 * The service is `job-list`; FLUX_JOB_LIST_SERVICE names another one, for tests only
 * (test/helpers/fakejobs).
 *
 * Failure policy: a usage error prints usage and exits 2; anything else prints one line
 * "flux-jobs: message" and exits 1.  Every request has a timeout (FX_JOB_RPC_TIMEOUT).
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "cli/jobs.h"
#include "services/fluid.h"
#include "services/jobrpc.h"
#include "services/jobstate.h"

#define DEFAULT_COUNT 1000

/* Named formats (-o NAME). */
static const struct {
    const char *name;
    const char *fmt;
} formats[] = {
    {"default", "{id.f58:>12} ?:{queue:<8.8} +:{username:<8} {name:<10.10+} "
                "{status_abbrev:>2.2} {ntasks:>6} {nnodes:>6h} {contextual_time!F:>8h} "
                "{contextual_info}"},
    {"long", "{id.f58:>12} ?:{queue:<8.8} +:{username:<8} {name:<10.10+} {status:>9.9} "
             "{ntasks:>6} {nnodes:>6h} {t_submit!d:>19} {contextual_time!F:>8h} "
             "{contextual_info}"},
    {"deps", "{id.f58:>12} ?:{queue:<8.8} +:{username:<8} {name:<10.10+} "
             "{status_abbrev:>2.2} {dependencies}"},
    {"endreason", "{id.f58:>12} ?:{queue:<8.8} +:{username:<8} {name:<10.10+} "
                  "{status_abbrev:>2.2} {t_inactive!d:>19h} {inactive_reason}"},
    {NULL, NULL},
};

struct opts {
    int states, results;
    long userid;
    int count;
    int noheader, json;
    const char *format;
};

static void die (const char *fmt, ...) __attribute__ ((format (printf, 1, 2), noreturn));
static void die (const char *fmt, ...)
{
    va_list ap;

    fflush (stdout);
    fprintf (stderr, "flux-jobs: ");
    va_start (ap, fmt);
    vfprintf (stderr, fmt, ap);
    va_end (ap);
    fprintf (stderr, "\n");
    exit (1);
}

static void usage (FILE *f, int status) __attribute__ ((noreturn));
static void usage (FILE *f, int status)
{
    fprintf (f,
             "Usage: flux jobs [-a] [-A] [-u USER|all] [-f STATES] [-c COUNT] [-o FORMAT] [-n]\n"
             "                 [--json] [JOBID...]\n"
             "  list jobs: by default the caller's pending and running jobs, newest first\n"
             "  -a                   jobs in every state\n"
             "  -A                   jobs of every user (same as -u all)\n"
             "  -u, --user=USER|all  jobs of USER (a name or uid)\n"
             "  -f, --filter=STATES  states and results, comma-separated: pending, running,\n"
             "                       inactive, active, all, depend, priority, sched, run,\n"
             "                       cleanup, completed, failed, canceled, timeout\n"
             "  -c, --count=N        at most N jobs (default %d, 0 for all)\n"
             "  -o, --format=FORMAT  default, long, deps, endreason, or e.g.\n"
             "                       '{id.f58:>12} {username:<8} {status} {nodelist}'\n"
             "  -n, --no-header      do not print the header\n"
             "      --json           print the jobs as JSON ({\"jobs\":[...]})\n",
             DEFAULT_COUNT);
    exit (status);
}

static long parse_user (const char *s)
{
    struct passwd *pw;
    char *end;
    long uid;

    if (!strcmp (s, "all"))
        return -1;
    if ((pw = getpwnam (s)))
        return (long) pw->pw_uid;
    errno = 0;
    uid = strtol (s, &end, 10);
    if (errno || end == s || *end || uid < 0 || uid > UINT32_MAX - 1L)
        die ("unknown user '%s'", s);
    return uid;
}

static int parse_count (const char *s)
{
    char *end;
    long n;

    errno = 0;
    n = strtol (s, &end, 10);
    if (errno || end == s || *end || n < 0 || n > INT32_MAX)
        die ("--count: '%s' is not a count", s);
    return (int) n;
}

static void parse_opts (struct opts *o, int argc, char **argv)
{
    static const struct option lopts[] = {
        {"all", no_argument, NULL, 'a'},         {"all-users", no_argument, NULL, 'A'},
        {"user", required_argument, NULL, 'u'},  {"filter", required_argument, NULL, 'f'},
        {"count", required_argument, NULL, 'c'}, {"format", required_argument, NULL, 'o'},
        {"no-header", no_argument, NULL, 'n'},   {"json", no_argument, NULL, 'J'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    struct fx_error err = {""};
    int c;

    while ((c = getopt_long (argc, argv, "aAu:f:c:o:nh", lopts, NULL)) != -1) {
        switch (c) {
        case 'a':
            o->states = FX_JOB_ALL;
            o->results = 0;
            break;
        case 'A':
            o->userid = -1;
            break;
        case 'u':
            o->userid = parse_user (optarg);
            break;
        case 'f':
            if (fx_job_parse_states (optarg, &o->states, &o->results, &err) < 0)
                die ("--filter: %s", err.text);
            break;
        case 'c':
            o->count = parse_count (optarg);
            break;
        case 'o':
            o->format = optarg;
            break;
        case 'n':
            o->noheader = 1;
            break;
        case 'J':
            o->json = 1;
            break;
        case 'h':
            usage (stdout, 0);
        default:
            usage (stderr, 2);
        }
    }
}

/* job-list.info for each id of argv: the jobs, in the order given. */
static json_t *get_jobs_by_id (struct fx_peer *p, const char *service, int argc, char **argv)
{
    struct fx_error err = {""};
    json_t *jobs = json_array (), *in, *job;
    char topic[128];
    uint64_t id;

    snprintf (topic, sizeof (topic), "%s.info", service);
    for (int i = 0; i < argc; i++) {
        if (fx_fluid_decode (argv[i], &id, NULL, &err) < 0)
            die ("%s", err.text);
        if (!(in = json_pack ("{s:I}", "id", (json_int_t) id)))
            die ("out of memory");
        if (fx_rpc_call (p, topic, FX_NODEID_ANY, in, FX_JOB_RPC_TIMEOUT, &job, &err) < 0)
            die ("%s", err.text);
        if (!json_is_object (job) || !json_is_integer (json_object_get (job, "id")))
            die ("%s: malformed answer", topic);
        json_array_append_new (jobs, job);
        json_decref (in);
    }
    return jobs;
}

static const char *row_get (void *arg, size_t row, int field)
{
    const struct jobs_row *rows = arg;

    return rows[row].v[field];
}

static void print_jobs (const struct opts *o, const json_t *jobs)
{
    struct fx_error err = {""};
    const char *fmt = o->format;
    struct fx_format *f;
    struct jobs_row *rows;
    struct timeval tv;
    size_t n = json_array_size (jobs);
    double now;

    for (int i = 0; formats[i].name; i++) {
        if (!strcmp (fmt, formats[i].name))
            fmt = formats[i].fmt;
    }
    if (!(f = fx_format_parse (fmt, jobs_fields, JF_COUNT, ~UINT64_C (0), &err)))
        die ("%s", err.text);
    gettimeofday (&tv, NULL);
    now = (double) tv.tv_sec + tv.tv_usec * 1e-6;
    if (!(rows = calloc (n + 1, sizeof (*rows))))
        die ("out of memory");
    for (size_t i = 0; i < n; i++) {
        if (jobs_row_fill (&rows[i], json_array_get (jobs, i), now) < 0)
            die ("out of memory");
    }
    if (fx_format_print (f, stdout, n, row_get, rows, o->noheader) < 0)
        die ("%s", strerror (errno));
    for (size_t i = 0; i < n; i++)
        jobs_row_clear (&rows[i]);
    free (rows);
    fx_format_destroy (f);
}

int main (int argc, char **argv)
{
    struct opts o = {.states = FX_JOB_PENDING | FX_JOB_RUNNING,
                     .userid = (long) getuid (),
                     .count = DEFAULT_COUNT,
                     .format = "default"};
    const char *service = getenv ("FLUX_JOB_LIST_SERVICE");
    struct fx_error err = {""};
    struct fx_peer *p;
    json_t *jobs;

    if (!service || !*service)
        service = "job-list";
    parse_opts (&o, argc, argv);
    if (!(p = fx_peer_create (EV_DEFAULT, NULL, "flux-jobs", &err)))
        die ("%s", err.text);
    if (optind < argc)
        jobs = get_jobs_by_id (p, service, argc - optind, argv + optind);
    else if (!(jobs = fx_job_list (p, service, o.count, o.states, o.results, o.userid, &err)))
        die ("%s", err.text);
    if (o.json) {
        json_t *out = json_pack ("{s:O}", "jobs", jobs);
        if (!out || json_dumpf (out, stdout, JSON_COMPACT) < 0)
            die ("out of memory");
        printf ("\n");
        json_decref (out);
    } else
        print_jobs (&o, jobs);
    json_decref (jobs);
    fx_peer_destroy (p);
    return 0;
}
