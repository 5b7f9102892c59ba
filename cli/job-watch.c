/* job-watch.c - `flux job` subcommands that read jobs: eventlog, info, status, wait,
 * attach.  They read job-list.info and the streaming job-list.eventlog (doc/job.md): one
 * {"events":[...]} answer per batch, ENODATA at the end; followed, the stream ends once the
 * job is inactive and everything is sent.  attach follows the eventlog and guest.output at
 * once on one loop.
 *
 * Exit status of a job, as a shell gives it: its `finish` status's exit code, 128 + the
 * signal that killed it, or 1 when a fatal exception ended it before it finished.
 *
 * Failure policy: a refused request prints "flux-job: message" and exits 1.  The first
 * answer of a stream has a timeout; following a job then waits for it by design.
 */
#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/job.h"
#include "services/jobrpc.h"

typedef void (*event_f) (const json_t *event, void *arg);

/* One job-list.eventlog stream. */
struct stream {
    const char *name; /* "eventlog" or "guest.output" */
    event_f cb;
    void *arg;
    int done;
    int errnum;          /* its end: 0 = ENODATA (normal) */
    struct fx_error err; /* the service's message, when errnum */
};

/* How a job ended, from its eventlog. */
struct ending {
    int finished;   /* a finish event was seen */
    int status;     /* its wait status */
    int fatal;      /* a severity-0 exception was seen */
    char type[64];  /* the first one's type */
    char note[256]; /* and note */
};

static void stream_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct stream *s = arg;
    int errnum = (int) fx_msg_errnum (rsp);
    const json_t *events, *ev;
    const char *why;
    json_t *o;
    size_t i;

    (void) rpc;
    if (errnum) {
        s->done = 1;
        if (errnum != ENODATA) {
            s->errnum = errnum;
            why = fx_msg_errstr (rsp);
            errprintf (&s->err, "%s", why ? why : strerror (errnum));
        }
        return;
    }
    if (!(o = fx_msg_json (rsp, NULL)) || !(events = json_object_get (o, "events"))
        || !json_is_array (events)) {
        s->done = 1;
        s->errnum = EPROTO;
        errprintf (&s->err, "job-list.eventlog: malformed answer");
        return;
    }
    json_array_foreach (events, i, ev)
    {
        if (json_is_object (ev))
            s->cb (ev, s->arg);
    }
}

static void stream_start (struct stream *s, uint64_t id, int follow)
{
    char topic[128];
    json_t *in =
        json_pack ("{s:I s:s s:b}", "id", (json_int_t) id, "name", s->name, "follow", follow);

    if (!in)
        job_die ("out of memory");
    snprintf (topic, sizeof (topic), "%s.eventlog", job_list_service ());
    if (!fx_rpc_start (job_peer (), topic, FX_NODEID_ANY, FX_MSGFLAG_STREAMING, in,
                       FX_JOB_RPC_TIMEOUT, stream_cb, s))
        job_die ("%s: %s", topic, strerror (errno));
    json_decref (in);
}

/* Run the loop until every stream of s[0..n-1] has ended; die on an error. */
static void streams_wait (struct stream *s, int n)
{
    for (int i = 0; i < n; i++) {
        while (!s[i].done)
            ev_run (fx_peer_loop (job_peer ()), EVRUN_ONCE);
    }
    for (int i = 0; i < n; i++) {
        if (s[i].errnum)
            job_die ("%s", s[i].err.text);
    }
}

/* Events */

static void print_json (const json_t *v, const char *end)
{
    char *s;

    if (json_is_string (v))
        fputs (json_string_value (v), stdout);
    else if ((s = json_dumps (v, JSON_COMPACT | JSON_ENCODE_ANY))) {
        fputs (s, stdout);
        free (s);
    }
    fputs (end, stdout);
}

static void print_timestamp (double t, int human)
{
    time_t sec = (time_t) floor (t);
    long usec = lround ((t - floor (t)) * 1e6);
    char buf[64];
    struct tm tm;

    if (usec >= 1000000) {
        sec++;
        usec -= 1000000;
    }
    if (!human || !localtime_r (&sec, &tm)
        || !strftime (buf, sizeof (buf), "%Y-%m-%dT%H:%M:%S", &tm))
        printf ("%.6f", t);
    else
        printf ("%s.%06ld", buf, usec);
}

