/* service.c - the `sched` service (doc/job.md, "Scheduler protocol").
 *
 * sched.alloc is a streaming request from jobd: it is kept (its payload dropped) while the
 * job waits, answered with annotate responses when the job's annotation changes, and
 * ended by one final response (success with R, deny, or cancel) followed by ENODATA.  A
 * plain (not streaming) sched.alloc gets the final response only.
 * sched.cancel, sched.prioritize and sched.free have no response.  A router also sends
 * sched.cancel {"matchtag"} when an alloc's requester has gone: the job is dropped
 * silently.  sched.feasibility and sched.resource-status answer at once.  Every payload is
 * decoded strictly; a bad one gets EPROTO (or, for a job, a deny) and a log line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "schedd/schedd.h"
#include "services/fluid.h"
#include "services/jobspec.h"

static const char *idstr (uint64_t id, char *buf, size_t len)
{
    if (fx_fluid_encode (buf, len, id, FX_FLUID_F58) < 0)
        snprintf (buf, len, "%llu", (unsigned long long) id);
    return buf;
}

int service_request (json_t *jobspec, struct sched_req *rq, struct fx_error *err)
{
    struct fx_jobspec js;

    if (fx_jobspec_parse_json (jobspec, &js, err) < 0)
        return -1;
    *rq = (struct sched_req){
        .nnodes = js.nnodes,
        .slots_per_node = js.slots_per_node,
        .nslots = js.nslots,
        .cores_per_slot = js.cores_per_slot,
        .gpus_per_slot = js.gpus_per_slot,
        .exclusive = js.exclusive,
        .duration = js.duration,
    };
    fx_jobspec_clear (&js);
    return 0;
}

static void deny (struct fx_peer *p, struct fx_msg *req, json_int_t id, const char *note)
{
    json_t *o = json_pack ("{s:I s:s s:s}", "id", id, "type", "deny", "note", note);

    if (o)
        fx_respond (p, req, o);
    json_decref (o);
    if (req->flags & FX_MSGFLAG_STREAMING)
        fx_respond_error (p, req, ENODATA, NULL);
}

/* The final answer to a job's alloc: payload, then the end of the stream. */
static void finish (struct schedd *sd, struct job *job, json_t *o)
{
    struct fx_msg *req = job->req;

    if (!req)
        return;
    if (o)
        fx_respond (sd->peer, req, o);
    if (req->flags & FX_MSGFLAG_STREAMING)
        fx_respond_error (sd->peer, req, ENODATA, NULL);
    fx_msg_destroy (req);
    job->req = NULL;
}

static int started (struct sched *s, struct job *job, void *arg)
{
    struct schedd *sd = arg;
    json_t *R, *o = NULL;
    char name[32];

    (void) s;
    R = pool_R (sd->pool, &job->alloc, job->t_start, job->t_expire, job->rq.nslots);
    if (R)
        o = json_pack ("{s:I s:s s:o}", "id", (json_int_t) job->id, "type", "success", "R", R);
    if (!o) {
        /* Deny rather than leave jobd waiting; the scheduler gives the resources back. */
        fx_log (sd->peer, LOG_ERR, "%s: cannot encode its R: denied",
                idstr (job->id, name, sizeof (name)));
        if (job->req)
            deny (sd->peer, job->req, (json_int_t) job->id, "scheduler out of memory");
        fx_msg_destroy (job->req);
        job->req = NULL;
        return -1;
    }
    fx_metric_inc (sd->m_alloc);
    finish (sd, job, o);
    json_decref (o);
    return 0;
}

static void annotate (struct sched *s, struct job *job, void *arg)
{
    struct schedd *sd = arg;
    json_t *o;

    (void) s;
    if (!job->req || !(job->req->flags & FX_MSGFLAG_STREAMING))
        return; /* a plain request gets its final answer only */
    o = json_pack ("{s:I s:s s:{s:{s:s s:o}}}", "id", (json_int_t) job->id, "type", "annotate",
                   "annotations", "sched", "reason_pending", job->reason ? job->reason : "",
                   "t_estimate", job->t_estimate > 0 ? json_real (job->t_estimate) : json_null ());
    if (o)
        fx_respond (sd->peer, job->req, o);
    json_decref (o);
}

