/* commit.c - jobd's writes to kvsd, grouped into as few transactions as possible.
 *
 * Every put and eventlog append jobd makes goes into the open batch.  Once per loop
 * iteration (an ev_prepare watcher) the open batch is sent as one kvs.commit, unless
 * COMMIT_INFLIGHT of them are already in flight: then it keeps growing until one is
 * answered.  Callers that must not act before their writes are durable (answering a
 * submit, starting a job after its alloc) register a barrier: a callback run when every
 * write queued before it has been committed.  kvsd applies one client's commits in order,
 * so a batch's answer covers every earlier batch too.  Failure policy: a failed batch
 * fails its barriers (a submit is then answered with the error) and is logged once;
 * writes are not retried.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "jobd/jobd.h"

#define COMMIT_INFLIGHT 4
#define COMMIT_MAX_OPS  4000 /* per batch: a message stays well under 16 MiB */

struct barrier {
    commit_f cb;
    void *arg;
};

struct batch {
    json_t *ops;
    struct barrier *barriers;
    size_t nbarriers, nalloc;
    struct batch *next;
};

struct commit {
    struct jobd *jd;
    struct batch *open;
    struct batch *full;     /* closed at COMMIT_MAX_OPS, waiting for a slot; oldest first */
    struct batch *inflight; /* oldest first */
    size_t ninflight;
    ev_prepare flush_w;
};

static int commit_barrier_add (struct batch *b, commit_f cb, void *arg);

static struct batch *batch_create (void)
{
    struct batch *b = calloc (1, sizeof (*b));

    if (b && !(b->ops = json_array ())) {
        free (b);
        return NULL;
    }
    return b;
}

static void batch_destroy (struct batch *b)
{
    if (b) {
        json_decref (b->ops);
        free (b->barriers);
        free (b);
    }
}

static void batch_finish (struct jobd *jd, struct batch *b, int rc, const char *errstr)
{
    for (size_t i = 0; i < b->nbarriers; i++)
        b->barriers[i].cb (jd, rc, errstr, b->barriers[i].arg);
    batch_destroy (b);
}

static void append (struct batch **list, struct batch *b)
{
    while (*list)
        list = &(*list)->next;
    b->next = NULL;
    *list = b;
}

/* The batch new writes go to; a full one waits in c->full for a slot. */
static struct batch *open_batch (struct commit *c)
{
    if (c->open && json_array_size (c->open->ops) >= COMMIT_MAX_OPS) {
        append (&c->full, c->open);
        c->open = NULL;
    }
    if (!c->open)
        c->open = batch_create ();
    return c->open;
}

static void commit_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct commit *c = arg;
    struct batch *b = c->inflight;
    const char *errstr = NULL;

    if (c->jd->stopping)
        return;

    (void) rpc;
    if (!b)
        return;
    c->inflight = b->next;
    c->ninflight--;
    if (fx_msg_errnum (rsp) != 0) {
        errstr = fx_msg_errstr (rsp);
        fx_log (c->jd->peer, LOG_ERR, "kvs commit of %zu writes failed: %s",
                json_array_size (b->ops), errstr);
    }
    batch_finish (c->jd, b, errstr ? -1 : 0, errstr);
    ev_prepare_start (c->jd->loop, &c->flush_w); /* the open batch may go now */
}

static void send_batch (struct commit *c, struct batch *b)
{
    json_t *o = json_pack ("{s:O}", "ops", b->ops);

    if (!o || !fx_rpc_start (c->jd->peer, "kvs.commit", 0, 0, o, 0, commit_cb, c)) {
        json_decref (o);
        batch_finish (c->jd, b, -1, "cannot send to kvs");
        return;
    }
    json_decref (o);
    append (&c->inflight, b);
    c->ninflight++;
}

