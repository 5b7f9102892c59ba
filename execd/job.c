/* job.c - the `execd` service and one job's life on this rank (doc/job.md, "Exec protocol").
 *
 * execd.start (streaming, from jobd) decodes the jobspec and R, finds this rank's share
 * (its cores, GPUs and tasks through fx_taskmap), starts the tasks (task.c) or a test
 * timer, answers `start`, and answers `finish` (the largest wait status) once every task
 * has exited, its pipes are at EOF and its output is acknowledged by kvsd (output.c); then
 * it ends the stream with ENODATA.  A request that does not decode gets one error answer.
 *
 * A job outlives its stream: when jobd goes away (execd.cancel, router.disconnect) the job
 * keeps running, detached, and its result is kept (a ring of the last EXECD_RESULTS_MAX
 * ended jobs) so that a new jobd's reattach is answered `start` or `finish`, or an
 * exception `lost` for a job this rank does not know.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "execd/execd.h"
#include "services/fluid.h"

void job_respond (struct job *job, json_t *o)
{
    if (o && job->req && json_object_set_new (o, "id", json_integer ((json_int_t) job->id)) == 0
        && fx_respond (job->ed->peer, job->req, o) < 0)
        fx_log (job->ed->peer, LOG_ERR, "%s: cannot answer: %s", job->f58, strerror (errno));
    json_decref (o);
}

void job_exception (struct job *job, int severity, const char *type, const char *fmt, ...)
{
    char note[512];
    va_list ap;

    va_start (ap, fmt);
    vsnprintf (note, sizeof (note), fmt, ap);
    va_end (ap);
    if (severity == 0)
        job->exception = 1;
    fx_log (job->ed->peer, LOG_INFO, "%s: exception %s: %s", job->f58, type, note);
    job_respond (job, json_pack ("{s:s s:{s:i s:s s:s}}", "type", "exception", "data", "severity",
                                 severity, "type", type, "note", note));
}

/* The end of a stream: ENODATA, the normal end. */
static void stream_end (struct execd *ed, struct fx_msg *req)
{
    if (req)
        fx_respond_error (ed->peer, req, ENODATA, NULL);
}

static void result_add (struct execd *ed, uint64_t id, int status)
{
    struct result *r = &ed->results[ed->results_next];
    char key[24];

    if (ed->results_count == EXECD_RESULTS_MAX) {
        snprintf (key, sizeof (key), "%ju", (uintmax_t) r->id);
        fx_strmap_remove (ed->results_map, key);
    } else
        ed->results_count++;
    r->id = id;
    r->status = status;
    snprintf (key, sizeof (key), "%ju", (uintmax_t) id);
    if (fx_strmap_put (ed->results_map, key, r) < 0)
        ed->results_count--; /* out of memory: forgotten, a reattach will say lost */
    else
        ed->results_next = (ed->results_next + 1) % EXECD_RESULTS_MAX;
}

static void job_destroy (struct job *job)
{
    struct execd *ed = job->ed;

    if (job->prev)
        job->prev->next = job->next;
    else if (ed->job_list == job)
        ed->job_list = job->next;
    if (job->next)
        job->next->prev = job->prev;
    if (fx_strmap_get (ed->jobs, job->idkey) == job)
        fx_strmap_remove (ed->jobs, job->idkey);
    kill_stop (job);
    fx_rpc_cancel (job->J_rpc);
    free (job->J);
    ev_timer_stop (ed->loop, &job->test_timer);
    for (int i = 0; job->tasks && i < job->ntasks; i++)
        task_release (&job->tasks[i]);
    free (job->tasks);
    task_env_free (job);
    for (int i = 0; i < 2; i++) {
        if (job->outfd[i] >= 0 && (i == 0 || job->outfd[1] != job->outfd[0]))
            close (job->outfd[i]);
    }
    fx_jobspec_clear (&job->js);
    fx_rlist_destroy (job->R);
    fx_idset_destroy (job->cores);
    fx_idset_destroy (job->gpus);
    fx_msg_destroy (job->req);
    free (job);
}

void job_destroy_all (struct execd *ed)
{
    while (ed->job_list)
        job_destroy (ed->job_list);
}

void job_check_done (struct job *job)
{
    struct execd *ed = job->ed;

    if (job->ended || job->live > 0 || job->unacked_ops > 0 || job->J_rpc)
        return;
    job->ended = 1;
    if (job->started) {
        job_respond (job, json_pack ("{s:s s:i}", "type", "finish", "status", job->status));
        result_add (ed, job->id, job->status);
    }
    stream_end (ed, job->req);
    job_destroy (job);
    execd_check_stopped (ed);
}