/* TIMESTAMP NAME KEY=VALUE... (strings bare, other values compact JSON). */
static void print_event_cb (const json_t *ev, void *arg)
{
    const int *human = arg;
    const json_t *context = json_object_get (ev, "context"), *v;
    const char *key;

    print_timestamp (json_number_value (json_object_get (ev, "timestamp")), *human);
    printf (" %s", json_string_value (json_object_get (ev, "name")) ?: "");
    json_object_foreach ((json_t *) context, key, v)
    {
        printf (" %s=", key);
        print_json (v, "");
    }
    printf ("\n");
    fflush (stdout);
}

int job_cmd_eventlog (const struct job_cmd *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        {"path", required_argument, NULL, 'p'},
        {"follow", no_argument, NULL, 'f'},
        {"human", no_argument, NULL, 'H'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, follow = 0, human = 0;
    struct stream s = {.name = "eventlog", .cb = print_event_cb, .arg = &human};

    while ((c = job_getopt (cmd, argc, argv, "p:fFH", opts)) != -1) {
        if (c == 'p')
            s.name = optarg;
        else if (c == 'H')
            human = 1;
        else
            follow = 1;
    }
    if (strcmp (s.name, "eventlog") && strcmp (s.name, "guest.output"))
        job_die ("eventlog: --path must be eventlog or guest.output");
    if (argc - optind != 1)
        job_usage (stderr, cmd, 2);
    stream_start (&s, job_parse_id (argv[optind]), follow);
    streams_wait (&s, 1);
    return 0;
}

static void print_json_line_cb (const json_t *ev, void *arg)
{
    (void) arg;
    print_json (ev, "\n");
}

int job_cmd_info (const struct job_cmd *cmd, int argc, char **argv)
{
    char buf[FX_FLUID_STRLEN];
    const char *key;
    uint64_t id;
    json_t *job;
    const json_t *v;

    while (job_getopt (cmd, argc, argv, "", NULL) != -1)
        ;
    if (argc - optind != 2)
        job_usage (stderr, cmd, 2);
    id = job_parse_id (argv[optind]);
    key = argv[optind + 1];
    if (!strcmp (key, "eventlog")) {
        struct stream s = {.name = "eventlog", .cb = print_json_line_cb};
        stream_start (&s, id, 0);
        streams_wait (&s, 1);
        return 0;
    }
    if (strcmp (key, "jobspec") && strcmp (key, "R"))
        job_die ("info: unknown key '%s' (jobspec, R or eventlog)", key);
    job = job_rpc (job_list_service (), "info", json_pack ("{s:I}", "id", (json_int_t) id));
    if (!(v = json_object_get (job, key))) {
        json_decref (job);
        job_die ("%s: %s", job_f58 (buf, id),
                 !strcmp (key, "R") ? "no R (the job has not been allocated resources)"
                                    : "no jobspec");
    }
    print_json (v, "\n");
    json_decref (job);
    return 0;
}

/* status, wait */

static void ending_cb (const json_t *ev, void *arg)
{
    struct ending *e = arg;
    const char *name = json_string_value (json_object_get (ev, "name"));
    const json_t *ctx = json_object_get (ev, "context");
    const char *type = NULL, *note = NULL;
    int severity = -1;

    if (!name)
        return;
    if (!strcmp (name, "finish") && json_is_integer (json_object_get (ctx, "status"))) {
        e->finished = 1;
        e->status = (int) json_integer_value (json_object_get (ctx, "status"));
    } else if (!strcmp (name, "exception") && !e->fatal
               && json_unpack ((json_t *) ctx, "{s:s s:i s?s}", "type", &type, "severity",
                               &severity, "note", &note)
                      == 0
               && severity == 0) {
        e->fatal = 1;
        snprintf (e->type, sizeof (e->type), "%s", type);
        snprintf (e->note, sizeof (e->note), "%s", note ? note : "");
    }
}

static int exit_code (const struct ending *e)
{
    if (e->finished)
        return WIFSIGNALED (e->status) ? 128 + WTERMSIG (e->status) : WEXITSTATUS (e->status);
    return e->fatal ? 1 : 0;
}

/* Follow id's eventlog to its end. */
static void wait_job (uint64_t id, struct ending *e)
{
    struct stream s = {.name = "eventlog", .cb = ending_cb, .arg = e};

    memset (e, 0, sizeof (*e));
    stream_start (&s, id, 1);
    streams_wait (&s, 1);
}

/* "exception: cancel: NOTE", "exited with exit code 2", "killed by signal 9". */
static void describe (char *buf, size_t len, const struct ending *e)
{
    if (e->fatal)
        snprintf (buf, len, "exception: %s%s%s", e->type, *e->note ? ": " : "", e->note);
    else if (e->finished && WIFSIGNALED (e->status))
        snprintf (buf, len, "killed by signal %d", WTERMSIG (e->status));
    else
        snprintf (buf, len, "exited with exit code %d", exit_code (e));
}

int job_cmd_status (const struct job_cmd *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char buf[FX_FLUID_STRLEN], why[400];
    int c, verbose = 0, rc = 0;
    struct ending e;

    while ((c = job_getopt (cmd, argc, argv, "v", opts)) != -1)
        verbose = 1;
    if (optind >= argc)
        job_usage (stderr, cmd, 2);
    for (int i = optind; i < argc; i++) {
        uint64_t id = job_parse_id (argv[i]);
        wait_job (id, &e);
        if (exit_code (&e) > rc)
            rc = exit_code (&e);
        if (verbose) {
            describe (why, sizeof (why), &e);
            printf ("%s: %s\n", job_f58 (buf, id), why);
        }
    }
    return rc;
}

int job_cmd_wait (const struct job_cmd *cmd, int argc, char **argv)
{
    char buf[FX_FLUID_STRLEN], why[400];
    struct ending e;
    uint64_t id;

    while (job_getopt (cmd, argc, argv, "", NULL) != -1)
        ;
    if (argc - optind != 1)
        job_usage (stderr, cmd, 2);
    id = job_parse_id (argv[optind]);
    wait_job (id, &e);
    if (!e.fatal && exit_code (&e) == 0)
        return 0;
    describe (why, sizeof (why), &e);
    job_die ("%s: %s", job_f58 (buf, id), why);
}

/* attach */

/* A data event of guest.output: its data to our stdout or stderr. */
static void output_cb (const json_t *ev, void *arg)
{
    const json_t *ctx = json_object_get (ev, "context");
    const char *stream = NULL, *data = NULL, *encoding = NULL;
    unsigned char *bin;
    size_t len, binlen;

    (void) arg;
    if (strcmp (json_string_value (json_object_get (ev, "name")) ?: "", "data")
        || json_unpack ((json_t *) ctx, "{s:s s?s s?s}", "stream", &stream, "data", &data,
                        "encoding", &encoding)
               < 0
        || !data)
        return;
    FILE *out = !strcmp (stream, "stderr") ? stderr : stdout;
    len = strlen (data);
    if (encoding && !strcmp (encoding, "base64")) {
        if (!(bin = malloc (len / 4 * 3 + 4)))
            job_die ("out of memory");
        if (sodium_base642bin (bin, len / 4 * 3 + 4, data, len, NULL, &binlen, NULL,
                               sodium_base64_VARIANT_ORIGINAL)
            == 0)
            fwrite (bin, 1, binlen, out);
        free (bin);
    } else
        fwrite (data, 1, len, out);
    fflush (out);
}

/* The job's events: remember how it ends and tell of fatal exceptions as they come. */
static void attach_event_cb (const json_t *ev, void *arg)
{
    struct ending *e = arg;
    int fatal = e->fatal;

    ending_cb (ev, e);
    if (e->fatal && !fatal)
        fprintf (stderr, "flux-job: job exception: %s%s%s\n", e->type, *e->note ? ": " : "",
                 e->note);
}

int job_cmd_attach (const struct job_cmd *cmd, int argc, char **argv)
{
    struct ending e = {0};
    struct stream s[2] = {
        {.name = "eventlog", .cb = attach_event_cb, .arg = &e},
        {.name = "guest.output", .cb = output_cb},
    };
    uint64_t id;

    while (job_getopt (cmd, argc, argv, "", NULL) != -1)
        ;
    if (argc - optind != 1)
        job_usage (stderr, cmd, 2);
    id = job_parse_id (argv[optind]);
    stream_start (&s[0], id, 1);
    stream_start (&s[1], id, 1);
    streams_wait (s, 2);
    fflush (stdout);
    if (e.finished && WIFSIGNALED (e.status))
        fprintf (stderr, "flux-job: task(s) killed by signal %d\n", WTERMSIG (e.status));
    else if (e.finished && WEXITSTATUS (e.status) != 0)
        fprintf (stderr, "flux-job: task(s) exited with exit code %d\n", WEXITSTATUS (e.status));
    return exit_code (&e);
}