static void flush_cb (struct ev_loop *loop, ev_prepare *w, int revents)
{
    struct commit *c = w->data;
    struct batch *b = c->open;

    (void) revents;
    ev_prepare_stop (loop, w);
    while (c->full && c->ninflight < COMMIT_INFLIGHT) {
        struct batch *f = c->full;
        c->full = f->next;
        send_batch (c, f);
    }
    if (!b)
        return;
    if (json_array_size (b->ops) == 0) {
        struct batch *last = c->full ? c->full : c->inflight;
        while (last && last->next)
            last = last->next;
        c->open = NULL;
        if (!last) {
            batch_finish (c->jd, b, 0, NULL); /* nothing to wait for */
            return;
        }
        for (size_t i = 0; i < b->nbarriers; i++) /* they wait for the newest batch */
            if (commit_barrier_add (last, b->barriers[i].cb, b->barriers[i].arg) < 0)
                b->barriers[i].cb (c->jd, -1, "out of memory", b->barriers[i].arg);
        batch_destroy (b);
        return;
    }
    if (c->ninflight >= COMMIT_INFLIGHT || c->full)
        return; /* commit_cb starts us again */
    c->open = NULL;
    send_batch (c, b);
}

static int commit_barrier_add (struct batch *b, commit_f cb, void *arg)
{
    if (b->nbarriers == b->nalloc) {
        size_t n = b->nalloc ? b->nalloc * 2 : 8;
        struct barrier *nb = realloc (b->barriers, n * sizeof (*nb));
        if (!nb)
            return -1;
        b->barriers = nb;
        b->nalloc = n;
    }
    b->barriers[b->nbarriers++] = (struct barrier){cb, arg};
    return 0;
}

static int add_op (struct jobd *jd, json_t *op)
{
    struct commit *c = jd->commit;
    struct batch *b = open_batch (c);

    if (!op || !b || json_array_append_new (b->ops, op) < 0) {
        fx_log (jd->peer, LOG_ERR, "kvs write lost: out of memory");
        errno = ENOMEM;
        return -1;
    }
    ev_prepare_start (jd->loop, &c->flush_w);
    return 0;
}

int commit_put (struct jobd *jd, const char *key, json_t *value)
{
    if (!value)
        return add_op (jd, NULL);
    return add_op (jd, json_pack ("{s:s s:s s:o}", "op", "put", "key", key, "value", value));
}

int commit_append (struct jobd *jd, uint64_t id, const char *name, double timestamp,
                   json_t *context)
{
    char key[64], dothex[FX_FLUID_STRLEN];
    json_t *ev;

    fx_fluid_encode (dothex, sizeof (dothex), id, FX_FLUID_DOTHEX);
    snprintf (key, sizeof (key), "job.%s.eventlog", dothex);
    ev = context
             ? json_pack ("{s:s s:f s:O}", "name", name, "timestamp", timestamp, "context", context)
             : json_pack ("{s:s s:f}", "name", name, "timestamp", timestamp);
    if (!ev)
        return add_op (jd, NULL);
    return add_op (jd, json_pack ("{s:s s:s s:o}", "op", "append", "key", key, "event", ev));
}

int commit_barrier (struct jobd *jd, commit_f cb, void *arg)
{
    struct batch *b = open_batch (jd->commit);

    if (!b || commit_barrier_add (b, cb, arg) < 0) {
        errno = ENOMEM;
        return -1;
    }
    ev_prepare_start (jd->loop, &jd->commit->flush_w);
    return 0;
}

size_t commit_inflight (struct jobd *jd)
{
    return jd->commit ? jd->commit->ninflight : 0;
}

struct commit *commit_create (struct jobd *jd)
{
    struct commit *c = calloc (1, sizeof (*c));

    if (!c)
        return NULL;
    c->jd = jd;
    ev_prepare_init (&c->flush_w, flush_cb);
    c->flush_w.data = c;
    return c;
}

void commit_destroy (struct commit *c)
{
    if (!c)
        return;
    ev_prepare_stop (c->jd->loop, &c->flush_w);
    while (c->inflight) {
        struct batch *b = c->inflight;
        c->inflight = b->next;
        batch_destroy (b);
    }
    while (c->full) {
        struct batch *b = c->full;
        c->full = b->next;
        batch_destroy (b);
    }
    batch_destroy (c->open);
    free (c);
}
