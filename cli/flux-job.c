/* flux-job.c - jobs from the command line: `flux job SUBCOMMAND`.
 *
 *   urgency, raise, kill, cancel, cancelall   requests to job-manager (cli/job-manage.c)
 *   eventlog, info, status, wait, attach      job-list and eventlogs (cli/job-watch.c)
 *   purge                                     remove inactive jobs' data (kvs.job-purge)
 *   id                                        job ids from one encoding to another
 *
 * This file holds main, the subcommand table, what the subcommands share (cli/job.h) and
 * purge.  Subcommands parse their own options.  Failure policy: a usage error prints usage
 * and exits 2; anything else prints "flux-job: message" and exits 1.  Every request has a
 * timeout, except that following a job's eventlog waits for the job by design (its first
 * answer still has one).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/job.h"
#include "services/bytes.h"
#include "services/fsd.h"
#include "services/jobrpc.h"

/* Seconds to wait for kvsd: longer than its own database timeout (see cli/kvs.h). */
#define JOB_KVS_TIMEOUT 15.0

static const struct job_cmd job_cmds[];

void job_die (const char *fmt, ...)
{
    va_list ap;

    fflush (stdout);
    va_start (ap, fmt);
    fprintf (stderr, "flux-job: ");
    vfprintf (stderr, fmt, ap);
    fprintf (stderr, "\n");
    va_end (ap);
    exit (1);
}

int job_getopt (const struct job_cmd *cmd, int argc, char **argv, const char *shortopts,
                const struct option *longopts)
{
    static const struct option help_only[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char opts[64];
    int c;

    if (!longopts)
        longopts = help_only;
    snprintf (opts, sizeof (opts), "+%sh", shortopts);
    c = getopt_long (argc, argv, opts, longopts, NULL);
    if (c == 'h')
        job_usage (stdout, cmd, 0);
    if (c == '?' || c == ':')
        job_usage (stderr, cmd, 2);
    return c;
}

static struct fx_peer *peer; /* the connection, once made */

struct fx_peer *job_peer (void)
{
    struct fx_error err = {""};

    if (!peer && !(peer = fx_peer_create (EV_DEFAULT, NULL, "flux-job", &err)))
        job_die ("%s", err.text);
    return peer;
}

static const char *env_or (const char *name, const char *dflt)
{
    const char *s = getenv (name);

    return s && *s ? s : dflt;
}

const char *job_manager_service (void)
{
    return env_or ("FLUX_JOB_MANAGER_SERVICE", "job-manager");
}

const char *job_list_service (void)
{
    return env_or ("FLUX_JOB_LIST_SERVICE", "job-list");
}

uint64_t job_parse_id (const char *s)
{
    struct fx_error err = {""};
    uint64_t id;

    if (fx_fluid_decode (s, &id, NULL, &err) < 0)
        job_die ("%s", err.text);
    return id;
}

const char *job_f58 (char buf[FX_FLUID_STRLEN], uint64_t id)
{
    if (fx_fluid_encode (buf, FX_FLUID_STRLEN, id, FX_FLUID_F58) < 0)
        snprintf (buf, FX_FLUID_STRLEN, "%llu", (unsigned long long) id);
    return buf;
}

long job_parse_user (const char *s)
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
        job_die ("unknown user '%s'", s);
    return uid;
}

json_t *job_rpc (const char *service, const char *method, json_t *in)
{
    struct fx_error err = {""};
    char topic[128];
    json_t *out = NULL;

    if (!in)
        job_die ("out of memory");
    snprintf (topic, sizeof (topic), "%s.%s", service, method);
    if (fx_rpc_call (job_peer (), topic, FX_NODEID_ANY, in, FX_JOB_RPC_TIMEOUT, &out, &err) < 0)
        job_die ("%s", err.text);
    json_decref (in);
    return out;
}

/* purge */

