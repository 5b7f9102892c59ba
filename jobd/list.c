/* list.c - job-list: listings for flux jobs, one job's record, and its eventlogs.
 *
 * Listings come from memory (every job, active or not, has a small record).  Eventlogs
 * come from kvsd: job-list.eventlog checks that the requester may read the job and then
 * relays a kvs.watch (or one kvs.get) made as the owner, because guests may not read the
 * primary namespace themselves.  A followed stream ends after the `clean` event for the
 * eventlog, and once the job has finished and every output event present has been sent
 * for guest.output (execd commits output before it reports finish).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "jobd/jobd.h"
#include "services/conf.h"

#define LIST_MAX 20000 /* jobs in one job-list.list answer (about 8 MB) */

struct listreq {
    struct jobd *jd;
    struct fx_msg *req;
    uint64_t id;
    int output; /* guest.output, not eventlog */
    int follow;
    struct fx_rpc *rpc;       /* kvs.watch or kvs.get */
    struct fx_rpc *final_rpc; /* kvs.get of guest.output's count */
    json_int_t sent;          /* events relayed */
    json_int_t final;         /* guest.output: events there are once the job is done, -1 unknown */
    struct listreq *next;
};

json_t *list_job_json (const struct job *job)
{
    json_t *o = json_pack ("{s:I s:I s:i s:I s:i s:s s:i s:i s:i s:i s:f s:f}", "id",
                           (json_int_t) job->id, "userid", (json_int_t) job->userid, "urgency",
                           job->urgency, "priority", (json_int_t) job->priority, "state",
                           job->state, "name", job->name ? job->name : "", "ntasks", job->ntasks,
                           "nnodes", job->nnodes, "ncores", job->ncores, "ngpus", job->ngpus,
                           "t_submit", job->t_submit, "duration", job->duration);

    if (!o)
        return NULL;
    if (job->t_depend > 0)
        json_object_set_new (o, "t_depend", json_real (job->t_depend));
    if (job->t_run > 0)
        json_object_set_new (o, "t_run", json_real (job->t_run));
    if (job->t_cleanup > 0)
        json_object_set_new (o, "t_cleanup", json_real (job->t_cleanup));
    if (job->state == JOB_INACTIVE) {
        json_object_set_new (o, "t_inactive", json_real (job->t_inactive));
        json_object_set_new (o, "result", json_integer (job->result));
    }
    if (job->waitstatus >= 0)
        json_object_set_new (o, "waitstatus", json_integer (job->waitstatus));
    if (job->ranks)
        json_object_set_new (o, "ranks", json_string (job->ranks));
    if (job->nodelist)
        json_object_set_new (o, "nodelist", json_string (job->nodelist));
    if (job->queue)
        json_object_set_new (o, "queue", json_string (job->queue));
    if (job->exc_type)
        json_object_set_new (o, "exception",
                             json_pack ("{s:s s:i s:s}", "type", job->exc_type, "severity",
                                        job->exc_severity, "note",
                                        job->exc_note ? job->exc_note : ""));
    if (job->annotations)
        json_object_set_new (o, "annotations", json_incref (job->annotations));
    if (job->deps && json_array_size (job->deps) > 0)
        json_object_set_new (o, "dependencies", json_incref (job->deps));
    return o;
}

/* A guest sees other users' jobs without their names and exception notes (which can quote the
 * command), unless access.guest-job-details is true. */
static int hide_details (const struct jobd *jd, const struct fx_msg *msg, const struct job *job)
{
    return !(msg->rolemask & FX_ROLE_OWNER) && job->userid != msg->userid
           && !json_is_true (fx_conf_get (jd->config, "access.guest-job-details"));
}

static json_t *list_job_json_hidden (const struct job *job)
{
    json_t *o = list_job_json (job), *exc;

    if (o) {
        json_object_set_new (o, "name", json_string ("(hidden)"));
        if ((exc = json_object_get (o, "exception")))
            json_object_del (exc, "note");
    }
    return o;
}

