/* router.c - the local router: connections, hello, routing, flow control, leases.
 *
 * Owns the raw REP socket bound at the router URI and one struct conn per peer pipe.  A
 * connection is unusable until its MUNGE hello is verified (auth worker); then each message
 * from it is stamped with its userid and rolemask, requests are routed by topic to the
 * built-in services or to the connection that registered the service, responses follow
 * their route stack back, events go to subscribers.
 *
 * Flow control: nanomsg silently drops what a raw REP socket sends to a pipe whose buffer
 * is full, so the router never has more than WINDOW_MSGS messages or WINDOW_BYTES bytes in
 * flight to a connection; the rest waits in the connection's queue until the peer returns
 * credit.  A queue that grows past QUEUE_MAX_BYTES means the peer is not reading: it is
 * dropped, logged and counted, never silently starved.
 *
 * Failure policy: malformed or unauthenticated input is counted, logged (throttled) and
 * dropped; the router keeps serving.
 */
#include <errno.h>
#include <nanomsg/nn.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "overlayd/overlayd.h"
#include "services/log.h"
#include "services/msgq.h"
#include "services/nnio.h"

#define WINDOW_MSGS 64
#define WINDOW_BYTES (64 * 1024)
#define QUEUE_MAX_BYTES (64u * 1024 * 1024)
#define RECV_BATCH 256
#define MAX_SUBS 256

struct conn {
    struct overlayd *od;
    uint32_t id;   /* router-assigned, appears in route stacks */
    uint32_t pipe; /* nanomsg pipe key (first 4 header bytes) */
    struct fx_nn_hdr hdr;
    int authed;
    uint32_t userid, rolemask;
    char name[64];
    ev_tstamp last_recv;
    double lease;              /* told at hello; a reload changes only new connections' */
    struct fx_msgq q;          /* waiting for the window */
    uint32_t inflight_msgs;
    size_t inflight_bytes;
    uint32_t inflight_len[WINDOW_MSGS]; /* sizes in flight, FIFO ring */
    uint32_t inflight_head;
    int credit_asked;
    char *subs[MAX_SUBS];
    int nsubs;
};

/* Why a connection is dropped: the metric label and the log text. */
enum drop_reason { DROP_QUIET, DROP_LEASE, DROP_SLOW, DROP_REHELLO };
static const struct {
    const char *label;
    const char *text;
} drop_reasons[] = {
    [DROP_QUIET] = {NULL, NULL},
    [DROP_LEASE] = {"lease", "lease expired"},
    [DROP_SLOW] = {"slow", "not reading its messages (queue full)"},
    [DROP_REHELLO] = {"rehello", "said hello again"},
};

static void conn_drop (struct overlayd *od, struct conn *c, enum drop_reason reason);

static uint32_t pipe_key (const struct fx_nn_hdr *hdr)
{
    uint32_t key = 0;

    if (hdr->len >= 4)
        memcpy (&key, hdr->data, 4);
    return key ? key : 1;
}

