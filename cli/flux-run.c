/* flux-run.c - run a job and wait for it: `flux run [OPTIONS] COMMAND [ARGS...]`.
 *
 * Submits one job exactly as `flux submit` does (cli/submit-*.c), then follows two of its
 * eventlogs through jobd's job-list.eventlog: the job's eventlog, to learn its end (finish
 * status, fatal exception, clean), and guest.output, whose data events it copies to this
 * command's stdout and stderr as they come.  Output follows from the job's start; when the
 * job is clean, one last read of guest.output picks up whatever the follow had not yet
 * delivered (events already printed are counted and skipped), so nothing is lost or
 * printed twice.  The exit status is the job's: the exit code of the largest wait status,
 * 128+signal for a task killed by a signal, 1 after a fatal exception (printed as
 * "flux-run: ƒXXX: TYPE: NOTE").  The first Ctrl-C cancels the job (job-manager.raise) and
 * keeps waiting for its end; a second one stops waiting (exit 130).  Every request has a
 * timeout; a lost router ends the command.
 */
#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/submit.h"
#include "services/fluid.h"

#define RUN_TIMEOUT 30.0 /* seconds to the first answer of each request */

struct run {
    struct submit s;
    uint64_t id;
    char idstr[FX_FLUID_STRLEN];
    struct fx_rpc *events;        /* the eventlog follow, NULL once ended */
    struct fx_rpc *output;        /* the guest.output follow or last read, NULL when none */
    int output_last;              /* output is the last read (not a follow) */
    int output_done;              /* guest.output has been read to its end */
    size_t out_seen;              /* guest.output events handled so far */
    size_t out_index;             /* index of the next event in the current output stream */
    int cleaned;                  /* the job is clean (or its eventlog ended) */
    int status;                   /* the finish event's wait status, -1 = none */
    char exception[FX_ERROR_LEN]; /* "TYPE: NOTE" of the first fatal exception */
    int interrupts;
    ev_signal sigint_w;
};

static void start_output (struct run *r, int follow);

/* Output */

static void write_all (struct run *r, int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write (fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            submit_die (&r->s, "writing the job's output: %s", strerror (errno));
        buf += n;
        len -= (size_t) n;
    }
}

/* A data event {"stream","rank","data"?,"encoding"?,"eof"?}: its data to stdout or stderr. */
static void output_event (struct run *r, json_t *ev)
{
    const char *name = NULL, *stream = NULL, *data = NULL, *encoding = NULL;
    unsigned char *bin;
    size_t len, max;

    if (json_unpack (ev, "{s:s s?{s?s s?s s?s}}", "name", &name, "context", "stream", &stream,
                     "data", &data, "encoding", &encoding)
            < 0
        || strcmp (name, "data") != 0 || !stream || !data)
        return;
    int fd = !strcmp (stream, "stderr") ? STDERR_FILENO : STDOUT_FILENO;
    if (!encoding) {
        write_all (r, fd, data, strlen (data));
        return;
    }
    max = strlen (data) / 4 * 3 + 3;
    if (strcmp (encoding, "base64") != 0 || !(bin = malloc (max)))
        return;
    if (sodium_base642bin (bin, max, data, strlen (data), "\n", &len, NULL,
                           sodium_base64_VARIANT_ORIGINAL)
            == 0
        || sodium_base642bin (bin, max, data, strlen (data), "\n", &len, NULL,
                              sodium_base64_VARIANT_ORIGINAL_NO_PADDING)
               == 0)
        write_all (r, fd, (const char *) bin, len);
    free (bin);
}

/* The job is clean: read the rest of guest.output once, then stop. */
static void maybe_finish (struct run *r)
{
    if (!r->cleaned)
        return;
    if (r->output && !r->output_last) {
        fx_rpc_cancel (r->output);
        r->output = NULL;
    }
    if (!r->output && !r->output_done)
        start_output (r, 0);
    if (!r->output && !r->events)
        ev_break (fx_peer_loop (r->s.p), EVBREAK_ALL);
}

static void output_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct run *r = arg;
    int errnum = (int) fx_msg_errnum (rsp);
    json_t *o, *ev;
    size_t i;

    (void) rpc;
    if (errnum) {
        r->output = NULL;
        if (errnum != ENODATA && errnum != ENOENT) {
            const char *why = fx_msg_errstr (rsp);
            fprintf (stderr, "%s: %s: guest.output: %s\n", r->s.prog, r->idstr,
                     why ? why : strerror (errnum));
        }
        if (r->output_last || (errnum != ENOENT))
            r->output_done = 1;
        maybe_finish (r);
        return;
    }
    if (!(o = fx_msg_json (rsp, NULL)))
        return;
    json_array_foreach (json_object_get (o, "events"), i, ev)
    {
        if (r->out_index++ < r->out_seen)
            continue; /* printed by an earlier stream */
        r->out_seen++;
        output_event (r, ev);
    }
}

static void start_output (struct run *r, int follow)
{
    json_t *in = json_pack ("{s:I s:s s:b}", "id", (json_int_t) r->id, "name", "guest.output",
                            "follow", follow);

    /* A follow may wait as long as the job runs without output; the eventlog's own follow
     * bounds it.  The last read must answer. */
    r->out_index = 0;
    r->output_last = !follow;
    if (!in
        || !(r->output =
                 fx_rpc_start (r->s.p, "job-list.eventlog", FX_NODEID_ANY, FX_MSGFLAG_STREAMING, in,
                               follow ? 0 : RUN_TIMEOUT, output_cb, r)))
        submit_die (&r->s, "%s: guest.output: %s", r->idstr, strerror (errno ? errno : ENOMEM));
    json_decref (in);
}

