/* overlay.c - the tree overlay: this rank's links to its parent and to its children.
 *
 * Owns the topology (services/topo.c), the cluster certificate, the tcp socket children
 * connect to (raw REP, one struct conn per child pipe, flow-controlled like local peers)
 * and the link to the parent (raw REQ).  Every link starts with the certificate handshake
 * of services/link.c and then carries sealed messages, which go through router_dispatch()
 * like any other.  Health: heartbeats while idle, each child's state as the guide defines
 * it (offline, full, partial, degraded, lost), torpid and lost timers, and this rank's own
 * subtree state reported to the parent whenever it changes (health.c computes states).
 *
 * Failure policy: a bad hello is refused, logged and counted, and the instance carries on.
 * A child that goes silent is marked lost and what waited on it is answered EHOSTUNREACH.
 * A rank whose parent is lost, or that the parent disconnects, exits with EXIT_RESTART so
 * that systemd (or flux start) restarts it to wait for the parent again; a refusal by the
 * parent (wrong certificate, rank, host name or version) exits with EXIT_NORESTART.
 */
#include <errno.h>
#include <nanomsg/nn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "overlayd/conn.h"
#include "overlayd/overlay.h"
#include "overlayd/overlayd.h"
#include "services/log.h"
#include "services/notify.h"

#define RECV_BATCH      256
#define GOODBYE_TIMEOUT 0.5 /* seconds to wait for the parent's acknowledgement */

static void parent_hello (struct overlayd *od);

/* Children (this rank as parent) */

static struct child *child_by_rank (struct overlay *ov, uint32_t rank)
{
    for (uint32_t i = 0; i < ov->nchildren; i++) {
        if (ov->children[i].rank == rank)
            return &ov->children[i];
    }
    return NULL;
}

static struct child *child_by_conn (struct overlay *ov, const struct conn *c)
{
    struct child *ch = child_by_rank (ov, c->rank);
    return ch && ch->conn == c ? ch : NULL;
}

const char *overlay_host (struct overlay *ov, uint32_t rank)
{
    const char *h = ov->hosts ? fx_hostlist_nth (ov->hosts, rank) : NULL;
    return h ? h : "?";
}

/* Drop a child's link: answer what waited on it (why says what happened). */
static void drop_link (struct overlayd *od, struct child *ch, const char *why)
{
    struct overlay *ov = od->overlay;
    struct conn *c = ch->conn;
    char msg[300];

    ch->conn = NULL;
    fx_u32map_remove (ov->child_pipes, c->pipe);
    fx_u32map_remove (od->conns_by_id, c->id);
    snprintf (msg, sizeof (msg), "rank %u (%s) is unreachable: %s", ch->rank,
              overlay_host (ov, ch->rank), why);
    conn_pending_fail (c, EHOSTUNREACH, msg);
    conn_destroy (c);
}

/* Forget a child's link and mark the child lost or offline. */
static void child_unlink (struct overlayd *od, struct child *ch, enum overlay_state state,
                          const char *why)
{
    if (!ch->conn)
        return;
    drop_link (od, ch, why);
    health_child_state (od, ch, state, why);
}

void overlay_link_failed (struct overlayd *od, struct conn *c, const char *why)
{
    struct child *ch;

    if (c->kind == CONN_PARENT) {
        overlay_parent_lost (od, why);
        return;
    }
    if ((ch = child_by_conn (od->overlay, c)))
        child_unlink (od, ch, OVERLAY_LOST, why);
}

static void refuse (struct overlayd *od, struct conn *tmp, const char *label, const char *why)
{
    void *frame;
    size_t len;

    if (fx_link_refuse (why, &frame, &len) == 0) {
        conn_send_frame (tmp, frame, len);
        free (frame);
    }
    fx_metric_inc (od->m_auth_fail, label);
    overlayd_log (od, LOG_ERR, "refused overlay hello: %s", why);
}

