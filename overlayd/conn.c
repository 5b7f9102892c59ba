/* conn.c - sending to one connection: encryption, flow control, pending requests.
 *
 * Owns each connection's outgoing queue, its credit window (LOCAL, CHILD), the parent
 * link's socket watcher, and the table of requests sent to the connection that still await
 * their final response.  When a connection goes away those requests are answered with an
 * error at once (EHOSTUNREACH through a link, ENOSYS from a service that left), so no
 * requester hangs until its timeout.
 *
 * Failure policy: a send error is logged; a connection that does not read is reported to
 * the caller (ENOBUFS), which drops it.
 */
#include <errno.h>
#include <nanomsg/nn.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "overlayd/conn.h"
#include "overlayd/overlayd.h"

#define CREDIT_EVERY 32

/* A request sent to a connection, kept (without its payload) to answer it if need be. */
struct pending {
    uint32_t hash;
    struct fx_msg *req;
    struct pending *next; /* same hash */
};

static void snd_cb (struct ev_loop *loop, ev_io *w, int revents);
static void pending_drain (struct conn *c, int errnum, const char *why);

struct conn *conn_create (struct overlayd *od, enum conn_kind kind, int sock)
{
    struct conn *c;

    if (!(c = calloc (1, sizeof (*c))) || !(c->pending = fx_u32map_create ())) {
        free (c);
        errno = ENOMEM;
        return NULL;
    }
    c->od = od;
    c->kind = kind;
    c->sock = sock;
    c->last_recv = c->last_send = ev_now (od->loop);
    if (kind == CONN_PARENT) {
        int fd = fx_nn_sndfd (sock);
        ev_io_init (&c->snd_w, snd_cb, fd, EV_READ);
        c->snd_w.data = c;
    }
    return c;
}

void conn_destroy (struct conn *c)
{
    if (!c)
        return;
    if (c->kind == CONN_PARENT)
        ev_io_stop (c->od->loop, &c->snd_w);
    pending_drain (c, 0, NULL);
    fx_u32map_destroy (c->pending);
    fx_msgq_clear (&c->q);
    fx_link_destroy (c->link);
    for (int i = 0; i < c->nsubs; i++)
        free (c->subs[i]);
    free (c);
}

int conn_register (struct conn *c)
{
    struct overlayd *od = c->od;

    if ((c->id = ++od->next_conn_id) == 0)
        c->id = ++od->next_conn_id;
    return fx_u32map_put (od->conns_by_id, c->id, c);
}

/* Pending requests, keyed by a hash of their route stack and matchtag: a response carries
 * both unchanged until this router pops its hop. */

static uint32_t pending_hash (const struct fx_msg *msg)
{
    uint32_t h = 2166136261u;
    uint32_t words[2 * FX_MSG_ROUTE_MAX + 1];
    int n = 0;

    for (int i = 0; i < msg->nroutes; i++) {
        words[n++] = msg->route[i].rank;
        words[n++] = msg->route[i].peer;
    }
    words[n++] = fx_msg_matchtag (msg);
    for (size_t i = 0; i < n * sizeof (uint32_t); i++) {
        h ^= ((const unsigned char *) words)[i];
        h *= 16777619u;
    }
    return h ? h : 1;
}

static int same_request (const struct fx_msg *a, const struct fx_msg *b)
{
    return a->aux2 == b->aux2 && a->nroutes == b->nroutes
           && memcmp (a->route, b->route, sizeof (a->route[0]) * a->nroutes) == 0;
}

static void pending_add (struct conn *c, const struct fx_msg *req)
{
    struct pending *p;

    if (!(p = calloc (1, sizeof (*p))) || !(p->req = fx_msg_copy (req))) {
        free (p);
        return; /* untracked: the requester still has its own timeout */
    }
    free (p->req->payload);
    p->req->payload = NULL;
    p->req->payload_len = 0;
    p->hash = pending_hash (req);
    p->next = fx_u32map_get (c->pending, p->hash);
    if (fx_u32map_put (c->pending, p->hash, p) < 0) {
        fx_msg_destroy (p->req);
        free (p);
        return;
    }
    c->npending++;
}

