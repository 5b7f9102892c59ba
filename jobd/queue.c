/* queue.c - the queue's two switches and the requests that wait on it (flux queue).
 *
 * Submission may be enabled or disabled, scheduling started or stopped, each with an
 * optional reason; both are kept in kvsd (`job-manager.queue`) so that they survive a
 * restart, as the guide promises.  `drain` waits until no job is active, `idle` until no
 * job runs and no allocation is pending; both are answered from queue_check_waiters(),
 * which the state machine calls whenever a job leaves RUN, CLEANUP or the active states.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobd/jobd.h"

#define QUEUE_KEY "job-manager.queue"

static void queue_save (struct jobd *jd)
{
    json_t *o = json_pack ("{s:b s:b}", "enabled", jd->q_enabled, "started", jd->q_started);

    if (o && jd->q_disable_reason)
        json_object_set_new (o, "disable-reason", json_string (jd->q_disable_reason));
    if (o && jd->q_stop_reason)
        json_object_set_new (o, "stop-reason", json_string (jd->q_stop_reason));
    commit_put (jd, QUEUE_KEY, o);
}

static void set_reason (char **dst, const char *reason)
{
    free (*dst);
    *dst = reason && *reason ? strdup (reason) : NULL;
}

int queue_load (struct jobd *jd, struct fx_error *err)
{
    json_t *in = json_pack ("{s:s}", "key", QUEUE_KEY), *out = NULL, *value;
    const char *dr = NULL, *sr = NULL;
    int enabled = 1, started = 1;

    jd->q_enabled = jd->q_started = 1;
    if (fx_rpc_call (jd->peer, "kvs.get", 0, in, FX_RPC_TIMEOUT, &out, err) < 0) {
        json_decref (in);
        return errno == ENOENT ? 0 : -1;
    }
    json_decref (in);
    value = json_object_get (out, "value");
    if (json_unpack (value, "{s?b s?b s?s s?s}", "enabled", &enabled, "started", &started,
                     "disable-reason", &dr, "stop-reason", &sr)
        == 0) {
        jd->q_enabled = enabled;
        jd->q_started = started;
        set_reason (&jd->q_disable_reason, dr);
        set_reason (&jd->q_stop_reason, sr);
    }
    json_decref (out);
    return 0;
}

int queue_accepting (struct jobd *jd, struct fx_error *err)
{
    if (jd->q_enabled)
        return 0;
    if (jd->q_disable_reason)
        return errprintf (err, "job submission is disabled: %s", jd->q_disable_reason);
    return errprintf (err, "job submission is disabled");
}

static void status_cb (struct fx_peer *p, struct fx_msg *msg, void *arg)
{
    struct jobd *jd = arg;
    size_t queued = 0, running = 0;
    json_t *o;

    for (size_t i = 0; i < jd->njobs; i++) {
        struct job *job = jd->jobs[i];
        if (job->state == JOB_SCHED && !job->alloc_pending && job->urgency > URGENCY_HOLD)
            queued++;
        if (job->state == JOB_RUN)
            running++;
    }
    o = json_pack ("{s:b s:b s:I s:I s:I s:I}", "enabled", jd->q_enabled, "started", jd->q_started,
                   "queued", (json_int_t) queued, "pending", (json_int_t) jd->alloc_pending,
                   "running", (json_int_t) running, "free-pending", (json_int_t) 0);
    if (o && jd->q_disable_reason)
        json_object_set_new (o, "disable-reason", json_string (jd->q_disable_reason));
    if (o && jd->q_stop_reason)
        json_object_set_new (o, "stop-reason", json_string (jd->q_stop_reason));
    fx_respond (p, msg, o);
    json_decref (o);
}

/* enable, disable, start, stop: one handler, told apart by the topic. */
static void control_cb (struct fx_peer *p, struct fx_msg *msg, void *arg)
{
    struct jobd *jd = arg;
    json_t *payload = fx_msg_json (msg, NULL);
    const char *reason = NULL, *method = strchr (msg->topic, '.') + 1;

    if (payload && json_unpack_ex (payload, NULL, JSON_STRICT, "{s?s}", "reason", &reason) < 0) {
        fx_respond_error (p, msg, EPROTO, "malformed queue request");
        return;
    }
    if (!strcmp (method, "queue-enable")) {
        jd->q_enabled = 1;
        set_reason (&jd->q_disable_reason, NULL);
    } else if (!strcmp (method, "queue-disable")) {
        jd->q_enabled = 0;
        set_reason (&jd->q_disable_reason, reason);
    } else if (!strcmp (method, "queue-start")) {
        jd->q_started = 1;
        set_reason (&jd->q_stop_reason, NULL);
        sched_send_all (jd);
    } else {
        jd->q_started = 0;
        set_reason (&jd->q_stop_reason, reason);
        sched_cancel_all (jd);
    }
    queue_save (jd);
    fx_respond (p, msg, NULL);
}

static int waiter_done (struct jobd *jd, const struct fx_msg *msg)
{
    if (strstr (msg->topic, "queue-drain"))
        return jd->nactive == 0;
    return jd->nrunning == 0 && jd->alloc_pending == 0;
}

static void wait_cb (struct fx_peer *p, struct fx_msg *msg, void *arg)
{
    struct jobd *jd = arg;
    struct fx_msg **nw;

    if (waiter_done (jd, msg)) {
        fx_respond (p, msg, NULL);
        return;
    }
    if (!(nw = realloc (jd->waiters, (jd->nwaiters + 1) * sizeof (*nw)))
        || !(nw[jd->nwaiters] = fx_msg_copy (msg))) {
        if (nw)
            jd->waiters = nw;
        fx_respond_error (p, msg, ENOMEM, "out of memory");
        return;
    }
    jd->waiters = nw;
    jd->nwaiters++;
}

void queue_check_waiters (struct jobd *jd)
{
    size_t i = 0;

    while (i < jd->nwaiters) {
        if (!waiter_done (jd, jd->waiters[i])) {
            i++;
            continue;
        }
        fx_respond (jd->peer, jd->waiters[i], NULL);
        fx_msg_destroy (jd->waiters[i]);
        jd->waiters[i] = jd->waiters[--jd->nwaiters];
    }
}

void queue_free (struct jobd *jd)
{
    for (size_t i = 0; i < jd->nwaiters; i++)
        fx_msg_destroy (jd->waiters[i]);
    free (jd->waiters);
    free (jd->q_disable_reason);
    free (jd->q_stop_reason);
}

const struct fx_handler queue_handlers[] = {
    {"job-manager.queue-status", status_cb, FX_ROLE_ALL},
    {"job-manager.queue-enable", control_cb, FX_ROLE_OWNER},
    {"job-manager.queue-disable", control_cb, FX_ROLE_OWNER},
    {"job-manager.queue-start", control_cb, FX_ROLE_OWNER},
    {"job-manager.queue-stop", control_cb, FX_ROLE_OWNER},
    {"job-manager.queue-drain", wait_cb, FX_ROLE_OWNER},
    {"job-manager.queue-idle", wait_cb, FX_ROLE_OWNER},
    {NULL, NULL, 0},
};
