/* peer.c - the peer side of the local router (see peer.h and doc/protocol.md).
 *
 * Owns one raw REQ nanomsg socket, an outgoing queue used when the socket would block, the
 * services and event subscriptions of this peer (its RPCs in flight are rpc.c's).
 * Receiving and sending are driven by the caller's libev loop through NN_RCVFD/NN_SNDFD.
 * It returns credit to the router as it consumes messages (the router's flow control), and
 * sends heartbeats while idle so that its lease does not expire.
 *
 * Failure policy: a malformed message from the router is logged and dropped; losing the
 * router fails every RPC in flight with ENOTCONN and calls the lost callback once.
 */
#include <errno.h>
#include <nanomsg/nn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "services/auth.h"
#include "services/log.h"
#include "services/msgq.h"
#include "services/nnio.h"
#include "services/peer.h"
#include "services/peer_priv.h"
#include "services/u32map.h"

#define RECV_BATCH      256 /* messages handled per wakeup before yielding to the loop */
#define CREDIT_EVERY    32  /* return credit after this many messages even unasked */
#define GOODBYE_TIMEOUT 1.0 /* seconds to wait for the router to acknowledge a goodbye */

struct service {
    char name[FX_MSG_TOPIC_MAX + 1];
    const struct fx_handler *table;
    void *arg;
    struct service *next;
};

struct subscription {
    char *prefix;
    fx_msg_f cb;
    void *arg;
    struct subscription *next;
};

static void peer_lost (struct fx_peer *p, const char *why);

const char *fx_peer_default_uri (void)
{
    const char *uri = getenv ("FLUX_URI");
    return uri && *uri ? uri : "ipc:///run/flux/router";
}

uint32_t fx_peer_rank (const struct fx_peer *p)
{
    return p->rank;
}

uint32_t fx_peer_size (const struct fx_peer *p)
{
    return p->size;
}

uint32_t fx_peer_id (const struct fx_peer *p)
{
    return p->id;
}

uint32_t fx_peer_userid (const struct fx_peer *p)
{
    return p->userid;
}

uint32_t fx_peer_rolemask (const struct fx_peer *p)
{
    return p->rolemask;
}

const char *fx_peer_name (const struct fx_peer *p)
{
    return p->name;
}

struct ev_loop *fx_peer_loop (const struct fx_peer *p)
{
    return p->loop;
}

void fx_peer_set_lost (struct fx_peer *p, fx_lost_f cb, void *arg)
{
    p->lost_cb = cb;
    p->lost_arg = arg;
}

/* Sending */

/* Send queued messages while the socket takes them. */
static int flush_outq (struct fx_peer *p)
{
    struct fx_msgq_item *m;

    while ((m = fx_msgq_head (&p->outq))) {
        struct fx_nn_hdr hdr = fx_nn_req_hdr (&p->reqid);
        if (fx_nn_send (p->sock, &hdr, m->buf, m->len, NN_DONTWAIT) < 0) {
            if (errno == EAGAIN) {
                ev_io_start (p->loop, &p->snd_w);
                return 0;
            }
            return -1;
        }
        fx_msgq_pop (&p->outq);
    }
    ev_io_stop (p->loop, &p->snd_w);
    return 0;
}

static void snd_cb (struct ev_loop *loop, ev_io *w, int revents)
{
    struct fx_peer *p = w->data;

    (void) loop;
    (void) revents;
    if (flush_outq (p) < 0)
        peer_lost (p, strerror (errno));
}

int fx_peer_send (struct fx_peer *p, const struct fx_msg *msg)
{
    if (p->closed) {
        errno = ENOTCONN;
        return -1;
    }
    if (fx_msgq_push (&p->outq, msg, ev_now (p->loop)) < 0)
        return -1;
    p->last_send = ev_now (p->loop);
    return flush_outq (p);
}

static int send_control (struct fx_peer *p, int type, uint32_t status, const json_t *payload)
{
    struct fx_msg *msg;
    int rc;

    if (!(msg = fx_msg_create (FX_MSG_CONTROL, NULL, payload)))
        return -1;
    msg->aux1 = type;
    msg->aux2 = status;
    rc = fx_peer_send (p, msg);
    fx_msg_destroy (msg);
    return rc;
}