void conn_pending_done (struct conn *c, const struct fx_msg *rsp)
{
    uint32_t hash;
    struct pending *head, **pp;

    if ((rsp->flags & FX_MSGFLAG_STREAMING) && fx_msg_errnum (rsp) == 0)
        return; /* more to come */
    hash = pending_hash (rsp);
    if (!(head = fx_u32map_get (c->pending, hash)))
        return;
    for (pp = &head; *pp; pp = &(*pp)->next) {
        struct pending *p = *pp;
        if (same_request (p->req, rsp)) {
            *pp = p->next;
            fx_msg_destroy (p->req);
            free (p);
            c->npending--;
            break;
        }
    }
    if (head)
        fx_u32map_put (c->pending, hash, head);
    else
        fx_u32map_remove (c->pending, hash);
}

/* Forget every request waiting on c; with errnum, answer each with errnum and why. */
static void pending_drain (struct conn *c, int errnum, const char *why)
{
    struct pending *p;
    size_t pos;

    for (;;) {
        pos = 0;
        if (!(p = fx_u32map_next (c->pending, &pos, NULL)))
            break;
        fx_u32map_remove (c->pending, p->hash);
        while (p) {
            struct pending *next = p->next;
            if (errnum)
                router_respond (c->od, p->req, errnum, why, NULL);
            fx_msg_destroy (p->req);
            free (p);
            p = next;
        }
    }
    c->npending = 0;
}

void conn_pending_fail (struct conn *c, int errnum, const char *why)
{
    pending_drain (c, errnum, why);
}

/* Sending */

static int raw_send (struct conn *c, const void *buf, size_t len);

/* Send one queued item.  A message for a link is sealed now, not when it was queued:
 * frame counters must follow the order frames leave in, and control messages may pass
 * queued ones. */
static int send_item (struct conn *c, const struct fx_msgq_item *m)
{
    void *frame;
    size_t len;
    int rc;

    if (!c->link || m->framed)
        return raw_send (c, m->buf, m->len);
    if (fx_link_seal (c->link, m->buf, m->len, &frame, &len) < 0)
        return -1;
    rc = raw_send (c, frame, len);
    free (frame);
    return rc;
}

static int raw_send (struct conn *c, const void *buf, size_t len)
{
    struct fx_nn_hdr hdr;

    if (c->kind != CONN_LOCAL) {
        fx_metric_add (c->od->m_link_bytes, (double) len, "out");
        fx_metric_inc (c->od->m_link_msgs, "out");
    }

    if (c->kind == CONN_PARENT) {
        hdr = fx_nn_req_hdr (&c->reqid);
        return fx_nn_send (c->sock, &hdr, buf, len, NN_DONTWAIT);
    }
    return fx_nn_send (c->sock, &c->hdr, buf, len, NN_DONTWAIT);
}

/* The parent link: send while the socket takes it; nanomsg neither drops nor reorders. */
static void flush_parent (struct conn *c)
{
    struct fx_msgq_item *m;

    while ((m = fx_msgq_head (&c->q))) {
        if (send_item (c, m) < 0) {
            if (errno == EAGAIN) {
                ev_io_start (c->od->loop, &c->snd_w);
                return;
            }
            overlayd_log (c->od, LOG_ERR, "send to parent: %s", nn_strerror (errno));
        }
        c->last_send = ev_now (c->od->loop);
        fx_msgq_pop (&c->q);
    }
    ev_io_stop (c->od->loop, &c->snd_w);
}

static void snd_cb (struct ev_loop *loop, ev_io *w, int revents)
{
    (void) loop;
    (void) revents;
    flush_parent (w->data);
}