const struct sched_ops service_ops = {started, annotate};

void service_drop_job (struct sched *s, struct job *job, void *arg)
{
    (void) arg;
    fx_msg_destroy (job->req);
    job->req = NULL;
    sched_remove (s, job);
}

/* sched.alloc {"id","priority","userid","t_submit","jobspec"} (streaming). */
static void alloc_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct schedd *sd = arg;
    struct fx_error err = {""};
    json_int_t id, priority, userid;
    double t_submit;
    struct sched_req rq;
    struct fx_msg *copy;
    json_t *in, *jobspec;
    char name[32];

    if (!(in = fx_msg_json (req, NULL))
        || json_unpack_ex (in, NULL, JSON_STRICT, "{s:I s:I s:I s:F s:o}", "id", &id, "priority",
                           &priority, "userid", &userid, "t_submit", &t_submit, "jobspec", &jobspec)
               < 0) {
        fx_respond_error (p, req, EPROTO,
                          "sched.alloc: expected {\"id\", \"priority\", \"userid\", "
                          "\"t_submit\", \"jobspec\"}");
        return;
    }
    if (service_request (jobspec, &rq, &err) < 0) {
        deny (p, req, id, err.text);
        return;
    }
    if (pool_feasible (sd->pool, &rq, &err) < 0) {
        deny (p, req, id, err.text);
        return;
    }
    if (!(copy = fx_msg_copy (req)) || fx_msg_set_payload (copy, NULL) < 0) {
        fx_msg_destroy (copy);
        fx_respond_error (p, req, ENOMEM, "sched.alloc: out of memory");
        return;
    }
    if (!sched_add_pending (sd->sched, (uint64_t) id, priority, (uint32_t) userid, t_submit, &rq,
                            copy)) {
        fx_respond_error (p, req, errno, "sched.alloc: %s: %s",
                          idstr ((uint64_t) id, name, sizeof (name)),
                          errno == EEXIST ? "already known" : strerror (errno));
        fx_msg_destroy (copy);
    }
}

/* The route stack names the requester's connection; a router's cancel carries the same. */
static int same_sender (const struct fx_msg *a, const struct fx_msg *b)
{
    if (a->nroutes != b->nroutes)
        return 0;
    for (int i = 0; i < a->nroutes; i++) {
        if (a->route[i].rank != b->route[i].rank || a->route[i].peer != b->route[i].peer)
            return 0;
    }
    return 1;
}

struct matchtag_find {
    const struct fx_msg *cancel;
    uint32_t matchtag;
    struct job *found;
};

static void find_matchtag (struct sched *s, struct job *job, void *arg)
{
    struct matchtag_find *f = arg;

    (void) s;
    if (job->req && fx_msg_matchtag (job->req) == f->matchtag && same_sender (job->req, f->cancel))
        f->found = job;
}

/* sched.cancel {"id"} from jobd, or {"matchtag"} from a router (the requester left). */
static void cancel_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct schedd *sd = arg;
    json_int_t id, matchtag;
    struct job *job;
    json_t *in, *o;

    if (!(in = fx_msg_json (req, NULL)))
        return;
    if (json_unpack_ex (in, NULL, JSON_STRICT, "{s:I}", "matchtag", &matchtag) == 0) {
        struct matchtag_find f = {req, (uint32_t) matchtag, NULL};
        sched_foreach (sd->sched, find_matchtag, &f);
        if (f.found && f.found->state == JOB_PENDING)
            service_drop_job (sd->sched, f.found, sd);
        return;
    }
    if (json_unpack_ex (in, NULL, JSON_STRICT, "{s:I}", "id", &id) < 0) {
        fx_log (p, LOG_ERR, "sched.cancel: expected {\"id\"}");
        return;
    }
    if (!(job = sched_lookup (sd->sched, (uint64_t) id)) || job->state != JOB_PENDING)
        return; /* already allocated or gone: jobd will free it */
    o = json_pack ("{s:I s:s}", "id", id, "type", "cancel");
    finish (sd, job, o);
    json_decref (o);
    sched_remove (sd->sched, job);
}