static void throttled_log (struct overlayd *od, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
static void throttled_log (struct overlayd *od, const char *fmt, ...)
{
    char text[256];
    va_list ap;

    if (ev_now (od->loop) - od->last_malformed_log < 10.)
        return;
    od->last_malformed_log = ev_now (od->loop);
    va_start (ap, fmt);
    vsnprintf (text, sizeof (text), fmt, ap);
    va_end (ap);
    overlayd_log (od, LOG_WARNING, "%s (further such messages suppressed for 10s)", text);
}

/* Sending with flow control */

static int raw_send (struct overlayd *od, const struct fx_nn_hdr *hdr, const void *buf,
                     size_t len)
{
    return fx_nn_send (od->sock, hdr, buf, len, NN_DONTWAIT);
}

static int send_control (struct overlayd *od, const struct fx_nn_hdr *hdr, int type,
                         uint32_t status, const json_t *payload)
{
    struct fx_msg *msg;
    void *buf;
    size_t len;
    int rc = -1;

    if (!(msg = fx_msg_create (FX_MSG_CONTROL, NULL, payload)))
        return -1;
    msg->aux1 = type;
    msg->aux2 = status;
    len = fx_msg_encoded_len (msg);
    if ((buf = malloc (len))) {
        fx_msg_encode_into (msg, buf);
        rc = raw_send (od, hdr, buf, len);
        free (buf);
    }
    fx_msg_destroy (msg);
    return rc;
}

/* Send what the window allows; ask for credit when blocked. */
static void conn_flush (struct overlayd *od, struct conn *c)
{
    struct fx_msgq_item *m;

    while ((m = fx_msgq_head (&c->q))) {
        if (c->inflight_msgs > 0
            && (c->inflight_msgs == WINDOW_MSGS || c->inflight_bytes + m->len > WINDOW_BYTES)) {
            if (!c->credit_asked && send_control (od, &c->hdr, FX_CTL_CREDIT, 0, NULL) == 0)
                c->credit_asked = 1;
            return;
        }
        if (raw_send (od, &c->hdr, m->buf, m->len) < 0 && errno != EAGAIN)
            overlayd_log (od, LOG_ERR, "send to %s: %s", c->name, nn_strerror (errno));
        c->inflight_len[(c->inflight_head + c->inflight_msgs) % WINDOW_MSGS] = m->len;
        c->inflight_msgs++;
        c->inflight_bytes += m->len;
        fx_msgq_pop (&c->q);
    }
}

static void conn_credit (struct overlayd *od, struct conn *c, uint32_t n)
{
    if (n > c->inflight_msgs)
        n = c->inflight_msgs;
    while (n-- > 0) {
        c->inflight_bytes -= c->inflight_len[c->inflight_head];
        c->inflight_head = (c->inflight_head + 1) % WINDOW_MSGS;
        c->inflight_msgs--;
    }
    c->credit_asked = 0;
    conn_flush (od, c);
}

static int conn_send (struct overlayd *od, struct conn *c, const struct fx_msg *msg)
{
    if (c->q.bytes + fx_msg_encoded_len (msg) > QUEUE_MAX_BYTES) {
        conn_drop (od, c, DROP_SLOW);
        errno = ENOBUFS;
        return -1;
    }
    if (fx_msgq_push (&c->q, msg, ev_now (od->loop)) < 0)
        return -1;
    fx_metric_inc (od->m_msgs_out, fx_msg_typestr (msg->type));
    conn_flush (od, c);
    return 0;
}

int router_send_conn (struct overlayd *od, uint32_t id, const struct fx_msg *msg)
{
    struct conn *c = fx_u32map_get (od->conns_by_id, id);

    if (!c || !c->authed) {
        errno = ENOENT;
        return -1;
    }
    return conn_send (od, c, msg);
}

const char *router_conn_name (struct overlayd *od, uint32_t id)
{
    struct conn *c = fx_u32map_get (od->conns_by_id, id);
    return c ? c->name : "?";
}

double router_conn_count (void *arg)
{
    struct overlayd *od = arg;
    return (double) fx_u32map_count (od->conns_by_id);
}

/* Connections */

static void conn_destroy (struct conn *c)
{
    if (c) {
        fx_msgq_clear (&c->q);
        for (int i = 0; i < c->nsubs; i++)
            free (c->subs[i]);
        free (c);
    }
}

/* Forget a connection and tell the services, so they free its requests and watches. */
static void conn_drop (struct overlayd *od, struct conn *c, enum drop_reason reason)
{
    uint32_t id = c->id;
    int authed = c->authed;
    json_t *o;

    fx_auth_cancel (od->auth, c);
    fx_u32map_remove (od->conns_by_pipe, c->pipe);
    fx_u32map_remove (od->conns_by_id, c->id);
    if (authed && reason != DROP_QUIET) {
        overlayd_log (od, LOG_INFO, "dropped %s (connection %u, uid %u): %s", c->name, id,
                      c->userid, drop_reasons[reason].text);
        fx_metric_inc (od->m_dropped, drop_reasons[reason].label);
    }
    conn_destroy (c);
    if (!authed)
        return;
    services_conn_gone (od, id);
    if ((o = json_pack ("{s:i s:i}", "peer", id, "rank", od->rank))) {
        router_publish (od, "router.disconnect", o, od->owner, 0);
        json_decref (o);
    }
}

static uint32_t role_for (struct overlayd *od, uid_t uid)
{
    if (uid == od->owner || (uid == 0 && od->allow_root_owner))
        return FX_ROLE_OWNER;
    if (od->allow_guest_user)
        return FX_ROLE_USER;
    return FX_ROLE_NONE;
}

static void hello_refuse (struct overlayd *od, struct conn *c, const char *reason,
                          const char *why)
{
    json_t *o = json_pack ("{s:s}", "errstr", why);

    send_control (od, &c->hdr, FX_CTL_HELLO, EPERM, o);
    json_decref (o);
    fx_metric_inc (od->m_auth_fail, reason);
    throttled_log (od, "refused hello from %s: %s", c->name, why);
    conn_drop (od, c, DROP_QUIET);
}

static void hello_done_cb (int errnum, const char *reason, uid_t uid, gid_t gid, void *arg)
{
    struct conn *c = arg;
    struct overlayd *od = c->od;
    char why[256];
    json_t *o;

    (void) gid;
    if (errnum) {
        hello_refuse (od, c, "credential", reason);
        return;
    }
    c->userid = uid;
    if ((c->rolemask = role_for (od, uid)) == FX_ROLE_NONE) {
        snprintf (why, sizeof (why), "uid %u is not the instance owner and guest access is "
                  "disabled (access.allow-guest-user)", (unsigned) uid);
        hello_refuse (od, c, "access", why);
        return;
    }
    if ((c->id = ++od->next_conn_id) == 0)
        c->id = ++od->next_conn_id;
    if (fx_u32map_put (od->conns_by_id, c->id, c) < 0) {
        hello_refuse (od, c, "internal", "out of memory");
        return;
    }
    c->authed = 1;
    c->last_recv = ev_now (od->loop);
    c->lease = od->lease;
    o = json_pack ("{s:i s:i s:i s:i s:i s:f}", "rank", od->rank, "size", od->size, "peer",
                   c->id, "userid", c->userid, "rolemask", c->rolemask, "lease", od->lease);
    send_control (od, &c->hdr, FX_CTL_HELLO, 0, o);
    json_decref (o);
}

/* A hello from a pipe: remember the pipe and verify the credential off the loop. */
static void handle_hello (struct overlayd *od, const struct fx_nn_hdr *hdr, struct fx_msg *msg)
{
    uint32_t key = pipe_key (hdr);
    struct conn *c = fx_u32map_get (od->conns_by_pipe, key);
    const char *cred = NULL, *name = "?";
    json_t *o;

    if (c) {
        /* A second hello on a live pipe: start over. */
        conn_drop (od, c, DROP_REHELLO);
    }
    if (!(c = calloc (1, sizeof (*c))))
        return;
    c->od = od;
    c->pipe = key;
    c->hdr = *hdr;
    o = fx_msg_json (msg, NULL);
    if (!o || json_unpack (o, "{s:s s?s}", "cred", &cred, "name", &name) < 0) {
        snprintf (c->name, sizeof (c->name), "?");
        if (fx_u32map_put (od->conns_by_pipe, key, c) < 0) {
            conn_destroy (c);
            return;
        }
        hello_refuse (od, c, "malformed", "malformed hello");
        return;
    }
    snprintf (c->name, sizeof (c->name), "%s", name);
    if (fx_u32map_put (od->conns_by_pipe, key, c) < 0) {
        conn_destroy (c);
        return;
    }
    if (fx_auth_verify (od->auth, cred, hello_done_cb, c) < 0)
        hello_refuse (od, c, "busy", "too many connections waiting for authentication");
}

/* Routing */

void router_respond (struct overlayd *od, const struct fx_msg *req, int errnum,
                     const char *errstr, const json_t *payload)
{
    struct fx_msg *rsp;
    struct fx_route hop;

    if (req->flags & FX_MSGFLAG_NORESPONSE)
        return;
    if (!(rsp = fx_msg_response (req, errnum, errstr, payload)))
        return;
    rsp->userid = od->owner;
    rsp->rolemask = FX_ROLE_OWNER;
    if (fx_msg_route_pop (rsp, &hop) == 0 && hop.rank == od->rank)
        router_send_conn (od, hop.peer, rsp);
    fx_msg_destroy (rsp);
}

static void route_request (struct overlayd *od, struct conn *c, struct fx_msg *msg)
{
    char service[FX_MSG_TOPIC_MAX + 1];
    json_t *id;
    char why[300];

    if (fx_msg_route_push (msg, od->rank, c->id) < 0) {
        throttled_log (od, "request %s from %s: route too long", msg->topic, c->name);
        return;
    }
    if (fx_msg_nodeid (msg) != FX_NODEID_ANY && fx_msg_nodeid (msg) != od->rank) {
        snprintf (why, sizeof (why), "rank %u is not reachable from rank %u",
                  fx_msg_nodeid (msg), od->rank);
        if (fx_msg_nodeid (msg) == FX_NODEID_UPSTREAM)
            snprintf (why, sizeof (why), "rank %u has no upstream", od->rank);
        router_respond (od, msg, EHOSTUNREACH, why, NULL);
        return;
    }
    if (services_is_builtin (msg->topic)) {
        services_dispatch (od, msg);
        return;
    }
    snprintf (service, sizeof (service), "%.*s", (int) strcspn (msg->topic, "."), msg->topic);
    if (!(id = json_object_get (od->services, service))
        || router_send_conn (od, json_integer_value (id), msg) < 0) {
        snprintf (why, sizeof (why), "service '%s' is not available", service);
        router_respond (od, msg, ENOSYS, why, NULL);
    }
}

static void route_response (struct overlayd *od, struct fx_msg *msg)
{
    struct fx_route hop;

    if (fx_msg_route_pop (msg, &hop) < 0 || hop.rank != od->rank)
        return; /* no route back: drop */
    router_send_conn (od, hop.peer, msg);
}

static int sub_match (const struct conn *c, const char *topic)
{
    for (int i = 0; i < c->nsubs; i++) {
        if (strncmp (topic, c->subs[i], strlen (c->subs[i])) == 0)
            return 1;
    }
    return 0;
}

int router_publish (struct overlayd *od, const char *topic, const json_t *payload,
                    uint32_t userid, int private_)
{
    struct fx_msg *ev;
    struct conn *c;
    size_t pos = 0;

    if (!(ev = fx_msg_create (FX_MSG_EVENT, topic, payload)))
        return -1;
    ev->aux2 = ++od->event_seq;
    ev->userid = userid;
    ev->rolemask = FX_ROLE_OWNER;
    if (private_)
        ev->flags |= FX_MSGFLAG_PRIVATE;
    /* Collect first: sending may drop a slow connection and change the map. */
    uint32_t ids[fx_u32map_count (od->conns_by_id) + 1];
    int n = 0;
    while ((c = fx_u32map_next (od->conns_by_id, &pos, NULL))) {
        if (!sub_match (c, topic))
            continue;
        if (private_ && c->rolemask != FX_ROLE_OWNER && c->userid != userid)
            continue;
        ids[n++] = c->id;
    }
    for (int i = 0; i < n; i++)
        router_send_conn (od, ids[i], ev);
    fx_msg_destroy (ev);
    return 0;
}

int router_subscribe (struct overlayd *od, uint32_t conn_id, const char *prefix)
{
    struct conn *c = fx_u32map_get (od->conns_by_id, conn_id);

    if (!c) {
        errno = ENOENT;
        return -1;
    }
    if (c->nsubs == MAX_SUBS) {
        errno = ENOSPC;
        return -1;
    }
    if (!(c->subs[c->nsubs] = strdup (prefix)))
        return -1;
    c->nsubs++;
    return 0;
}

int router_unsubscribe (struct overlayd *od, uint32_t conn_id, const char *prefix)
{
    struct conn *c = fx_u32map_get (od->conns_by_id, conn_id);

    for (int i = 0; c && i < c->nsubs; i++) {
        if (strcmp (c->subs[i], prefix) == 0) {
            free (c->subs[i]);
            c->subs[i] = c->subs[--c->nsubs];
            return 0;
        }
    }
    errno = ENOENT;
    return -1;
}

static void handle_control (struct overlayd *od, struct conn *c, struct fx_msg *msg)
{
    switch (msg->aux1) {
    case FX_CTL_GOODBYE:
        send_control (od, &c->hdr, FX_CTL_GOODBYE, 0, NULL);
        conn_drop (od, c, DROP_QUIET);
        break;
    case FX_CTL_CREDIT:
        conn_credit (od, c, msg->aux2);
        break;
    case FX_CTL_HEARTBEAT:
        break;
    default:
        throttled_log (od, "unknown control message %u from %s", msg->aux1, c->name);
        break;
    }
}

static void handle_message (struct overlayd *od, const struct fx_nn_hdr *hdr, struct fx_msg *msg)
{
    struct conn *c = fx_u32map_get (od->conns_by_pipe, pipe_key (hdr));

    if (msg->type == FX_MSG_CONTROL && msg->aux1 == FX_CTL_HELLO) {
        handle_hello (od, hdr, msg);
        return;
    }
    if (!c || !c->authed) {
        fx_metric_inc (od->m_auth_fail, "unauthenticated");
        throttled_log (od, "%s %s from an unauthenticated connection", fx_msg_typestr (msg->type),
                       msg->topic);
        send_control (od, hdr, FX_CTL_NOTCONN, 0, NULL);
        return;
    }
    c->hdr = *hdr;
    c->last_recv = ev_now (od->loop);
    msg->userid = c->userid;
    msg->rolemask = c->rolemask;
    switch (msg->type) {
    case FX_MSG_REQUEST:
        route_request (od, c, msg);
        break;
    case FX_MSG_RESPONSE:
        route_response (od, msg);
        break;
    case FX_MSG_EVENT:
        router_respond (od, msg, EINVAL, "events are published with event.publish", NULL);
        break;
    case FX_MSG_CONTROL:
        handle_control (od, c, msg);
        break;
    }
}

static void rcv_cb (struct ev_loop *loop, ev_io *w, int revents)
{
    struct overlayd *od = w->data;
    struct fx_nn_hdr hdr;
    struct fx_error err;
    struct fx_msg *msg;
    void *buf;
    ssize_t n;

    (void) loop;
    (void) revents;
    for (int i = 0; i < RECV_BATCH; i++) {
        if ((n = fx_nn_recv (od->sock, &buf, &hdr, NN_DONTWAIT)) < 0) {
            if (errno != EAGAIN && errno != EINTR)
                throttled_log (od, "receive: %s", nn_strerror (errno));
            return;
        }
        msg = fx_msg_decode (buf, n, &err);
        nn_freemsg (buf);
        if (!msg) {
            fx_metric_inc (od->m_malformed);
            throttled_log (od, "malformed message: %s", err.text);
            continue;
        }
        fx_metric_inc (od->m_msgs_in, fx_msg_typestr (msg->type));
        handle_message (od, &hdr, msg);
        fx_msg_destroy (msg);
    }
}

static double shortest_lease (struct overlayd *od)
{
    double lease = od->lease;
    struct conn *c;
    size_t pos = 0;

    while ((c = fx_u32map_next (od->conns_by_id, &pos, NULL))) {
        if (c->lease < lease)
            lease = c->lease;
    }
    return lease;
}

/* Drop connections silent past their lease. */
static void lease_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    struct overlayd *od = w->data;
    ev_tstamp now = ev_now (loop);
    struct conn *c;
    size_t pos;

    (void) revents;
    for (;;) {
        pos = 0;
        while ((c = fx_u32map_next (od->conns_by_pipe, &pos, NULL))) {
            if (c->authed && now - c->last_recv > c->lease)
                break;
        }
        if (!c)
            break;
        conn_drop (od, c, DROP_LEASE);
    }
    w->repeat = shortest_lease (od) / 4;
    ev_timer_again (loop, w);
}

