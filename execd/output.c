/* output.c - guest.output: every job's appends gathered into few kvs.commit requests.
 *
 * kvsd's commits are the bottleneck of a busy instance, so appends are not sent one by one:
 * they wait in one batch, sent when the loop is about to block (an ev_prepare watcher) if
 * fewer than EXECD_COMMITS_MAX commits are in flight, else when one is answered; a batch
 * holds about EXECD_COMMIT_BYTES of output at most.  Each commit remembers how many appends
 * and bytes of each job it carries, so that a job learns when all its output is durable
 * (only then does it answer `finish`), and reading stops while a job has more than
 * EXECD_JOB_BACKLOG bytes not yet acknowledged.
 *
 * A commit that fails is sent again (same appends, same timestamps) after a backoff of 0.1 s
 * doubling to 5 s, up to 20 times, then its output is dropped and logged: a job must not
 * wait forever for a database that does not come back.  While execd stops, a failed commit
 * is dropped at once.
 */
#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "execd/execd.h"

#define COMMIT_TRIES_MAX 20
#define COMMIT_RETRY_MIN 0.1
#define COMMIT_RETRY_MAX 5.0
#define COMMIT_TIMEOUT   30.0

static void commit_send (struct execd *ed, struct commit *c);

static double wallclock (struct execd *ed)
{
    return ev_now (ed->loop);
}

/* Give the commit's jobs their acknowledgement (or the news that it is lost). */
static void commit_release (struct commit *c)
{
    for (size_t i = 0; i < c->nshares; i++) {
        struct job *job = c->shares[i].job;
        job->unacked_ops -= c->shares[i].ops;
        job->unacked_bytes -= c->shares[i].bytes;
    }
    for (size_t i = 0; i < c->nshares; i++) {
        struct job *job = c->shares[i].job;
        if (job->paused && job->unacked_bytes < EXECD_JOB_BACKLOG / 2)
            stream_pause_job (job, 0);
    }
    /* job_check_done may free a job that a later share names: check each job only at its
     * last share in this commit. */
    for (size_t i = 0; i < c->nshares; i++) {
        struct job *job = c->shares[i].job;
        int later = 0;
        for (size_t j = i + 1; j < c->nshares && !later; j++)
            later = c->shares[j].job == job;
        if (!later)
            job_check_done (job);
    }
}

static void commit_free (struct execd *ed, struct commit *c)
{
    struct commit **pp = &ed->out.commits;

    while (*pp && *pp != c)
        pp = &(*pp)->next;
    if (*pp)
        *pp = c->next;
    ev_timer_stop (ed->loop, &c->retry_timer);
    fx_rpc_cancel (c->rpc);
    json_decref (c->ops);
    free (c->shares);
    free (c);
}

static void retry_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    struct commit *c = w->data;

    (void) loop;
    (void) revents;
    commit_send (c->ed, c);
}

static void commit_failed (struct execd *ed, struct commit *c, int errnum, const char *errstr)
{
    double delay = COMMIT_RETRY_MIN * pow (2, c->tries - 1);

    if (wallclock (ed) - ed->out.last_error_log > 10.) {
        fx_log (ed->peer, LOG_ERR, "guest.output commit failed (%s)%s",
                errstr ? errstr : strerror (errnum),
                c->tries < COMMIT_TRIES_MAX && !ed->stopping ? ": will retry" : ": output lost");
        ed->out.last_error_log = wallclock (ed);
    }
    if (c->tries >= COMMIT_TRIES_MAX || ed->stopping) {
        ed->out.inflight--;
        commit_release (c);
        commit_free (ed, c);
        execd_check_stopped (ed);
        return;
    }
    ev_timer_init (&c->retry_timer, retry_cb, delay > COMMIT_RETRY_MAX ? COMMIT_RETRY_MAX : delay,
                   0.);
    c->retry_timer.data = c;
    ev_timer_start (ed->loop, &c->retry_timer);
}

static void commit_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct commit *c = arg;
    struct execd *ed = c->ed;

    (void) rpc;
    c->rpc = NULL; /* the library frees it after this answer */
    if (fx_msg_errnum (rsp) != 0) {
        commit_failed (ed, c, (int) fx_msg_errnum (rsp), fx_msg_errstr (rsp));
        return;
    }
    ed->out.inflight--;
    commit_release (c);
    commit_free (ed, c);
    execd_check_stopped (ed);
}

static void commit_send (struct execd *ed, struct commit *c)
{
    json_t *o = json_pack ("{s:O}", "ops", c->ops);

    c->tries++;
    if (!o
        || !(c->rpc = fx_rpc_start (ed->peer, "kvs.commit", 0, 0, o, COMMIT_TIMEOUT, commit_cb, c)))
        commit_failed (ed, c, errno ? errno : ENOMEM, NULL);
    json_decref (o);
}

/* Send the batch gathered so far as one commit. */
static void output_flush (struct execd *ed)
{
    struct output *out = &ed->out;
    struct commit *c = calloc (1, sizeof (*c));
    json_t *ops = json_array ();

    if (!c || !ops) {
        free (c);
        json_decref (ops);
        return; /* out of memory: try again at the next iteration */
    }
    c->ed = ed;
    c->ops = out->ops;
    c->shares = out->shares;
    c->nshares = out->nshares;
    out->ops = ops;
    out->shares = NULL;
    out->nshares = out->maxshares = 0;
    out->bytes = 0;
    out->batch++;
    c->next = out->commits;
    out->commits = c;
    out->inflight++;
    ev_init (&c->retry_timer, retry_cb);
    commit_send (ed, c);
}