static void return_credit (struct fx_peer *p)
{
    if (p->closing) /* after the goodbye the router no longer knows this connection */
        return;
    if (p->consumed > 0 && send_control (p, FX_CTL_CREDIT, p->consumed, NULL) == 0)
        p->consumed = 0;
}

/* Receiving */

static void handle_control (struct fx_peer *p, struct fx_msg *msg)
{
    json_t *o;

    switch (msg->aux1) {
    case FX_CTL_HELLO:
        if (msg->aux2 != 0) {
            const char *why = fx_msg_errstr (msg);
            errprintf (&p->hello_err, "%s", why ? why : strerror (msg->aux2));
            errno = msg->aux2;
            p->hello_state = -1;
            return;
        }
        if (!(o = fx_msg_json (msg, NULL))
            || json_unpack (o, "{s:i s:i s:i s:i s:i s:F}", "rank", &p->rank, "size", &p->size,
                            "peer", &p->id, "userid", &p->userid, "rolemask", &p->rolemask, "lease",
                            &p->lease)
                   < 0) {
            errprintf (&p->hello_err, "malformed hello answer from router");
            p->hello_state = -1;
            return;
        }
        p->hello_state = 1;
        break;
    case FX_CTL_CREDIT:
        return_credit (p);
        break;
    case FX_CTL_GOODBYE:
        p->goodbye_acked = 1;
        break;
    case FX_CTL_NOTCONN:
        peer_lost (p, "the router does not know this connection (router restarted or lease "
                      "expired)");
        break;
    }
}

static struct service *service_lookup (struct fx_peer *p, const char *topic)
{
    size_t n = strcspn (topic, ".");

    for (struct service *s = p->services; s; s = s->next) {
        if (strlen (s->name) == n && strncmp (s->name, topic, n) == 0)
            return s;
    }
    return NULL;
}

static void ping_cb (struct fx_peer *p, struct fx_msg *msg)
{
    json_t *in = fx_msg_json (msg, NULL);
    json_t *out = in ? json_deep_copy (in) : json_object ();
    char route[FX_MSG_ROUTE_MAX * 24 + 16];

    fx_msg_route_string (msg, -1, route, sizeof (route));
    if (out) {
        json_object_set_new (out, "route", json_string (route));
        json_object_set_new (out, "rank", json_integer (p->rank));
        json_object_set_new (out, "peer", json_integer (p->id));
    }
    fx_respond (p, msg, out);
    json_decref (out);
}

static void handle_request (struct fx_peer *p, struct fx_msg *msg)
{
    struct service *s = service_lookup (p, msg->topic);
    const char *method = strchr (msg->topic, '.');

    if (s && p->closing) {
        /* The owner may have freed what its handlers use: they must not run now. */
        fx_respond_error (p, msg, ENOSYS, "%s is shutting down", p->name);
        return;
    }
    if (!s) {
        fx_respond_error (p, msg, ENOSYS, "no service for %s here", msg->topic);
        return;
    }
    if (method && strcmp (method, ".ping") == 0) {
        ping_cb (p, msg);
        return;
    }
    for (const struct fx_handler *h = s->table; h && h->topic; h++) {
        if (strcmp (h->topic, msg->topic) != 0)
            continue;
        if (!(msg->rolemask & h->roles)) {
            fx_respond_denied (p, msg, "%s requires %s", msg->topic,
                               h->roles & FX_ROLE_USER ? "a known user" : "the instance owner");
            return;
        }
        h->cb (p, msg, s->arg);
        return;
    }
    fx_respond_error (p, msg, ENOSYS, "unknown method %s", msg->topic);
}

static void handle_event (struct fx_peer *p, struct fx_msg *msg)
{
    struct subscription *s, *next;

    if (p->closing)
        return;
    for (s = p->subs; s; s = next) {
        next = s->next;
        if (strncmp (msg->topic, s->prefix, strlen (s->prefix)) == 0)
            s->cb (p, msg, s->arg);
    }
}

static void handle_message (struct fx_peer *p, struct fx_msg *msg)
{
    switch (msg->type) {
    case FX_MSG_CONTROL:
        handle_control (p, msg);
        return;
    case FX_MSG_RESPONSE:
        fx_peer_rpc_response (p, msg);
        break;
    case FX_MSG_REQUEST:
        handle_request (p, msg);
        break;
    case FX_MSG_EVENT:
        handle_event (p, msg);
        break;
    }
}

