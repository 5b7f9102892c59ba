/* ingest.c - job-ingest.submit: verify, validate, number and record a new job.
 *
 * A submission goes through three asynchronous steps before it is answered: the signature
 * (a signer worker thread talks to munged), feasibility (schedd, when one is attached), and
 * the commit of J, the jobspec and the first events (commit.c).  Only then is the submitter
 * told the job id, so an acknowledged job is durable.  The job enters the state machine as
 * soon as it has an id, so it may already be waiting for resources when the answer goes.
 * Failure policy: every refusal is one line to the submitter and a counter; nothing is kept
 * of a refused job.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "jobd/jobd.h"

struct submit {
    struct jobd *jd;
    struct fx_msg *req;
    int urgency;
    uint32_t userid;
    int owner; /* the submitter is the instance owner */
    json_t *jobspec;
    char *J;
    uint64_t id;
};

static void submit_destroy (struct submit *s)
{
    if (s) {
        fx_msg_destroy (s->req);
        json_decref (s->jobspec);
        free (s->J);
        free (s);
    }
}

static void submit_fail (struct submit *s, int errnum, const char *prefix, const char *text)
{
    fx_respond_error (s->jd->peer, s->req, errnum, "%s%s", prefix, text);
    fx_metric_inc (s->jd->m_submits, "refused");
    submit_destroy (s);
}

static void committed_cb (struct jobd *jd, int rc, const char *errstr, void *arg)
{
    struct submit *s = arg;
    struct job *job = jobd_lookup (jd, s->id);

    if (rc < 0) {
        if (job)
            job_raise (jd, job, "ingest", 0, 0, "not recorded: %s", errstr ? errstr : "kvs error");
        submit_fail (s, EIO, "job not recorded: ", errstr ? errstr : "kvs error");
        return;
    }
    json_t *o = json_pack ("{s:I}", "id", (json_int_t) s->id);
    fx_respond (jd->peer, s->req, o);
    json_decref (o);
    fx_metric_inc (jd->m_submits, "accepted");
    submit_destroy (s);
}

static int record (struct submit *s, struct fx_error *err)
{
    struct jobd *jd = s->jd;
    char key[64], dothex[FX_FLUID_STRLEN];
    struct job *job;

    if (fx_fluid_generate (&jd->gen, &s->id) < 0)
        return errprintf (err, "cannot issue a job id: %s", strerror (errno));
    if (!(job = job_create (s->id)) || job_fill_from_jobspec (job, s->jobspec) < 0) {
        job_destroy (job);
        return errprintf (err, "out of memory");
    }
    if (job_keep_jobspec (job, s->jobspec) < 0) {
        job_destroy (job);
        return errprintf (err, "out of memory");
    }
    job->userid = s->userid; /* the submit event says so too; depend_check needs it now */
    if (depend_check (jd, job, s->owner, err) < 0) {
        job_destroy (job);
        return -1;
    }
    if (jobd_insert (jd, job) < 0) {
        job_destroy (job);
        return errprintf (err, "out of memory");
    }
    fx_fluid_encode (dothex, sizeof (dothex), s->id, FX_FLUID_DOTHEX);
    snprintf (key, sizeof (key), "job.%s.J", dothex);
    commit_put (jd, key, json_string (s->J));
    snprintf (key, sizeof (key), "job.%s.jobspec", dothex);
    commit_put (jd, key, json_incref (s->jobspec));
    commit_put (jd, "job-manager.maxid", json_integer ((json_int_t) jd->maxid));
    job_post (jd, job, "submit",
              json_pack ("{s:i s:I s:i s:i}", "urgency", s->urgency, "userid",
                         (json_int_t) s->userid, "flags", 0, "version", 1));
    job_post (jd, job, "validate",
              json_pack ("{s:s s:i s:i s:i s:i s:f}", "name", job->name, "ntasks", job->ntasks,
                         "nnodes", job->nnodes, "ncores", job->ncores, "ngpus", job->ngpus,
                         "duration", job->duration));
    return 0;
}

static void feasibility_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct submit *s = arg;
    struct fx_error err = {""};
    int errnum = rsp ? (int) fx_msg_errnum (rsp) : 0;

    if (s->jd->stopping)
        return;

    (void) rpc;
    /* EINVAL is schedd's "never satisfiable"; any other error means no schedd to ask, and
     * the job waits for one. */
    if (errnum == EINVAL) {
        submit_fail (s, EINVAL, "", fx_msg_errstr (rsp));
        return;
    }
    errno = 0;
    if (record (s, &err) < 0 || commit_barrier (s->jd, committed_cb, s) < 0)
        submit_fail (s, errno ? errno : EINVAL, "", err.text[0] ? err.text : "out of memory");
}

static void unwrapped_cb (int rc, uint32_t userid, char *payload, size_t len,
                          const struct fx_error *serr, void *arg)
{
    struct submit *s = arg;
    struct fx_error err = {""};
    struct fx_jobspec js;

    if (rc < 0) {
        free (payload);
        submit_fail (s, errno ? errno : EPERM, "signature: ", serr ? serr->text : "invalid");
        return;
    }
    if (userid != s->userid) {
        char text[128];
        free (payload);
        snprintf (text, sizeof (text), "signed by uid %u, submitted by uid %u", userid, s->userid);
        submit_fail (s, EPERM, "", text);
        return;
    }
    rc = fx_jobspec_parse (payload, len, &js, &err);
    free (payload);
    if (rc < 0) {
        submit_fail (s, EINVAL, "", err.text);
        return;
    }
    s->jobspec = json_incref (js.root);
    fx_jobspec_clear (&js);
    if (sched_feasibility (s->jd, s->jobspec, feasibility_cb, s) < 0)
        feasibility_cb (NULL, NULL, s);
}

static void submit_cb (struct fx_peer *p, struct fx_msg *msg, void *arg)
{
    struct jobd *jd = arg;
    struct fx_error err = {""};
    json_t *payload = fx_msg_json (msg, &err);
    int urgency = URGENCY_DEFAULT;
    const char *J;
    struct submit *s;

    if (!payload
        || json_unpack_ex (payload, NULL, JSON_STRICT, "{s:s s?i}", "J", &J, "urgency", &urgency)
               < 0) {
        fx_respond_error (p, msg, EPROTO, "malformed submit request");
        return;
    }
    if (urgency < 0 || urgency > URGENCY_EXPEDITE) {
        fx_respond_error (p, msg, EINVAL, "urgency %d is not in 0..31", urgency);
        return;
    }
    if (urgency > URGENCY_DEFAULT && !(msg->rolemask & FX_ROLE_OWNER)) {
        fx_respond_denied (p, msg, "only the instance owner may set urgency above 16");
        return;
    }
    if (queue_accepting (jd, &err) < 0) {
        fx_respond_error (p, msg, EAGAIN, "%s", err.text);
        return;
    }
    if (!(s = calloc (1, sizeof (*s))) || !(s->req = fx_msg_copy (msg)) || !(s->J = strdup (J))) {
        submit_destroy (s);
        fx_respond_error (p, msg, ENOMEM, "out of memory");
        return;
    }
    s->jd = jd;
    s->urgency = urgency;
    s->userid = msg->userid;
    s->owner = (msg->rolemask & FX_ROLE_OWNER) != 0;
    if (fx_signer_unwrap (jd->signer, J, unwrapped_cb, s) < 0)
        submit_fail (s, errno, "signature: ", strerror (errno));
}

const struct fx_handler ingest_handlers[] = {
    {"job-ingest.submit", submit_cb, FX_ROLE_ALL},
    {NULL, NULL, 0},
};
