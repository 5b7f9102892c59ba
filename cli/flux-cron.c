/* flux-cron.c - commands run on a schedule by rank 0's execd: `flux cron SUBCOMMAND`.
 *
 *   tab [FILE|-]                      add crontab entries (5-field lines), print their ids
 *   interval [--after=FSD] FSD CMD... run CMD every FSD, print its id
 *   list [-o]                         every entry: schedule, runs, last status, next run
 *   dump ID                           one entry in full, with its last output
 *   stop ID | start ID                stop or resume an entry's schedule
 *   delete [--kill] ID                forget an entry (--kill: and kill its running command)
 *
 * Each subcommand is one request to the cron service (doc/cron.md).  Failure policy: a
 * usage error prints usage and exits 2; anything else prints one line "flux-cron: message"
 * and exits 1.  Every request has a timeout.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "services/fsd.h"
#include "services/peer.h"

#define CRON_TEXT_MAX (1024 * 1024)

struct cron_cmd {
    const char *name;
    int (*fn) (const struct cron_cmd *cmd, int argc, char **argv);
    const char *synopsis;
    const char *help;
};

static const struct cron_cmd cron_cmds[];

static void die (const char *fmt, ...) __attribute__ ((format (printf, 1, 2), noreturn));
static void die (const char *fmt, ...)
{
    va_list ap;

    fflush (stdout);
    fprintf (stderr, "flux-cron: ");
    va_start (ap, fmt);
    vfprintf (stderr, fmt, ap);
    va_end (ap);
    fprintf (stderr, "\n");
    exit (1);
}

static void usage (FILE *f, const struct cron_cmd *cmd, int status) __attribute__ ((noreturn));
static void usage (FILE *f, const struct cron_cmd *cmd, int status)
{
    if (cmd)
        fprintf (f, "Usage: flux cron %s\n%s", cmd->synopsis, cmd->help);
    else {
        fprintf (f, "Usage: flux cron SUBCOMMAND [OPTIONS]\n");
        for (const struct cron_cmd *c = cron_cmds; c->name; c++)
            fprintf (f, "  %-40s %s", c->synopsis, c->help + strspn (c->help, " "));
    }
    exit (status);
}

/* cron.METHOD with in (stolen); the answer (caller owns it), or die with the message. */
static json_t *rpc (const char *method, json_t *in)
{
    struct fx_error err = {""};
    struct fx_peer *p;
    char topic[64];
    json_t *out = NULL;

    if (!in)
        die ("out of memory");
    snprintf (topic, sizeof (topic), "cron.%s", method);
    if (!(p = fx_peer_create (EV_DEFAULT, NULL, "flux-cron", &err)))
        die ("%s", err.text);
    if (fx_rpc_call (p, topic, FX_NODEID_ANY, in, FX_RPC_TIMEOUT, &out, &err) < 0)
        die ("%s", err.text);
    json_decref (in);
    fx_peer_destroy (p);
    return out;
}

/* Options: -h always; --kill, --after, -o where the subcommand takes them. */
struct opts {
    int kill, output;
    double after;
};

