/* resources.c - what schedd may allocate, from resourced's resource.acquire stream (doc/job.md,
 * "Resource acquisition").
 *
 * The first response of a stream gives R (every rank not excluded) and the ranks that are
 * up; later ones give ranks that went up or down, and R of ranks that joined since.  A down
 * rank is not allocated again until it is up; jobs running there are left alone.  When the
 * stream ends (resourced restarted) it is started again, 0.1 s doubling to 2 s, and its new
 * first response replaces the up set; the first failure of a run of them is logged.
 * At start-up schedd waits for the first response: without resources it cannot serve.
 */
#include <errno.h>
#include <string.h>
#include <syslog.h>

#include "schedd/schedd.h"

static void acquire_send (struct schedd *sd);

static void acquire_timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    (void) loop;
    (void) revents;
    acquire_send (w->data);
}

static void acquire_later (struct schedd *sd)
{
    ev_timer_stop (sd->loop, &sd->acquire_timer);
    ev_timer_set (&sd->acquire_timer, sd->acquire_retry, 0.);
    ev_timer_start (sd->loop, &sd->acquire_timer);
    sd->acquire_retry = sd->acquire_retry * 2 > RETRY_MAX ? RETRY_MAX : sd->acquire_retry * 2;
}

/* Mark the ranks of ids up or down. */
static int set_ranks (struct schedd *sd, const char *ids, int up, struct fx_error *err)
{
    struct fx_idset *set = fx_idset_decode (ids, err);

    if (!set)
        return -1;
    for (unsigned int r = fx_idset_first (set); r != FX_IDSET_INVALID_ID;
         r = fx_idset_next (set, r))
        pool_set_up (sd->pool, r, up);
    fx_idset_destroy (set);
    return 0;
}

/* Apply one response; first: the response that opens a stream (its up set is complete). */
static int apply (struct schedd *sd, json_t *in, int first, struct fx_error *err)
{
    json_t *R = NULL;
    const char *up = NULL, *down = NULL;

    if (json_unpack_ex (in, NULL, JSON_STRICT, "{s?o s?s s?s}", "resources", &R, "up", &up, "down",
                        &down)
            < 0
        || (first && (!R || !up)))
        return errprintf (err, "expected {\"resources\"?, \"up\"?, \"down\"?}");
    if (R && pool_add_R (sd->pool, R, err) < 0)
        return -1;
    if (first) {
        for (uint32_t r = 0; r < pool_size (sd->pool); r++)
            pool_set_up (sd->pool, r, 0);
    }
    if ((down && set_ranks (sd, down, 0, err) < 0) || (up && set_ranks (sd, up, 1, err) < 0))
        return -1;
    sched_dirty (sd->sched);
    return 0;
}

static void acquire_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct schedd *sd = arg;
    struct fx_error err = {""};
    int errnum = fx_msg_errnum (rsp), first;
    const char *errstr;
    json_t *in;

    (void) rpc;
    if (errnum != 0) {
        sd->acquire = NULL;
        errstr = fx_msg_errstr (rsp);
        if (sd->acquire_failures++ == 0)
            fx_log (sd->peer, LOG_INFO, "resource.acquire: %s: trying again",
                    errstr ? errstr : strerror (errnum));
        acquire_later (sd);
        return;
    }
    first = sd->acquire_first;
    sd->acquire_first = 0;
    if (!(in = fx_msg_json (rsp, &err)) || apply (sd, in, first, &err) < 0) {
        fx_log (sd->peer, LOG_ERR, "resource.acquire: %s", err.text);
        return;
    }
    if (first)
        fx_log (sd->peer, LOG_DEBUG, "resources acquired");
    sd->acquire_retry = RETRY_MIN;
    sd->acquire_failures = 0;
    sd->acquired = 1;
}

static void acquire_send (struct schedd *sd)
{
    sd->acquire_first = 1;
    if (!(sd->acquire = fx_rpc_start (sd->peer, "resource.acquire", 0, FX_MSGFLAG_STREAMING, NULL,
                                      0, acquire_cb, sd)))
        acquire_later (sd);
}

static void deadline_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    (void) revents;
    *(int *) w->data = 1;
    ev_break (loop, EVBREAK_ONE);
}

int resources_start (struct schedd *sd, struct fx_error *err)
{
    ev_timer deadline;
    int expired = 0;

    ev_init (&sd->acquire_timer, acquire_timer_cb);
    sd->acquire_timer.data = sd;
    sd->acquire_retry = RETRY_MIN;
    acquire_send (sd);
    ev_timer_init (&deadline, deadline_cb, ACQUIRE_AT_MOST, 0.);
    deadline.data = &expired;
    ev_timer_start (sd->loop, &deadline);
    while (!sd->acquired && !expired)
        ev_run (sd->loop, EVRUN_ONCE);
    ev_timer_stop (sd->loop, &deadline);
    if (!sd->acquired)
        return errprintf (err, "resourced did not answer resource.acquire within %gs",
                          ACQUIRE_AT_MOST);
    return 0;
}

void resources_stop (struct schedd *sd)
{
    ev_timer_stop (sd->loop, &sd->acquire_timer);
    fx_rpc_cancel (sd->acquire);
    sd->acquire = NULL;
}
