/* rpc.c - remote procedure calls of a peer: matchtags, timeouts, streaming, cancel.
 *
 * Owns the RPCs in flight (the peer's matchtag map).  A response finds its RPC by
 * matchtag; the final one (any response of a plain RPC, the error response of a streaming
 * one) is delivered and the RPC destroyed.  Timeouts and a lost router end RPCs with a
 * synthesized error response, so callers see every failure through the same callback.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/peer.h"
#include "services/peer_priv.h"

struct fx_rpc {
    struct fx_peer *p;
    uint32_t matchtag;
    uint32_t nodeid;
    int streaming;
    char topic[FX_MSG_TOPIC_MAX + 1];
    ev_timer timeout_w;
    fx_rpc_f cb;
    void *arg;
};

static void rpc_finish (struct fx_rpc *rpc, struct fx_msg *rsp);

void fx_peer_rpc_response (struct fx_peer *p, struct fx_msg *msg)
{
    struct fx_rpc *rpc = fx_u32map_get (p->rpcs, fx_msg_matchtag (msg));
    int final;

    if (!rpc)
        return; /* cancelled or timed out: drop */
    final = !rpc->streaming || fx_msg_errnum (msg) != 0;
    if (final) {
        rpc_finish (rpc, msg);
        return;
    }
    ev_timer_stop (p->loop, &rpc->timeout_w);
    rpc->cb (rpc, msg, rpc->arg);
}

static void rpc_destroy (struct fx_rpc *rpc)
{
    if (rpc) {
        ev_timer_stop (rpc->p->loop, &rpc->timeout_w);
        fx_u32map_remove (rpc->p->rpcs, rpc->matchtag);
        free (rpc);
    }
}

/* Deliver the final response (real or synthesized) and destroy the RPC. */
static void rpc_finish (struct fx_rpc *rpc, struct fx_msg *rsp)
{
    ev_timer_stop (rpc->p->loop, &rpc->timeout_w);
    fx_u32map_remove (rpc->p->rpcs, rpc->matchtag);
    rpc->cb (rpc, rsp, rpc->arg);
    free (rpc);
}

static void rpc_fail (struct fx_rpc *rpc, int errnum, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
static void rpc_fail (struct fx_rpc *rpc, int errnum, const char *fmt, ...)
{
    struct fx_msg *rsp;
    char why[256];
    va_list ap;
    json_t *o;

    va_start (ap, fmt);
    vsnprintf (why, sizeof (why), fmt, ap);
    va_end (ap);
    if (!(rsp = fx_msg_create (FX_MSG_RESPONSE, rpc->topic, NULL))) {
        rpc_destroy (rpc);
        return;
    }
    if ((o = json_pack ("{s:s}", "errstr", why))) {
        fx_msg_set_payload (rsp, o);
        json_decref (o);
    }
    rsp->aux1 = errnum;
    rsp->aux2 = rpc->matchtag;
    rpc_finish (rpc, rsp);
    fx_msg_destroy (rsp);
}

static void rpc_timeout_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    struct fx_rpc *rpc = w->data;

    (void) loop;
    (void) revents;
    rpc_fail (rpc, ETIMEDOUT, "%s: no answer within %gs", rpc->topic, w->repeat);
}

static uint32_t next_matchtag (struct fx_peer *p)
{
    do {
        if (++p->next_matchtag == FX_MATCHTAG_NONE)
            p->next_matchtag = 1;
    } while (fx_u32map_get (p->rpcs, p->next_matchtag));
    return p->next_matchtag;
}