/* Check what a verified hello claims against the configuration. */
static int hello_check (struct overlayd *od, uint32_t rank, const char *host, const char *version,
                        const char **label, char *why, size_t len)
{
    struct overlay *ov = od->overlay;
    const char *want = ov->hosts ? fx_hostlist_nth (ov->hosts, rank) : NULL;

    *label = "rank";
    if (rank >= od->size || !child_by_rank (ov, rank))
        snprintf (why, len, "rank %u (%.64s) is not a child of rank %u (%.64s)", rank, host,
                  od->rank, od->hostname);
    else if (want && strcmp (want, host) != 0) {
        *label = "hostname";
        snprintf (why, len, "rank %u claims host name %.64s but the configuration says %.64s", rank,
                  host, want);
    } else if (strcmp (version, FX_VERSION) != 0) {
        *label = "version";
        snprintf (why, len, "%.64s (rank %u) runs version %.32s, this is %s: versions must match",
                  host, rank, version, FX_VERSION);
    } else
        return 0;
    return -1;
}

static void child_hello (struct overlayd *od, const struct fx_nn_hdr *hdr, const void *buf,
                         size_t len)
{
    struct overlay *ov = od->overlay;
    struct conn tmp = {.od = od, .kind = CONN_CHILD, .sock = ov->child_sock, .hdr = *hdr};
    char host[256], version[64], why[512];
    struct fx_error err = {""};
    const char *label;
    struct child *ch;
    struct conn *c;
    uint32_t rank;
    void *frame;
    size_t flen;

    if (!(c = conn_create (od, CONN_CHILD, ov->child_sock))
        || !(c->link = fx_link_create (&ov->cert, 1))) {
        conn_destroy (c);
        return;
    }
    if (fx_link_accept (c->link, buf, len, &rank, host, sizeof (host), version, sizeof (version),
                        &err)
        < 0) {
        refuse (od, &tmp, errno == EPERM ? "certificate" : "malformed", err.text);
        conn_destroy (c);
        return;
    }
    if (hello_check (od, rank, host, version, &label, why, sizeof (why)) < 0) {
        refuse (od, &tmp, label, why);
        conn_destroy (c);
        return;
    }
    ch = child_by_rank (ov, rank);
    if (ch->conn && ch->conn->pipe == conn_pipe_key (hdr))
        drop_link (od, ch, "its link was reset"); /* a repeated hello: start over */
    else if (ch->conn) /* it came back (a restart): the old incarnation is gone */
        child_unlink (od, ch, OVERLAY_LOST, "it reconnected");
    c->hdr = *hdr;
    c->pipe = conn_pipe_key (hdr);
    c->rank = rank;
    c->authed = 1;
    snprintf (c->name, sizeof (c->name), "rank %u (%.40s)", rank, host);
    if (fx_link_welcome (c->link, od->rank, FX_VERSION, &frame, &flen) < 0 || conn_register (c) < 0
        || fx_u32map_put (ov->child_pipes, c->pipe, c) < 0) {
        fx_u32map_remove (od->conns_by_id, c->id);
        conn_destroy (c);
        return;
    }
    conn_send_frame (c, frame, flen);
    free (frame);
    ch->conn = c;
    ch->torpid = 0;
    fx_metric_inc (ov->m_reconnects);
    health_child_state (od, ch, OVERLAY_FULL, NULL);
}

/* Open a DATA frame from link c and decode its message; a frame that fails either step is
 * counted, logged and dropped (NULL). */
static struct fx_msg *open_frame (struct overlayd *od, struct conn *c, const void *buf, size_t len)
{
    struct fx_error err = {""};
    struct fx_msg *msg;
    void *plain;
    size_t plen;

    if (fx_link_open (c->link, buf, len, &plain, &plen, &err) < 0) {
        fx_metric_inc (od->m_auth_fail, "frame");
        overlayd_log (od, LOG_WARNING, "%s: %s", c->name, err.text);
        return NULL;
    }
    msg = fx_msg_decode (plain, plen, &err);
    free (plain);
    if (!msg) {
        fx_metric_inc (od->m_malformed);
        overlayd_log (od, LOG_WARNING, "%s: %s", c->name, err.text);
    }
    return msg;
}