/* This rank's place in R: its cores and GPUs, and its tasks by fx_taskmap. */
static int job_share (struct job *job, struct fx_error *err)
{
    size_t n = fx_rlist_nnodes (job->R);
    int *cores = calloc (n + 1, sizeof (int)), *tasks = calloc (n + 1, sizeof (int));
    int *first = calloc (n + 1, sizeof (int)), me = -1, rc = -1;
    struct fx_rlist_node node;

    if (!cores || !tasks || !first) {
        errprintf (err, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n && fx_rlist_node_at (job->R, i, &node) == 0; i++) {
        cores[i] = (int) fx_idset_count (node.cores);
        if (node.rank == job->ed->rank) {
            me = (int) i;
            if (!(job->cores = fx_idset_copy (node.cores))
                || !(job->gpus = fx_idset_copy (node.gpus))) {
                errprintf (err, "out of memory");
                goto done;
            }
        }
    }
    if (me < 0) {
        errprintf (err, "R: rank %u is not in the allocation", job->ed->rank);
        goto done;
    }
    if (fx_taskmap (&job->js, (int) n, cores, tasks, first) < 0) {
        errprintf (err, "R: the allocation cannot hold the jobspec's %d slots", job->js.nslots);
        goto done;
    }
    job->ntasks = tasks[me];
    job->first = first[me];
    job->ntasks_total = job->js.ntasks;
    rc = 0;
done:
    free (cores);
    free (tasks);
    free (first);
    return rc;
}

static int job_names (struct job *job, struct fx_error *err)
{
    char dothex[FX_FLUID_STRLEN];

    snprintf (job->idkey, sizeof (job->idkey), "%ju", (uintmax_t) job->id);
    if (fx_fluid_encode (job->f58, sizeof (job->f58), job->id, FX_FLUID_F58) < 0
        || fx_fluid_encode (dothex, sizeof (dothex), job->id, FX_FLUID_DOTHEX) < 0)
        return errprintf (err, "id %ju: cannot be encoded", (uintmax_t) job->id);
    snprintf (job->outkey, sizeof (job->outkey), "job.%s.guest.output", dothex);
    return 0;
}

static struct job *job_create (struct execd *ed, uint64_t id, uint32_t userid, json_t *jobspec,
                               json_t *R, struct fx_error *err)
{
    struct job *job = calloc (1, sizeof (*job));
    struct fx_error jerr = {""};

    if (!job) {
        errprintf (err, "out of memory");
        return NULL;
    }
    job->ed = ed;
    job->id = id;
    job->userid = userid;
    job->outfd[0] = job->outfd[1] = -1;
    ev_init (&job->test_timer, NULL);
    ev_init (&job->expire_timer, NULL);
    ev_init (&job->kill_timer, NULL);
    if (job_names (job, err) < 0)
        goto error;
    if (fx_jobspec_parse_json (jobspec, &job->js, &jerr) < 0) {
        errprintf (err, "jobspec: %s", jerr.text);
        goto error;
    }
    if (!(job->R = fx_rlist_decode (R, &jerr))) {
        errprintf (err, "R: %s", jerr.text);
        goto error;
    }
    if (job_share (job, err) < 0)
        goto error;
    (void) json_unpack (R, "{s:{s?F}}", "execution", "expiration", &job->expiration);
    job->test_mode = job->js.test_run_duration >= 0;
    return job;
error:
    job_destroy (job);
    return NULL;
}

static void test_timer_cb (struct ev_loop *loop, ev_timer *w, int revents)
{
    struct job *job = w->data;

    (void) loop;
    (void) revents;
    job->live = 0;
    job_check_done (job);
}

/* PATH with {{id}} replaced by the job's F58 id, relative to the job's cwd. */
static char *output_path (struct job *job, const char *path)
{
    const char *dir = path[0] != '/' && job->js.cwd ? job->js.cwd : NULL;
    const char *at = strstr (path, "{{id}}");
    char *s = NULL;
    int rc;

    if (at)
        rc = asprintf (&s, "%s%s%.*s%s%s", dir ? dir : "", dir ? "/" : "", (int) (at - path), path,
                       job->f58, at + 6);
    else
        rc = asprintf (&s, "%s%s%s", dir ? dir : "", dir ? "/" : "", path);
    return rc < 0 ? NULL : s;
}

/* attributes.system.output: the files stdout and stderr go to instead of guest.output
 * (stderr to stdout's file when only that is given, as the original does).  The rank that
 * holds task 0 truncates them; every task appends. */
static int output_files (struct job *job, struct fx_error *err)
{
    const char *paths[2] = {job->js.output_path,
                            job->js.error_path ? job->js.error_path : job->js.output_path};
    int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (job->first == 0 ? O_TRUNC : 0);

    for (int i = 0; i < 2; i++) {
        char *path;
        if (!paths[i])
            continue;
        if (i == 1 && paths[0] && strcmp (paths[0], paths[1]) == 0) {
            job->outfd[1] = job->outfd[0];
            continue;
        }
        if (!(path = output_path (job, paths[i])))
            return errprintf (err, "out of memory");
        if ((job->outfd[i] = open (path, flags, 0644)) < 0) {
            errprintf (err, "%s: %s", path, strerror (errno));
            free (path);
            return -1;
        }
        free (path);
    }
    return 0;
}

/* Start every task of this rank; on a failure the started ones are killed, an exception
 * says why, and the job ends without `start`. */
static void job_spawn (struct job *job)
{
    struct fx_error err = {""};
    int cwd_failed = 0;

    /* An IMP job's shell opens the output files as the job's user. */
    if (!(job->tasks = calloc ((size_t) job->ntasks + 1, sizeof (*job->tasks)))
        || task_env_create (job, &err) < 0 || (!job->imp && output_files (job, &err) < 0)) {
        job_exception (job, 0, "exec", "%s", err.text[0] ? err.text : "out of memory");
        return;
    }
    if (job->first == 0 && job->ntasks > 0)
        output_header (job);
    for (int i = 0; i < job->ntasks; i++) {
        struct task *t = &job->tasks[i];
        t->job = job;
        t->rank = job->first + i;
        t->local_id = i;
        if (task_start (t, &cwd_failed, &err) < 0) {
            job_exception (job, 0, "exec", "%s", err.text);
            kill_send (job, SIGKILL);
            return;
        }
        job->live++;
        fx_metric_inc (job->ed->m_tasks);
    }
    job->started = 1;
}

void job_launch (struct job *job)
{
    if (!job->test_mode)
        job_spawn (job);
    if (job->started) {
        job_respond (job, json_pack ("{s:s}", "type", "start"));
        kill_expiration_start (job);
    }
    job_check_done (job);
}

/* A job of execd's user is launched at once, another user's once its J is read (imp.c). */
static void job_run (struct job *job)
{
    struct execd *ed = job->ed;

    if ((job->next = ed->job_list))
        job->next->prev = job;
    ed->job_list = job;
    if (job->test_mode) {
        ev_timer_init (&job->test_timer, test_timer_cb, job->js.test_run_duration, 0.);
        job->test_timer.data = job;
        ev_timer_start (ed->loop, &job->test_timer);
        job->live = 1;
        job->started = 1;
    } else if (job->userid != getuid ()) {
        imp_job_start (job);
        if (job->J_rpc)
            return;
        job_check_done (job); /* it failed: an exception said why */
        return;
    }
    job_launch (job);
}

/* A reattaching jobd: the job runs (start), has ended (finish), or is unknown (lost). */
static void job_reattach (struct execd *ed, const struct fx_msg *req, uint64_t id)
{
    struct job tmp = {.ed = ed, .id = id}, *job;
    struct result *r;

    snprintf (tmp.idkey, sizeof (tmp.idkey), "%ju", (uintmax_t) id);
    if ((job = fx_strmap_get (ed->jobs, tmp.idkey))) {
        fx_msg_destroy (job->req); /* a stream of a jobd that is gone */
        if ((job->req = fx_msg_copy (req)))
            fx_msg_set_payload (job->req, NULL);
        job_respond (job, json_pack ("{s:s}", "type", "start"));
        return;
    }
    if (!(tmp.req = fx_msg_copy (req)))
        return;
    fx_fluid_encode (tmp.f58, sizeof (tmp.f58), id, FX_FLUID_F58);
    if ((r = fx_strmap_get (ed->results_map, tmp.idkey)))
        job_respond (&tmp, json_pack ("{s:s s:i}", "type", "finish", "status", r->status));
    else
        job_exception (&tmp, 0, "lost", "job %s is not known on rank %u", tmp.f58, ed->rank);
    stream_end (ed, tmp.req);
    fx_msg_destroy (tmp.req);
}

/* execd.start {"id","userid","jobspec","R","reattach"} (streaming). */
static void start_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct execd *ed = arg;
    struct fx_error err = {""};
    json_t *in, *jobspec, *R;
    json_int_t id, userid;
    int reattach;
    struct job *job;

    if (!(req->flags & FX_MSGFLAG_STREAMING)) {
        fx_respond_error (p, req, EPROTO, "execd.start must be streaming");
        return;
    }
    if (!(in = fx_msg_json (req, NULL))
        || json_unpack_ex (in, NULL, JSON_STRICT, "{s:I s:I s:o s:o s:b}", "id", &id, "userid",
                           &userid, "jobspec", &jobspec, "R", &R, "reattach", &reattach)
               < 0
        || id < 0 || userid < 0 || userid > UINT32_MAX) {
        fx_respond_error (
            p, req, EPROTO,
            "execd.start: expected {\"id\",\"userid\",\"jobspec\",\"R\",\"reattach\"}");
        return;
    }
    if (ed->stopping) {
        fx_respond_error (p, req, ENOSYS, "flux-execd on rank %u is stopping", ed->rank);
        return;
    }
    if (reattach) {
        job_reattach (ed, req, (uint64_t) id);
        return;
    }
    if (!(job = job_create (ed, (uint64_t) id, (uint32_t) userid, jobspec, R, &err))) {
        fx_respond_error (p, req, errno == ENOMEM ? ENOMEM : EINVAL, "%s", err.text);
        return;
    }
    /* A job this rank already runs or ran: jobd restarted before it recorded the start,
     * so answer as to a reattach, never run it twice. */
    if (fx_strmap_get (ed->jobs, job->idkey) || fx_strmap_get (ed->results_map, job->idkey)) {
        job_destroy (job);
        job_reattach (ed, req, (uint64_t) id);
        return;
    }
    if (!(job->req = fx_msg_copy (req)) || fx_strmap_put (ed->jobs, job->idkey, job) < 0) {
        fx_respond_error (p, req, ENOMEM, "out of memory");
        job_destroy (job);
        return;
    }
    fx_msg_set_payload (job->req, NULL); /* only its routes and matchtag are needed */
    job_run (job);
}

