/* sched.c - jobd's side of the scheduler protocol (doc/job.md, after RFC 27).
 *
 * schedd says hello (a stream: jobd answers with every job that holds resources, then
 * ENODATA), then ready; from then on every job in SCHED with a non-zero urgency gets one
 * sched.alloc, while the queue is started.  A success answer is committed (alloc event and
 * R) before execd is asked to start the job, so a job whose alloc is not durable never
 * ran.  An error answer (schedd went away) forgets every outstanding alloc: the jobs stay
 * in SCHED and are sent again to the next schedd once it is ready.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "jobd/jobd.h"
#include "services/rlist.h"

static json_t *alloc_payload (const struct job *job)
{
    /* The jobspec kept in memory has no environment (job_keep_jobspec): schedd needs none. */
    return json_pack ("{s:I s:I s:I s:f s:O}", "id", (json_int_t) job->id, "priority",
                      (json_int_t) job->priority, "userid", (json_int_t) job->userid, "t_submit",
                      job->t_submit, "jobspec", job->jobspec);
}

static void sched_free_R (struct jobd *jd, uint64_t id, json_t *R)
{
    json_t *o = json_pack ("{s:I s:O}", "id", (json_int_t) id, "R", R);

    fx_rpc_start (jd->peer, "sched.free", 0, FX_MSGFLAG_NORESPONSE, o, 0, NULL, NULL);
    json_decref (o);
}

/* The job's allocation is durable: start it, unless it was canceled meanwhile. */
static void alloc_committed_cb (struct jobd *jd, int rc, const char *errstr, void *arg)
{
    uint64_t *idp = arg;
    struct job *job = jobd_lookup (jd, *idp);

    free (idp);
    if (!job)
        return;
    job->start_pending = 0;
    if (rc < 0) {
        job_raise (jd, job, "alloc", 0, 0, "allocation not recorded: %s", errstr);
        return;
    }
    if (job->state == JOB_RUN)
        hold_job_run (jd, job); /* the prolog, if any, then execd */
    else
        job_cleanup_progress (jd, job);
}

static void alloc_success (struct jobd *jd, struct job *job, json_t *R)
{
    char key[64], dothex[FX_FLUID_STRLEN];
    struct fx_rlist *rl;
    uint64_t *idp;

    if (job->state != JOB_SCHED || jd->shutting_down) { /* canceled, or stopping: give it back */
        sched_free_R (jd, job->id, R);
        return;
    }
    job->R = json_incref (R);
    if ((rl = fx_rlist_decode (R, NULL))) {
        struct fx_idset *ranks = fx_rlist_ranks (rl);
        free (job->ranks);
        free (job->nodelist);
        job->ranks = ranks ? fx_idset_encode (ranks, 0) : NULL;
        job->nodelist = fx_rlist_nodelist (rl);
        job->nnodes = (int) fx_rlist_nnodes (rl);
        fx_idset_destroy (ranks);
        fx_rlist_destroy (rl);
    }
    fx_fluid_encode (dothex, sizeof (dothex), job->id, FX_FLUID_DOTHEX);
    snprintf (key, sizeof (key), "job.%s.R", dothex);
    commit_put (jd, key, json_incref (R));
    job_post (jd, job, "alloc",
              json_pack ("{s:s s:s s:i}", "ranks", job->ranks ? job->ranks : "", "nodelist",
                         job->nodelist ? job->nodelist : "", "nnodes", job->nnodes));
    job->start_pending = 1;
    if (!(idp = malloc (sizeof (*idp)))
        || (*idp = job->id, commit_barrier (jd, alloc_committed_cb, idp) < 0)) {
        free (idp);
        job->start_pending = 0;
        job_raise (jd, job, "alloc", 0, 0, "out of memory");
    }
}

/* One sched.alloc stream.  It outlives its answer until schedd ends the stream, so it
 * names its job by id, never by pointer. */
struct allocreq {
    struct jobd *jd;
    uint64_t id;
    struct fx_rpc *rpc;
    int answered; /* the final answer came; only the stream's end is left */
};

static void alloc_detach (struct jobd *jd, struct job *job)
{
    job->alloc = NULL;
    job->alloc_pending = 0;
    if (jd->alloc_pending > 0)
        jd->alloc_pending--;
}

/* Forget every outstanding alloc (schedd left, or a new one said hello): stop their
 * streams, then move on the jobs that were waiting for an answer to be cleaned. */