static void child_data (struct overlayd *od, const struct fx_nn_hdr *hdr, const void *buf,
                        size_t len)
{
    struct overlay *ov = od->overlay;
    struct conn *c = fx_u32map_get (ov->child_pipes, conn_pipe_key (hdr));
    struct fx_msg *msg;

    if (!c) {
        /* A child of an earlier incarnation of this rank: tell it to start over. */
        struct conn tmp = {.od = od, .kind = CONN_CHILD, .sock = ov->child_sock, .hdr = *hdr};
        void *frame;
        size_t flen;
        fx_metric_inc (od->m_auth_fail, "unauthenticated");
        if (fx_link_refuse ("unknown link (this rank restarted): join again", &frame, &flen) == 0) {
            conn_send_frame (&tmp, frame, flen);
            free (frame);
        }
        return;
    }
    if (!(msg = open_frame (od, c, buf, len)))
        return;
    c->hdr = *hdr;
    health_child_heard (od, child_by_conn (ov, c));
    router_dispatch (od, c, msg);
    fx_msg_destroy (msg);
}

static void hold_hello (struct overlay *ov, const struct fx_nn_hdr *hdr, const void *buf,
                        size_t len)
{
    struct held_hello *h = NULL;
    void *copy;

    for (uint32_t i = 0; i < ov->nheld; i++) {
        if (conn_pipe_key (&ov->held[i].hdr) == conn_pipe_key (hdr))
            h = &ov->held[i];
    }
    if (!h && ov->nheld < ov->nchildren * 2)
        h = &ov->held[ov->nheld++];
    if (!h || !(copy = malloc (len)))
        return; /* more pipes than children: an impostor's; it will retry */
    memcpy (copy, buf, len);
    free (h->buf);
    h->hdr = *hdr;
    h->buf = copy;
    h->len = len;
}

static void answer_held_hellos (struct overlayd *od)
{
    struct overlay *ov = od->overlay;

    for (uint32_t i = 0; i < ov->nheld; i++) {
        child_hello (od, &ov->held[i].hdr, ov->held[i].buf, ov->held[i].len);
        free (ov->held[i].buf);
    }
    ov->nheld = 0;
}

static void child_rcv_cb (struct ev_loop *loop, ev_io *w, int revents)
{
    struct overlayd *od = w->data;
    struct overlay *ov = od->overlay;
    struct fx_nn_hdr hdr;
    void *buf;
    ssize_t n;

    (void) loop;
    (void) revents;
    for (int i = 0; i < RECV_BATCH; i++) {
        if ((n = fx_nn_recv (ov->child_sock, &buf, &hdr, NN_DONTWAIT)) < 0)
            return;
        fx_metric_add (od->m_link_bytes, (double) n, "in");
        fx_metric_inc (od->m_link_msgs, "in");
        if (hdr.len < 4)
            ;
        else if (fx_link_frame_type (buf, n) == FX_LINK_HELLO) {
            /* Welcome children only once joined: then a joined rank always has a whole
             * path to rank 0 (its log lines and requests get through).  Until then the
             * latest hello of each pipe waits, to be answered the moment we join. */
            if (od->rank == 0 || ov->parent->authed)
                child_hello (od, &hdr, buf, n);
            else
                hold_hello (ov, &hdr, buf, n);
        } else if (fx_link_frame_type (buf, n) == FX_LINK_DATA)
            child_data (od, &hdr, buf, n);
        else
            fx_metric_inc (od->m_malformed);
        nn_freemsg (buf);
    }
}

/* The parent link (this rank as child) */

static void parent_welcomed (struct overlayd *od, const void *buf, size_t len)
{
    struct overlay *ov = od->overlay;
    struct fx_error err = {""};
    uint32_t prank;

    if (fx_link_welcomed (ov->parent->link, buf, len, &prank, &err) < 0) {
        if (errno == ECONNREFUSED) {
            overlayd_log (od, LOG_CRIT, "rank %lld (%s) refused this rank: %s",
                          (long long) fx_topo_parent (ov->topo, od->rank),
                          overlay_host (ov, fx_topo_parent (ov->topo, od->rank)), err.text);
            overlay_exit (od, EXIT_NORESTART);
        } else
            overlayd_log (od, LOG_WARNING, "parent: %s", err.text);
        return;
    }
    ov->parent->authed = 1;
    ov->parent->last_recv = ev_now (od->loop);
    ev_timer_stop (od->loop, &ov->hello_w);
    overlayd_log (od, LOG_INFO, "joined the instance through rank %u (%s)", prank,
                  overlay_host (ov, prank));
    health_report (od, 1);
    logbuf_flush_upstream (od);
    answer_held_hellos (od);
    fx_notify_ready ();
}

