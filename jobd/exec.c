/* exec.c - jobd's side of the exec protocol (doc/job.md, after RFC 32).
 *
 * For a job whose allocation is durable, one execd.start stream goes to each rank of the
 * allocation.  jobd posts `start` once every rank has started and `finish` (the largest
 * wait status) once every rank has finished; exceptions from a rank are the job's.  A
 * stream that ends with an error other than ENODATA means that rank's execd is gone: the
 * job gets a fatal exec exception and that rank counts as finished.  After a jobd
 * restart the same streams are opened with reattach, and execd answers for jobs it still
 * runs or has finished meanwhile.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "jobd/jobd.h"
#include "services/rlist.h"

struct exec_rank {
    struct jobd *jd;
    uint64_t id;
    uint32_t rank;
    struct fx_rpc *rpc;
    int started, finished, done;
    int status;
};

static void rank_done (struct jobd *jd, struct job *job, struct exec_rank *er)
{
    int status = 0;

    if (er->done)
        return;
    er->done = 1;
    er->rpc = NULL;
    if (++job->exec_done < job->exec_nranks)
        return;
    for (int i = 0; i < job->exec_nranks; i++)
        if (job->exec[i].status > status)
            status = job->exec[i].status;
    exec_job_done (jd, job);
    if (!job->finished && (job->state & JOB_RUNNING))
        job_post (jd, job, "finish", json_pack ("{s:i}", "status", status));
    job_cleanup_progress (jd, job);
}

static void rank_started (struct jobd *jd, struct job *job, struct exec_rank *er)
{
    if (er->started)
        return;
    er->started = 1;
    if (++job->exec_started == job->exec_nranks && job->state == JOB_RUN)
        job_post (jd, job, "start", NULL);
}

static void start_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct exec_rank *er = arg;
    struct jobd *jd = er->jd;
    struct job *job = jobd_lookup (jd, er->id);
    struct fx_error err = {""};
    json_t *payload, *data = NULL;
    const char *type, *etype = "exec", *note = "";
    int errnum = (int) fx_msg_errnum (rsp), severity = 0, status = 0;

    if (jd->stopping)
        return;

    (void) rpc;
    if (!job || !job->exec)
        return;
    if (errnum != 0) {
        if (errnum != ENODATA && !er->finished) {
            job_raise (jd, job, "exec", 0, 0, "lost contact with execd on rank %u: %s", er->rank,
                       fx_msg_errstr (rsp));
            er->status = SIGKILL;
        }
        rank_done (jd, job, er);
        return;
    }
    if (!(payload = fx_msg_json (rsp, &err)) || json_unpack (payload, "{s:s}", "type", &type) < 0) {
        fx_log (jd->peer, LOG_ERR, "execd.start: malformed response from rank %u", er->rank);
        return;
    }
    if (!strcmp (type, "start"))
        rank_started (jd, job, er);
    else if (!strcmp (type, "finish") && json_unpack (payload, "{s:i}", "status", &status) == 0) {
        er->finished = 1;
        er->status = status;
        rank_started (jd, job, er);
    } else if (!strcmp (type, "exception") && json_unpack (payload, "{s:o}", "data", &data) == 0
               && json_unpack (data, "{s?s s?i s?s}", "type", &etype, "severity", &severity, "note",
                               &note)
                      == 0)
        job_raise (jd, job, etype, severity, 0, "%s", note);
    else if (strcmp (type, "reattached") != 0)
        fx_log (jd->peer, LOG_ERR, "execd.start: unexpected response %s from rank %u", type,
                er->rank);
}

void exec_start (struct jobd *jd, struct job *job, int reattach)
{
    struct fx_rlist *rl = job->R ? fx_rlist_decode (job->R, NULL) : NULL;
    size_t n = rl ? fx_rlist_nnodes (rl) : 0;
    struct fx_rlist_node node;
    json_t *o = NULL, *full = job_full_jobspec (job);

    if (n == 0 || !full || !(job->exec = calloc (n, sizeof (*job->exec)))
        || !(o = json_pack ("{s:I s:I s:o s:O s:b}", "id", (json_int_t) job->id, "userid",
                            (json_int_t) job->userid, "jobspec", full, "R", job->R, "reattach",
                            reattach))) {
        fx_rlist_destroy (rl);
        free (job->exec);
        job->exec = NULL;
        job_raise (jd, job, "exec", 0, 0, "cannot start: %s", n ? "out of memory" : "empty R");
        return;
    }
    job->exec_nranks = (int) n;
    job->exec_started = job->exec_done = 0;
    for (size_t i = 0; i < n; i++) {
        struct exec_rank *er = &job->exec[i];
        fx_rlist_node_at (rl, i, &node);
        *er = (struct exec_rank){.jd = jd, .id = job->id, .rank = node.rank};
        if (!(er->rpc = fx_rpc_start (jd->peer, "execd.start", er->rank, FX_MSGFLAG_STREAMING, o, 0,
                                      start_cb, er))) {
            /* The ranks after this one are not started at all: the job ends here. */
            for (size_t j = i + 1; j < n; j++)
                job->exec[j] = (struct exec_rank){.jd = jd, .id = job->id, .done = 1};
            job->exec_done += (int) (n - i - 1);
            job_raise (jd, job, "exec", 0, 0, "cannot reach execd on rank %u: %s", er->rank,
                       strerror (errno));
            rank_done (jd, job, er);
            break;
        }
    }
    json_decref (o);
    fx_rlist_destroy (rl);
}

void exec_kill (struct jobd *jd, struct job *job, int signum)
{
    json_t *o;

    if (!job->exec)
        return;
    o = json_pack ("{s:I s:i}", "id", (json_int_t) job->id, "signal", signum);
    for (int i = 0; o && i < job->exec_nranks; i++)
        if (!job->exec[i].done)
            fx_rpc_start (jd->peer, "execd.kill", job->exec[i].rank, FX_MSGFLAG_NORESPONSE, o, 0,
                          NULL, NULL);
    json_decref (o);
}

void exec_job_done (struct jobd *jd, struct job *job)
{
    (void) jd;
    if (!job->exec)
        return;
    for (int i = 0; i < job->exec_nranks; i++)
        if (!job->exec[i].done && job->exec[i].rpc)
            fx_rpc_cancel (job->exec[i].rpc);
    free (job->exec);
    job->exec = NULL;
}
