/* flux-cancel.c - cancel jobs: `flux cancel [OPTIONS] [JOBID...]`.
 *
 * Cancel is a fatal exception of type "cancel" (job-manager.raise, severity 0, doc/job.md).
 * Given ids, each is canceled; with --all (or a filter, -u or -S) the jobs job-list.list
 * finds are, the caller's own active jobs by default.  Requests go out together (services/
 * jobrpc.c).  FLUX_JOB_LIST_SERVICE and FLUX_JOB_MANAGER_SERVICE name other services, for
 * tests only (test/helpers/fakejobs).
 *
 * Failure policy: a usage error prints usage and exits 2; a job that cannot be canceled
 * prints "flux-cancel: message" (the service's message names the job) and the exit status
 * is 1; the others are still canceled.
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "services/fluid.h"
#include "services/jobrpc.h"
#include "services/jobstate.h"

struct opts {
    int all, dryrun, quiet;
    long userid;
    int states;
    const char *note;
};

static void die (const char *fmt, ...) __attribute__ ((format (printf, 1, 2), noreturn));
static void die (const char *fmt, ...)
{
    va_list ap;

    fprintf (stderr, "flux-cancel: ");
    va_start (ap, fmt);
    vfprintf (stderr, fmt, ap);
    va_end (ap);
    fprintf (stderr, "\n");
    exit (1);
}

static void usage (FILE *f, int status) __attribute__ ((noreturn));
static void usage (FILE *f, int status)
{
    fprintf (f, "Usage: flux cancel [-n] [-q] [-m NOTE] JOBID...\n"
                "       flux cancel [-n] [-q] [-m NOTE] --all | -u USER|all | -S STATES\n"
                "  cancel jobs: those named, or with --all the caller's active jobs\n"
                "  -A, --all            every matching job\n"
                "  -u, --user=USER|all  the jobs of USER (a name or uid; implies --all)\n"
                "  -S, --states=STATES  jobs in these states (default active; implies --all)\n"
                "  -m, --message=NOTE   the exception's note\n"
                "  -n, --dry-run        print how many jobs would be canceled\n"
                "  -q, --quiet          print nothing when all goes well\n");
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

static void parse_opts (struct opts *o, int argc, char **argv)
{
    static const struct option lopts[] = {
        {"all", no_argument, NULL, 'A'},          {"user", required_argument, NULL, 'u'},
        {"states", required_argument, NULL, 'S'}, {"message", required_argument, NULL, 'm'},
        {"dry-run", no_argument, NULL, 'n'},      {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    struct fx_error err = {""};
    int c, results;

    while ((c = getopt_long (argc, argv, "Au:S:m:nqh", lopts, NULL)) != -1) {
        switch (c) {
        case 'A':
            o->all = 1;
            break;
        case 'u':
            o->userid = parse_user (optarg);
            o->all = 1;
            break;
        case 'S':
            if (fx_job_parse_states (optarg, &o->states, &results, &err) < 0)
                die ("--states: %s", err.text);
            if (!(o->states &= FX_JOB_ACTIVE))
                die ("--states: '%s' names no active state", optarg);
            o->all = 1;
            break;
        case 'm':
            o->note = optarg;
            break;
        case 'n':
            o->dryrun = 1;
            break;
        case 'q':
            o->quiet = 1;
            break;
        case 'h':
            usage (stdout, 0);
        default:
            usage (stderr, 2);
        }
    }
    if (o->all == (optind < argc)) {
        fprintf (stderr, "flux-cancel: give job ids, or --all (-u, -S), not both\n");
        usage (stderr, 2);
    }
}

static void fail_cb (uint64_t id, int errnum, const char *msg, void *arg)
{
    (void) id;
    (void) errnum;
    (void) arg;
    fprintf (stderr, "flux-cancel: %s\n", msg);
}

/* The ids of the jobs to cancel: those of argv, or those job-list finds. */
static uint64_t *select_jobs (struct fx_peer *p, const struct opts *o, int argc, char **argv,
                              size_t *n)
{
    const char *service = getenv ("FLUX_JOB_LIST_SERVICE");
    struct fx_error err = {""};
    uint64_t *ids;
    json_t *jobs = NULL;

    if (!o->all) {
        *n = (size_t) (argc - optind);
        if (!(ids = calloc (*n + 1, sizeof (*ids))))
            die ("out of memory");
        for (int i = optind; i < argc; i++) {
            if (fx_fluid_decode (argv[i], &ids[i - optind], NULL, &err) < 0)
                die ("%s", err.text);
        }
        return ids;
    }
    if (!(jobs = fx_job_list (p, service && *service ? service : "job-list", 0, o->states, 0,
                              o->userid, &err)))
        die ("%s", err.text);
    *n = json_array_size (jobs);
    if (!(ids = calloc (*n + 1, sizeof (*ids))))
        die ("out of memory");
    for (size_t i = 0; i < *n; i++)
        ids[i] = fx_job_id (json_array_get (jobs, i));
    json_decref (jobs);
    return ids;
}

int main (int argc, char **argv)
{
    struct opts o = {.userid = (long) getuid (), .states = FX_JOB_ACTIVE};
    const char *service = getenv ("FLUX_JOB_MANAGER_SERVICE");
    struct fx_error err = {""};
    struct fx_peer *p;
    char topic[128];
    uint64_t *ids;
    json_t *tmpl;
    size_t n;
    int failed;

    parse_opts (&o, argc, argv);
    if (!(p = fx_peer_create (EV_DEFAULT, NULL, "flux-cancel", &err)))
        die ("%s", err.text);
    /* -1 is every user.  A guest could only be refused job by job: say it once. */
    if (o.userid != (long) getuid () && !(fx_peer_rolemask (p) & FX_ROLE_OWNER))
        die ("only the instance owner may cancel other users' jobs");
    ids = select_jobs (p, &o, argc, argv, &n);
    if (o.dryrun) {
        if (!o.quiet)
            fprintf (stderr, "flux-cancel: Would cancel %zu jobs\n", n);
        free (ids);
        fx_peer_destroy (p);
        return 0;
    }
    snprintf (topic, sizeof (topic), "%s.raise", service && *service ? service : "job-manager");
    if (!(tmpl = json_pack ("{s:s s:i}", "type", "cancel", "severity", 0))
        || (o.note && json_object_set_new (tmpl, "note", json_string (o.note)) < 0))
        die ("out of memory");
    failed = fx_job_rpc_each (p, topic, ids, n, tmpl, fail_cb, NULL);
    if (o.all && !o.quiet)
        fprintf (stderr, "flux-cancel: Canceled %zu jobs (%d errors)\n", n - (size_t) failed,
                 failed);
    json_decref (tmpl);
    free (ids);
    fx_peer_destroy (p);
    return failed ? 1 : 0;
}