static void parent_data (struct overlayd *od, const void *buf, size_t len)
{
    struct conn *c = od->overlay->parent;
    struct fx_msg *msg;

    if (!c->authed) {
        fx_metric_inc (od->m_auth_fail, "frame");
        return;
    }
    if (!(msg = open_frame (od, c, buf, len)))
        return;
    if (msg->type != FX_MSG_CONTROL)
        conn_consumed (c, 0);
    router_dispatch (od, c, msg);
    fx_msg_destroy (msg);
}

static void parent_rcv_cb (struct ev_loop *loop, ev_io *w, int revents)
{
    struct overlayd *od = w->data;
    struct overlay *ov = od->overlay;
    struct fx_nn_hdr hdr;
    void *buf;
    ssize_t n;

    (void) loop;
    (void) revents;
    for (int i = 0; i < RECV_BATCH && ov->parent && !ov->exiting; i++) {
        if ((n = fx_nn_recv (ov->parent_sock, &buf, &hdr, NN_DONTWAIT)) < 0) {
            if (ov->parent->authed) /* drained: credit back (as services/peer.c does) */
                conn_consumed (ov->parent, 1);
            return;
        }
        fx_metric_add (od->m_link_bytes, (double) n, "in");
        fx_metric_inc (od->m_link_msgs, "in");
        switch (fx_link_frame_type (buf, n)) {
        case FX_LINK_REFUSE:
            if (ov->parent->authed) {
                overlay_parent_lost (od, "the parent no longer knows this link (it restarted)");
                break;
            }
            __attribute__ ((fallthrough)); /* a refused hello */
        case FX_LINK_WELCOME:
            parent_welcomed (od, buf, n);
            break;
        case FX_LINK_DATA:
            parent_data (od, buf, n);
            break;
        default:
            fx_metric_inc (od->m_malformed);
        }
        nn_freemsg (buf);
    }
}

/* (Re)send the hello with a fresh ephemeral key until the parent answers, backing off. */
static void parent_hello (struct overlayd *od)
{
    struct overlay *ov = od->overlay;
    struct conn *c = ov->parent;
    void *frame;
    size_t len;

    fx_msgq_clear (&c->q); /* an unsent older hello is stale */
    fx_link_destroy (c->link);
    if (!(c->link = fx_link_create (&ov->cert, 0))
        || fx_link_hello (c->link, od->rank, od->hostname, FX_VERSION, &frame, &len) < 0) {
        overlayd_log (od, LOG_ERR, "cannot build the overlay hello: %s", strerror (errno));
        return;
    }
    conn_send_frame (c, frame, len);
    free (frame);
}

static void hello_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    struct overlayd *od = w->data;
    struct overlay *ov = od->overlay;

    (void) revents;
    if (ov->parent->authed)
        return;
    if (ev_now (loop) - ov->hello_start > ov->connect_timeout && ov->connect_timeout > 0) {
        overlayd_log (od, LOG_ERR, "no answer from the parent at %s for %.0fs", ov->parent_uri,
                      ov->connect_timeout);
        overlay_exit (od, EXIT_RESTART);
        return;
    }
    parent_hello (od);
    w->repeat = w->repeat * 2 > 2.0 ? 2.0 : w->repeat * 2;
    ev_timer_again (loop, w);
}

void overlay_parent_lost (struct overlayd *od, const char *why)
{
    if (od->overlay->exiting)
        return;
    overlayd_log (od, LOG_ERR, "lost the parent: %s", why);
    overlay_exit (od, EXIT_RESTART);
}

void overlay_exit (struct overlayd *od, int code)
{
    od->overlay->exiting = 1;
    od->exit_code = code;
    ev_break (od->loop, EVBREAK_ALL);
}

/* Routing */

struct conn *overlay_route (struct overlayd *od, uint32_t to, char *why, size_t len)
{
    struct overlay *ov = od->overlay;
    int64_t next;
    struct child *ch;

