/* urgency.c - what a user may do to a job once submitted: change its urgency, raise an
 * exception on it (cancel is an exception of type cancel), signal it.
 *
 * The owner may act on any job; a guest only on its own (jobd_request_job checks), and may
 * not set an urgency above the default (16).  A new urgency gives a new priority at once;
 * a job put on hold gives its pending allocation request back, and one taken off hold is
 * sent to the scheduler.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "jobd/jobd.h"

static void reprioritize (struct jobd *jd, struct job *job, int old_urgency)
{
    int64_t priority = plugins_priority (jd, job);

    if (priority != job->priority && (job->state & (JOB_SCHED | JOB_RUNNING)))
        job_post (jd, job, "priority", json_pack ("{s:I}", "priority", (json_int_t) priority));
    if (job->state != JOB_SCHED)
        return;
    if (job->urgency == URGENCY_HOLD && old_urgency != URGENCY_HOLD)
        sched_job_cancel (jd, job);
    else if (old_urgency == URGENCY_HOLD)
        sched_job_ready (jd, job);
    else
        sched_reprioritize (jd, job);
}

static void urgency_cb (struct fx_peer *p, struct fx_msg *msg, void *arg)
{
    struct jobd *jd = arg;
    json_t *payload = fx_msg_json (msg, NULL);
    char idbuf[FX_FLUID_STRLEN];
    struct job *job;
    json_int_t id;
    int urgency, old;
    json_t *o;

    if (!payload || json_unpack (payload, "{s:I s:i !}", "id", &id, "urgency", &urgency) < 0) {
        fx_respond_error (p, msg, EPROTO, "malformed urgency request");
        return;
    }
    if (!(job = jobd_request_job (jd, msg, payload)))
        return;
    jobd_f58 (job->id, idbuf, sizeof (idbuf));
    if (urgency < 0 || urgency > URGENCY_EXPEDITE) {
        fx_respond_error (p, msg, EINVAL, "urgency %d is not in 0..31", urgency);
        return;
    }
    if (urgency > URGENCY_DEFAULT && !(msg->rolemask & FX_ROLE_OWNER)) {
        fx_respond_denied (p, msg, "only the instance owner may set urgency above 16");
        return;
    }
    if (!(job->state & JOB_PENDING)) {
        fx_respond_error (p, msg, EINVAL, "%s: job is no longer pending", idbuf);
        return;
    }
    old = job->urgency;
    o = json_pack ("{s:i}", "old_urgency", old);
    fx_respond (p, msg, o);
    json_decref (o);
    if (urgency == old)
        return;
    job_post (jd, job, "urgency",
              json_pack ("{s:i s:I}", "urgency", urgency, "userid", (json_int_t) msg->userid));
    reprioritize (jd, job, old);
}

static void raise_cb (struct fx_peer *p, struct fx_msg *msg, void *arg)
{
    struct jobd *jd = arg;
    json_t *payload = fx_msg_json (msg, NULL);
    const char *type, *note = "";
    char idbuf[FX_FLUID_STRLEN];
    json_int_t id;
    int severity = 0;
    struct job *job;

    if (!payload
        || json_unpack (payload, "{s:I s:s s?i s?s !}", "id", &id, "type", &type, "severity",
                        &severity, "note", &note)
               < 0
        || severity < 0 || severity > 7 || !*type || strlen (type) > 64) {
        fx_respond_error (p, msg, EPROTO, "malformed raise request");
        return;
    }
    if (!(job = jobd_request_job (jd, msg, payload)))
        return;
    if (job->state == JOB_INACTIVE) {
        fx_respond_error (p, msg, EINVAL, "%s: job is inactive",
                          jobd_f58 (job->id, idbuf, sizeof (idbuf)));
        return;
    }
    job_raise (jd, job, type, severity, msg->userid, "%s", note);
    fx_respond (p, msg, NULL);
}

static void kill_cb (struct fx_peer *p, struct fx_msg *msg, void *arg)
{
    struct jobd *jd = arg;
    json_t *payload = fx_msg_json (msg, NULL);
    char idbuf[FX_FLUID_STRLEN];
    json_int_t id;
    int signum = SIGTERM;
    struct job *job;

    if (!payload || json_unpack (payload, "{s:I s?i !}", "id", &id, "signal", &signum) < 0
        || signum <= 0 || signum >= NSIG) {
        fx_respond_error (p, msg, EPROTO, "malformed kill request");
        return;
    }
    if (!(job = jobd_request_job (jd, msg, payload)))
        return;
    if (!job->exec) {
        fx_respond_error (p, msg, EINVAL, "%s: job is not running",
                          jobd_f58 (job->id, idbuf, sizeof (idbuf)));
        return;
    }
    exec_kill (jd, job, signum);
    fx_respond (p, msg, NULL);
}

const struct fx_handler urgency_handlers[] = {
    {"job-manager.urgency", urgency_cb, FX_ROLE_ALL},
    {"job-manager.raise", raise_cb, FX_ROLE_ALL},
    {"job-manager.kill", kill_cb, FX_ROLE_ALL},
    {NULL, NULL, 0},
};