/* A REP-side connection: send what the window allows; ask for credit when blocked. */
static void flush_window (struct conn *c)
{
    struct fx_msgq_item *m;

    while ((m = fx_msgq_head (&c->q))) {
        if (c->inflight_msgs > 0
            && (c->inflight_msgs == CONN_WINDOW_MSGS
                || c->inflight_bytes + m->len > CONN_WINDOW_BYTES)) {
            if (!c->credit_asked && conn_send_control (c, FX_CTL_CREDIT, 0, NULL) == 0)
                c->credit_asked = 1;
            return;
        }
        if (send_item (c, m) < 0)
            overlayd_log (c->od, LOG_ERR, "send to %s: %s", c->name, nn_strerror (errno));
        c->last_send = ev_now (c->od->loop);
        c->inflight_len[(c->inflight_head + c->inflight_msgs) % CONN_WINDOW_MSGS] = m->len;
        c->inflight_msgs++;
        c->inflight_bytes += m->len;
        fx_msgq_pop (&c->q);
    }
}

static void flush (struct conn *c)
{
    if (c->kind == CONN_PARENT)
        flush_parent (c);
    else
        flush_window (c);
}

void conn_credit (struct conn *c, uint32_t n)
{
    if (n > c->inflight_msgs)
        n = c->inflight_msgs;
    while (n-- > 0) {
        c->inflight_bytes -= c->inflight_len[c->inflight_head];
        c->inflight_head = (c->inflight_head + 1) % CONN_WINDOW_MSGS;
        c->inflight_msgs--;
    }
    c->credit_asked = 0;
    flush (c);
}

void conn_consumed (struct conn *c, int asked)
{
    if (!asked)
        c->consumed++;
    if (c->consumed > 0 && (asked || c->consumed >= CREDIT_EVERY)
        && conn_send_control (c, FX_CTL_CREDIT, c->consumed, NULL) == 0)
        c->consumed = 0;
}

int conn_send (struct conn *c, const struct fx_msg *msg)
{
    if (c->kind != CONN_PARENT && c->q.bytes + fx_msg_encoded_len (msg) > CONN_QUEUE_MAX_BYTES) {
        errno = ENOBUFS;
        return -1;
    }
    if (fx_msgq_push (&c->q, msg, ev_now (c->od->loop)) < 0)
        return -1;
    if (msg->type == FX_MSG_REQUEST && !(msg->flags & FX_MSGFLAG_NORESPONSE))
        pending_add (c, msg);
    fx_metric_inc (c->od->m_msgs_out, fx_msg_typestr (msg->type));
    flush (c);
    return 0;
}

int conn_send_control (struct conn *c, int type, uint32_t status, const json_t *payload)
{
    struct fx_msgq now = {0};
    struct fx_msg *msg;
    int rc = -1;

    if (!(msg = fx_msg_create (FX_MSG_CONTROL, NULL, payload)))
        return -1;
    msg->aux1 = type;
    msg->aux2 = status;
    if (c->kind == CONN_PARENT) {
        /* In order with everything else: the REQ side never drops. */
        if ((rc = fx_msgq_push (&c->q, msg, ev_now (c->od->loop))) == 0)
            flush_parent (c);
    }
    else if (fx_msgq_push (&now, msg, 0) == 0) {
        /* Outside the window: a credit request must go out when the window is full. */
        rc = send_item (c, fx_msgq_head (&now));
        fx_msgq_clear (&now);
    }
    fx_msg_destroy (msg);
    return rc;
}

int conn_send_frame (struct conn *c, const void *buf, size_t len)
{
    void *copy;

    if (c->kind != CONN_PARENT)
        return raw_send (c, buf, len);
    if (!(copy = malloc (len)))
        return -1;
    memcpy (copy, buf, len);
    if (fx_msgq_push_buf (&c->q, copy, len, ev_now (c->od->loop)) < 0)
        return -1;
    c->q.tail->framed = 1;
    flush_parent (c);
    return 0;
}