    if (to >= od->size) {
        snprintf (why, len, "there is no rank %u (the instance has %u)", to, od->size);
        return NULL;
    }
    if (!ov || (next = fx_topo_next_hop (ov->topo, od->rank, to)) < 0) {
        snprintf (why, len, "rank %u is not reachable from rank %u", to, od->rank);
        return NULL;
    }
    if ((ch = child_by_rank (ov, next))) {
        if (ch->conn)
            return ch->conn;
        snprintf (why, len, "rank %u is unreachable: rank %u (%s) is %s", to, ch->rank,
                  overlay_host (ov, ch->rank), overlay_state_name (ch->state));
        return NULL;
    }
    if (ov->parent && ov->parent->authed)
        return ov->parent;
    snprintf (why, len, "rank %u is unreachable: rank %u is not connected to its parent", to,
              od->rank);
    return NULL;
}

void overlay_forward_event (struct overlayd *od, const struct fx_msg *ev)
{
    struct overlay *ov = od->overlay;

    for (uint32_t i = 0; ov && i < ov->nchildren; i++) {
        if (ov->children[i].conn)
            router_send (od, ov->children[i].conn, ev);
    }
}

/* An event from the parent: log a gap in sequence numbers, then pass it on. */
void overlay_event (struct overlayd *od, struct fx_msg *ev)
{
    uint32_t seq = fx_msg_seq (ev);

    if (od->event_seq && seq > od->event_seq + 1)
        overlayd_log (od, LOG_ERR, "lost events %u-%u", od->event_seq + 1, seq - 1);
    if (od->event_seq && seq <= od->event_seq)
        return; /* a duplicate */
    od->event_seq = seq;
    router_deliver_event (od, ev);
}

void overlay_control (struct overlayd *od, struct conn *c, struct fx_msg *msg)
{
    struct child *ch = c->kind == CONN_CHILD ? child_by_conn (od->overlay, c) : NULL;

    switch (msg->aux1) {
    case FX_CTL_CREDIT:
        if (c->kind == CONN_CHILD)
            conn_credit (c, msg->aux2);
        else
            conn_consumed (c, 1);
        break;
    case FX_CTL_HEARTBEAT:
        break;
    case FX_CTL_STATUS:
        if (ch && msg->aux2 <= OVERLAY_DEGRADED && msg->aux2 >= OVERLAY_FULL)
            health_child_state (od, ch, msg->aux2, NULL);
        break;
    case FX_CTL_GOODBYE:
        if (ch) {
            /* Acknowledge: the child waits for this before closing its socket. */
            conn_send_control (c, FX_CTL_GOODBYE, 0, NULL);
            child_unlink (od, ch, OVERLAY_OFFLINE, "it shut down");
        } else if (c->kind == CONN_PARENT && od->overlay->stopping)
            od->overlay->goodbye_acked = 1;
        else if (c->kind == CONN_PARENT)
            overlay_parent_lost (od, "the parent is shutting down");
        break;
    case FX_CTL_DISCONNECT:
        if (c->kind == CONN_PARENT) {
            overlayd_log (od, LOG_ERR, "the parent disconnected this rank");
            overlay_exit (od, EXIT_RESTART);
        }
        break;
    }
}

/* Disconnect a child (flux overlay disconnect): tell it, then forget its link. */
int overlay_disconnect (struct overlayd *od, uint32_t rank, struct fx_error *err)
{
    struct child *ch = child_by_rank (od->overlay, rank);

    if (!ch)
        return errprintf (err, "rank %u is not a child of rank %u", rank, od->rank);
    if (!ch->conn)
        return errprintf (err, "rank %u (%s) is not connected", rank,
                          overlay_host (od->overlay, rank));
    conn_send_control (ch->conn, FX_CTL_DISCONNECT, 0, NULL);
    child_unlink (od, ch, OVERLAY_LOST, "disconnected by request");
    return 0;
}

json_t *overlay_topology_json (struct overlayd *od)
{
    struct overlay *ov = od->overlay;
    json_t *parents = json_array ();
    char uri[64] = "";
    char *hosts = ov->hosts ? fx_hostlist_encode (ov->hosts) : NULL;
    json_t *out;

    for (uint32_t r = 0; r < od->size; r++)
        json_array_append_new (parents, json_integer (fx_topo_parent (ov->topo, r)));
    fx_topo_uri (ov->topo, uri, sizeof (uri));
    out = json_pack ("{s:i s:s s:o s:s?}", "size", od->size, "topo", uri, "parents", parents,
                     "hosts", hosts);
    free (hosts);
    return out;
}