/* Credit goes back every CREDIT_EVERY messages and whenever the socket is drained.  The
 * router's request for credit cannot be relied on alone: it is sent outside the window and
 * nanomsg drops it when the pipe is still busy writing a large message, which stalled the
 * connection for good (a kvs.commit of a few hundred KB). */
static void rcv_cb (struct ev_loop *loop, ev_io *w, int revents)
{
    struct fx_peer *p = w->data;
    struct fx_nn_hdr hdr;
    struct fx_error err;
    void *buf;
    ssize_t n;

    (void) loop;
    (void) revents;
    for (int i = 0; i < RECV_BATCH && !p->closed; i++) {
        struct fx_msg *msg;
        if ((n = fx_nn_recv (p->sock, &buf, &hdr, NN_DONTWAIT)) < 0) {
            if (errno != EAGAIN && errno != EINTR)
                peer_lost (p, strerror (errno));
            else
                return_credit (p); /* drained: see below */
            return;
        }
        msg = fx_msg_decode (buf, n, &err);
        nn_freemsg (buf);
        if (!msg) {
            fx_log_stderr (p->name, LOG_ERR, p->rank, err.text);
            continue;
        }
        if (msg->type != FX_MSG_CONTROL && ++p->consumed >= CREDIT_EVERY)
            return_credit (p);
        handle_message (p, msg);
        fx_msg_destroy (msg);
    }
}

static void heartbeat_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    struct fx_peer *p = w->data;

    (void) revents;
    /* nanomsg tells nobody that the router went away: what we send just stays queued. */
    if (p->outq.head && ev_now (loop) - p->outq.head->queued > p->lease) {
        peer_lost (p, "the router is not accepting messages (is it running?)");
        return;
    }
    if (ev_now (loop) - p->last_send >= p->lease / 3)
        send_control (p, FX_CTL_HEARTBEAT, 0, NULL);
}

/* Services, responses, events */

int fx_peer_service_add (struct fx_peer *p, const char *name, const struct fx_handler *table,
                         void *arg, struct fx_error *err)
{
    struct service *s;
    json_t *o;
    int rc;

    if (!fx_msg_topic_valid (name) || strchr (name, '.')) {
        errno = EINVAL;
        return errprintf (err, "invalid service name '%s'", name);
    }
    if (!(s = calloc (1, sizeof (*s))))
        return errprintf (err, "out of memory");
    snprintf (s->name, sizeof (s->name), "%s", name);
    s->table = table;
    s->arg = arg;
    if (!(o = json_pack ("{s:s}", "name", name))) {
        free (s);
        return errprintf (err, "out of memory");
    }
    rc = fx_rpc_call (p, "service.add", FX_NODEID_ANY, o, FX_RPC_TIMEOUT, NULL, err);
    json_decref (o);
    if (rc < 0) {
        free (s);
        return -1;
    }
    s->next = p->services;
    p->services = s;
    return 0;
}

int fx_respond (struct fx_peer *p, const struct fx_msg *req, const json_t *payload)
{
    struct fx_msg *rsp;
    int rc;

    if (req->flags & FX_MSGFLAG_NORESPONSE)
        return 0;
    if (!(rsp = fx_msg_response (req, 0, NULL, payload)))
        return -1;
    rc = fx_peer_send (p, rsp);
    fx_msg_destroy (rsp);
    return rc;
}

int fx_respond_error (struct fx_peer *p, const struct fx_msg *req, int errnum, const char *fmt, ...)
{
    struct fx_msg *rsp;
    char why[256] = "";
    va_list ap;
    int rc;

    if (req->flags & FX_MSGFLAG_NORESPONSE)
        return 0;
    if (fmt) {
        va_start (ap, fmt);
        vsnprintf (why, sizeof (why), fmt, ap);
        va_end (ap);
    }
    if (!(rsp = fx_msg_response (req, errnum ? errnum : EINVAL, fmt ? why : NULL, NULL)))
        return -1;
    rc = fx_peer_send (p, rsp);
    fx_msg_destroy (rsp);
    return rc;
}

int fx_respond_denied (struct fx_peer *p, const struct fx_msg *req, const char *fmt, ...)
{
    char why[256];
    va_list ap;

    va_start (ap, fmt);
    vsnprintf (why, sizeof (why), fmt, ap);
    va_end (ap);
    fx_log (p, LOG_NOTICE, "denied %s to uid %u: %s", req->topic, (unsigned int) req->userid,
            why);
    return fx_respond_error (p, req, EPERM, "%s", why);
}