static void alloc_forget_all (struct jobd *jd)
{
    for (size_t i = 0; i < jd->njobs; i++) {
        struct job *job = jd->jobs[i];
        struct allocreq *ar = job->alloc;
        if (!ar)
            continue;
        alloc_detach (jd, job);
        fx_rpc_cancel (ar->rpc);
        free (ar);
    }
    jd->alloc_pending = 0;
    for (size_t i = 0; i < jd->njobs; i++)
        if (jd->jobs[i]->state == JOB_CLEANUP)
            job_cleanup_progress (jd, jd->jobs[i]);
    queue_check_waiters (jd);
}

static void sched_lost (struct jobd *jd, const char *why)
{
    if (jd->sched_ready)
        fx_log (jd->peer, LOG_WARNING, "scheduler lost: %s", why);
    jd->sched_ready = 0;
    alloc_forget_all (jd);
}

/* After the final answer: a job still in SCHED (a cancel crossed an un-hold or a queue
 * restart) is asked for again; one in CLEANUP goes on. */
static void alloc_done (struct jobd *jd, struct job *job)
{
    if (job->state == JOB_SCHED)
        sched_job_ready (jd, job);
    else if (job->state == JOB_CLEANUP)
        job_cleanup_progress (jd, job);
    queue_check_waiters (jd);
}

/* The stream ended with an error.  ENOSYS, EHOSTUNREACH, ENOTCONN, ETIMEDOUT: schedd is
 * gone.  Anything else is about this job only. */
static void alloc_error (struct allocreq *ar, struct fx_msg *rsp)
{
    struct jobd *jd = ar->jd;
    struct job *job = jobd_lookup (jd, ar->id);
    int errnum = (int) fx_msg_errnum (rsp);

    if (ar->answered || !job || job->alloc != ar)
        return;
    alloc_detach (jd, job);
    if (errnum == ENOSYS || errnum == EHOSTUNREACH || errnum == ENOTCONN || errnum == ETIMEDOUT)
        sched_lost (jd, fx_msg_errstr (rsp));
    else {
        if (errnum != ENODATA)
            job_raise (jd, job, "alloc", 0, 0, "scheduler: %s", fx_msg_errstr (rsp));
        alloc_done (jd, job);
    }
}

static void alloc_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct allocreq *ar = arg;
    struct jobd *jd = ar->jd;
    json_t *payload, *R = NULL, *ann = NULL;
    const char *type, *note = "";
    json_int_t id;
    struct job *job;

    (void) rpc;
    if (jd->stopping)
        return;
    if (fx_msg_errnum (rsp) != 0) { /* the stream's end: the library drops the rpc */
        alloc_error (ar, rsp);
        free (ar);
        return;
    }
    if (!(payload = fx_msg_json (rsp, NULL))
        || json_unpack (payload, "{s:I s:s s?o s?s s?o}", "id", &id, "type", &type, "R", &R, "note",
                        &note, "annotations", &ann)
               < 0
        || (uint64_t) id != ar->id) {
        fx_log (jd->peer, LOG_ERR, "sched.alloc: malformed response");
        return;
    }
    job = jobd_lookup (jd, ar->id);
    if (!job || job->alloc != ar) { /* forgotten meanwhile: give back what came */
        if (R && !strcmp (type, "success"))
            sched_free_R (jd, ar->id, R);
        return;
    }
    if (!strcmp (type, "annotate")) {
        json_decref (job->annotations);
        job->annotations = json_incref (ann);
        list_job_changed (jd, job);
        return;
    }
    ar->answered = 1;
    alloc_detach (jd, job);
    if (!strcmp (type, "success") && R)
        alloc_success (jd, job, R);
    else if (!strcmp (type, "deny"))
        job_raise (jd, job, "alloc", 0, 0, "%s", note);
    alloc_done (jd, job);
}

static void send_alloc (struct jobd *jd, struct job *job)
{
    json_t *o = alloc_payload (job);
    struct allocreq *ar = calloc (1, sizeof (*ar));

    if (!o || !ar
        || !(ar->rpc = fx_rpc_start (jd->peer, "sched.alloc", 0, FX_MSGFLAG_STREAMING, o, 0,
                                     alloc_cb, ar))) {
        json_decref (o);
        free (ar);
        fx_log (jd->peer, LOG_ERR, "cannot send sched.alloc: %s", strerror (errno));
        return;
    }
    json_decref (o);
    ar->jd = jd;
    ar->id = job->id;
    job->alloc = ar;
    job->alloc_pending = 1;
    jd->alloc_pending++;
}

void sched_job_ready (struct jobd *jd, struct job *job)
{
    if (!jd->shutting_down && jd->sched_ready && jd->q_started && job->state == JOB_SCHED
        && !job->alloc_pending && job->urgency > URGENCY_HOLD)
        send_alloc (jd, job);
}