/* Start and stop */

static int open_sockets (struct overlayd *od, struct fx_error *err)
{
    struct overlay *ov = od->overlay;
    int fd;

    if (ov->nchildren > 0) {
        if ((ov->child_sock = fx_nn_open (ov->bind_uri, 1)) < 0
            || (fd = fx_nn_rcvfd (ov->child_sock)) < 0)
            return errprintf (err, "%s: %s", ov->bind_uri, nn_strerror (errno));
        ev_io_init (&ov->child_w, child_rcv_cb, fd, EV_READ);
        ov->child_w.data = od;
        ev_io_start (od->loop, &ov->child_w);
    }
    if (od->rank > 0) {
        if ((ov->parent_sock = fx_nn_open (ov->parent_uri, 0)) < 0
            || (fd = fx_nn_rcvfd (ov->parent_sock)) < 0)
            return errprintf (err, "%s: %s", ov->parent_uri, nn_strerror (errno));
        if (!(ov->parent = conn_create (od, CONN_PARENT, ov->parent_sock))
            || conn_register (ov->parent) < 0)
            return errprintf (err, "out of memory");
        ov->parent->rank = fx_topo_parent (ov->topo, od->rank);
        snprintf (ov->parent->name, sizeof (ov->parent->name), "parent rank %u", ov->parent->rank);
        ev_io_init (&ov->parent_w, parent_rcv_cb, fd, EV_READ);
        ov->parent_w.data = od;
        ev_io_start (od->loop, &ov->parent_w);
    }
    return 0;
}

int overlay_start (struct overlayd *od, struct fx_error *err)
{
    struct overlay *ov = od->overlay;

    if (open_sockets (od, err) < 0 || health_start (od, err) < 0)
        return -1;
    if (od->rank > 0) {
        ov->hello_start = ev_now (od->loop);
        parent_hello (od);
        ev_init (&ov->hello_w, hello_cb);
        ov->hello_w.data = od;
        ov->hello_w.repeat = 0.2;
        ev_timer_again (od->loop, &ov->hello_w);
    }
    return 0;
}

static void noop_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    (void) loop;
    (void) w;
    (void) revents;
}

/* Tell the parent we are going and wait (briefly) for its acknowledgement: nanomsg drops
 * what is still in flight when the socket closes, and the parent should see this rank go
 * offline, not lost. */
static void say_goodbye (struct overlayd *od)
{
    struct overlay *ov = od->overlay;
    ev_timer timer;

    ov->stopping = 1;
    if (conn_send_control (ov->parent, FX_CTL_GOODBYE, 0, NULL) < 0)
        return;
    ev_timer_init (&timer, noop_cb, GOODBYE_TIMEOUT, 0.);
    ev_timer_start (od->loop, &timer);
    while (!ov->goodbye_acked && ev_is_active (&timer))
        ev_run (od->loop, EVRUN_ONCE);
    ev_timer_stop (od->loop, &timer);
}

void overlay_stop (struct overlayd *od)
{
    struct overlay *ov = od->overlay;

    if (!ov)
        return;
    health_stop (od);
    for (uint32_t i = 0; i < ov->nchildren; i++) {
        struct child *ch = &ov->children[i];
        if (ch->conn) {
            conn_send_control (ch->conn, FX_CTL_GOODBYE, 0, NULL);
            child_unlink (od, ch, OVERLAY_OFFLINE, "this rank is shutting down");
        }
    }
    if (ov->parent) {
        if (ov->parent->authed)
            say_goodbye (od);
        ev_io_stop (od->loop, &ov->parent_w);
        ev_timer_stop (od->loop, &ov->hello_w);
        fx_u32map_remove (od->conns_by_id, ov->parent->id);
        conn_pending_fail (ov->parent, EHOSTUNREACH, "this rank is shutting down");
        conn_destroy (ov->parent);
        ov->parent = NULL;
    }
    if (ov->nchildren > 0)
        ev_io_stop (od->loop, &ov->child_w);
    overlay_destroy (ov);
    od->overlay = NULL;
}