struct fx_rpc *fx_rpc_start (struct fx_peer *p, const char *topic, uint32_t nodeid, int flags,
                             const json_t *payload, double timeout, fx_rpc_f cb, void *arg)
{
    struct fx_msg *msg;
    struct fx_rpc *rpc = NULL;

    if (!(msg = fx_msg_create (FX_MSG_REQUEST, topic, payload)))
        return NULL;
    msg->flags = flags & (FX_MSGFLAG_STREAMING | FX_MSGFLAG_NORESPONSE);
    msg->aux1 = nodeid;
    if (!(flags & FX_MSGFLAG_NORESPONSE)) {
        if (!(rpc = calloc (1, sizeof (*rpc))))
            goto error;
        rpc->p = p;
        rpc->matchtag = next_matchtag (p);
        rpc->nodeid = nodeid;
        rpc->streaming = !!(flags & FX_MSGFLAG_STREAMING);
        rpc->cb = cb;
        rpc->arg = arg;
        snprintf (rpc->topic, sizeof (rpc->topic), "%s", topic);
        ev_timer_init (&rpc->timeout_w, rpc_timeout_cb, timeout, 0.);
        rpc->timeout_w.repeat = timeout;
        rpc->timeout_w.data = rpc;
        if (fx_u32map_put (p->rpcs, rpc->matchtag, rpc) < 0)
            goto error;
        msg->aux2 = rpc->matchtag;
    }
    if (fx_peer_send (p, msg) < 0)
        goto error;
    if (rpc && timeout > 0)
        ev_timer_start (p->loop, &rpc->timeout_w);
    fx_msg_destroy (msg);
    if (!rpc)
        errno = 0;
    return rpc;
error:
    if (rpc) {
        fx_u32map_remove (p->rpcs, rpc->matchtag);
        free (rpc);
    }
    fx_msg_destroy (msg);
    return NULL;
}

uint32_t fx_rpc_matchtag (const struct fx_rpc *rpc)
{
    return rpc->matchtag;
}

void fx_rpc_cancel (struct fx_rpc *rpc)
{
    char topic[FX_MSG_TOPIC_MAX + 1];
    json_t *o;

    if (!rpc)
        return;
    if (rpc->streaming && !rpc->p->closed) {
        snprintf (topic, sizeof (topic), "%.*s.cancel", (int) strcspn (rpc->topic, "."),
                  rpc->topic);
        if ((o = json_pack ("{s:i}", "matchtag", rpc->matchtag))) {
            fx_rpc_start (rpc->p, topic, rpc->nodeid, FX_MSGFLAG_NORESPONSE, o, 0, NULL, NULL);
            json_decref (o);
        }
    }
    rpc_destroy (rpc);
}

struct call {
    int done;
    int errnum;
    json_t *payload;
    struct fx_error *err;
};

static void call_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct call *c = arg;
    const char *why;

    (void) rpc;
    c->done = 1;
    if ((c->errnum = fx_msg_errnum (rsp))) {
        why = fx_msg_errstr (rsp);
        errprintf (c->err, "%s", why ? why : strerror (c->errnum));
        return;
    }
    if (!(c->payload = fx_msg_json (rsp, c->err))) {
        c->errnum = EPROTO;
        return;
    }
    json_incref (c->payload);
}

int fx_rpc_call (struct fx_peer *p, const char *topic, uint32_t nodeid, const json_t *payload,
                 double timeout, json_t **out, struct fx_error *err)
{
    struct call c = {.err = err};

    if (!fx_rpc_start (p, topic, nodeid, 0, payload, timeout, call_cb, &c))
        return errprintf (err, "%s: %s", topic, strerror (errno));
    while (!c.done)
        ev_run (p->loop, EVRUN_ONCE);
    if (c.errnum) {
        errno = c.errnum;
        return -1;
    }
    if (out)
        *out = c.payload;
    else
        json_decref (c.payload);
    return 0;
}

void fx_peer_rpc_fail_all (struct fx_peer *p, const char *why)
{
    struct fx_rpc *rpc;
    size_t pos;

    /* Restart the iteration after each removal: callbacks may change the map. */
    for (;;) {
        pos = 0;
        if (!(rpc = fx_u32map_next (p->rpcs, &pos, NULL)))
            break;
        rpc_fail (rpc, ENOTCONN, "%s: %s", rpc->topic, why);
    }
}
