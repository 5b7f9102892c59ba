/* auth.c - MUNGE hello credentials, with verification on one bounded worker thread.
 *
 * The loop thread queues requests under a mutex and the worker decodes them in order; a
 * finished request moves to the done list and the worker signals an ev_async.  Requests are
 * matched to callers only through their arg, so a cancelled request is simply discarded.
 */
#include <errno.h>
#include <munge.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/auth.h"

struct job {
    char *cred;
    fx_auth_f cb;
    void *arg;
    int errnum;
    char reason[128];
    uid_t uid;
    gid_t gid;
    struct job *next;
};

struct fx_auth_worker {
    struct ev_loop *loop;
    ev_async async_w;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct job *todo, *todo_tail; /* FIFO, protected by lock */
    struct job *done, *done_tail; /* FIFO, protected by lock */
    struct job *current;          /* being verified, protected by lock */
    int queued;
    int stopping;
    char *socket;
};

const char *fx_auth_socket (void)
{
    const char *s = getenv ("FLUX_MUNGE_SOCKET");
    return s && *s ? s : NULL;
}

static munge_ctx_t ctx_create (const char *socket)
{
    munge_ctx_t ctx = munge_ctx_create ();

    if (ctx && socket && munge_ctx_set (ctx, MUNGE_OPT_SOCKET, socket) != EMUNGE_SUCCESS) {
        munge_ctx_destroy (ctx);
        return NULL;
    }
    return ctx;
}

char *fx_auth_hello_create (const char *socket, struct fx_error *err)
{
    munge_ctx_t ctx;
    munge_err_t e;
    char *cred = NULL;

    if (!(ctx = ctx_create (socket))) {
        errprintf (err, "munge: cannot create context");
        errno = ENOMEM;
        return NULL;
    }
    e = munge_encode (&cred, ctx, FX_AUTH_HELLO, sizeof (FX_AUTH_HELLO));
    if (e != EMUNGE_SUCCESS) {
        errprintf (err, "munge: %s", munge_ctx_strerror (ctx));
        munge_ctx_destroy (ctx);
        errno = EPERM;
        return NULL;
    }
    munge_ctx_destroy (ctx);
    return cred;
}

static void job_destroy (struct job *j)
{
    if (j) {
        free (j->cred);
        free (j);
    }
}

static void verify (const char *socket, struct job *j)
{
    munge_ctx_t ctx = ctx_create (socket);
    void *payload = NULL;
    int len = 0;
    munge_err_t e;

    if (!ctx) {
        j->errnum = ENOMEM;
        snprintf (j->reason, sizeof (j->reason), "munge: cannot create context");
        return;
    }
    e = munge_decode (j->cred, ctx, &payload, &len, &j->uid, &j->gid);
    if (e != EMUNGE_SUCCESS) {
        j->errnum = e == EMUNGE_SOCKET ? EAGAIN : EPERM;
        snprintf (j->reason, sizeof (j->reason), "munge: %s", munge_ctx_strerror (ctx));
    } else if (len != sizeof (FX_AUTH_HELLO) || memcmp (payload, FX_AUTH_HELLO, len) != 0) {
        j->errnum = EPERM;
        snprintf (j->reason, sizeof (j->reason), "credential is not a router hello");
    }
    free (payload);
    munge_ctx_destroy (ctx);
}

static void *worker_main (void *arg)
{
    struct fx_auth_worker *w = arg;
    struct job *j;

    pthread_mutex_lock (&w->lock);
    for (;;) {
        while (!w->todo && !w->stopping)
            pthread_cond_wait (&w->cond, &w->lock);
        if (w->stopping)
            break;
        j = w->todo;
        if (!(w->todo = j->next))
            w->todo_tail = NULL;
        w->current = j;
        pthread_mutex_unlock (&w->lock);
        verify (w->socket, j);
        pthread_mutex_lock (&w->lock);
        w->current = NULL;
        j->next = NULL;
        if (w->done_tail)
            w->done_tail->next = j;
        else
            w->done = j;
        w->done_tail = j;
        ev_async_send (w->loop, &w->async_w);
    }
    pthread_mutex_unlock (&w->lock);
    return NULL;
}

/* Deliver finished verifications one at a time, so that a callback may cancel others. */
static void async_cb (struct ev_loop *loop, ev_async *aw, int revents)
{
    struct fx_auth_worker *w = aw->data;
    struct job *j;

    (void) loop;
    (void) revents;
    for (;;) {
        pthread_mutex_lock (&w->lock);
        if ((j = w->done)) {
            if (!(w->done = j->next))
                w->done_tail = NULL;
            w->queued--;
        }
        pthread_mutex_unlock (&w->lock);
        if (!j)
            break;
        if (j->cb)
            j->cb (j->errnum, j->reason, j->uid, j->gid, j->arg);
        job_destroy (j);
    }
}

struct fx_auth_worker *fx_auth_worker_create (struct ev_loop *loop, const char *socket)
{
    struct fx_auth_worker *w;

    if (!(w = calloc (1, sizeof (*w))))
        return NULL;
    w->loop = loop;
    if (socket && !(w->socket = strdup (socket))) {
        free (w);
        return NULL;
    }
    pthread_mutex_init (&w->lock, NULL);
    pthread_cond_init (&w->cond, NULL);
    ev_async_init (&w->async_w, async_cb);
    w->async_w.data = w;
    ev_async_start (loop, &w->async_w);
    if ((errno = pthread_create (&w->thread, NULL, worker_main, w)) != 0) {
        ev_async_stop (loop, &w->async_w);
        free (w->socket);
        free (w);
        return NULL;
    }
    return w;
}

static void free_list (struct job *j)
{
    while (j) {
        struct job *next = j->next;
        job_destroy (j);
        j = next;
    }
}

void fx_auth_worker_destroy (struct fx_auth_worker *w)
{
    if (!w)
        return;
    pthread_mutex_lock (&w->lock);
    w->stopping = 1;
    pthread_cond_signal (&w->cond);
    pthread_mutex_unlock (&w->lock);
    pthread_join (w->thread, NULL);
    ev_async_stop (w->loop, &w->async_w);
    free_list (w->todo);
    free_list (w->done);
    pthread_mutex_destroy (&w->lock);
    pthread_cond_destroy (&w->cond);
    free (w->socket);
    free (w);
}

int fx_auth_verify (struct fx_auth_worker *w, const char *cred, fx_auth_f cb, void *arg)
{
    struct job *j;

    if (!(j = calloc (1, sizeof (*j))) || !(j->cred = strdup (cred))) {
        free (j);
        return -1;
    }
    j->cb = cb;
    j->arg = arg;
    pthread_mutex_lock (&w->lock);
    if (w->queued >= FX_AUTH_QUEUE_MAX) {
        pthread_mutex_unlock (&w->lock);
        job_destroy (j);
        errno = EAGAIN;
        return -1;
    }
    w->queued++;
    if (w->todo_tail)
        w->todo_tail->next = j;
    else
        w->todo = j;
    w->todo_tail = j;
    pthread_cond_signal (&w->cond);
    pthread_mutex_unlock (&w->lock);
    return 0;
}

static void cancel_list (struct job *j, void *arg)
{
    for (; j; j = j->next) {
        if (j->arg == arg)
            j->cb = NULL;
    }
}

void fx_auth_cancel (struct fx_auth_worker *w, void *arg)
{
    pthread_mutex_lock (&w->lock);
    cancel_list (w->todo, arg);
    cancel_list (w->done, arg);
    if (w->current && w->current->arg == arg)
        w->current->cb = NULL;
    pthread_mutex_unlock (&w->lock);
}