/* A new lease applies to connections made from now on (they are told it at hello); the
 * check runs at a quarter of the shortest lease in use. */
void router_set_lease (struct overlayd *od, double lease)
{
    od->lease = lease;
    if (od->sock >= 0 && lease / 4 < od->lease_w.repeat) {
        od->lease_w.repeat = lease / 4;
        ev_timer_again (od->loop, &od->lease_w);
    }
}

int router_start (struct overlayd *od, struct fx_error *err)
{
    const char *path = strncmp (od->uri, "ipc://", 6) == 0 ? od->uri + 6 : NULL;
    int fd;

    if (path)
        unlink (path); /* a stale socket from a previous run */
    if ((od->sock = fx_nn_open (od->uri, 1)) < 0)
        return errprintf (err, "%s: %s", od->uri, nn_strerror (errno));
    /* Anyone may connect: what a connection may do is decided by its MUNGE hello. */
    if (path && chmod (path, 0777) < 0)
        return errprintf (err, "%s: %s", path, strerror (errno));
    if ((fd = fx_nn_rcvfd (od->sock)) < 0)
        return errprintf (err, "%s: %s", od->uri, nn_strerror (errno));
    ev_io_init (&od->rcv_w, rcv_cb, fd, EV_READ);
    od->rcv_w.data = od;
    ev_io_start (od->loop, &od->rcv_w);
    ev_init (&od->lease_w, lease_cb);
    od->lease_w.data = od;
    od->lease_w.repeat = od->lease / 4;
    ev_timer_again (od->loop, &od->lease_w);
    return 0;
}

void router_stop (struct overlayd *od)
{
    struct conn *c;
    size_t pos;

    if (od->sock < 0)
        return;
    ev_io_stop (od->loop, &od->rcv_w);
    ev_timer_stop (od->loop, &od->lease_w);
    for (;;) {
        pos = 0;
        if (!(c = fx_u32map_next (od->conns_by_pipe, &pos, NULL)))
            break;
        fx_auth_cancel (od->auth, c);
        fx_u32map_remove (od->conns_by_pipe, c->pipe);
        fx_u32map_remove (od->conns_by_id, c->id);
        conn_destroy (c);
    }
    nn_close (od->sock);
    od->sock = -1;
    if (strncmp (od->uri, "ipc://", 6) == 0)
        unlink (od->uri + 6);
}