/* sched.prioritize {"jobs":[[id,priority],...]} */
static void prioritize_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct schedd *sd = arg;
    json_t *in, *jobs, *e;
    size_t i;

    if (!(in = fx_msg_json (req, NULL))
        || json_unpack_ex (in, NULL, JSON_STRICT, "{s:o}", "jobs", &jobs) < 0
        || !json_is_array (jobs)) {
        fx_log (p, LOG_ERR, "sched.prioritize: expected {\"jobs\":[[id,priority],...]}");
        return;
    }
    json_array_foreach (jobs, i, e)
    {
        json_int_t id, priority;
        struct job *job;
        if (json_unpack_ex (e, NULL, JSON_STRICT, "[II]", &id, &priority) < 0) {
            fx_log (p, LOG_ERR, "sched.prioritize: jobs[%zu]: expected [id, priority]", i);
            continue;
        }
        if ((job = sched_lookup (sd->sched, (uint64_t) id)))
            sched_prioritize (sd->sched, job, priority);
    }
}

/* sched.free {"id","R"?,"final"?}: what the job held is free again. */
static void free_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct schedd *sd = arg;
    json_int_t id;
    json_t *in, *R = NULL;
    struct job *job;
    int final = 1;
    char name[32];

    if (!(in = fx_msg_json (req, NULL))
        || json_unpack_ex (in, NULL, JSON_STRICT, "{s:I s?o s?b}", "id", &id, "R", &R, "final",
                           &final)
               < 0) {
        fx_log (p, LOG_ERR, "sched.free: expected {\"id\", \"R\"}");
        return;
    }
    if (!(job = sched_lookup (sd->sched, (uint64_t) id)) || job->state != JOB_RUNNING) {
        fx_log (p, LOG_ERR, "sched.free: %s holds no resources",
                idstr ((uint64_t) id, name, sizeof (name)));
        return;
    }
    sched_remove (sd->sched, job);
}

/* sched.feasibility {"jobspec"} -> {} or EINVAL "unsatisfiable: ..." */
static void feasibility_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct schedd *sd = arg;
    struct fx_error err = {""};
    struct sched_req rq;
    json_t *in, *jobspec;

    if (!(in = fx_msg_json (req, NULL))
        || json_unpack_ex (in, NULL, JSON_STRICT, "{s:o}", "jobspec", &jobspec) < 0) {
        fx_respond_error (p, req, EPROTO, "sched.feasibility: expected {\"jobspec\"}");
        return;
    }
    if (service_request (jobspec, &rq, &err) < 0 || pool_feasible (sd->pool, &rq, &err) < 0) {
        fx_respond_error (p, req, EINVAL, "%s", err.text);
        return;
    }
    fx_respond (p, req, NULL);
}

/* sched.resource-status {} -> {"allocated": idset, "R": the cores and GPUs in use} */
static void status_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct schedd *sd = arg;
    struct fx_idset *ids = pool_allocated_ranks (sd->pool);
    char *s = ids ? fx_idset_encode (ids, 0) : NULL;
    json_t *R = pool_allocated_R (sd->pool);
    json_t *in, *o = s && R ? json_pack ("{s:s s:O}", "allocated", s, "R", R) : NULL;

    if (!(in = fx_msg_json (req, NULL)) || json_object_size (in) != 0)
        fx_respond_error (p, req, EPROTO, "sched.resource-status: expected {}");
    else if (!o)
        fx_respond_error (p, req, ENOMEM, "sched.resource-status: out of memory");
    else
        fx_respond (p, req, o);
    json_decref (o);
    json_decref (R);
    free (s);
    fx_idset_destroy (ids);
}

const struct fx_handler service_handlers[] = {
    {"sched.alloc", alloc_cb, FX_ROLE_OWNER},
    {"sched.cancel", cancel_cb, FX_ROLE_OWNER},
    {"sched.prioritize", prioritize_cb, FX_ROLE_OWNER},
    {"sched.free", free_cb, FX_ROLE_OWNER},
    {"sched.feasibility", feasibility_cb, FX_ROLE_OWNER},
    {"sched.resource-status", status_cb, FX_ROLE_ALL},
    {NULL, NULL, 0},
};