static json_t *purge_request (const struct job_cmd *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        {"age-limit", required_argument, NULL, 'a'},
        {"num-limit", required_argument, NULL, 'n'},
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct fx_error err = {""};
    json_t *in = json_object ();
    double age;
    long num;
    char *end;
    int c;

    while ((c = getopt_long (argc, argv, "fh", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            if (fx_fsd_parse (optarg, &age, &err) < 0 || isinf (age)) {
                fprintf (stderr, "flux-job: --age-limit: %s\n",
                         err.text[0] ? err.text : "must be finite");
                job_usage (stderr, cmd, 2);
            }
            json_object_set_new (in, "age-limit", json_real (age));
            break;
        case 'n':
            errno = 0;
            num = strtol (optarg, &end, 10);
            if (errno || end == optarg || *end || num < 0 || num > INT32_MAX)
                job_usage (stderr, cmd, 2);
            json_object_set_new (in, "num-limit", json_integer (num));
            break;
        case 'f':
            json_object_set_new (in, "force", json_true ());
            break;
        case 'h':
            job_usage (stdout, cmd, 0);
        default:
            job_usage (stderr, cmd, 2);
        }
    }
    if (optind != argc)
        job_usage (stderr, cmd, 2);
    if (!json_object_get (in, "age-limit") && !json_object_get (in, "num-limit")) {
        fprintf (stderr, "flux-job: purge: give --age-limit, --num-limit or both\n");
        job_usage (stderr, cmd, 2);
    }
    return in;
}

static int cmd_purge (const struct job_cmd *cmd, int argc, char **argv)
{
    json_t *in = purge_request (cmd, argc, argv), *out = NULL;
    int force = json_is_true (json_object_get (in, "force"));
    struct fx_error err = {""};
    struct fx_peer *p = job_peer ();
    json_int_t jobs, entries;
    double bytes;
    char b[32];

    if (fx_rpc_call (p, "kvs.job-purge", FX_NODEID_ANY, in, JOB_KVS_TIMEOUT, &out, &err) < 0)
        job_die ("%s", err.text);
    if (json_unpack (out, "{s:I s:I s:F}", "jobs", &jobs, "entries", &entries, "bytes", &bytes) < 0)
        job_die ("kvs.job-purge: malformed answer");
    if (jobs == 0)
        fprintf (stderr, "flux-job: no inactive jobs match\n");
    else if (!force)
        fprintf (stderr, "flux-job: use --force to purge %lld job%s\n", (long long) jobs,
                 jobs == 1 ? "" : "s");
    else
        fprintf (stderr, "flux-job: purged %lld inactive job%s (%lld entr%s, %s)\n",
                 (long long) jobs, jobs == 1 ? "" : "s", (long long) entries,
                 entries == 1 ? "y" : "ies", fx_bytes_format (b, sizeof (b), bytes));
    json_decref (in);
    json_decref (out);
    return 0;
}

/* id: convert job ids between encodings, without asking anyone. */
static int cmd_id (const struct job_cmd *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        {"to", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const struct {
        const char *name;
        enum fx_fluid_type type;
    } types[] = {
        {"f58", FX_FLUID_F58},
        {"dec", FX_FLUID_DEC},
        {"hex", FX_FLUID_HEX},
        {"dothex", FX_FLUID_DOTHEX},
        {NULL, 0},
    };
    enum fx_fluid_type type = FX_FLUID_F58;
    char buf[FX_FLUID_STRLEN];
    int c, i;

    while ((c = job_getopt (cmd, argc, argv, "t:", opts)) != -1) {
        for (i = 0; types[i].name && strcmp (types[i].name, optarg); i++)
            ;
        if (!types[i].name)
            job_usage (stderr, cmd, 2);
        type = types[i].type;
    }
    if (optind >= argc)
        job_usage (stderr, cmd, 2);
    for (i = optind; i < argc; i++) {
        if (fx_fluid_encode (buf, sizeof (buf), job_parse_id (argv[i]), type) < 0)
            job_die ("id: %s", strerror (errno));
        printf ("%s\n", buf);
    }
    return 0;
}

static const struct job_cmd job_cmds[] = {
    {"urgency", job_cmd_urgency, "urgency [-v] ID N|hold|default|expedite",
     "  set a job's urgency (0-31): hold (0) keeps it from running, expedite (31) runs it\n"
     "  first, default is 16; a guest may set 0 to 16 on its own jobs\n"
     "  -v, --verbose        print the old and new urgency\n"},
    {"cancel", job_cmd_cancel, "cancel [-m NOTE] ID...",
     "  cancel jobs (an exception of type cancel)\n"
     "  -m, --message=NOTE   the exception's note\n"},
    {"cancelall", job_cmd_cancelall, "cancelall [-f] [-S STATES] [-u USER|all] [-m NOTE]",
     "  cancel every matching job; without -f only count them\n"
     "  -f, --force          cancel them\n"
     "  -S, --states=STATES  jobs in these states (default active)\n"
     "  -u, --user=USER|all  jobs of USER (default: the caller's)\n"
     "  -m, --message=NOTE   the exception's note\n"},
    {"raise", job_cmd_raise, "raise [-t TYPE] [-s SEV] [-m NOTE] ID...",
     "  raise an exception on jobs; severity 0 ends them\n"
     "  -t, --type=TYPE      the exception's type (default cancel)\n"
     "  -s, --severity=N     0 (fatal, the default) to 7\n"
     "  -m, --message=NOTE   the exception's note\n"},
    {"kill", job_cmd_kill, "kill [-s SIG] ID...",
     "  send a signal to the tasks of running jobs\n"
     "  -s, --signal=SIG     a number or name (default SIGTERM)\n"},
    {"status", job_cmd_status, "status [-v] ID...",
     "  wait for jobs to end; the exit status is the largest of theirs\n"
     "  -v, --verbose        print how each job ended\n"},
    {"wait", job_cmd_wait, "wait ID",
     "  wait for a job to end; exit 0 if it completed, else print why and exit 1\n"},
    {"eventlog", job_cmd_eventlog, "eventlog [-p eventlog|guest.output] [-f] [-H] ID",
     "  print a job's events: TIMESTAMP NAME KEY=VALUE...\n"
     "  -p, --path=NAME      eventlog (default) or guest.output\n"
     "  -f, -F, --follow     print events as they come until the job ends\n"
     "  -H, --human          local date and time instead of seconds since the epoch\n"},
    {"attach", job_cmd_attach, "attach ID",
     "  print a job's output (stdout and stderr to ours) until it ends; exit with its\n"
     "  exit status\n"},
    {"info", job_cmd_info, "info ID jobspec|R|eventlog",
     "  print a job's jobspec or R as JSON, or its eventlog as JSON lines\n"},
    {"id", cmd_id, "id [--to=f58|dec|hex|dothex] ID...",
     "  print job ids in another encoding (default F58); any encoding is accepted\n"
     "  -t, --to=ENCODING    f58, dec, hex or dothex\n"},
    {"purge", cmd_purge, "purge [--age-limit=FSD] [--num-limit=N] [-f]",
     "  remove the KVS data of inactive jobs: those inactive longer than the age limit and\n"
     "  the oldest beyond the newest N; without --force only count them\n"
     "      --age-limit=FSD  jobs inactive for longer than this (1d, 2h...)\n"
     "      --num-limit=N    keep the newest N inactive jobs\n"
     "  -f, --force          remove them\n"},
    {NULL, NULL, NULL, NULL},
};

void job_usage (FILE *f, const struct job_cmd *cmd, int status)
{
    if (cmd)
        fprintf (f, "Usage: flux job %s\n%s", cmd->synopsis, cmd->options);
    else {
        fprintf (f, "Usage: flux job SUBCOMMAND [OPTIONS]\n");
        for (const struct job_cmd *c = job_cmds; c->name; c++)
            fprintf (f, "  %s\n", c->synopsis);
        fprintf (f, "Run 'flux job SUBCOMMAND --help' for its options.\n");
    }
    exit (status);
}

int main (int argc, char **argv)
{
    int rc;

    if (argc >= 2 && (!strcmp (argv[1], "-h") || !strcmp (argv[1], "--help")))
        job_usage (stdout, NULL, 0);
    for (const struct job_cmd *c = job_cmds; argc >= 2 && c->name; c++) {
        if (!strcmp (c->name, argv[1])) {
            optind = 0;
            rc = c->fn (c, argc - 1, argv + 1);
            fflush (stdout);
            fx_peer_destroy (peer);
            return rc;
        }
    }
    if (argc >= 2)
        fprintf (stderr, "flux-job: unknown subcommand '%s'\n", argv[1]);
    job_usage (stderr, NULL, 2);
}
