/* jobd.c - schedd's link to jobd (doc/job.md, "Scheduler protocol").
 *
 * schedd first asks job-manager.ping for jobd's connection id (so that the router's
 * router.disconnect for that connection tells it jobd has gone), then sends the streaming
 * job-manager.sched-hello: each response is a job holding resources, marked allocated;
 * ENODATA ends it, and job-manager.sched-ready {} tells jobd to send sched.alloc.  jobd need
 * not exist yet: every failure (no such service, an error ending the hello, jobd's
 * connection dropping) forgets every job learned from jobd and says hello again after
 * 0.1 s, doubling to 2 s.  The first failure of a run is logged, the rest are not.
 */
#include <errno.h>
#include <string.h>
#include <syslog.h>

#include "schedd/schedd.h"

static void jobd_connect (struct schedd *sd);

static void hello_timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    (void) loop;
    (void) revents;
    jobd_connect (w->data);
}

static void hello_later (struct schedd *sd)
{
    sd->jobd = JOBD_IDLE;
    ev_timer_stop (sd->loop, &sd->hello_timer);
    ev_timer_set (&sd->hello_timer, sd->hello_retry, 0.);
    ev_timer_start (sd->loop, &sd->hello_timer);
    sd->hello_retry = sd->hello_retry * 2 > RETRY_MAX ? RETRY_MAX : sd->hello_retry * 2;
}

void jobd_lost (struct schedd *sd, const char *why)
{
    struct sched_stats st;

    if (sd->jobd == JOBD_UP) {
        sched_stats (sd->sched, &st);
        fx_log (sd->peer, LOG_INFO,
                "jobd went away (%s): forgetting %zu pending and %zu running "
                "jobs, saying hello again",
                why, st.pending, st.running);
        sd->hello_retry = RETRY_MIN;
        sd->hello_failures = 0;
    } else if (sd->hello_failures++ == 0)
        fx_log (sd->peer, LOG_INFO, "no hello with jobd yet (%s): retrying in the background", why);
    fx_rpc_cancel (sd->jobd_rpc);
    sd->jobd_rpc = NULL;
    sched_foreach (sd->sched, service_drop_job, sd);
    hello_later (sd);
}

/* The final response of one step: a failure loses jobd. */
static int step_failed (struct schedd *sd, struct fx_msg *rsp)
{
    const char *errstr = fx_msg_errstr (rsp);
    int errnum = fx_msg_errnum (rsp);

    sd->jobd_rpc = NULL;
    jobd_lost (sd, errstr ? errstr : strerror (errnum));
    return -1;
}

static void ready_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct schedd *sd = arg;
    struct sched_stats st;
    json_int_t count = 0;
    json_t *in;

    (void) rpc;
    if (fx_msg_errnum (rsp) != 0) {
        step_failed (sd, rsp);
        return;
    }
    sd->jobd_rpc = NULL;
    if ((in = fx_msg_json (rsp, NULL)))
        json_unpack (in, "{s?I}", "count", &count);
    sched_stats (sd->sched, &st);
    fx_log (sd->peer, LOG_INFO, "jobd is ready: %zu jobs hold resources, %lld to schedule",
            st.running, (long long) count);
    sd->jobd = JOBD_UP;
    sd->hello_retry = RETRY_MIN;
    sd->hello_failures = 0;
}

/* One job holding resources: mark them allocated. */
static void hello_job (struct schedd *sd, json_t *in)
{
    struct fx_error err = {""};
    struct placement a = {0};
    json_int_t id, priority, userid;
    double t_submit, expiration = 0;
    json_t *R;

    if (json_unpack_ex (in, NULL, JSON_STRICT, "{s:I s:I s:I s:F s:o}", "id", &id, "priority",
                        &priority, "userid", &userid, "t_submit", &t_submit, "R", &R)
        < 0) {
        fx_log (sd->peer, LOG_ERR,
                "job-manager.sched-hello: a job that does not parse is "
                "skipped");
        return;
    }
    json_unpack (R, "{s:{s?F}}", "execution", "expiration", &expiration);
    if (pool_take_R (sd->pool, R, &a, &err) < 0) {
        fx_log (sd->peer, LOG_ERR, "job %llu: R: %s", (unsigned long long) id, err.text);
        return;
    }
    if (!sched_add_running (sd->sched, (uint64_t) id, priority, (uint32_t) userid, t_submit, &a,
                            expiration)) {
        fx_log (sd->peer, LOG_ERR, "job %llu: %s", (unsigned long long) id, strerror (errno));
        pool_give (sd->pool, &a);
        placement_clear (&a);
    }
}

static void hello_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct schedd *sd = arg;
    json_t *in;

    (void) rpc;
    if (fx_msg_errnum (rsp) == 0) {
        if ((in = fx_msg_json (rsp, NULL)))
            hello_job (sd, in);
        return;
    }
    if (fx_msg_errnum (rsp) != ENODATA) {
        step_failed (sd, rsp);
        return;
    }
    sd->jobd = JOBD_READY;
    if (!(sd->jobd_rpc = fx_rpc_start (sd->peer, "job-manager.sched-ready", 0, 0, NULL,
                                       FX_RPC_TIMEOUT, ready_cb, sd)))
        jobd_lost (sd, strerror (errno));
}

static void ping_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct schedd *sd = arg;
    json_int_t peer, rank;
    json_t *in;

    (void) rpc;
    if (fx_msg_errnum (rsp) != 0) {
        step_failed (sd, rsp);
        return;
    }
    sd->jobd_rpc = NULL;
    if (!(in = fx_msg_json (rsp, NULL))
        || json_unpack (in, "{s:I s:I}", "peer", &peer, "rank", &rank) < 0) {
        jobd_lost (sd, "job-manager.ping: no peer in the answer");
        return;
    }
    sd->jobd_peer = (uint32_t) peer;
    sd->jobd_rank = (uint32_t) rank;
    sd->jobd = JOBD_HELLO;
    if (!(sd->jobd_rpc = fx_rpc_start (sd->peer, "job-manager.sched-hello", 0, FX_MSGFLAG_STREAMING,
                                       NULL, 0, hello_cb, sd)))
        jobd_lost (sd, strerror (errno));
}

static void jobd_connect (struct schedd *sd)
{
    sd->jobd = JOBD_PING;
    if (!(sd->jobd_rpc =
              fx_rpc_start (sd->peer, "job-manager.ping", 0, 0, NULL, FX_RPC_TIMEOUT, ping_cb, sd)))
        jobd_lost (sd, strerror (errno));
}

void jobd_start (struct schedd *sd)
{
    ev_init (&sd->hello_timer, hello_timer_cb);
    sd->hello_timer.data = sd;
    sd->hello_retry = RETRY_MIN;
    jobd_connect (sd);
}

void jobd_stop (struct schedd *sd)
{
    ev_timer_stop (sd->loop, &sd->hello_timer);
    fx_rpc_cancel (sd->jobd_rpc);
    sd->jobd_rpc = NULL;
}

/* router.disconnect {"peer", "rank"}: is it jobd's connection? */
void jobd_disconnect_cb (struct fx_peer *p, struct fx_msg *ev, void *arg)
{
    struct schedd *sd = arg;
    json_int_t peer, rank;
    json_t *in;

    (void) p;
    if (sd->jobd < JOBD_HELLO || !(in = fx_msg_json (ev, NULL))
        || json_unpack (in, "{s:I s:I}", "peer", &peer, "rank", &rank) < 0)
        return;
    if ((uint32_t) peer == sd->jobd_peer && (uint32_t) rank == sd->jobd_rank)
        jobd_lost (sd, "its connection closed");
}