/* The eventlog */

static void job_event (struct run *r, json_t *ev)
{
    const char *name = NULL, *type = "?", *note = "";
    json_t *ctx = NULL;
    int severity = -1, status;

    if (json_unpack (ev, "{s:s s?o}", "name", &name, "context", &ctx) < 0)
        return;
    if (!strcmp (name, "start") || !strcmp (name, "finish")) {
        /* a follow that found no guest.output yet (ENOENT) tries again */
        if (!r->output && !r->output_done && !r->cleaned)
            start_output (r, 1);
    }
    if (!strcmp (name, "finish") && json_unpack (ctx, "{s:i}", "status", &status) == 0)
        r->status = status;
    else if (!strcmp (name, "exception")
             && json_unpack (ctx, "{s?s s:i s?s}", "type", &type, "severity", &severity, "note",
                             &note)
                    == 0
             && severity == 0 && !r->exception[0])
        snprintf (r->exception, sizeof (r->exception), "%s: %s", type, note);
    else if (!strcmp (name, "clean"))
        r->cleaned = 1;
}

static void events_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct run *r = arg;
    int errnum = (int) fx_msg_errnum (rsp);
    json_t *o, *ev;
    size_t i;

    (void) rpc;
    if (errnum) {
        const char *why = fx_msg_errstr (rsp);
        r->events = NULL;
        if (errnum != ENODATA)
            submit_die (&r->s, "%s: %s", r->idstr, why ? why : strerror (errnum));
        r->cleaned = 1;
        maybe_finish (r);
        return;
    }
    if (!(o = fx_msg_json (rsp, NULL)))
        return;
    json_array_foreach (json_object_get (o, "events"), i, ev) job_event (r, ev);
    if (r->cleaned) {
        fx_rpc_cancel (r->events);
        r->events = NULL;
        maybe_finish (r);
    }
}

/* Ctrl-C */

static void raise_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct run *r = arg;
    const char *why = fx_msg_errstr (rsp);

    (void) rpc;
    if (fx_msg_errnum (rsp))
        fprintf (stderr, "%s: %s: cancel: %s\n", r->s.prog, r->idstr,
                 why ? why : strerror ((int) fx_msg_errnum (rsp)));
}

static void sigint_cb (struct ev_loop *loop, ev_signal *w, int revents)
{
    struct run *r = w->data;
    json_t *in;

    (void) loop;
    (void) revents;
    if (++r->interrupts > 1) {
        fprintf (stderr, "%s: %s: no longer waiting for the job\n", r->s.prog, r->idstr);
        exit (130);
    }
    in = json_pack ("{s:I s:s s:i s:s}", "id", (json_int_t) r->id, "type", "cancel", "severity", 0,
                    "note", "interrupted by Ctrl-C");
    if (!in
        || !fx_rpc_start (r->s.p, "job-manager.raise", FX_NODEID_ANY, 0, in, RUN_TIMEOUT, raise_cb,
                          r))
        fprintf (stderr, "%s: %s: cancel: %s\n", r->s.prog, r->idstr, strerror (errno));
    json_decref (in);
}

/* Main */

static void follow (struct run *r)
{
    struct ev_loop *loop = fx_peer_loop (r->s.p);
    json_t *in =
        json_pack ("{s:I s:s s:b}", "id", (json_int_t) r->id, "name", "eventlog", "follow", 1);

    if (!in
        || !(r->events = fx_rpc_start (r->s.p, "job-list.eventlog", FX_NODEID_ANY,
                                       FX_MSGFLAG_STREAMING, in, RUN_TIMEOUT, events_cb, r)))
        submit_die (&r->s, "%s: eventlog: %s", r->idstr, strerror (errno ? errno : ENOMEM));
    json_decref (in);
    ev_signal_init (&r->sigint_w, sigint_cb, SIGINT);
    r->sigint_w.data = r;
    ev_signal_start (loop, &r->sigint_w);
    ev_run (loop, 0);
    ev_signal_stop (loop, &r->sigint_w);
}

static int exit_code (struct run *r)
{
    if (r->exception[0]) {
        fprintf (stderr, "%s: %s: %s\n", r->s.prog, r->idstr, r->exception);
        return 1;
    }
    if (r->status < 0) {
        fprintf (stderr, "%s: %s: the job ended without a finish status\n", r->s.prog, r->idstr);
        return 1;
    }
    if (WIFSIGNALED (r->status))
        return 128 + WTERMSIG (r->status);
    return WIFEXITED (r->status) ? WEXITSTATUS (r->status) : 1;
}

int main (int argc, char **argv)
{
    struct run r = {.status = -1};
    json_t *jobspec;
    char *text;
    int rc;

    submit_parse (&r.s, "flux-run", 0, argc, argv);
    jobspec = submit_jobspec (&r.s, -1);
    if (r.s.dry_run) {
        if ((text = json_dumps (jobspec, JSON_COMPACT)))
            printf ("%s\n", text);
        free (text);
        json_decref (jobspec);
        submit_clear (&r.s);
        return 0;
    }
    if (sodium_init () < 0)
        submit_die (&r.s, "libsodium: cannot initialize");
    if (submit_send (&r.s, &jobspec, NULL, 1, &r.id) > 0)
        exit (1);
    json_decref (jobspec);
    submit_idstr (r.id, r.idstr, sizeof (r.idstr));
    follow (&r);
    rc = exit_code (&r);
    submit_clear (&r.s);
    return rc;
}