static void prepare_cb (struct ev_loop *loop, ev_prepare *w, int revents)
{
    struct execd *ed = w->data;

    (void) loop;
    (void) revents;
    while (json_array_size (ed->out.ops) > 0 && ed->out.inflight < EXECD_COMMITS_MAX)
        output_flush (ed);
}

int output_init (struct execd *ed)
{
    if (!(ed->out.ops = json_array ()))
        return -1;
    ed->out.batch = 1;
    ev_prepare_init (&ed->out.prepare_w, prepare_cb);
    ed->out.prepare_w.data = ed;
    ev_prepare_start (ed->loop, &ed->out.prepare_w);
    return 0;
}

void output_destroy (struct execd *ed)
{
    ev_prepare_stop (ed->loop, &ed->out.prepare_w);
    while (ed->out.commits)
        commit_free (ed, ed->out.commits);
    json_decref (ed->out.ops);
    ed->out.ops = NULL;
    free (ed->out.shares);
    ed->out.shares = NULL;
}

/* Count an append against the job in the current batch. */
static int share_add (struct output *out, struct job *job, size_t bytes)
{
    if (job->batch != out->batch || job->batch_slot >= out->nshares
        || out->shares[job->batch_slot].job != job) {
        if (out->nshares == out->maxshares) {
            size_t max = out->maxshares ? out->maxshares * 2 : 64;
            struct commit_share *s = realloc (out->shares, max * sizeof (*s));
            if (!s)
                return -1;
            out->shares = s;
            out->maxshares = max;
        }
        job->batch = out->batch;
        job->batch_slot = out->nshares;
        out->shares[out->nshares++] = (struct commit_share){job, 0, 0};
    }
    out->shares[job->batch_slot].ops++;
    out->shares[job->batch_slot].bytes += bytes;
    return 0;
}

void output_append (struct job *job, const char *name, json_t *context, size_t bytes)
{
    struct execd *ed = job->ed;
    struct output *out = &ed->out;
    json_t *op;

    if (!context
        || !(op = json_pack ("{s:s s:s s:{s:s s:f s:o}}", "op", "append", "key", job->outkey,
                             "event", "name", name, "timestamp", wallclock (ed), "context",
                             context))) {
        fx_log (ed->peer, LOG_ERR, "%s: output event lost: out of memory", job->f58);
        return;
    }
    if (share_add (out, job, bytes) < 0) {
        json_decref (op);
        fx_log (ed->peer, LOG_ERR, "%s: output event lost: out of memory", job->f58);
        return;
    }
    if (json_array_append_new (out->ops, op) < 0) {
        out->shares[job->batch_slot].ops--;
        out->shares[job->batch_slot].bytes -= bytes;
        fx_log (ed->peer, LOG_ERR, "%s: output event lost: out of memory", job->f58);
        return;
    }
    job->unacked_ops++;
    job->unacked_bytes += bytes;
    out->bytes += bytes;
    if (job->unacked_bytes > EXECD_JOB_BACKLOG)
        stream_pause_job (job, 1);
    if (out->bytes >= EXECD_COMMIT_BYTES && out->inflight < EXECD_COMMITS_MAX)
        output_flush (ed);
}

void output_header (struct job *job)
{
    output_append (job, "header",
                   json_pack ("{s:i s:{s:s s:s} s:{s:i s:i} s:{}}", "version", 1, "encoding",
                              "stdout", "UTF-8", "stderr", "UTF-8", "count", "stdout",
                              job->ntasks_total, "stderr", job->ntasks_total, "options"),
                   0);
}

static json_t *base64 (const unsigned char *data, size_t len)
{
    size_t size = sodium_base64_encoded_len (len, sodium_base64_VARIANT_ORIGINAL);
    char *s = malloc (size);
    json_t *o;

    if (!s)
        return NULL;
    sodium_bin2base64 (s, size, data, len, sodium_base64_VARIANT_ORIGINAL);
    o = json_string (s);
    free (s);
    return o;
}

void output_data (struct job *job, int rank, int which, const unsigned char *data, size_t len,
                  int eof)
{
    const char *stream = which == STREAM_STDOUT ? "stdout" : "stderr";
    json_t *text = NULL, *ctx;

    /* NUL is valid UTF-8 but PostgreSQL's jsonb refuses \u0000: such chunks go as base64 */
    if (len == 0)
        text = json_string ("");
    else if (!memchr (data, 0, len))
        text = json_stringn ((const char *) data, len);

    if (text)
        ctx = json_pack ("{s:s s:i s:o}", "stream", stream, "rank", rank, "data", text);
    else /* not UTF-8 */
        ctx = json_pack ("{s:s s:i s:o s:s}", "stream", stream, "rank", rank, "data",
                         base64 (data, len), "encoding", "base64");
    if (ctx && eof)
        json_object_set_new (ctx, "eof", json_true ());
    output_append (job, "data", ctx, len);
}