/* execd.kill {"id","signal"} (no response).  SIGTERM means "end this job": the exec
 * term-signal and then the escalation; any other signal is delivered as it is. */
static void kill_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct execd *ed = arg;
    json_int_t id;
    char key[24];
    struct job *job;
    json_t *in;
    int sig;

    if (!(in = fx_msg_json (req, NULL))
        || json_unpack_ex (in, NULL, JSON_STRICT, "{s:I s:i}", "id", &id, "signal", &sig) < 0
        || sig <= 0 || sig >= NSIG) {
        fx_log (p, LOG_ERR, "execd.kill: expected {\"id\",\"signal\"} with a valid signal");
        fx_respond_error (p, req, EPROTO, "execd.kill: expected {\"id\",\"signal\"}");
        return;
    }
    snprintf (key, sizeof (key), "%jd", (intmax_t) id);
    if (!(job = fx_strmap_get (ed->jobs, key)))
        return;
    if (sig == SIGTERM)
        kill_escalate (job, ed->conf.term_signal);
    else if (sig == SIGKILL)
        kill_escalate (job, SIGKILL);
    else
        kill_send (job, sig);
}

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

/* execd.cancel {"matchtag"}: jobd ends its stream (or its router does, jobd gone).  The job
 * keeps running, detached. */
