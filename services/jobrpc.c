/* jobrpc.c - the job commands' requests to jobd (jobrpc.h): job-list.list, and the same
 * request sent to many jobs with a window of requests in flight, so that canceling a
 * thousand jobs takes a few round trips rather than a thousand.
 *
 * Failure policy: each job's failure is reported to the caller and counted; only a
 * failure to send anything at all is an error of the call.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "services/jobrpc.h"

#define WINDOW 256 /* requests in flight at once */

json_t *fx_job_list (struct fx_peer *p, const char *service, int max, int states, int results,
                     long userid, struct fx_error *err)
{
    char topic[128];
    json_t *in, *out = NULL, *jobs, *job;
    size_t i;

    snprintf (topic, sizeof (topic), "%s.list", service);
    if (!(in = json_pack ("{s:i s:i s:I}", "max", max, "states", states, "userid",
                          (json_int_t) userid))
        || (results && json_object_set_new (in, "results", json_integer (results)) < 0)) {
        json_decref (in);
        errno = ENOMEM;
        errprintf (err, "out of memory");
        return NULL;
    }
    if (fx_rpc_call (p, topic, FX_NODEID_ANY, in, FX_JOB_RPC_TIMEOUT, &out, err) < 0) {
        json_decref (in);
        return NULL;
    }
    json_decref (in);
    if (!(jobs = json_object_get (out, "jobs")) || !json_is_array (jobs))
        goto malformed;
    json_array_foreach (jobs, i, job)
    {
        if (!json_is_object (job) || !json_is_integer (json_object_get (job, "id")))
            goto malformed;
    }
    json_incref (jobs);
    json_decref (out);
    return jobs;
malformed:
    json_decref (out);
    errno = EPROTO;
    errprintf (err, "%s: malformed answer", topic);
    return NULL;
}

uint64_t fx_job_id (const json_t *job)
{
    return (uint64_t) json_integer_value (json_object_get (job, "id"));
}

struct each {
    struct fx_peer *p;
    const char *topic;
    const uint64_t *ids;
    const json_t *tmpl;
    size_t n, next, inflight;
    int failed;
    fx_job_fail_f fail;
    void *arg;
};

struct one {
    struct each *e;
    uint64_t id;
};

static int each_send (struct each *e);

static void each_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct one *o = arg;
    struct each *e = o->e;
    int errnum = (int) fx_msg_errnum (rsp);
    const char *why;

    (void) rpc;
    if (errnum) {
        why = fx_msg_errstr (rsp);
        e->failed++;
        if (e->fail)
            e->fail (o->id, errnum, why ? why : strerror (errnum), e->arg);
    }
    free (o);
    e->inflight--;
    while (e->inflight < WINDOW && e->next < e->n)
        each_send (e);
}

/* Send the request of job e->next (counted as failed when it cannot be sent). */
static int each_send (struct each *e)
{
    uint64_t id = e->ids[e->next++];
    json_t *in = json_deep_copy (e->tmpl);
    struct one *o = calloc (1, sizeof (*o));

    if (!in || !o || json_object_set_new (in, "id", json_integer ((json_int_t) id)) < 0) {
        errno = ENOMEM;
        goto error;
    }
    o->e = e;
    o->id = id;
    if (!fx_rpc_start (e->p, e->topic, FX_NODEID_ANY, 0, in, FX_JOB_RPC_TIMEOUT, each_cb, o))
        goto error;
    json_decref (in);
    e->inflight++;
    return 0;
error:
    e->failed++;
    if (e->fail)
        e->fail (id, errno, strerror (errno), e->arg);
    json_decref (in);
    free (o);
    return -1;
}

int fx_job_rpc_each (struct fx_peer *p, const char *topic, const uint64_t *ids, size_t n,
                     const json_t *tmpl, fx_job_fail_f fail, void *arg)
{
    struct each e = {
        .p = p, .topic = topic, .ids = ids, .n = n, .tmpl = tmpl, .fail = fail, .arg = arg};

    if (!json_is_object (tmpl)) {
        errno = EINVAL;
        return -1;
    }
    while (e.inflight < WINDOW && e.next < e.n)
        each_send (&e);
    while (e.inflight > 0)
        ev_run (fx_peer_loop (p), EVRUN_ONCE);
    return e.failed;
}