int fx_peer_subscribe (struct fx_peer *p, const char *prefix, fx_msg_f cb, void *arg,
                       struct fx_error *err)
{
    struct subscription *s;
    json_t *o;
    int rc;

    if (!(s = calloc (1, sizeof (*s))) || !(s->prefix = strdup (prefix))) {
        free (s);
        return errprintf (err, "out of memory");
    }
    s->cb = cb;
    s->arg = arg;
    if (!(o = json_pack ("{s:s}", "topic", prefix))) {
        free (s->prefix);
        free (s);
        return errprintf (err, "out of memory");
    }
    rc = fx_rpc_call (p, "event.subscribe", FX_NODEID_ANY, o, FX_RPC_TIMEOUT, NULL, err);
    json_decref (o);
    if (rc < 0) {
        free (s->prefix);
        free (s);
        return -1;
    }
    s->next = p->subs;
    p->subs = s;
    return 0;
}

void fx_log (struct fx_peer *p, int level, const char *fmt, ...)
{
    char text[2048];
    va_list ap;
    json_t *o;

    va_start (ap, fmt);
    vsnprintf (text, sizeof (text), fmt, ap);
    va_end (ap);
    if (level <= FX_LOG_STDERR_MAX)
        fx_log_stderr (p->name, level, p->rank, text);
    if (p->closed || p->hello_state != 1)
        return;
    o = json_pack ("{s:s s:i s:i s:f s:s}", "name", p->name, "level", level, "rank", p->rank,
                   "timestamp", fx_log_now (), "message", text);
    if (o) {
        fx_rpc_start (p, "log.append", FX_NODEID_ANY, FX_MSGFLAG_NORESPONSE, o, 0, NULL, NULL);
        json_decref (o);
    }
}

/* Life cycle */

static void peer_lost (struct fx_peer *p, const char *why)
{
    if (p->closed)
        return;
    p->closed = 1;
    ev_io_stop (p->loop, &p->rcv_w);
    ev_io_stop (p->loop, &p->snd_w);
    ev_timer_stop (p->loop, &p->heartbeat_w);
    fx_peer_rpc_fail_all (p, why);
    if (p->lost_cb)
        p->lost_cb (p, why, p->lost_arg);
}

static int check_ipc_path (const char *uri, struct fx_error *err)
{
    struct stat sb;

    if (strncmp (uri, "ipc://", 6) == 0
        && (stat (uri + 6, &sb) < 0 || access (uri + 6, R_OK | W_OK) < 0))
        return errprintf (err, "cannot connect to %s: %s", uri, strerror (errno));
    return 0;
}

static void noop_timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    (void) loop;
    (void) w;
    (void) revents;
}

void fx_loop_sleep (struct ev_loop *loop, double seconds)
{
    ev_timer timer;

    ev_timer_init (&timer, noop_timer_cb, seconds, 0.);
    ev_timer_start (loop, &timer);
    while (ev_is_active (&timer))
        ev_run (loop, EVRUN_ONCE);
}

void fx_pidns (char *buf, size_t len)
{
    ssize_t n = readlink ("/proc/self/ns/pid", buf, len - 1);

    buf[n > 0 ? n : 0] = '\0';
}

/* Send the hello and run the loop until the router answers or the time is up. */
static int say_hello (struct fx_peer *p, const char *uri, struct fx_error *err)
{
    struct fx_error merr;
    ev_timer timer;
    char *cred, pidns[64];
    json_t *o;
    int rc;

    if (!(cred = fx_auth_hello_create (fx_auth_socket (), &merr)))
        return errprintf (err, "%s", merr.text);
    fx_pidns (pidns, sizeof (pidns));
    o = json_pack ("{s:s s:s s:i s:s}", "cred", cred, "name", p->name, "pid", (int) getpid (),
                   "pidns", pidns);
    free (cred);
    if (!o)
        return errprintf (err, "out of memory");
    rc = send_control (p, FX_CTL_HELLO, 0, o);
    json_decref (o);
    if (rc < 0)
        return errprintf (err, "%s: %s", uri, strerror (errno));
    ev_timer_init (&timer, noop_timer_cb, FX_RPC_TIMEOUT, 0.);
    ev_timer_start (p->loop, &timer);
    while (p->hello_state == 0 && ev_is_active (&timer) && !p->closed)
        ev_run (p->loop, EVRUN_ONCE);
    ev_timer_stop (p->loop, &timer);
    if (p->hello_state == 1)
        return 0;
    if (p->hello_state == -1)
        return errprintf (err, "%s: %s", uri, p->hello_err.text);
    errno = ETIMEDOUT;
    return errprintf (err, "%s: the router did not answer within %gs", uri, FX_RPC_TIMEOUT);
}