static void cancel_cb (struct fx_peer *p, struct fx_msg *req, void *arg)
{
    struct execd *ed = arg;
    json_int_t matchtag;
    json_t *in;

    if (!(in = fx_msg_json (req, NULL)) || json_unpack (in, "{s:I}", "matchtag", &matchtag) < 0)
        return;
    for (struct job *job = ed->job_list; job; job = job->next) {
        if (job->req && fx_msg_matchtag (job->req) == matchtag && same_sender (job->req, req)) {
            fx_respond_error (p, job->req, ECANCELED, "execd.start: canceled");
            fx_msg_destroy (job->req);
            job->req = NULL;
            return;
        }
    }
}

void job_disconnect (struct fx_peer *p, struct fx_msg *ev, void *arg)
{
    struct execd *ed = arg;
    json_int_t peer, rank;
    json_t *in;

    (void) p;
    if (!(in = fx_msg_json (ev, NULL))
        || json_unpack (in, "{s:I s:I}", "peer", &peer, "rank", &rank) < 0)
        return;
    for (struct job *job = ed->job_list; job; job = job->next) {
        if (job->req && job->req->nroutes > 0 && job->req->route[0].rank == rank
            && job->req->route[0].peer == peer) {
            fx_msg_destroy (job->req);
            job->req = NULL;
        }
    }
}

const struct fx_handler job_handlers[] = {
    {"execd.start", start_cb, FX_ROLE_OWNER},
    {"execd.kill", kill_cb, FX_ROLE_OWNER},
    {"execd.cancel", cancel_cb, FX_ROLE_OWNER},
    {NULL, NULL, 0},
};