static void list_cb (struct fx_peer *p, struct fx_msg *msg, void *arg)
{
    struct jobd *jd = arg;
    json_t *payload = fx_msg_json (msg, NULL), *jobs, *o;
    int max = 1000, states = JOB_PENDING | JOB_RUNNING, results = 0;
    json_int_t userid = -1;

    if (!payload
        || json_unpack_ex (payload, NULL, JSON_STRICT, "{s?i s?i s?I s?i}", "max", &max, "states",
                           &states, "userid", &userid, "results", &results)
               < 0
        || max < 0) {
        fx_respond_error (p, msg, EPROTO, "malformed list request");
        return;
    }
    if (max == 0 || max > LIST_MAX) /* one answer must fit in a message (16 MiB) */
        max = LIST_MAX;
    if (!(jobs = json_array ())) {
        fx_respond_error (p, msg, ENOMEM, "out of memory");
        return;
    }
    for (size_t i = jd->njobs; i > 0 && (max == 0 || (int) json_array_size (jobs) < max); i--) {
        struct job *job = jd->jobs[i - 1];
        int match = (job->state & states) != 0;
        if (results && job->state == JOB_INACTIVE)
            match = match || (job->result & results);
        if (!match || (userid >= 0 && job->userid != (uint32_t) userid))
            continue;
        json_array_append_new (jobs, hide_details (jd, msg, job) ? list_job_json_hidden (job)
                                                                 : list_job_json (job));
    }
    o = json_pack ("{s:o}", "jobs", jobs);
    if (fx_respond (p, msg, o) < 0)
        fx_respond_error (p, msg, EMSGSIZE, "too many jobs for one answer: ask for fewer");
    json_decref (o);
}

struct inforeq {
    struct jobd *jd;
    struct fx_msg *req;
    json_t *o; /* the answer being built */
};

/* An inactive job's jobspec and R are no longer in memory: one kvs.dir brings them. */
static void info_dir_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct inforeq *ir = arg;
    json_t *payload, *e;
    size_t i;

    (void) rpc;
    if (!ir->jd->stopping) {
        if (fx_msg_errnum (rsp) == 0 && (payload = fx_msg_json (rsp, NULL))) {
            json_array_foreach (json_object_get (payload, "entries"), i, e)
            {
                const char *key = json_string_value (json_object_get (e, "key"));
                const char *name = key ? strrchr (key, '.') : NULL;
                json_t *value = json_object_get (e, "value");
                if (name && value && (!strcmp (name, ".jobspec") || !strcmp (name, ".R")))
                    json_object_set (ir->o, name + 1, value);
            }
        }
        fx_respond (ir->jd->peer, ir->req, ir->o);
    }
    json_decref (ir->o);
    fx_msg_destroy (ir->req);
    free (ir);
}

static void info_cb (struct fx_peer *p, struct fx_msg *msg, void *arg)
{
    struct jobd *jd = arg;
    json_t *payload = fx_msg_json (msg, NULL), *o, *in;
    char key[64], dothex[FX_FLUID_STRLEN];
    struct inforeq *ir;
    struct job *job;

    if (!payload) {
        fx_respond_error (p, msg, EPROTO, "malformed info request");
        return;
    }
    if (!(job = jobd_request_job (jd, msg, payload)))
        return;
    if (!(o = list_job_json (job))) {
        fx_respond_error (p, msg, ENOMEM, "out of memory");
        return;
    }
    if (job->jobspec) {
        json_object_set_new (o, "jobspec", job_full_jobspec (job));
        if (job->R)
            json_object_set (o, "R", job->R);
        fx_respond (p, msg, o);
        json_decref (o);
        return;
    }
    fx_fluid_encode (dothex, sizeof (dothex), job->id, FX_FLUID_DOTHEX);
    snprintf (key, sizeof (key), "job.%s", dothex);
    in = json_pack ("{s:s s:b}", "key", key, "values", 1);
    if (!in || !(ir = calloc (1, sizeof (*ir))) || !(ir->req = fx_msg_copy (msg))) {
        if (in)
            free (ir);
        json_decref (in);
        json_decref (o);
        fx_respond_error (p, msg, ENOMEM, "out of memory");
        return;
    }
    ir->jd = jd;
    ir->o = o;
    if (!fx_rpc_start (p, "kvs.dir", 0, 0, in, FX_RPC_TIMEOUT, info_dir_cb, ir)) {
        fx_respond (p, msg, o); /* without them */
        json_decref (o);
        fx_msg_destroy (ir->req);
        free (ir);
    }
    json_decref (in);
}

