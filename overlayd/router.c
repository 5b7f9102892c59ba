/* router.c - the local router: local connections, hello, routing, events, leases.
 *
 * Owns the raw REP socket bound at the router URI and a struct conn (conn.c) per local
 * peer pipe.  A local connection is unusable until its MUNGE hello is verified (auth
 * worker); then each message from it is stamped with its userid and rolemask.  Every
 * message from any connection (local, child link, parent link) goes through
 * router_dispatch(): requests are routed by nodeid and topic to a built-in service, to the
 * local connection that registered the service, or toward another rank through the
 * overlay (overlay.c); responses follow their route stack back; events go to subscribers.
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
#include <signal.h>
#include <unistd.h>

#include "overlayd/conn.h"
#include "overlayd/overlayd.h"
#include "services/log.h"
#include "services/nnio.h"

#define RECV_BATCH 256

/* Why a connection is dropped: the metric label and the log text. */
static const struct {
    const char *label;
    const char *text;
} drop_reasons[] = {
    [DROP_QUIET] = {NULL, NULL},
    [DROP_LEASE] = {"lease", "lease expired"},
    [DROP_SLOW] = {"slow", "not reading its messages (queue full)"},
    [DROP_REHELLO] = {"rehello", "said hello again"},
    [DROP_GONE] = {"gone", "its process is gone (a restarted daemon took over its service)"},
};

static void conn_drop (struct overlayd *od, struct conn *c, enum drop_reason reason);

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

/* Send msg to connection id (local or link).  A connection that stopped reading is
 * dropped.  Returns -1 with errno (ENOENT: no such connection). */
int router_send_conn (struct overlayd *od, uint32_t id, const struct fx_msg *msg)
{
    struct conn *c = fx_u32map_get (od->conns_by_id, id);

    if (!c || !c->authed) {
        errno = ENOENT;
        return -1;
    }
    return router_send (od, c, msg);
}

int router_send (struct overlayd *od, struct conn *c, const struct fx_msg *msg)
{
    if (conn_send (c, msg) < 0) {
        if (errno == ENOBUFS)
            router_conn_failed (od, c, DROP_SLOW);
        return -1;
    }
    return 0;
}

const char *router_conn_name (struct overlayd *od, uint32_t id)
{
    struct conn *c = fx_u32map_get (od->conns_by_id, id);
    return c ? c->name : "?";
}

double router_conn_count (void *arg)
{
    struct overlayd *od = arg;
    return (double) fx_u32map_count (od->conns_by_pipe);
}

/* Forget a local connection: answer what waited on it, tell the services so they free its
 * requests and watches. */
static void conn_drop (struct overlayd *od, struct conn *c, enum drop_reason reason)
{
    uint32_t id = c->id;
    int authed = c->authed;
    json_t *o;

    fx_auth_cancel (od->auth, c);
    fx_u32map_remove (od->conns_by_pipe, c->pipe);
    if (id)
        fx_u32map_remove (od->conns_by_id, id);
    if (authed && reason != DROP_QUIET) {
        overlayd_log (od, LOG_INFO, "dropped %s (connection %u, uid %u): %s", c->name, id,
                      c->userid, drop_reasons[reason].text);
        fx_metric_inc (od->m_dropped, drop_reasons[reason].label);
    }
    conn_pending_fail (c, ENOSYS, "the service went away before answering");
    conn_destroy (c);
    if (!authed)
        return;
    services_conn_gone (od, id);
    if ((o = json_pack ("{s:i s:i}", "peer", id, "rank", od->rank))) {
        router_notify_local (od, "router.disconnect", o);
        json_decref (o);
    }
}

/* A process that exited but was not reaped yet (a zombie) is not alive. */
static int process_alive (pid_t pid)
{
    char path[64], buf[256], *paren;
    FILE *f;
    int alive = 1;

    if (kill (pid, 0) < 0)
        return errno != ESRCH;
    snprintf (path, sizeof (path), "/proc/%d/stat", (int) pid);
    if ((f = fopen (path, "r"))) {
        if (fgets (buf, sizeof (buf), f) && (paren = strrchr (buf, ')')))
            alive = paren[1] != ' ' || paren[2] != 'Z';
        fclose (f);
    }
    return alive;
}

/* nanomsg does not say when a local peer's process dies: its connection lives until the
 * lease expires.  A daemon restarted at once (systemd, flux start) would find its service
 * still taken, and a stream would flow into the void; so a connection whose claimed pid no
 * longer exists is dropped when another asks for its service or a stream answers it.
 * Returns 1 when connection id was dropped. */