static void parse_opts (const struct cron_cmd *cmd, int argc, char **argv, const char *allowed,
                        struct opts *o)
{
    static const struct option lopts[] = {
        {"kill", no_argument, NULL, 'k'},
        {"after", required_argument, NULL, 'a'},
        {"output", no_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct fx_error err = {""};
    int c;

    o->after = -1;
    optind = 0;
    while ((c = getopt_long (argc, argv, "+a:koh", lopts, NULL)) != -1) {
        if (c == 'h')
            usage (stdout, cmd, 0);
        if (!strchr (allowed, c))
            usage (stderr, cmd, 2);
        if (c == 'k')
            o->kill = 1;
        else if (c == 'o')
            o->output = 1;
        else if (c == 'a' && fx_fsd_parse (optarg, &o->after, &err) < 0)
            die ("--after: %s", err.text);
    }
}

static json_int_t parse_id (const struct cron_cmd *cmd, int argc, char **argv)
{
    char *end;
    unsigned long long id;

    if (optind != argc - 1)
        usage (stderr, cmd, 2);
    errno = 0;
    id = strtoull (argv[optind], &end, 10);
    if (errno || *end || end == argv[optind] || argv[optind][0] == '-' || id > INT64_MAX)
        die ("%s: not an entry id", argv[optind]);
    return (json_int_t) id;
}

static char *read_all (FILE *f, const char *name)
{
    size_t len = 0, max = 4096, n;
    char *buf = malloc (max);

    while (buf && (n = fread (buf + len, 1, max - len - 1, f)) > 0) {
        len += n;
        if (len > CRON_TEXT_MAX)
            die ("%s: more than %d bytes", name, CRON_TEXT_MAX);
        if (len + 1 == max) {
            char *bigger = realloc (buf, max *= 2);
            if (!bigger)
                die ("out of memory");
            buf = bigger;
        }
    }
    if (!buf)
        die ("out of memory");
    if (ferror (f))
        die ("%s: %s", name, strerror (errno));
    buf[len] = '\0';
    if (strlen (buf) != len)
        die ("%s: holds a NUL byte", name);
    return buf;
}

static int cmd_tab (const struct cron_cmd *cmd, int argc, char **argv)
{
    const char *name = "-";
    struct opts o = {0};
    json_t *out, *ids, *v;
    FILE *f = stdin;
    char *text;
    size_t i;

    parse_opts (cmd, argc, argv, "", &o);
    if (argc - optind > 1)
        usage (stderr, cmd, 2);
    if (optind < argc && strcmp ((name = argv[optind]), "-") != 0 && !(f = fopen (name, "r")))
        die ("%s: %s", name, strerror (errno));
    text = read_all (f, name);
    if (f != stdin)
        fclose (f);
    out = rpc ("tab", json_pack ("{s:s s:s}", "text", text, "name", name));
    if (!(ids = json_object_get (out, "ids")))
        die ("tab: malformed answer");
    json_array_foreach (ids, i, v) printf ("%jd\n", (intmax_t) json_integer_value (v));
    json_decref (out);
    free (text);
    return 0;
}

static char *join_words (int argc, char **argv)
{
    size_t len = 1;
    char *s;

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

static int cmd_interval (const struct cron_cmd *cmd, int argc, char **argv)
{
    struct fx_error err = {""};
    struct opts o = {0};
    double interval;
    json_t *in, *out;
    char *command;

    parse_opts (cmd, argc, argv, "a", &o);
    if (argc - optind < 2)
        usage (stderr, cmd, 2);
    if (fx_fsd_parse (argv[optind], &interval, &err) < 0)
        die ("%s", err.text);
    optind++;
    command = join_words (argc, argv);
    in = json_pack ("{s:f s:s}", "interval", interval, "command", command);
    if (in && o.after >= 0)
        json_object_set_new (in, "after", json_real (o.after));
    out = rpc ("interval", in);
    printf ("%jd\n", (intmax_t) json_integer_value (json_object_get (out, "id")));
    json_decref (out);
    free (command);
    return 0;
}

static void format_time (char *buf, size_t len, double t)
{
    time_t s = (time_t) t;
    struct tm tm;

    if (t <= 0 || !localtime_r (&s, &tm) || strftime (buf, len, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        snprintf (buf, len, "-");
}

static void format_status (char *buf, size_t len, json_t *entry)
{
    json_t *st = json_object_get (entry, "last-status");
    int status = (int) json_integer_value (st);
    int timedout = json_is_true (json_object_get (entry, "last-timedout"));

    if (!json_is_integer (st))
        snprintf (buf, len, "-");
    else if (timedout)
        snprintf (buf, len, "timeout");
    else if (WIFSIGNALED (status))
        snprintf (buf, len, "signal %d", WTERMSIG (status));
    else
        snprintf (buf, len, "exit %d", WEXITSTATUS (status));
}

/* One line of the list. */
static void print_entry (json_t *e, int with_output)
{
    char last[32], next[32], status[32];
    const char *output = json_string_value (json_object_get (e, "last-output"));

    format_time (last, sizeof (last), json_real_value (json_object_get (e, "last-start")));
    format_time (next, sizeof (next), json_number_value (json_object_get (e, "next")));
    format_status (status, sizeof (status), e);
    if (json_is_true (json_object_get (e, "stopped")))
        snprintf (next, sizeof (next), "stopped");
    printf ("%4jd %-8s %-15s %5jd %-19s %-8s %-19s %s\n",
            (intmax_t) json_integer_value (json_object_get (e, "id")),
            json_string_value (json_object_get (e, "type")),
            json_string_value (json_object_get (e, "schedule")),
            (intmax_t) json_integer_value (json_object_get (e, "runs")), last, status, next,
            json_string_value (json_object_get (e, "command")));
    if (with_output && output && *output) {
        for (const char *p = output; *p;) {
            size_t n = strcspn (p, "\n");
            printf ("       | %.*s\n", (int) n, p);
            p += n + (p[n] == '\n');
        }
    }
}

static int cmd_list (const struct cron_cmd *cmd, int argc, char **argv)
{
    struct opts o = {0};
    json_t *out, *entries, *e;
    size_t i;

    parse_opts (cmd, argc, argv, "o", &o);
    if (optind != argc)
        usage (stderr, cmd, 2);
    out = rpc ("list", json_object ());
    if (!(entries = json_object_get (out, "entries")))
        die ("list: malformed answer");
    printf ("%4s %-8s %-15s %5s %-19s %-8s %-19s %s\n", "ID", "TYPE", "SCHEDULE", "RUNS",
            "LAST-RUN", "STATUS", "NEXT-RUN", "COMMAND");
    json_array_foreach (entries, i, e) print_entry (e, o.output);
    json_decref (out);
    return 0;
}

static int cmd_dump (const struct cron_cmd *cmd, int argc, char **argv)
{
    struct opts o = {0};
    char last[32], end[32], next[32], status[32];
    json_int_t id;
    json_t *e;
    const char *src;

    parse_opts (cmd, argc, argv, "", &o);
    id = parse_id (cmd, argc, argv);
    e = rpc ("get", json_pack ("{s:I}", "id", id));
    format_time (last, sizeof (last), json_real_value (json_object_get (e, "last-start")));
    format_time (end, sizeof (end), json_real_value (json_object_get (e, "last-end")));
    format_time (next, sizeof (next), json_number_value (json_object_get (e, "next")));
    format_status (status, sizeof (status), e);
    src = json_string_value (json_object_get (e, "source"));
    printf ("id: %jd\ntype: %s\nschedule: %s\ncommand: %s\nsource: %s\n", (intmax_t) id,
            json_string_value (json_object_get (e, "type")),
            json_string_value (json_object_get (e, "schedule")),
            json_string_value (json_object_get (e, "command")), src ? src : "flux cron");
    printf ("stopped: %s\nrunning: %s\nruns: %jd\nskipped: %jd\n",
            json_is_true (json_object_get (e, "stopped")) ? "yes" : "no",
            json_is_true (json_object_get (e, "running")) ? "yes" : "no",
            (intmax_t) json_integer_value (json_object_get (e, "runs")),
            (intmax_t) json_integer_value (json_object_get (e, "skipped")));
    printf ("last-run: %s\nlast-end: %s\nlast-status: %s\nnext-run: %s\nlast-output:\n%s", last,
            end, status, next, json_string_value (json_object_get (e, "last-output")));
    json_decref (e);
    return 0;
}

/* stop, start, delete: one request naming the entry. */
static int cmd_id (const struct cron_cmd *cmd, int argc, char **argv)
{
    struct opts o = {0};
    json_int_t id;
    json_t *in;

    parse_opts (cmd, argc, argv, strcmp (cmd->name, "delete") == 0 ? "k" : "", &o);
    id = parse_id (cmd, argc, argv);
    in = json_pack ("{s:I}", "id", id);
    if (in && o.kill)
        json_object_set_new (in, "kill", json_true ());
    json_decref (rpc (cmd->name, in));
    return 0;
}

static const struct cron_cmd cron_cmds[] = {
    {"tab", cmd_tab, "tab [FILE|-]", "  add crontab entries from FILE (or stdin), print ids\n"},
    {"interval", cmd_interval, "interval [--after=FSD] FSD COMMAND...",
     "  run COMMAND every FSD (first after --after)\n"},
    {"list", cmd_list, "list [-o|--output]", "  list entries (-o: with their last output)\n"},
    {"dump", cmd_dump, "dump ID", "  show one entry in full, with its last output\n"},
    {"stop", cmd_id, "stop ID", "  stop an entry's schedule\n"},
    {"start", cmd_id, "start ID", "  resume an entry's schedule\n"},
    {"delete", cmd_id, "delete [--kill] ID", "  delete an entry (--kill: kill its command)\n"},
    {NULL, NULL, NULL, NULL},
};

int main (int argc, char **argv)
{
    if (argc < 2)
        usage (stderr, NULL, 2);
    if (!strcmp (argv[1], "-h") || !strcmp (argv[1], "--help") || !strcmp (argv[1], "help"))
        usage (stdout, NULL, 0);
    for (const struct cron_cmd *c = cron_cmds; c->name; c++) {
        if (strcmp (argv[1], c->name) == 0)
            return c->fn (c, argc - 1, argv + 1);
    }
    fprintf (stderr, "flux-cron: unknown subcommand '%s'\n", argv[1]);
    usage (stderr, NULL, 2);
}