/* Event streams */

static void listreq_destroy (struct jobd *jd, struct listreq *lr)
{
    struct listreq **pp = &jd->listreqs;

    while (*pp && *pp != lr)
        pp = &(*pp)->next;
    if (*pp)
        *pp = lr->next;
    fx_rpc_cancel (lr->rpc);
    fx_rpc_cancel (lr->final_rpc);
    fx_msg_destroy (lr->req);
    free (lr);
}

static void listreq_end (struct listreq *lr, int errnum, const char *errstr)
{
    fx_respond_error (lr->jd->peer, lr->req, errnum, errstr ? "%s" : NULL, errstr);
    listreq_destroy (lr->jd, lr);
}

/* Is a followed stream complete? */
static int listreq_complete (struct listreq *lr, json_t *events)
{
    struct job *job = jobd_lookup (lr->jd, lr->id);
    size_t i;
    json_t *ev;

    if (!lr->output) {
        json_array_foreach (events, i, ev)
        {
            const char *name = json_string_value (json_object_get (ev, "name"));
            if (name && !strcmp (name, "clean"))
                return 1;
        }
        return 0;
    }
    if (!job || !(job->state & (JOB_CLEANUP | JOB_INACTIVE)) || job->exec)
        return 0;
    return lr->final >= 0 && lr->sent >= lr->final;
}

static int listreq_watch (struct listreq *lr);

static void watch_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct listreq *lr = arg;
    json_t *payload, *events, *o;
    int errnum = (int) fx_msg_errnum (rsp);

    if (lr->jd->stopping)
        return;

    (void) rpc;
    if (errnum != 0) {
        lr->rpc = NULL;
        if (errnum == ENOENT && lr->output)
            listreq_end (lr, ENODATA, NULL); /* the job wrote no output */
        else
            listreq_end (lr, errnum == ECANCELED ? ENODATA : errnum, fx_msg_errstr (rsp));
        return;
    }
    if (!(payload = fx_msg_json (rsp, NULL)) || !(events = json_object_get (payload, "events")))
        return;
    lr->sent += (json_int_t) json_array_size (events);
    o = json_pack ("{s:O}", "events", events);
    fx_respond (lr->jd->peer, lr->req, o);
    json_decref (o);
    if (!lr->follow) { /* kvs.get answers at most 1000 events: ask for the rest */
        json_int_t count = 0;
        json_unpack (payload, "{s?I}", "count", &count);
        lr->rpc = NULL;
        if (lr->sent >= count || json_array_size (events) == 0 || listreq_watch (lr) < 0)
            listreq_end (lr, ENODATA, NULL);
        return;
    }
    if (listreq_complete (lr, events))
        listreq_end (lr, ENODATA, NULL);
}

static int listreq_watch (struct listreq *lr)
{
    char key[96], dothex[FX_FLUID_STRLEN];
    json_t *o;

    fx_fluid_encode (dothex, sizeof (dothex), lr->id, FX_FLUID_DOTHEX);
    snprintf (key, sizeof (key), "job.%s.%s", dothex, lr->output ? "guest.output" : "eventlog");
    if (lr->follow)
        o = json_pack ("{s:s s:I s:b}", "key", key, "from", lr->sent, "waitcreate", 1);
    else
        o = json_pack ("{s:s s:I}", "key", key, "from", lr->sent);
    if (!o)
        return -1;
    lr->rpc = fx_rpc_start (lr->jd->peer, lr->follow ? "kvs.watch" : "kvs.get", 0,
                            lr->follow ? FX_MSGFLAG_STREAMING : 0, o, 0, watch_cb, lr);
    json_decref (o);
    return lr->rpc ? 0 : -1;
}