struct fx_peer *fx_peer_create (struct ev_loop *loop, const char *uri, const char *name,
                                struct fx_error *err)
{
    struct fx_peer *p;
    int rcvfd, sndfd;

    if (!uri)
        uri = fx_peer_default_uri ();
    if (check_ipc_path (uri, err) < 0)
        return NULL;
    if (!(p = calloc (1, sizeof (*p))) || !(p->rpcs = fx_u32map_create ())) {
        free (p);
        errprintf (err, "out of memory");
        return NULL;
    }
    p->sock = -1;
    p->loop = loop;
    p->lease = 30;
    snprintf (p->name, sizeof (p->name), "%s", name);
    if ((p->sock = fx_nn_open (uri, 0)) < 0 || (rcvfd = fx_nn_rcvfd (p->sock)) < 0
        || (sndfd = fx_nn_sndfd (p->sock)) < 0) {
        errprintf (err, "%s: %s", uri, nn_strerror (errno));
        goto error;
    }
    ev_io_init (&p->rcv_w, rcv_cb, rcvfd, EV_READ);
    p->rcv_w.data = p;
    ev_io_init (&p->snd_w, snd_cb, sndfd, EV_READ);
    p->snd_w.data = p;
    ev_io_start (loop, &p->rcv_w);
    if (say_hello (p, uri, err) < 0)
        goto error;
    ev_timer_init (&p->heartbeat_w, heartbeat_cb, p->lease / 3, p->lease / 3);
    p->heartbeat_w.data = p;
    ev_timer_start (loop, &p->heartbeat_w);
    return p;
error:
    p->lost_cb = NULL;
    p->closed = 0;
    fx_peer_destroy (p);
    return NULL;
}

void fx_peer_destroy (struct fx_peer *p)
{
    int saved_errno = errno;

    if (!p)
        return;
    /* nanomsg may drop what is still in flight when a socket closes, so wait (briefly) for
     * the router to acknowledge the goodbye: then everything sent before it has arrived.
     * Requests and events arriving meanwhile are not dispatched (closing). */
    p->closing = 1;
    p->lost_cb = NULL; /* leaving is not losing the router */
    if (!p->closed && p->hello_state == 1 && send_control (p, FX_CTL_GOODBYE, 0, NULL) == 0) {
        ev_timer timer;
        ev_timer_init (&timer, noop_timer_cb, GOODBYE_TIMEOUT, 0.);
        ev_timer_start (p->loop, &timer);
        while (!p->goodbye_acked && !p->closed && ev_is_active (&timer))
            ev_run (p->loop, EVRUN_ONCE);
        ev_timer_stop (p->loop, &timer);
    }
    peer_lost (p, "connection closed");
    fx_msgq_clear (&p->outq);
    while (p->services) {
        struct service *s = p->services;
        p->services = s->next;
        free (s);
    }
    while (p->subs) {
        struct subscription *s = p->subs;
        p->subs = s->next;
        free (s->prefix);
        free (s);
    }
    if (p->sock >= 0)
        nn_close (p->sock);
    fx_u32map_destroy (p->rpcs);
    free (p);
    errno = saved_errno;
}

struct fx_handler *fx_handler_table_join (const struct fx_handler *const parts[], size_t n)
{
    struct fx_handler *table;
    size_t count = 0, k = 0;

    for (size_t i = 0; i < n; i++) {
        for (const struct fx_handler *h = parts[i]; h->topic; h++)
            count++;
    }
    if (!(table = calloc (count + 1, sizeof (*table))))
        return NULL;
    for (size_t i = 0; i < n; i++) {
        for (const struct fx_handler *h = parts[i]; h->topic; h++)
            table[k++] = *h;
    }
    return table;
}