void sched_job_cancel (struct jobd *jd, struct job *job)
{
    json_t *o;

    if (!job->alloc_pending)
        return;
    o = json_pack ("{s:I}", "id", (json_int_t) job->id);
    fx_rpc_start (jd->peer, "sched.cancel", 0, FX_MSGFLAG_NORESPONSE, o, 0, NULL, NULL);
    json_decref (o);
}

void sched_job_free (struct jobd *jd, struct job *job)
{
    if (job->R)
        sched_free_R (jd, job->id, job->R);
}

void sched_reprioritize (struct jobd *jd, struct job *job)
{
    json_t *o;

    if (!job->alloc_pending)
        return;
    o = json_pack ("{s:[[I,I]]}", "jobs", (json_int_t) job->id, (json_int_t) job->priority);
    fx_rpc_start (jd->peer, "sched.prioritize", 0, FX_MSGFLAG_NORESPONSE, o, 0, NULL, NULL);
    json_decref (o);
}

static int by_priority (const void *a, const void *b)
{
    const struct job *x = *(struct job *const *) a, *y = *(struct job *const *) b;

    if (x->priority != y->priority)
        return x->priority > y->priority ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Send every job waiting in SCHED (a scheduler became ready, the queue was started),
 * highest priority first: schedd may allocate the first ones before it sees the others. */
void sched_send_all (struct jobd *jd)
{
    struct job **v;
    size_t n = 0;

    if (!jd->sched_ready || !jd->q_started || !(v = malloc ((jd->njobs + 1) * sizeof (*v))))
        return;
    for (size_t i = 0; i < jd->njobs; i++)
        if (jd->jobs[i]->state == JOB_SCHED)
            v[n++] = jd->jobs[i];
    qsort (v, n, sizeof (*v), by_priority);
    for (size_t i = 0; i < n; i++)
        sched_job_ready (jd, v[i]);
    free (v);
}

/* Take back every outstanding alloc (the queue was stopped). */
void sched_cancel_all (struct jobd *jd)
{
    for (size_t i = 0; i < jd->njobs; i++)
        sched_job_cancel (jd, jd->jobs[i]);
}

int sched_feasibility (struct jobd *jd, json_t *jobspec, fx_rpc_f cb, void *arg)
{
    json_t *o;
    struct fx_rpc *rpc;

    if (!jd->sched_ready) {
        errno = ENOSYS;
        return -1;
    }
    if (!(o = json_pack ("{s:O}", "jobspec", jobspec)))
        return -1;
    rpc = fx_rpc_start (jd->peer, "sched.feasibility", 0, 0, o, FX_RPC_TIMEOUT, cb, arg);
    json_decref (o);
    return rpc ? 0 : -1;
}

static void hello_cb (struct fx_peer *p, struct fx_msg *msg, void *arg)
{
    struct jobd *jd = arg;

    jd->sched_ready = 0;
    for (size_t i = 0; i < jd->njobs; i++) {
        struct job *job = jd->jobs[i];
        json_t *o;
        if (!job->has_alloc || !job->R)
            continue;
        o = json_pack ("{s:I s:I s:I s:f s:O}", "id", (json_int_t) job->id, "priority",
                       (json_int_t) job->priority, "userid", (json_int_t) job->userid, "t_submit",
                       job->t_submit, "R", job->R);
        fx_respond (p, msg, o);
        json_decref (o);
    }
    fx_respond_error (p, msg, ENODATA, NULL);
    alloc_forget_all (jd);
}

static void ready_cb (struct fx_peer *p, struct fx_msg *msg, void *arg)
{
    struct jobd *jd = arg;
    json_t *o;
    size_t count = 0;

    for (size_t i = 0; i < jd->njobs; i++)
        if (jd->jobs[i]->state == JOB_SCHED)
            count++;
    o = json_pack ("{s:I}", "count", (json_int_t) count);
    fx_respond (p, msg, o);
    json_decref (o);
    jd->sched_ready = 1;
    fx_log (jd->peer, LOG_INFO, "scheduler ready, %zu jobs waiting", count);
    sched_send_all (jd);
}

/* jobd stops: end the alloc streams (schedd forgets them). */
void sched_stop (struct jobd *jd)
{
    jd->sched_ready = 0;
    for (size_t i = 0; i < jd->njobs; i++) {
        struct allocreq *ar = jd->jobs[i]->alloc;
        if (ar) {
            alloc_detach (jd, jd->jobs[i]);
            fx_rpc_cancel (ar->rpc);
            free (ar);
        }
    }
}

const struct fx_handler sched_handlers[] = {
    {"job-manager.sched-hello", hello_cb, FX_ROLE_OWNER},
    {"job-manager.sched-ready", ready_cb, FX_ROLE_OWNER},
    {NULL, NULL, 0},
};
