/* flux-job.c - jobs from the command line: `flux job SUBCOMMAND`.
 *
 *   purge     remove inactive jobs' data from the KVS (kvs.job-purge)
 *
 * Subcommands are a table; each parses its own options.  Failure policy: a usage error
 * prints usage and exits 2; anything else prints "flux-job: message" and exits 1.  Every
 * request has a timeout.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/fsd.h"
#include "services/bytes.h"
#include "services/peer.h"

/* Seconds to wait for kvsd: longer than its own database timeout (see cli/kvs.h). */
#define JOB_KVS_TIMEOUT 15.0

struct job_cmd {
    const char *name;
    int (*fn) (const struct job_cmd *cmd, int argc, char **argv); /* argv[0] is the name */
    const char *synopsis;
    const char *options;
};

static void die (const char *fmt, ...) __attribute__ ((format (printf, 1, 2), noreturn));
static void die (const char *fmt, ...)
{
    va_list ap;

    va_start (ap, fmt);
    fprintf (stderr, "flux-job: ");
    vfprintf (stderr, fmt, ap);
    fprintf (stderr, "\n");
    va_end (ap);
    exit (1);
}

static void usage (FILE *f, const struct job_cmd *cmd, int status) __attribute__ ((noreturn));

static struct fx_peer *connect_router (void)
{
    struct fx_error err = {""};
    struct fx_peer *p;

    if (!(p = fx_peer_create (EV_DEFAULT, NULL, "flux-job", &err)))
        die ("%s", err.text);
    return p;
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
                usage (stderr, cmd, 2);
            }
            json_object_set_new (in, "age-limit", json_real (age));
            break;
        case 'n':
            errno = 0;
            num = strtol (optarg, &end, 10);
            if (errno || end == optarg || *end || num < 0 || num > INT32_MAX)
                usage (stderr, cmd, 2);
            json_object_set_new (in, "num-limit", json_integer (num));
            break;
        case 'f': json_object_set_new (in, "force", json_true ()); break;
        case 'h': usage (stdout, cmd, 0);
        default: usage (stderr, cmd, 2);
        }
    }
    if (optind != argc)
        usage (stderr, cmd, 2);
    if (!json_object_get (in, "age-limit") && !json_object_get (in, "num-limit")) {
        fprintf (stderr, "flux-job: purge: give --age-limit, --num-limit or both\n");
        usage (stderr, cmd, 2);
    }
    return in;
}

static int cmd_purge (const struct job_cmd *cmd, int argc, char **argv)
{
    json_t *in = purge_request (cmd, argc, argv), *out = NULL;
    int force = json_is_true (json_object_get (in, "force"));
    struct fx_error err = {""};
    struct fx_peer *p = connect_router ();
    json_int_t jobs, entries;
    double bytes;
    char b[32];

    if (fx_rpc_call (p, "kvs.job-purge", FX_NODEID_ANY, in, JOB_KVS_TIMEOUT, &out, &err) < 0)
        die ("%s", err.text);
    if (json_unpack (out, "{s:I s:I s:F}", "jobs", &jobs, "entries", &entries, "bytes", &bytes)
        < 0)
        die ("kvs.job-purge: malformed answer");
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
    fx_peer_destroy (p);
    return 0;
}

static const struct job_cmd job_cmds[] = {
    {"purge", cmd_purge, "purge [--age-limit=FSD] [--num-limit=N] [-f]",
     "  remove the KVS data of inactive jobs: those inactive longer than the age limit and\n"
     "  the oldest beyond the newest N; without --force only count them\n"
     "      --age-limit=FSD  jobs inactive for longer than this (1d, 2h...)\n"
     "      --num-limit=N    keep the newest N inactive jobs\n"
     "  -f, --force          remove them\n"},
    {NULL, NULL, NULL, NULL},
};

static void usage (FILE *f, const struct job_cmd *cmd, int status)
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
    if (argc >= 2 && (!strcmp (argv[1], "-h") || !strcmp (argv[1], "--help")))
        usage (stdout, NULL, 0);
    for (const struct job_cmd *c = job_cmds; argc >= 2 && c->name; c++) {
        if (!strcmp (c->name, argv[1]))
            return c->fn (c, argc - 1, argv + 1);
    }
    if (argc >= 2)
        fprintf (stderr, "flux-job: unknown subcommand '%s'\n", argv[1]);
    usage (stderr, NULL, 2);
}