int router_drop_if_gone (struct overlayd *od, uint32_t id)
{
    struct conn *c = fx_u32map_get (od->conns_by_id, id);

    if (!c || c->kind != CONN_LOCAL || c->pid <= 0 || process_alive (c->pid))
        return 0;
    conn_drop (od, c, DROP_GONE);
    return 1;
}

void router_conn_failed (struct overlayd *od, struct conn *c, enum drop_reason reason)
{
    if (c->kind == CONN_LOCAL)
        conn_drop (od, c, reason);
    else
        overlay_link_failed (od, c, drop_reasons[reason].text);
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

    conn_send_control (c, FX_CTL_HELLO, EPERM, o);
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
    if (conn_register (c) < 0) {
        hello_refuse (od, c, "internal", "out of memory");
        return;
    }
    c->authed = 1;
    c->last_recv = ev_now (od->loop);
    c->lease = od->lease;
    o = json_pack ("{s:i s:i s:i s:i s:i s:f}", "rank", od->rank, "size", od->size, "peer",
                   c->id, "userid", c->userid, "rolemask", c->rolemask, "lease", od->lease);
    conn_send_control (c, FX_CTL_HELLO, 0, o);
    json_decref (o);
}

/* A hello from a pipe: remember the pipe and verify the credential off the loop. */
static void handle_hello (struct overlayd *od, const struct fx_nn_hdr *hdr, struct fx_msg *msg)
{
    uint32_t key = conn_pipe_key (hdr);
    struct conn *c = fx_u32map_get (od->conns_by_pipe, key);
    const char *cred = NULL, *name = "?", *pidns = NULL;
    int pid = 0;
    json_t *o;

    if (c) {
        /* A second hello on a live pipe: start over. */
        conn_drop (od, c, DROP_REHELLO);
    }
    if (!(c = conn_create (od, CONN_LOCAL, od->sock)))
        return;
    c->pipe = key;
    c->hdr = *hdr;
    o = fx_msg_json (msg, NULL);
    if (!o
        || json_unpack (o, "{s:s s?s s?i s?s}", "cred", &cred, "name", &name, "pid", &pid, "pidns",
                        &pidns)
               < 0) {
        snprintf (c->name, sizeof (c->name), "?");
        if (fx_u32map_put (od->conns_by_pipe, key, c) < 0) {
            conn_destroy (c);
            return;
        }
        hello_refuse (od, c, "malformed", "malformed hello");
        return;
    }
    snprintf (c->name, sizeof (c->name), "%s", name);
    /* A pid means something here only in our own pid namespace (a peer in a container has
     * its own numbering): otherwise the lease alone tells when it is gone. */
    c->pid = pid > 0 && pidns && strcmp (pidns, od->pidns) == 0 ? pid : 0;
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

/* Topics answered only by rank 0's router: elsewhere they travel upstream. */
static int rank0_only (const char *topic)
{
    return strcmp (topic, "event.publish") == 0;
}

static void deliver_local (struct overlayd *od, struct fx_msg *msg)
{
    char service[FX_MSG_TOPIC_MAX + 1];
    char why[300];
    json_t *id;

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

static int have_locally (struct overlayd *od, const char *topic)
{
    char service[FX_MSG_TOPIC_MAX + 1];

    if (services_is_builtin (topic))
        return !(od->rank > 0 && rank0_only (topic));
    snprintf (service, sizeof (service), "%.*s", (int) strcspn (topic, "."), topic);
    return json_object_get (od->services, service) != NULL;
}

/* Send msg on toward rank `to` (through a child or the parent). */
void router_forward (struct overlayd *od, struct fx_msg *msg, uint32_t to)
{
    char why[300] = "";
    struct conn *next = overlay_route (od, to, why, sizeof (why));

    if (!next || router_send (od, next, msg) < 0)
        router_respond (od, msg, EHOSTUNREACH, why[0] ? why : "the route is down", NULL);
}

void router_tell_rank0 (struct overlayd *od, const char *topic, const json_t *payload)
{
    struct fx_msg *msg = fx_msg_create (FX_MSG_REQUEST, topic, payload);

    if (!msg)
        return;
    msg->flags = FX_MSGFLAG_NORESPONSE;
    msg->aux1 = 0;
    msg->userid = od->owner;
    msg->rolemask = FX_ROLE_OWNER;
    router_forward (od, msg, 0);
    fx_msg_destroy (msg);
}

/* Route a request that entered this rank from connection `from`. */
static void route_request_from (struct overlayd *od, uint32_t from, struct fx_msg *msg)
{
    uint32_t nodeid = fx_msg_nodeid (msg);

    if (fx_msg_route_push (msg, od->rank, from) < 0) {
        throttled_log (od, "request %s from %s: route too long", msg->topic,
                       router_conn_name (od, from));
        return;
    }
    if (nodeid == FX_NODEID_UPSTREAM) {
        msg->aux1 = FX_NODEID_ANY; /* beyond this rank, any rank that has it */
        if (od->rank == 0) {
            router_respond (od, msg, EHOSTUNREACH, "rank 0 has no upstream", NULL);
            return;
        }
        router_forward (od, msg, 0);
    }
    else if (nodeid == FX_NODEID_ANY) {
        if (have_locally (od, msg->topic) || od->rank == 0)
            deliver_local (od, msg);
        else
            router_forward (od, msg, 0);
    }
    else if (nodeid == od->rank)
        deliver_local (od, msg);
    else
        router_forward (od, msg, nodeid);
}

static void route_request (struct overlayd *od, struct conn *c, struct fx_msg *msg)
{
    /* A route stack is the routers' to write: whatever a local peer put there is dropped,
     * so that no peer can pose as another's connection (cancels, disconnect matching). */
    if (c->kind == CONN_LOCAL)
        msg->nroutes = 0;
    route_request_from (od, c->id, msg);
}

/* A streaming response reached this rank for a requester that has gone.  Only this router
 * knows it (router.disconnect is local), so it cancels the stream on the requester's
 * behalf, SERVICE.cancel {"matchtag"} with the requester's own hop: the service (a kvs
 * watch held on rank 0 for a client of rank 5) can then free it. */
static void cancel_orphan (struct overlayd *od, const struct fx_msg *rsp, uint32_t peer)
{
    char topic[FX_MSG_TOPIC_MAX + 1];
    struct fx_msg *req;
    json_t *o;

    if (!(rsp->flags & FX_MSGFLAG_STREAMING) || fx_msg_errnum (rsp) != 0
        || strcspn (rsp->topic, ".") + 8 > FX_MSG_TOPIC_MAX)
        return;
    snprintf (topic, sizeof (topic), "%.*s.cancel", (int) strcspn (rsp->topic, "."), rsp->topic);
    if (!(o = json_pack ("{s:I}", "matchtag", (json_int_t) fx_msg_matchtag (rsp))))
        return;
    if ((req = fx_msg_create (FX_MSG_REQUEST, topic, o))) {
        req->flags |= FX_MSGFLAG_NORESPONSE;
        req->aux1 = FX_NODEID_ANY;
        req->userid = od->owner;
        req->rolemask = FX_ROLE_OWNER;
        route_request_from (od, peer, req);
        fx_msg_destroy (req);
    }
    json_decref (o);
}

static void route_response (struct overlayd *od, struct conn *c, struct fx_msg *msg)
{
    struct fx_route hop;

    conn_pending_done (c, msg);
    if (fx_msg_route_pop (msg, &hop) < 0 || hop.rank != od->rank)
        return; /* no route back: drop */
    /* A stream may outlive its requester by a lease; a killed one is noticed here. */
    if ((msg->flags & FX_MSGFLAG_STREAMING))
        router_drop_if_gone (od, hop.peer);
    if (router_send_conn (od, hop.peer, msg) < 0 && errno == ENOENT)
        cancel_orphan (od, msg, hop.peer);
}

static int sub_match (const struct conn *c, const char *topic)
{
    for (int i = 0; i < c->nsubs; i++) {
        if (strncmp (topic, c->subs[i], strlen (c->subs[i])) == 0)
            return 1;
    }
    return 0;
}

static void deliver_local_event (struct overlayd *od, const struct fx_msg *ev);

void router_deliver_event (struct overlayd *od, const struct fx_msg *ev)
{
    deliver_local_event (od, ev);
    overlay_forward_event (od, ev);
}

/* An event for this rank's peers only (no sequence number: it is not the instance's). */
void router_notify_local (struct overlayd *od, const char *topic, const json_t *payload)
{
    struct fx_msg *ev;

    if (!(ev = fx_msg_create (FX_MSG_EVENT, topic, payload)))
        return;
    ev->userid = od->owner;
    ev->rolemask = FX_ROLE_OWNER;
    deliver_local_event (od, ev);
    fx_msg_destroy (ev);
}

static void deliver_local_event (struct overlayd *od, const struct fx_msg *ev)
{
    int private_ = ev->flags & FX_MSGFLAG_PRIVATE;
    struct conn *c;
    size_t pos = 0;
    int n = 0;

    /* Collect first: sending may drop a slow connection and change the map. */
    uint32_t ids[fx_u32map_count (od->conns_by_pipe) + 1];
    while ((c = fx_u32map_next (od->conns_by_pipe, &pos, NULL))) {
        if (!c->authed || !sub_match (c, ev->topic))
            continue;
        if (private_ && c->rolemask != FX_ROLE_OWNER && c->userid != ev->userid)
            continue;
        ids[n++] = c->id;
    }
    for (int i = 0; i < n; i++)
        router_send_conn (od, ids[i], ev);
}

int router_publish (struct overlayd *od, const char *topic, const json_t *payload,
                    uint32_t userid, int private_)
{
    struct fx_msg *ev;

    if (od->rank != 0) {
        errno = EINVAL;
        return -1;
    }
    if (!(ev = fx_msg_create (FX_MSG_EVENT, topic, payload)))
        return -1;
    ev->aux2 = ++od->event_seq;
    ev->userid = userid;
    ev->rolemask = FX_ROLE_OWNER;
    if (private_)
        ev->flags |= FX_MSGFLAG_PRIVATE;
    router_deliver_event (od, ev);
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
    if (c->nsubs == CONN_MAX_SUBS) {
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

static void local_control (struct overlayd *od, struct conn *c, struct fx_msg *msg)
{
    switch (msg->aux1) {
    case FX_CTL_GOODBYE:
        conn_send_control (c, FX_CTL_GOODBYE, 0, NULL);
        conn_drop (od, c, DROP_QUIET);
        break;
    case FX_CTL_CREDIT:
        conn_credit (c, msg->aux2);
        break;
    case FX_CTL_HEARTBEAT:
        break;
    default:
        throttled_log (od, "unknown control message %u from %s", msg->aux1, c->name);
        break;
    }
}

/* Any message from any connection.  Identity was stamped (local) or carried (links). */
void router_dispatch (struct overlayd *od, struct conn *c, struct fx_msg *msg)
{
    c->last_recv = ev_now (od->loop);
    switch (msg->type) {
    case FX_MSG_REQUEST:
        route_request (od, c, msg);
        break;
    case FX_MSG_RESPONSE:
        route_response (od, c, msg);
        break;
    case FX_MSG_EVENT:
        if (c->kind == CONN_PARENT)
            overlay_event (od, msg);
        else
            router_respond (od, msg, EINVAL, "events are published with event.publish", NULL);
        break;
    case FX_MSG_CONTROL:
        if (c->kind == CONN_LOCAL)
            local_control (od, c, msg);
        else
            overlay_control (od, c, msg);
        break;
    }
}

static void handle_message (struct overlayd *od, const struct fx_nn_hdr *hdr, struct fx_msg *msg)
{
    struct conn *c = fx_u32map_get (od->conns_by_pipe, conn_pipe_key (hdr));

    if (msg->type == FX_MSG_CONTROL && msg->aux1 == FX_CTL_HELLO) {
        handle_hello (od, hdr, msg);
        return;
    }
    if (!c || !c->authed) {
        struct conn tmp = {.od = od, .kind = CONN_LOCAL, .sock = od->sock, .hdr = *hdr};
        fx_metric_inc (od->m_auth_fail, "unauthenticated");
        throttled_log (od, "%s %s from an unauthenticated connection", fx_msg_typestr (msg->type),
                       msg->topic);
        conn_send_control (&tmp, FX_CTL_NOTCONN, 0, NULL);
        return;
    }
    c->hdr = *hdr;
    msg->userid = c->userid;
    msg->rolemask = c->rolemask;
    router_dispatch (od, c, msg);
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

    while ((c = fx_u32map_next (od->conns_by_pipe, &pos, NULL))) {
        if (c->authed && c->lease < lease)
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
        if (c->id)
            fx_u32map_remove (od->conns_by_id, c->id);
        conn_destroy (c);
    }
    nn_close (od->sock);
    od->sock = -1;
    if (strncmp (od->uri, "ipc://", 6) == 0)
        unlink (od->uri + 6);
}
