/* node.c - what every rank's resourced does for rank 0 (doc/resource.md, "Online and
 * offline").
 *
 * It says hello to rank 0 with its host name, cores and GPUs, as a streaming request that
 * rank 0 answers once and then keeps: when rank 0's resourced goes away the router ends
 * the stream (ENOSYS), and the hello is sent again until a new one answers.  It keeps the
 * monitor request rank 0 sends it, unanswered, so that rank 0 learns of its end the same
 * way.  Rank 0 announces itself to its own inventory directly.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "resourced/resourced.h"
#include "services/notify.h"

static void send_hello (struct resourced *rd);

static void hello_timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    (void) loop;
    (void) revents;
    send_hello (w->data);
}

static void hello_later (struct resourced *rd)
{
    ev_timer_stop (rd->loop, &rd->hello_timer);
    ev_timer_set (&rd->hello_timer, rd->hello_retry, 0.);
    ev_timer_start (rd->loop, &rd->hello_timer);
    rd->hello_retry = rd->hello_retry * 2 > HELLO_RETRY_MAX ? HELLO_RETRY_MAX : rd->hello_retry * 2;
}

/* Ready once rank 0 has welcomed this rank (so that a new instance's command finds every
 * rank online), or after READY_AT_MOST when rank 0 does not answer (systemd must not wait
 * for a rank 0 that is down). */
static void ready (struct resourced *rd)
{
    if (!rd->ready) {
        fx_notify_ready ();
        rd->ready = 1;
    }
    ev_timer_stop (rd->loop, &rd->ready_timer);
}

static void ready_timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    (void) loop;
    (void) revents;
    ready (w->data);
}

static void hello_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct resourced *rd = arg;
    int errnum = fx_msg_errnum (rsp);
    const char *errstr;

    (void) rpc;
    if (errnum == 0) {
        rd->hello_retry = HELLO_RETRY_MIN;
        ready (rd); /* welcomed; the stream stays open */
        return;
    }
    rd->hello = NULL;
    if (errnum == ENOSYS || errnum == EHOSTUNREACH || errnum == ETIMEDOUT || errnum == ENOTCONN
        || errnum == ENODATA) {
        hello_later (rd); /* rank 0's resourced is not (or no longer) there */
        return;
    }
    errstr = fx_msg_errstr (rsp);
    fx_log (rd->peer, LOG_ERR, "rank 0 refused this node: %s", errstr ? errstr : strerror (errnum));
}

static void send_hello (struct resourced *rd)
{
    char *cores = fx_idset_encode (rd->cores, 0), *gpus = fx_idset_encode (rd->gpus, 0);
    json_t *o = NULL;

    if (cores && gpus)
        o = json_pack ("{s:i s:s s:s s:s}", "rank", (int) rd->rank, "hostname", rd->hostname,
                       "cores", cores, "gpus", gpus);
    if (!o
        || !(rd->hello = fx_rpc_start (rd->peer, "resource.hello", 0, FX_MSGFLAG_STREAMING, o, 0,
                                       hello_cb, rd)))
        hello_later (rd);
    json_decref (o);
    free (cores);
    free (gpus);
}

void node_start (struct resourced *rd)
{
    struct fx_error err = {""};

    ev_init (&rd->hello_timer, hello_timer_cb);
    rd->hello_timer.data = rd;
    rd->hello_retry = HELLO_RETRY_MIN;
    ev_timer_init (&rd->ready_timer, ready_timer_cb, READY_AT_MOST, 0.);
    rd->ready_timer.data = rd;
    if (rd->rank > 0) {
        ev_timer_start (rd->loop, &rd->ready_timer);
        send_hello (rd);
        return;
    }
    if (inventory_hello (rd, 0, rd->hostname, rd->cores, rd->gpus, &err) < 0)
        fx_log (rd->peer, LOG_ERR, "rank 0: %s", err.text);
    ready (rd);
}

void node_stop (struct resourced *rd)
{
    ev_timer_stop (rd->loop, &rd->hello_timer);
    ev_timer_stop (rd->loop, &rd->ready_timer);
    fx_rpc_cancel (rd->hello);
    rd->hello = NULL;
    fx_msg_destroy (rd->monitor_req);
    rd->monitor_req = NULL;
}

/* resource.monitor (streaming, from rank 0): kept, never answered, while this daemon
 * lives.  A newer one (rank 0 restarted) replaces the old. */
static void monitor_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct resourced *rd = arg;

    if (!(req->flags & FX_MSGFLAG_STREAMING)) {
        fx_respond_error (p, req, EPROTO, "resource.monitor must be streaming");
        return;
    }
    fx_msg_destroy (rd->monitor_req);
    if ((rd->monitor_req = fx_msg_copy (req)))
        fx_msg_set_payload (rd->monitor_req, NULL);
}

/* resource.cancel: the end of a stream of ours (nothing to free for a monitor). */
static void cancel_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    (void) p;
    (void) req;
    (void) arg;
}

const struct fx_handler node_handlers[] = {
    {"resource.monitor", monitor_cb, FX_ROLE_OWNER},
    {"resource.cancel", cancel_cb, FX_ROLE_OWNER},
    {NULL, NULL, 0},
};