static void final_cb (struct fx_rpc *rpc, struct fx_msg *rsp, void *arg)
{
    struct listreq *lr = arg;
    json_t *payload;
    json_int_t count = 0;

    if (lr->jd->stopping)
        return;

    (void) rpc;
    lr->final_rpc = NULL;
    if (fx_msg_errnum (rsp) == 0 && (payload = fx_msg_json (rsp, NULL)))
        json_unpack (payload, "{s?I}", "count", &count);
    lr->final = count;
    if (listreq_complete (lr, NULL))
        listreq_end (lr, ENODATA, NULL);
}

/* A job reached CLEANUP or INACTIVE: the output streams following it learn how many output
 * events there will ever be. */
static void output_final (struct jobd *jd, struct job *job)
{
    char key[96], dothex[FX_FLUID_STRLEN];
    json_t *o;

    fx_fluid_encode (dothex, sizeof (dothex), job->id, FX_FLUID_DOTHEX);
    snprintf (key, sizeof (key), "job.%s.guest.output", dothex);
    for (struct listreq *lr = jd->listreqs; lr; lr = lr->next) {
        if (lr->id != job->id || !lr->output || !lr->follow || lr->final != -1 || job->exec)
            continue;
        lr->final = -2; /* asked */
        if ((o = json_pack ("{s:s s:i}", "key", key, "limit", 1)))
            lr->final_rpc =
                fx_rpc_start (jd->peer, "kvs.get", 0, 0, o, FX_RPC_TIMEOUT, final_cb, lr);
        json_decref (o);
    }
}

void list_job_changed (struct jobd *jd, struct job *job)
{
    if (jd->listreqs && (job->state & (JOB_CLEANUP | JOB_INACTIVE)))
        output_final (jd, job);
}

static void eventlog_cb (struct fx_peer *p, struct fx_msg *msg, void *arg)
{
    struct jobd *jd = arg;
    json_t *payload = fx_msg_json (msg, NULL);
    const char *name = "eventlog";
    struct listreq *lr;
    struct job *job;
    json_int_t id;
    int follow = 0;

    if (!payload
        || json_unpack (payload, "{s:I s?s s?b !}", "id", &id, "name", &name, "follow", &follow) < 0
        || (strcmp (name, "eventlog") && strcmp (name, "guest.output"))) {
        fx_respond_error (p, msg, EPROTO,
                          "malformed eventlog request (name: eventlog or "
                          "guest.output)");
        return;
    }
    if (!(job = jobd_request_job (jd, msg, payload)))
        return;
    if (!(lr = calloc (1, sizeof (*lr))) || !(lr->req = fx_msg_copy (msg))) {
        free (lr);
        fx_respond_error (p, msg, ENOMEM, "out of memory");
        return;
    }
    *lr = (struct listreq){.jd = jd,
                           .req = lr->req,
                           .id = job->id,
                           .follow = follow,
                           .output = !strcmp (name, "guest.output"),
                           .final = -1,
                           .next = jd->listreqs};
    jd->listreqs = lr;
    if (listreq_watch (lr) < 0) {
        listreq_end (lr, errno ? errno : ENOMEM, "cannot read from kvs");
        return;
    }
    if (lr->output && follow)
        output_final (jd, job);
}

/* The requester cancelled its stream, or went away. */
static void cancel_cb (struct fx_peer *p, struct fx_msg *msg, void *arg)
{
    struct jobd *jd = arg;
    json_t *payload = fx_msg_json (msg, NULL);
    json_int_t matchtag;

    (void) p;
    if (!payload || json_unpack (payload, "{s:I}", "matchtag", &matchtag) < 0)
        return;
    for (struct listreq *lr = jd->listreqs; lr; lr = lr->next)
        if (fx_msg_matchtag (lr->req) == (uint32_t) matchtag && fx_msg_same_sender (lr->req, msg)) {
            listreq_end (lr, ECANCELED, NULL);
            return;
        }
}

void list_free (struct jobd *jd)
{
    while (jd->listreqs)
        listreq_destroy (jd, jd->listreqs);
}

const struct fx_handler list_handlers[] = {
    {"job-list.list", list_cb, FX_ROLE_ALL},
    {"job-list.info", info_cb, FX_ROLE_ALL},
    {"job-list.eventlog", eventlog_cb, FX_ROLE_ALL},
    {"job-list.cancel", cancel_cb, FX_ROLE_ALL},
    {NULL, NULL, 0},
};
